"""shipflow's Klaviyo client against the sandbox over loopback, on the one path where Klaviyo
refuses a profile upsert: 409 `duplicate_profile` (issue 10).

The customer signed up twice before ordering, by email on the storefront and by phone at the
till, so Klaviyo holds two profiles; the order carries both identifiers, and the upsert that
would join them is refused (klaviyo.md §6, klaviyo/klaviyo-api-php#63) with the existing
profile's id in `meta.duplicate_profile_id` (klaviyo.md §2a, the real body in
klaviyo/klaviyo-api-node#75). The client must read that id out of the sandbox's real 409 body,
send the request once (a 409 is an answer, not a failure to retry) and change nothing.

Both sides are held to the official spec: every request the client sent validates against
`ProfileUpsertQuery` (strict: Klaviyo refuses unknown attributes), every success document
against the 200/201 responses, and the 409 document against `ClientError`, left open because
real error objects add `status`, `links` and `meta` (klaviyo.md §2a).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from shipflow.providers.klaviyo import KlaviyoClient, KlaviyoProfile
from shipflow_sandbox import config as sandbox_config
from shipflow_sandbox import server as sandbox_server

from .openapi import OpenApiValidator, load_spec
from .paths import SPECS

PROFILE_IMPORT = "/api/profile-import"


@dataclass
class Exchange:
    path: str
    request: Any
    status: int
    response: Any


class RecordingTransport(httpx.HTTPTransport):
    """The real transport, keeping each request body and the answer's JSON as they crossed."""

    def __init__(self) -> None:
        super().__init__()
        self.exchanges: list[Exchange] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        body = response.read()
        self.exchanges.append(Exchange(request.url.path, json.loads(request.content),
                                       response.status_code,
                                       json.loads(body) if body else None))
        return response


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Any]:
    with sandbox_server.running_sandbox(sandbox_config.SandboxConfig()) as running:
        yield running


@pytest.fixture
def wire() -> RecordingTransport:
    return RecordingTransport()


@pytest.fixture
def klaviyo(sandbox: Any, wire: RecordingTransport) -> Iterator[KlaviyoClient]:
    with KlaviyoClient(sandbox.url("/klaviyo"), sandbox.config.klaviyo_api_key,
                       transport=wire) as client:
        yield client


@pytest.fixture(scope="module")
def error_documents() -> OpenApiValidator:
    return OpenApiValidator(load_spec(SPECS / "klaviyo-openapi-stable.json"), name="klaviyo-open")


def held_to_the_spec(wire: RecordingTransport, klaviyo_openapi: OpenApiValidator,
                     error_documents: OpenApiValidator) -> None:
    assert wire.exchanges
    for exchange in wire.exchanges:
        assert exchange.path.endswith(PROFILE_IMPORT)
        assert klaviyo_openapi.request_errors("post", PROFILE_IMPORT, exchange.request) == []
        spec = klaviyo_openapi if exchange.status < 300 else error_documents
        assert spec.response_errors("post", PROFILE_IMPORT, exchange.status,
                                    exchange.response) == [], exchange


def test_an_upsert_joining_two_profiles_resolves_to_the_one_klaviyo_names(
        sandbox: Any, klaviyo: KlaviyoClient, wire: RecordingTransport,
        klaviyo_openapi: OpenApiValidator, error_documents: OpenApiValidator) -> None:
    by_email = klaviyo.upsert_profile(KlaviyoProfile(email="nora.haddad@klaviyo-demo.com",
                                                     first_name="Nora"))
    by_phone = klaviyo.upsert_profile(KlaviyoProfile(phone_number="+1 (646) 555-0182",
                                                     external_id="7310044522"))
    assert by_email != by_phone
    assert [e.status for e in wire.exchanges] == [201, 201]

    customer = KlaviyoProfile(email="Nora.Haddad@klaviyo-demo.com", phone_number="+16465550182",
                              first_name="Nora", last_name="Haddad")
    resolved = klaviyo.upsert_profile(customer)

    refused = wire.exchanges[2:]
    assert [e.status for e in refused] == [409]  # sent once: a 409 is not retried
    [error] = refused[0].response["errors"]
    assert error["code"] == "duplicate_profile" and error["status"] == 409
    assert error["meta"]["duplicate_profile_id"] == resolved
    # The upsert finds Nora by her email; the phone it would give her is the other profile's.
    assert resolved == by_phone
    profiles = sandbox.state.klaviyo.store.profiles
    assert "phone_number" not in profiles[by_email].attributes  # nothing merged
    assert "last_name" not in profiles[by_email].attributes
    assert "email" not in profiles[by_phone].attributes
    held_to_the_spec(wire, klaviyo_openapi, error_documents)


def test_the_same_customer_again_is_an_update_not_a_409(
        klaviyo: KlaviyoClient, wire: RecordingTransport,
        klaviyo_openapi: OpenApiValidator, error_documents: OpenApiValidator) -> None:
    customer = KlaviyoProfile(email="omar.velez@klaviyo-demo.com", phone_number="+13055550117",
                              external_id="7310044599", first_name="Omar")
    first = klaviyo.upsert_profile(customer)
    assert klaviyo.upsert_profile(customer) == first
    assert [e.status for e in wire.exchanges] == [201, 200]
    held_to_the_spec(wire, klaviyo_openapi, error_documents)
