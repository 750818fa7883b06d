"""Klaviyo's official Python SDK (`klaviyo-api`), unmodified, against the sandbox over loopback:
create profile, its 409 on a duplicate, and an upsert whose email and phone belong to two
different profiles (issue 10).

How the SDK is pointed at the sandbox: `KlaviyoAPI(api_key, test_host=...)`, the SDK's own
base-URL setting (it replaces `Configuration.host`, `https://a.klaviyo.com`); the operations'
paths (`/api/profiles`, `/api/profile-import`) are appended to it, so `test_host` is the
sandbox's `/klaviyo` prefix. The SDK sends its own `Authorization: Klaviyo-API-Key` and
`revision` headers (2026-10-15 for SDK 25.0.0; the sandbox validates bodies against the stored
2026-07-15 spec whatever the revision).

Success documents are read twice: as the SDK's pydantic models (which is what a script gets)
and, through the SDK's documented `USE_DICTIONARY_FOR_RESPONSE_DATA` option, as the raw JSON
document, validated against the official OpenAPI spec. Error documents are read from
`ApiException.body`, where a script finds `meta.duplicate_profile_id` (the SDK's error model
keeps only id, code, title, detail and source).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from klaviyo_api import KlaviyoAPI
from openapi_client.api_arg_options import USE_DICTIONARY_FOR_RESPONSE_DATA
from openapi_client.exceptions import ApiException
from openapi_client.models import (
    PostProfileResponse,
    ProfileCreateQuery,
    ProfileCreateQueryResourceObject,
    ProfileCreateQueryResourceObjectAttributes,
    ProfileUpsertQuery,
    ProfileUpsertQueryResourceObject,
    ProfileUpsertQueryResourceObjectAttributes,
)

from shipflow_sandbox import config as sandbox_config
from shipflow_sandbox import server as sandbox_server

from .openapi import OpenApiValidator, load_spec
from .paths import SPECS

PROFILES = "/api/profiles"
PROFILE_IMPORT = "/api/profile-import"
DETAIL = "A profile already exists with one of these identifiers."


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Any]:
    with sandbox_server.running_sandbox(sandbox_config.SandboxConfig()) as running:
        yield running


@pytest.fixture(scope="module")
def error_documents() -> OpenApiValidator:
    """The spec left open: `ClientError` lists id, code, title, detail and source, and real
    error objects add `status`, `links` and `meta` (klaviyo.md §2a), which strict mode (every
    listed object closed) would refuse."""
    return OpenApiValidator(load_spec(SPECS / "klaviyo-openapi-stable.json"), name="klaviyo-open")


def sdk(sandbox: Any, **options: Any) -> KlaviyoAPI:
    return KlaviyoAPI(sandbox.config.klaviyo_api_key, max_delay=1, max_retries=1,
                      test_host=sandbox.url("/klaviyo"), options=options)


def create_query(**attributes: Any) -> ProfileCreateQuery:
    return ProfileCreateQuery(data=ProfileCreateQueryResourceObject(
        type="profile", attributes=ProfileCreateQueryResourceObjectAttributes(**attributes)))


def upsert_query(**attributes: Any) -> ProfileUpsertQuery:
    return ProfileUpsertQuery(data=ProfileUpsertQueryResourceObject(
        type="profile", attributes=ProfileUpsertQueryResourceObjectAttributes(**attributes)))


def conflict(raised: pytest.ExceptionInfo[ApiException], validator: OpenApiValidator,
             path: str) -> dict[str, Any]:
    """The one error of a 409 `duplicate_profile` document, checked against the spec."""
    assert raised.value.status == 409
    document = json.loads(raised.value.body)
    assert validator.response_errors("post", path, 409, document) == []
    [error] = document["errors"]
    assert error["status"] == 409 and error["code"] == "duplicate_profile"
    assert error["title"] == "Conflict." and error["detail"] == DETAIL
    assert error["source"] == {"pointer": "/data/attributes"} and error["links"] == {}
    assert set(error) == {"id", "status", "code", "title", "detail", "source", "links", "meta"}
    [parsed] = raised.value.data.errors  # the SDK's own error model read it too
    assert parsed.code == "duplicate_profile" and parsed.detail == DETAIL
    return dict(error)


def test_create_profile_then_409_on_the_duplicate(sandbox: Any,
                                                  klaviyo_openapi: OpenApiValidator,
                                                  error_documents: OpenApiValidator) -> None:
    query = create_query(email="ines.okafor@klaviyo-demo.com", first_name="Ines",
                         last_name="Okafor", phone_number="+12125550143",
                         properties={"source": "back-office script"})
    assert klaviyo_openapi.request_errors("post", PROFILES, query.to_dict()) == []

    created = sdk(sandbox).Profiles.create_profile(query)
    assert isinstance(created, PostProfileResponse)
    profile_id = created.data.id
    assert len(profile_id) == 26 and created.data.type == "profile"
    assert created.data.attributes.email == "ines.okafor@klaviyo-demo.com"
    assert created.data.attributes.phone_number == "+12125550143"
    assert created.data.attributes.properties == {"source": "back-office script"}
    assert created.data.links.var_self == sandbox.url(f"/klaviyo/api/profiles/{profile_id}/")

    raw = sdk(sandbox, **{USE_DICTIONARY_FOR_RESPONSE_DATA: True}).Profiles.create_profile(
        create_query(email="tomas.silva@klaviyo-demo.com", external_id="cust-7781"))
    assert klaviyo_openapi.response_errors("post", PROFILES, 201, raw) == []
    assert raw["links"] == {"self": sandbox.url("/klaviyo/api/profiles/")}

    for duplicate in (create_query(email="INES.OKAFOR@klaviyo-demo.com", first_name="Twin"),
                      create_query(email="new.one@klaviyo-demo.com", phone_number="+12125550143")):
        with pytest.raises(ApiException) as raised:
            sdk(sandbox).Profiles.create_profile(duplicate)
        error = conflict(raised, error_documents, PROFILES)
        assert error["meta"] == {"duplicate_profile_id": profile_id}
    assert sandbox.state.klaviyo.store.profiles[profile_id].attributes["first_name"] == "Ines"


def test_upsert_whose_email_and_phone_belong_to_two_profiles_is_a_409(
        sandbox: Any, klaviyo_openapi: OpenApiValidator,
        error_documents: OpenApiValidator) -> None:
    klaviyo = sdk(sandbox)
    by_email = klaviyo.Profiles.create_profile(
        create_query(email="mia.chen@klaviyo-demo.com", first_name="Mia")).data.id
    by_phone = klaviyo.Profiles.create_profile(
        create_query(phone_number="+15125550177", external_id="pos-5512")).data.id
    assert by_email != by_phone

    merge = upsert_query(email="mia.chen@klaviyo-demo.com", phone_number="+15125550177",
                         last_name="Chen")
    assert klaviyo_openapi.request_errors("post", PROFILE_IMPORT, merge.to_dict()) == []
    with pytest.raises(ApiException) as raised:
        klaviyo.Profiles.create_or_update_profile(merge)
    error = conflict(raised, error_documents, PROFILE_IMPORT)
    # the upsert finds Mia by email; the phone it would give her is the other profile's
    assert error["meta"] == {"duplicate_profile_id": by_phone}
    profiles = sandbox.state.klaviyo.store.profiles
    assert "phone_number" not in profiles[by_email].attributes  # nothing merged, nothing changed
    assert "last_name" not in profiles[by_email].attributes
    assert profiles[by_phone].attributes.get("email") is None

    # without the other profile's phone, the same upsert updates Mia (200, same id)
    updated = sdk(sandbox, **{USE_DICTIONARY_FOR_RESPONSE_DATA: True}).Profiles \
        .create_or_update_profile(upsert_query(email="mia.chen@klaviyo-demo.com",
                                               phone_number="+15125550178", last_name="Chen"))
    assert klaviyo_openapi.response_errors("post", PROFILE_IMPORT, 200, updated) == []
    assert updated["data"]["id"] == by_email
    assert updated["data"]["attributes"]["phone_number"] == "+15125550178"
    assert updated["data"]["attributes"]["last_name"] == "Chen"

    # and a brand-new person is created by the upsert (201), read as the SDK's model
    new = klaviyo.Profiles.create_or_update_profile(
        upsert_query(email="leo.rossi@klaviyo-demo.com", phone_number="+13125550190"))
    assert isinstance(new, PostProfileResponse)
    assert new.data.id not in (by_email, by_phone)
    assert new.data.attributes.email == "leo.rossi@klaviyo-demo.com"
