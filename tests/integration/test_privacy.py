"""Shopify's compliance webhooks and retention, end to end on the sandbox, on SQLite and
PostgreSQL: orders go through the lifecycle (pushed, labelled, delivered, review timer fired),
then the sandbox sends signed customers/data_request, customers/redact and shop/redact, and
every table shipflow and its engine write is searched for the customer."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.integration.lifecycle_env import TOKEN, Scenario, running, wait_until
from tests.integration.pii_scan import count_rows, findable

SCALE = 40_000
RULES = """
version: 1
policy:
  timers:
    review_days_default: 1
rules: []
"""
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def personal(s: Scenario, order_id: int) -> list[str]:
    """What identifies the order's customer: email, name, phone, street."""
    order = s.shopify_order(order_id)["order"]
    customer, address = order["customer"], order["shipping_address"]
    values = [order["email"], f"{customer['first_name']} {customer['last_name']}",
              address["name"], address["address1"], address.get("address2"),
              customer.get("phone"), address.get("phone")]
    return [v for v in values if v]


def delivered(s: Scenario, *destinations: str) -> list[int]:
    """Orders placed and taken through the whole lifecycle: delivered, review request sent."""
    ids = []
    for destination in destinations:
        s.http.post(f"{s.sandbox}/_sandbox/carrier/plan",
                    json={"next": True, "outcome": "on_time"}).raise_for_status()
        ids += s.place(line_items=[{"sku": "MUG-CER-16", "quantity": 1}],
                       destination=destination)
    for order_id in ids:
        s.wait_state(order_id, "delivered", timeout=120)
        wait_until(lambda oid=order_id: s.events_for(oid, "Review Request Due"), 90,
                   lambda: f"no review request for {ids}")
    return ids


def privacy_requests(s: Scenario) -> list[dict[str, Any]]:
    response = s.http.get(f"{s.shipflow}/api/privacy/requests", headers=AUTH)
    response.raise_for_status()
    return list(response.json())


def send(s: Scenario, topic: str, **body: Any) -> dict[str, Any]:
    """Ask the sandbox to send a compliance webhook; wait until shipflow has done it."""
    before = {r["id"] for r in privacy_requests(s)}
    response = s.http.post(f"{s.sandbox}/_sandbox/shopify/{topic}", json=body)
    assert response.status_code == 201, response.text
    wait_until(lambda: [r for r in privacy_requests(s)
                        if r["id"] not in before and r["status"] == "done"], 60,
               lambda: f"{topic} not done: {privacy_requests(s)}")
    [done] = [r for r in privacy_requests(s) if r["id"] not in before]
    detail = s.http.get(f"{s.shipflow}/api/privacy/requests/{done['id']}", headers=AUTH)
    detail.raise_for_status()
    return dict(detail.json())


def signed(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def forge(s: Scenario, topic: str, payload: dict[str, Any], *, secret: str | None = None,
          shop: str | None = None) -> int:
    settings = s.service.settings
    body = json.dumps(payload).encode()
    response = s.http.post(f"{s.shipflow}/webhooks/shopify", content=body, headers={
        "Content-Type": "application/json", "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": signed(secret or settings.shopify_webhook_secret, body),
        "X-Shopify-Shop-Domain": shop or settings.expected_shop_domain,
        "X-Shopify-API-Version": "2026-07", "X-Shopify-Webhook-Id": str(uuid.uuid4())})
    return response.status_code


def test_data_request_then_redact_leaves_nothing_findable(
        tmp_path: Path, database_url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    with running(tmp_path, database_url, RULES, time_scale=SCALE, limits=False) as s:
        ann, bob = delivered(s, "contiguous", "contiguous")
        ann_data, bob_data = personal(s, ann), personal(s, bob)
        assert set(findable(database_url, ann_data)) == set(ann_data)  # the search finds

        customer = s.shopify_order(ann)["order"]["customer"]
        # Forged or foreign requests change nothing.
        redact = {"shop_id": 1, "shop_domain": s.service.settings.expected_shop_domain,
                  "customer": {"id": customer["id"], "email": customer["email"],
                               "phone": customer["phone"]}, "orders_to_redact": [ann]}
        assert forge(s, "customers/redact", redact, secret="not-the-secret") == 401
        assert forge(s, "shop/redact", {"shop_id": 1, "shop_domain": "x.myshopify.com"},
                     secret="not-the-secret") == 401
        assert forge(s, "customers/redact", {**redact, "shop_domain": "other.myshopify.com"},
                     shop="other.myshopify.com") == 403
        assert forge(s, "customers/redact", {**redact, "shop_domain": "other.myshopify.com"}
                     ) == 400  # the body names another shop than the header
        assert privacy_requests(s) == []

        export = send(s, "customers/data_request", customer_id=customer["id"])
        assert export["topic"] == "customers/data_request"
        data = export["export"]
        assert data["customer"]["email"] == customer["email"]
        assert [o["order"]["shopify_order_id"] for o in data["orders"]] == [ann]
        shipflow_view = data["orders"][0]["shipflow"]
        assert shipflow_view["state"] == "delivered"
        assert shipflow_view["shipments"] and shipflow_view["outbound_calls"]
        assert data["webhook_deliveries"]
        assert str(bob) not in json.dumps(data)

        s.service.engine.privacy.batch = 3  # every search pages through many pages
        redacted = send(s, "customers/redact", customer_id=customer["id"])
        assert redacted["outcome"]["orders"] == 1
        assert redacted["outcome"]["engine_records"] > 0
        left = findable(database_url, ann_data)
        assert left == {}, left
        # The other customer is untouched, and what is not personal stays.
        assert set(findable(database_url, bob_data)) == set(bob_data)
        view = s.view(ann)
        assert view is not None and view["state"] == "delivered"
        assert view["shipments"][0]["tracking_number"]
        assert any(e["kind"] == "privacy" and "customers/redact" in e["message"]
                   for e in view["timeline"])
        assert count_rows(database_url, "line_items") == 2
        # The earlier export went with the customer.
        again = s.http.get(f"{s.shipflow}/api/privacy/requests/{export['id']}", headers=AUTH)
        assert again.json()["export"] is None
        # The same delivery again is a duplicate; the request done again changes nothing.
        s.http.post(f"{s.sandbox}/_sandbox/shopify/customers/redact",
                    json={"customer_id": customer["id"]}).raise_for_status()
        wait_until(lambda: len(s.http.get(f"{s.sandbox}/_sandbox/deliveries", params={
            "topic": "customers/redact", "state": "delivered"}).json()["deliveries"]) == 2, 30)
        stored = s.service.store.privacy.get(redacted["id"])
        assert stored is not None
        s.service.engine.privacy.handle(stored)
        assert findable(database_url, ann_data) == {}
        assert len(privacy_requests(s)) == 2
    logged = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert "privacy request" in logged  # the requests were logged, by id
    assert not [v for v in ann_data if v.casefold() in logged.casefold()]


def test_retention_removes_personal_data_after_the_period(tmp_path: Path,
                                                          database_url: str) -> None:
    with running(tmp_path, database_url, RULES, time_scale=SCALE, limits=False) as s:
        [order_id] = delivered(s, "contiguous")
        values = personal(s, order_id)
        desk = s.service.engine.privacy
        calendar = s.service.store.clock
        inbox = count_rows(database_url, "webhook_inbox")
        ledger = count_rows(database_url, "outbound_ledger", "WHERE status = 'done'")

        assert sum(desk.purge_expired(calendar()).values()) == 0  # nothing is 30 days old
        assert set(findable(database_url, values)) == set(values)

        later = calendar() + timedelta(days=31)
        passes = 0
        while sum(desk.purge_expired(later).values()):
            passes += 1
            assert passes < 20
        left = findable(database_url, values)
        assert left == {}, left
        # Operational data stays: the order, its state and money, shipments, every delivery's
        # metadata, every call's record.
        view = s.view(order_id)
        assert view is not None and view["state"] == "delivered" and view["total_price"]
        assert view["shipments"][0]["tracking_number"]
        assert any("retention" in e["message"] for e in view["timeline"])
        assert count_rows(database_url, "webhook_inbox") == inbox
        assert count_rows(database_url, "webhook_inbox", "WHERE topic IS NOT NULL") == inbox
        assert count_rows(database_url, "outbound_ledger", "WHERE status = 'done'") == ledger


def test_shop_redact_removes_the_shops_data(tmp_path: Path, database_url: str) -> None:
    with running(tmp_path, database_url, RULES, time_scale=SCALE, limits=False) as s:
        [order_id] = delivered(s, "contiguous")
        values = personal(s, order_id)
        done = send(s, "shop/redact")
        assert done["outcome"]["orders"] == 1
        assert findable(database_url, values) == {}
        assert s.view(order_id) is None
        for table in ("orders", "line_items", "shipments", "timeline", "outbound_ledger",
                      "early_tracking"):
            assert count_rows(database_url, table) == 0, table
        # What is left of the inbox is the request itself (no personal data in it).
        assert count_rows(database_url, "webhook_inbox", "WHERE topic <> 'shop/redact'") == 0
