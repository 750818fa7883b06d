"""Shopify webhooks out: signed exact bytes, the header set, retries, duplicates, topics."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import httpx
from sandbox_helpers import FULFILL, ORDER_QUERY, ShopifyClient, fixture_json, wait_until

from shipflow_sandbox.shopify.webhooks import sign

REQUIRED = (
    "x-shopify-topic",
    "x-shopify-hmac-sha256",
    "x-shopify-shop-domain",
    "x-shopify-api-version",
    "x-shopify-webhook-id",
    "x-shopify-triggered-at",
    "x-shopify-event-id",
)


def verify(body: bytes, header: str, secret: str) -> bool:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return hmac.compare_digest(base64.b64encode(digest).decode(), header)


def test_hmac_matches_the_documented_vector():
    assert (
        sign(b'{"id":820982911946154508}', "hush") == "qBvrsZF7RfB1iS6BX6IHqJTp5L911P7intnPeTPsH0I="
    )


def test_orders_arrive_signed_with_the_full_header_set(make_sandbox, receiver):
    sandbox = make_sandbox(shopify_webhook_url=receiver.url("/webhooks/shopify"))
    order = ShopifyClient(sandbox).place_orders(1)[0]
    wait_until(lambda: len(receiver.received) >= 2)
    create, paid = sorted(receiver.received, key=lambda r: r.headers["x-shopify-topic"])
    assert create.headers["x-shopify-topic"] == "orders/create"
    assert paid.headers["x-shopify-topic"] == "orders/paid"
    for delivery in (create, paid):
        assert all(name in delivery.headers for name in REQUIRED)
        assert delivery.headers["content-type"] == "application/json"
        assert delivery.headers["x-shopify-shop-domain"] == "shipflow-demo.myshopify.com"
        assert verify(
            delivery.body,
            delivery.headers["x-shopify-hmac-sha256"],
            sandbox.config.shopify_webhook_secret,
        )
        assert json.loads(delivery.body)["id"] == order["id"]
    assert create.headers["x-shopify-event-id"] == paid.headers["x-shopify-event-id"]
    assert create.headers["x-shopify-webhook-id"] != paid.headers["x-shopify-webhook-id"]
    summary = httpx.get(sandbox.url("/_sandbox/summary")).json()["shopify"]
    wait_until(
        lambda: (
            httpx.get(sandbox.url("/_sandbox/summary")).json()["shopify"]["webhooks_delivered"] == 2
        )
    )
    assert summary["webhooks_failed"] == 0


def test_a_failed_delivery_is_retried_with_the_same_bytes_and_id(make_sandbox, receiver):
    receiver.fail_first = 2
    sandbox = make_sandbox(shopify_webhook_url=receiver.url("/hook"), time_scale=1000.0)
    ShopifyClient(sandbox).place_orders(1)
    wait_until(lambda: len(receiver.received) >= 4)
    by_id: dict[str, list] = {}
    for delivery in receiver.received:
        by_id.setdefault(delivery.headers["x-shopify-webhook-id"], []).append(delivery)
    retried = [attempts for attempts in by_id.values() if len(attempts) > 1]
    assert retried
    for attempts in retried:
        assert len({a.body for a in attempts}) == 1
        assert len({a.headers["x-shopify-triggered-at"] for a in attempts}) == 1
    records = wait_until(
        lambda: (
            [
                d
                for d in httpx.get(sandbox.url("/_sandbox/deliveries?provider=shopify")).json()[
                    "deliveries"
                ]
                if d["state"] == "delivered"
            ]
            if len(receiver.received) >= 4
            else None
        )
    )
    statuses = [a["status_code"] for d in records for a in d["attempts"]]
    assert statuses.count(500) == 2 and statuses.count(200) == 2
    assert all(a["latency_ms"] >= 0 for d in records for a in d["attempts"])


def test_redirects_count_as_failures_and_give_up_after_8_retries(make_sandbox, receiver):
    receiver.fail_first, receiver.fail_status = 1000, 302
    sandbox = make_sandbox(shopify_webhook_url=receiver.url("/hook"), time_scale=20000.0)
    httpx.post(
        sandbox.url("/_sandbox/shopify/orders"),
        json={
            "orders": [{"id": 42, "name": "#42", "financial_status": "pending", "line_items": []}]
        },
    )
    failed = wait_until(
        lambda: httpx.get(sandbox.url("/_sandbox/summary")).json()["shopify"]["webhooks_failed"],
        timeout=10,
    )
    assert failed == 1
    assert len(receiver.received) == 9


def test_duplicate_deliveries_reuse_the_webhook_id(make_sandbox, receiver):
    sandbox = make_sandbox(shopify_webhook_url=receiver.url("/hook"), duplicate_deliveries=3)
    ShopifyClient(sandbox).place_orders(1)
    wait_until(lambda: len(receiver.received) >= 6)
    ids = [d.headers["x-shopify-webhook-id"] for d in receiver.received]
    assert len(set(ids)) == 2 and all(ids.count(i) == 3 for i in set(ids))


def test_fulfillment_create_emits_fulfillments_create(make_sandbox, receiver):
    sandbox = make_sandbox(shopify_webhook_url=receiver.url("/hook"))
    shopify = ShopifyClient(sandbox)
    order = shopify.place_orders(1)[0]
    fo = shopify.gql(ORDER_QUERY, id=order["admin_graphql_api_id"])["data"]["order"][
        "fulfillmentOrders"
    ]["nodes"][0]
    shopify.gql(
        FULFILL,
        fulfillment={
            "lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fo["id"]}],
            "trackingInfo": {"company": "USPS", "number": "9400111899561704681189"},
        },
    )
    delivery = wait_until(
        lambda: next(
            (d for d in receiver.received if d.headers["x-shopify-topic"] == "fulfillments/create"),
            None,
        )
    )
    payload = json.loads(delivery.body)
    sample = fixture_json("shopify/fulfillments_create_docs_2026-07.json")
    assert list(payload) == list(sample)
    assert list(payload["line_items"][0]) == list(sample["line_items"][0])
    assert payload["order_id"] == order["id"] and payload["status"] == "success"
    assert payload["tracking_numbers"] == ["9400111899561704681189"]
    assert payload["tracking_url"].startswith("https://tools.usps.com/")
    assert payload["name"] == order["name"] + ".1"
