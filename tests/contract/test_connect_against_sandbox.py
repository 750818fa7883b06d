"""What `shipflow connect` reads and writes, against the sandbox and the official specs: the
Klaviyo scope probe's two answers (403 `permission_denied`, 400 `invalid`) as the spec's error
documents, and the provider clients' subscription calls (Shopify, ShipStation v1 and v2)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from shipflow.providers.errors import AuthenticationError
from shipflow.providers.klaviyo.client import KlaviyoClient
from shipflow.providers.shipstation.client import ShipStationClient
from shipflow.providers.shipstation_v2.client import ShipStationV2Client
from shipflow.providers.shopify.client import ShopifyClient
from shipflow.providers.shopify.subscriptions import is_already_taken
from shipflow_sandbox import RunningSandbox, SandboxConfig, running_sandbox

from .openapi import OpenApiValidator, load_spec
from .paths import SPECS


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    with running_sandbox(SandboxConfig(enforce_rate_limits=False)) as running:
        yield running


@pytest.fixture(scope="module")
def klaviyo_errors() -> OpenApiValidator:
    return OpenApiValidator(load_spec(SPECS / "klaviyo-openapi-stable.json"), name="klaviyo-open")


def test_klaviyo_probe_answers_validate_and_send_nothing(sandbox: RunningSandbox,
                                                         klaviyo_errors: OpenApiValidator) -> None:
    headers = {"Authorization": f"Klaviyo-API-Key {sandbox.config.klaviyo_api_key}",
               "revision": "2026-07-15", "Content-Type": "application/vnd.api+json"}
    probe = {"data": {"type": "event"}}
    for scopes, status in ((None, 400), (["profiles:write"], 403)):
        httpx.post(sandbox.url("/_sandbox/klaviyo/scopes"), json={"scopes": scopes})
        answer = httpx.post(sandbox.url("/klaviyo/api/events"), json=probe, headers=headers)
        assert answer.status_code == status
        assert klaviyo_errors.response_errors("post", "/api/events", status,
                                              answer.json()) == []
    with KlaviyoClient(sandbox.url("/klaviyo"), sandbox.config.klaviyo_api_key) as client:
        assert client.can_create_events() is False
        httpx.post(sandbox.url("/_sandbox/klaviyo/scopes"), json={"scopes": ["events:write"]})
        assert client.can_create_events() is True
    with KlaviyoClient(sandbox.url("/klaviyo"), "pk_" + "0" * 34) as stranger, \
            pytest.raises(AuthenticationError) as refused:
        stranger.can_create_events()
    assert refused.value.status_code == 401
    assert sandbox.state.klaviyo.counts()["events"] == 0


def test_shopify_client_lists_creates_and_recognises_a_duplicate(sandbox: RunningSandbox) -> None:
    with ShopifyClient(sandbox.url("/shopify"), sandbox.config.shopify_access_token) as client:
        assert "read_orders" in client.access_scopes()
        assert client.webhook_subscriptions() == []
        made, errors = client.create_webhook_subscription("orders/paid", "https://a.example/w")
        assert errors == () and made is not None and made.topic == "orders/paid"
        again, errors = client.create_webhook_subscription("orders/paid", "https://a.example/w")
        assert again is None and is_already_taken(errors)
        for n in range(120):  # more than one page
            client.create_webhook_subscription("orders/create", f"https://a.example/{n}")
        listed = client.webhook_subscriptions()
        assert len(listed) == 121 and listed[0] == made


def test_shipstation_clients_list_and_subscribe(sandbox: RunningSandbox) -> None:
    config = sandbox.config
    with ShipStationClient(sandbox.url("/shipstation"), config.shipstation_api_key,
                           config.shipstation_api_secret) as v1:
        assert v1.list_webhooks() == []
        hook_id = v1.subscribe_webhook("https://a.example/ss/tok", "SHIP_NOTIFY",
                                       friendly_name="shipflow")
        [hook] = v1.list_webhooks()
        assert (hook.webhook_id, hook.event, hook.url, hook.name) == (
            hook_id, "SHIP_NOTIFY", "https://a.example/ss/tok", "shipflow")
    with ShipStationV2Client(sandbox.url("/shipstation"), config.shipstation_v2_api_key) as v2:
        v2.create_webhook("track_event_v2", "https://a.example/v2")
        assert [(h.event, h.url) for h in v2.list_webhooks()] == [
            ("track_event_v2", "https://a.example/v2")]
    assert json.dumps(sandbox.state.shipstation.store.subscriptions[hook_id]["Url"]) == \
        '"https://a.example/ss/tok"'
