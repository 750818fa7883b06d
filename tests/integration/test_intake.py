"""The webhook routes against a real store (SQLite and PostgreSQL), with the engine replaced by a
recorder: what is accepted, rejected, kept, and what starts work."""

from __future__ import annotations

import json
from typing import Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from shipflow.config import MAX_WEBHOOK_BYTES, Settings
from shipflow.store import Store
from shipflow.store.tables import orders, webhook_inbox
from shipflow.web.app import create_app
from tests.integration.conftest import RecordingStarter
from tests.integration.webhooks import SECRET, body_of, paid_order, shopify_headers

SS_BASE = "http://127.0.0.1:8100/shipstation"
SHOP_URL = "https://demo.myshopify.com"
API_TOKEN = "api-secret-" + "x" * 32
AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


@pytest.fixture
def client(store: Store, starter: RecordingStarter) -> Iterator[TestClient]:
    settings = Settings(shopify_webhook_secret=f"{SECRET}", shipstation_base_url=SS_BASE,
                        shipstation_webhook_token="tok-123", api_token=API_TOKEN,
                        shopify_shop_url=SHOP_URL)
    with TestClient(create_app(settings, store, starter)) as c:
        yield c


def inbox(store: Store) -> list[sa.Row]:
    with store.db.engine.connect() as conn:
        return list(conn.execute(sa.select(webhook_inbox).order_by(webhook_inbox.c.id)))


def test_valid_signature_is_stored_and_starts_the_order(client, store, starter) -> None:
    body = body_of(paid_order())
    response = client.post("/webhooks/shopify", content=body, headers=shopify_headers(body))
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "accepted"
    assert starter.orders == [820982911946154508]
    [row] = inbox(store)
    assert row.status == "accepted" and row.body == body and row.dispatched_at is not None
    assert "x-shopify-hmac-sha256" not in row.headers
    view = client.get("/api/orders/820982911946154508",
                      headers=AUTH).json()
    assert view["state"] == "paid" and view["name"] == "#9999"
    assert view["timeline"][0]["kind"] == "received"


@pytest.mark.parametrize("signature", [None, "", "bm90IHRoZSByaWdodCBzaWduYXR1cmU="])
def test_missing_or_wrong_signature_is_401_and_starts_nothing(client, store, starter,
                                                              signature) -> None:
    body = body_of(paid_order())
    headers = shopify_headers(body)
    if signature is None:
        del headers["X-Shopify-Hmac-Sha256"]
    else:
        headers["X-Shopify-Hmac-Sha256"] = signature
    response = client.post("/webhooks/shopify", content=body, headers=headers)
    assert response.status_code == 401
    assert "Hmac" in response.json()["error"]
    assert starter.orders == []
    [row] = inbox(store)
    assert row.status == "rejected" and row.http_status == 401
    with store.db.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(orders)).scalar_one() == 0


def test_signature_of_another_secret_or_tampered_body_is_rejected(client, starter) -> None:
    body = body_of(paid_order())
    other = client.post("/webhooks/shopify", content=body,
                        headers=shopify_headers(body, secret="someone-else"))
    tampered = client.post("/webhooks/shopify", content=body.replace(b"#9999", b"#1234"),
                           headers=shopify_headers(body))
    assert other.status_code == tampered.status_code == 401
    assert starter.orders == []


def test_rotated_secrets_are_both_accepted(store, starter) -> None:
    settings = Settings(shopify_webhook_secret=f"new-secret,{SECRET}", shopify_shop_url=SHOP_URL)
    with TestClient(create_app(settings, store, starter)) as c:
        body = body_of(paid_order())
        assert c.post("/webhooks/shopify", content=body,
                      headers=shopify_headers(body)).status_code == 200


def test_malformed_body_is_400_with_a_reason_and_kept(client, store, starter) -> None:
    not_json = b'{"id": 1, '
    r1 = client.post("/webhooks/shopify", content=not_json, headers=shopify_headers(not_json))
    order = paid_order()
    order["line_items"][0]["quantity"] = "many"
    bad_field = body_of(order)
    r2 = client.post("/webhooks/shopify", content=bad_field, headers=shopify_headers(bad_field))
    assert r1.status_code == 400 and "JSON" in r1.json()["error"]
    assert r2.status_code == 400 and "quantity" in r2.json()["error"]
    assert starter.orders == []
    rows = inbox(store)
    assert [r.status for r in rows] == ["rejected", "rejected"]
    assert rows[0].body == not_json


def test_missing_required_headers_is_400(client, starter) -> None:
    body = body_of(paid_order())
    headers = shopify_headers(body)
    del headers["X-Shopify-Webhook-Id"]
    response = client.post("/webhooks/shopify", content=body, headers=headers)
    assert response.status_code == 400 and "webhook" in response.json()["error"].lower()
    assert starter.orders == []


def test_oversized_body_is_413_and_recorded(client, store, starter) -> None:
    body = b"{" + b" " * (MAX_WEBHOOK_BYTES + 1) + b"}"
    response = client.post("/webhooks/shopify", content=body, headers=shopify_headers(body))
    assert response.status_code == 413 and "limit" in response.json()["error"]
    [row] = inbox(store)
    assert row.status == "rejected" and row.body_size > MAX_WEBHOOK_BYTES


def test_same_delivery_three_times_starts_once(client, store, starter) -> None:
    body = body_of(paid_order())
    headers = shopify_headers(body, webhook_id="b1a2c3d4-0000-4000-8000-000000000001")
    answers = [client.post("/webhooks/shopify", content=body, headers=headers).json()["status"]
               for _ in range(3)]
    assert answers == ["accepted", "duplicate", "duplicate"]
    assert starter.orders == [820982911946154508]
    assert len(inbox(store)) == 1


def test_unpaid_order_is_stored_but_not_started(client, store, starter) -> None:
    order = paid_order()
    order["financial_status"] = "pending"
    body = body_of(order)
    assert client.post("/webhooks/shopify", content=body,
                       headers=shopify_headers(body, "orders/create")).status_code == 200
    assert starter.orders == []
    assert client.get("/api/orders/820982911946154508",
                      headers=AUTH).json()["state"] == "received"


def test_api_requires_the_token_when_set(client) -> None:
    assert client.get("/api/orders/1").status_code == 401
    assert client.get("/api/orders/1", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/api/orders/1",
                      headers=AUTH).status_code == 404


def test_healthz(client, store) -> None:
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["database"] == store.db.dialect


def pointer(url: str) -> bytes:
    return json.dumps({"resource_url": url, "resource_type": "SHIP_NOTIFY"}).encode()


def test_ship_notify_with_the_right_token_starts_the_label_work(client, starter) -> None:
    url = f"{SS_BASE}/shipments?batchId=1&includeShipmentItems=False"
    ok = client.post("/webhooks/shipstation/tok-123", content=pointer(url))
    again = client.post("/webhooks/shipstation/tok-123", content=pointer(url))
    assert ok.status_code == 200 and again.json()["status"] == "duplicate"
    assert starter.pointers == [url]


def test_ship_notify_token_and_host_are_checked(client, store, starter) -> None:
    url = f"{SS_BASE}/shipments?batchId=1&includeShipmentItems=False"
    wrong_token = client.post("/webhooks/shipstation/nope", content=pointer(url))
    evil = client.post("/webhooks/shipstation/tok-123",
                       content=pointer("http://169.254.169.254/latest/meta-data"))
    garbage = client.post("/webhooks/shipstation/tok-123", content=b"<xml/>")
    assert wrong_token.status_code == 401
    assert evil.status_code == 400 and "host" in evil.json()["error"]
    assert garbage.status_code == 400
    assert starter.pointers == []
    assert [r.status for r in inbox(store)] == ["rejected"] * 3


def test_pointers_nothing_acts_on_are_kept_and_never_started(client, store, starter) -> None:
    """ORDER_NOTIFY is stored as done: a restart must not start it as a label batch."""
    url = f"{SS_BASE}/orders?importBatch=6c4f2d15-7698-6113-4b90-d8cd13d32a24"
    body = json.dumps({"resource_url": url, "resource_type": "ORDER_NOTIFY"}).encode()
    answer = client.post("/webhooks/shipstation/tok-123", content=body)
    assert answer.status_code == 200 and answer.json()["status"] == "ignored"
    assert starter.pointers == [] and store.inbox.undispatched() == []


def test_an_older_snapshot_never_overwrites_a_newer_one(client) -> None:
    newer = paid_order()
    newer["updated_at"] = "2026-11-24T12:00:00-05:00"
    newer["note"] = "newer"
    older = paid_order()
    older["updated_at"] = "2026-11-24T11:00:00-05:00"
    older["financial_status"] = "pending"
    for payload in (newer, older):
        body = body_of(payload)
        assert client.post("/webhooks/shopify", content=body,
                           headers=shopify_headers(body, "orders/updated")).status_code == 200
    view = client.get("/api/orders/820982911946154508",
                      headers=AUTH).json()
    assert view["state"] == "paid" and view["financial_status"] == "paid"


def test_inventory_update_starts_a_restock_once_per_delivery(client, store, starter) -> None:
    body = body_of({"inventory_item_id": 271878346596884015, "location_id": 24826418,
                    "available": 5, "updated_at": "2026-11-24T10:00:00-05:00"})
    headers = shopify_headers(body, "inventory_levels/update", webhook_id="inv-1")
    assert client.post("/webhooks/shopify", content=body, headers=headers).status_code == 200
    assert client.post("/webhooks/shopify", content=body, headers=headers).json()["status"] \
        == "duplicate"
    assert starter.restocks == [271878346596884015]
    bad = body_of({"inventory_item_id": "nope"})
    response = client.post("/webhooks/shopify", content=bad,
                           headers=shopify_headers(bad, "inventory_levels/update"))
    assert response.status_code == 400 and "inventory_item_id" in response.json()["error"]


def test_full_refund_stops_the_order_and_a_malformed_one_is_400(client, store, starter) -> None:
    order = paid_order()
    body = body_of(order)
    client.post("/webhooks/shopify", content=body, headers=shopify_headers(body))
    with store.db.engine.begin() as conn:  # as if it were already in ShipStation
        conn.execute(orders.update().values(state="in_shipstation"))
    refund = body_of({"id": 5001, "order_id": order["id"], "refund_line_items": [
        {"line_item_id": li["id"], "quantity": li["quantity"]} for li in order["line_items"]]})
    response = client.post("/webhooks/shopify", content=refund,
                           headers=shopify_headers(refund, "refunds/create"))
    assert response.status_code == 200
    view = client.get(f"/api/orders/{order['id']}",
                      headers=AUTH).json()
    assert view["state"] == "cancelling"  # the sweeper cancels what is pending, then cancelled
    assert any(e["kind"] == "refunded" for e in view["timeline"])
    bad = body_of({"id": 5002, "order_id": order["id"], "refund_line_items": [{"quantity": 1}]})
    response = client.post("/webhooks/shopify", content=bad,
                           headers=shopify_headers(bad, "refunds/create"))
    assert response.status_code == 400


def test_an_order_that_needs_attention_can_be_retried_from_the_api(client, store,
                                                                   starter) -> None:
    from shipflow.store.orders import Outcome
    body = body_of(paid_order())
    assert client.post("/webhooks/shopify", content=body,
                       headers=shopify_headers(body)).status_code == 200
    order_id = 820982911946154508
    pk = store.orders.pks_by_shopify_id([order_id])[order_id]
    retry = f"/api/orders/{order_id}/retry"
    assert client.post(retry, headers=AUTH).status_code == 409  # paid: nothing to retry
    store.orders.settle([Outcome(pk, False, "ShipStation refused the order")], kind="push")
    assert client.post(retry).status_code in (401, 403)  # people and machines sign in
    response = client.post(retry, headers=AUTH)
    assert response.status_code == 202 and response.json()["status"] == "queued"
    assert starter.retries == [pk]
    assert client.post("/api/orders/1/retry", headers=AUTH).status_code == 404
