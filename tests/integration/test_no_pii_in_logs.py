"""At DEBUG, an order's customer data must not reach the log (issue 10): cel-python logs every
evaluation with its activation (the order), so third-party loggers are kept at WARNING
whatever the app's level. An order goes through web intake and the rules (the default ones
plus rules that read the customer's email) with everything captured at DEBUG."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from shipflow.config import Settings
from shipflow.rules import compile_rules, load_configured
from shipflow.store import Store
from shipflow.web.app import create_app
from tests.integration.conftest import RecordingStarter
from tests.integration.webhooks import SECRET, body_of, paid_order, shopify_headers

CUSTOMER_RULES = """
version: 1
rules:
  - name: staff-orders
    when: "order.email == 'staff@example.org' || order.name == '#0'"
    then: {tags: [staff]}
"""


def test_debug_logs_carry_no_customer_data(store: Store, starter: RecordingStarter,
                                           caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    order = paid_order()
    settings = Settings(shopify_webhook_secret=SECRET, shopify_shop_url="https://demo.myshopify.com",
                        api_insecure=True)
    with TestClient(create_app(settings, store, starter)) as client:
        body = body_of(order)
        assert client.post("/webhooks/shopify", content=body,
                           headers=shopify_headers(body)).status_code == 200
        assert client.get(f"/api/orders/{order['id']}").status_code == 200
    stored = store.orders.by_shopify_id(order["id"])
    assert stored is not None
    parsed = stored[0].order
    custom, errors = compile_rules(CUSTOMER_RULES)
    assert custom is not None and not errors
    for ruleset in (load_configured(None), custom):
        assert ruleset.evaluate(parsed).errors == ()

    logging.getLogger("shipflow.test").debug("capture works")  # DEBUG really is captured
    text = "\n".join(f"{r.name} {r.getMessage()} {r.args!r}" for r in caplog.records)
    assert "capture works" in text
    customer = order["customer"]
    secrets = {order["email"], order["contact_email"], customer["email"],
               customer["first_name"], customer["last_name"],
               order["shipping_address"]["name"], order["billing_address"]["name"],
               order["shipping_address"]["address1"]}
    leaked = sorted(s for s in secrets if s and s in text)
    assert leaked == [], f"customer data in the DEBUG log: {leaked}"
