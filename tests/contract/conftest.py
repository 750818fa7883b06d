"""Contract fixtures: each official spec is loaded and converted once per session."""

from __future__ import annotations

import pytest

from .openapi import OpenApiValidator, load_spec
from .paths import SPECS


@pytest.fixture(scope="session")
def klaviyo_openapi() -> OpenApiValidator:
    return OpenApiValidator(load_spec(SPECS / "klaviyo-openapi-stable.json"), strict=True,
                            name="klaviyo")


@pytest.fixture(scope="session")
def shipstation_v2_openapi() -> OpenApiValidator:
    """ShipStation API v2 (`/v2/...`, OpenAPI 3.1)."""
    return OpenApiValidator(load_spec(SPECS / "shipstation-v2-openapi.yaml"), name="ssv2")


@pytest.fixture(scope="session")
def shipengine_openapi() -> OpenApiValidator:
    """ShipEngine (`/v1/...`, OpenAPI 3.0): the same engine, a newer spec."""
    return OpenApiValidator(load_spec(SPECS / "shipengine-openapi.yaml"), name="shipengine")
