"""The `/_sandbox/` controls and the sandbox configuration."""

from __future__ import annotations

import httpx
import pytest
from sandbox_helpers import fixture_json

from shipflow_sandbox import SandboxConfig


def test_index_lists_the_controls(sandbox):
    index = httpx.get(sandbox.url("/_sandbox/")).json()
    assert "GET /_sandbox/summary" in index["controls"]


def test_summary_shape_counts_requests_and_reset(sandbox, shopify):
    shopify.place_orders(2)
    body = fixture_json("shipstation/v1_createorder_request.docs.json")
    credentials = (sandbox.config.shipstation_api_key, sandbox.config.shipstation_api_secret)
    httpx.post(sandbox.url("/shipstation/orders/createorder"), json=body, auth=credentials)
    shopify.gql('{ order(id: "gid://shopify/Order/1") { id } }')
    summary = httpx.get(sandbox.url("/_sandbox/summary")).json()
    assert set(summary) == {
        "shopify", "shipstation", "shipstation_v2", "klaviyo", "faults", "requests"
    }
    assert {
        "orders",
        "fulfilled_orders",
        "fulfillments",
        "fulfillments_with_tracking",
        "webhooks_delivered",
        "webhooks_failed",
    } <= set(summary["shopify"])
    assert {"orders", "orders_by_status", "shipments", "ship_notify_sent"} <= set(
        summary["shipstation"]
    )
    assert {"events", "events_by_metric", "duplicates_dropped"} <= set(summary["klaviyo"])
    assert summary["shopify"]["orders"] == 2
    assert summary["shipstation"]["orders_by_status"] == {"awaiting_shipment": 1}
    assert summary["requests"] == {
        "shipstation POST /orders/createorder": 1,
        "shopify POST /admin/api/{version}/graphql.json": 1,
        "shopify graphql query order": 1,
    }
    by_key = httpx.get(
        sandbox.url("/_sandbox/shipstation/orders"), params={"orderKey": body["orderKey"]}
    ).json()
    assert [o["orderNumber"] for o in by_key["orders"]] == [body["orderNumber"]]
    first_ids = [
        o["id"] for o in httpx.get(sandbox.url("/_sandbox/shopify/orders")).json()["orders"]
    ]
    assert httpx.post(sandbox.url("/_sandbox/reset")).json() == {"reset": True}
    after = httpx.get(sandbox.url("/_sandbox/summary")).json()
    assert after["shopify"]["orders"] == 0 and after["requests"] == {}
    again = [o["id"] for o in shopify.place_orders(2)]
    assert again == first_ids


def test_unknown_order_and_bad_control_bodies(sandbox):
    assert httpx.get(sandbox.url("/_sandbox/shopify/orders/123")).status_code == 404
    assert httpx.post(sandbox.url("/_sandbox/shopify/orders"), json={"count": 0}).status_code == 400
    bad_ids = httpx.post(sandbox.url("/_sandbox/shipstation/ship"), json={"orderIds": "all"})
    assert bad_ids.status_code == 400


def test_from_env_reads_credentials_and_generates_the_rest():
    config, generated = SandboxConfig.from_env(
        {
            "SHIPFLOW_SHOPIFY_ACCESS_TOKEN": "shpat_given",
            "SHIPFLOW_SHIPSTATION_WEBHOOK_TOKEN": "hooktoken",
            "SHIPFLOW_SANDBOX_AUTO_SHIP_AFTER": "30",
            "SHIPFLOW_SANDBOX_LATENCY": "0.25",
        }
    )
    assert config.shopify_access_token == "shpat_given"
    assert "SHIPFLOW_SHOPIFY_ACCESS_TOKEN" not in generated
    assert generated["SHIPFLOW_KLAVIYO_API_KEY"] == config.klaviyo_api_key
    assert config.latency == 0.25
    assert config.replace(seed=9).seed == 9 and config.seed == 1
    assert config.klaviyo_api_key.startswith("pk_") and len(config.klaviyo_api_key) == 37
    assert config.shipstation_webhook_urls == [
        "http://127.0.0.1:8000/webhooks/shipstation/hooktoken"
    ]
    assert config.shopify_webhook_url == "http://127.0.0.1:8000/webhooks/shopify"
    assert config.auto_ship_after == 30.0
    assert "shpat_given" not in repr(config)
    env = config.orchestrator_env("http://127.0.0.1:8100")
    assert env["SHIPFLOW_KLAVIYO_BASE_URL"] == "http://127.0.0.1:8100/klaviyo"
    assert env["SHIPFLOW_SHOPIFY_ACCESS_TOKEN"] == "shpat_given"
    assert env["SHIPFLOW_SHOPIFY_SHOP_DOMAIN"] == config.shop_domain


def test_from_env_reads_the_v2_carrier_and_fault_knobs():
    config, generated = SandboxConfig.from_env(
        {
            "SHIPFLOW_SANDBOX_CARRIER_OUTCOME": "lost",
            "SHIPFLOW_SANDBOX_CARRIER_ODDS": '{"delayed": 0.2, "lost": 0}',
            "SHIPFLOW_SANDBOX_FAULTS": '{"shipstation_v2": {"force_429": 3}}',
        }
    )
    assert config.shipstation_v2_api_key == generated["SHIPFLOW_SHIPSTATION_V2_API_KEY"]
    assert config.shipstation_v2_webhook_urls == ["http://127.0.0.1:8000/webhooks/shipstation-v2"]
    assert config.carrier_outcome == "lost" and config.carrier_odds["delayed"] == 0.2
    assert config.carrier_lost_rate == 0 and config.carrier_failed_attempt_rate == 0.03
    assert config.faults == {"shipstation_v2": {"force_429": 3}}
    env = config.orchestrator_env("http://127.0.0.1:8100")
    assert env["SHIPFLOW_SHIPSTATION_V2_BASE_URL"] == "http://127.0.0.1:8100/shipstation"
    assert env["SHIPFLOW_SHIPSTATION_V2_API_KEY"] == config.shipstation_v2_api_key
    assert config.shipstation_v2_api_key not in repr(config)
    with pytest.raises(ValueError):
        SandboxConfig(carrier_outcome="teleported")
    with pytest.raises(ValueError):
        SandboxConfig(carrier_delayed_rate=0.9, carrier_lost_rate=0.2)


def test_deliveries_hide_the_shipstation_token(make_sandbox):
    sandbox = make_sandbox(
        shipstation_webhook_token="s3cr3t-token",
        shipstation_webhook_urls=["http://127.0.0.1:9/webhooks/shipstation/s3cr3t-token"],
    )
    body = fixture_json("shipstation/v1_createorder_request.docs.json")
    credentials = (sandbox.config.shipstation_api_key, sandbox.config.shipstation_api_secret)
    httpx.post(sandbox.url("/shipstation/orders/createorder"), json=body, auth=credentials)
    httpx.post(sandbox.url("/_sandbox/shipstation/ship"), json={})
    deliveries = httpx.get(sandbox.url("/_sandbox/deliveries")).json()["deliveries"]
    assert deliveries and all("s3cr3t-token" not in d["url"] for d in deliveries)


def test_latency_is_added_to_provider_responses_only(make_sandbox):
    import time

    sandbox = make_sandbox(latency=0.2)
    credentials = (sandbox.config.shipstation_api_key, sandbox.config.shipstation_api_secret)
    started = time.monotonic()
    httpx.get(sandbox.url("/shipstation/carriers"), auth=credentials)
    assert time.monotonic() - started >= 0.2
    started = time.monotonic()
    httpx.get(sandbox.url("/_sandbox/summary"))
    assert time.monotonic() - started < 0.2


def test_named_webhooks_are_dropped_and_a_relabel_can_go_unannounced(make_sandbox):
    sandbox = make_sandbox(
        shipstation_webhook_token="tok",
        shipstation_webhook_urls=["http://127.0.0.1:9/webhooks/shipstation/tok"],
    )
    assert httpx.post(sandbox.url("/_sandbox/webhooks/drop"),
                      json={"topic": "SHIP_NOTIFY", "count": -1}).status_code == 400
    httpx.post(sandbox.url("/_sandbox/webhooks/drop"),
               json={"topic": "SHIP_NOTIFY", "count": 1}).raise_for_status()
    body = fixture_json("shipstation/v1_createorder_request.docs.json")
    credentials = (sandbox.config.shipstation_api_key, sandbox.config.shipstation_api_secret)
    order = httpx.post(sandbox.url("/shipstation/orders/createorder"), json=body,
                       auth=credentials).json()
    httpx.post(sandbox.url("/_sandbox/shipstation/ship"), json={}).raise_for_status()
    relabel = httpx.post(sandbox.url("/_sandbox/shipstation/ship"),
                         json={"orderIds": [order["orderId"]], "relabel": True, "notify": False})
    assert len(relabel.json()["batches"]) == 1
    shipments = httpx.get(sandbox.url("/shipstation/shipments"), auth=credentials).json()
    assert [s["voided"] for s in shipments["shipments"]] == [True, False]
    deliveries = httpx.get(sandbox.url("/_sandbox/deliveries"),
                           params={"topic": "SHIP_NOTIFY"}).json()["deliveries"]
    assert [d["state"] for d in deliveries] == ["dropped"]  # and none for the relabel
