"""Contract fixtures: the official Klaviyo spec is loaded once per session (3 MB)."""

from __future__ import annotations

import json

import pytest

from .openapi import OpenApiValidator
from .paths import SPECS


@pytest.fixture(scope="session")
def klaviyo_openapi() -> OpenApiValidator:
    spec = json.loads((SPECS / "klaviyo-openapi-stable.json").read_text())
    return OpenApiValidator(spec, strict=True)
