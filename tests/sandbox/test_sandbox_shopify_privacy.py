"""The compliance webhooks the sandbox sends: Shopify's documented shapes (shopify.md §2),
signed and delivered like every other topic."""

from __future__ import annotations

import json

import httpx
from sandbox_helpers import ShopifyClient, wait_until
from test_sandbox_shopify_webhooks import REQUIRED, verify

SHOP = "shipflow-demo.myshopify.com"


def test_the_three_compliance_topics(make_sandbox, receiver):
    sandbox = make_sandbox(shopify_webhook_url=receiver.url("/webhooks/shopify"))
    order = ShopifyClient(sandbox).place_orders(1)[0]
    wait_until(lambda: len(receiver.received) >= 2)
    rest = httpx.get(sandbox.url(f"/_sandbox/shopify/orders/{order['id']}")).json()["order"]
    customer = rest["customer"]

    sent = [httpx.post(sandbox.url(path), json=body) for path, body in (
        ("/_sandbox/shopify/customers/data_request", {"order_id": order["id"]}),
        ("/_sandbox/shopify/customers/redact", {"customer_id": customer["id"]}),
        ("/_sandbox/shopify/shop/redact", {}))]
    assert [r.status_code for r in sent] == [201, 201, 201]
    wait_until(lambda: len(receiver.received) >= 5)
    by_topic = {r.headers["x-shopify-topic"]: r for r in receiver.received[2:]}
    assert set(by_topic) == {"customers/data_request", "customers/redact", "shop/redact"}
    for delivery in by_topic.values():
        assert all(name in delivery.headers for name in REQUIRED)
        assert delivery.headers["content-type"] == "application/json"
        assert verify(delivery.body, delivery.headers["x-shopify-hmac-sha256"],
                      sandbox.config.shopify_webhook_secret)
    who = {"id": customer["id"], "email": customer["email"], "phone": customer["phone"]}
    request = json.loads(by_topic["customers/data_request"].body)
    assert set(request) == {"shop_id", "shop_domain", "orders_requested", "customer",
                            "data_request"}
    assert request["shop_domain"] == SHOP and isinstance(request["shop_id"], int)
    assert request["customer"] == who and request["orders_requested"] == [order["id"]]
    assert isinstance(request["data_request"]["id"], int)
    redact = json.loads(by_topic["customers/redact"].body)
    assert set(redact) == {"shop_id", "shop_domain", "customer", "orders_to_redact"}
    assert redact["customer"] == who and redact["orders_to_redact"] == [order["id"]]
    assert json.loads(by_topic["shop/redact"].body) == {"shop_id": request["shop_id"],
                                                        "shop_domain": SHOP}


def test_an_unknown_customer_is_refused(sandbox):
    response = httpx.post(sandbox.url("/_sandbox/shopify/customers/redact"),
                          json={"customer_id": 1})
    assert response.status_code == 404
    assert httpx.post(sandbox.url("/_sandbox/shopify/customers/redact"),
                      json={}).status_code == 400
