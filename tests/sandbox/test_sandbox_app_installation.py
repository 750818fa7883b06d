"""The simulated shop's app installation: granted scopes (and ACCESS_DENIED without them), and
webhook subscriptions that decide where deliveries go; the Klaviyo key's scopes."""

from __future__ import annotations

import json

import httpx
from sandbox_helpers import ShopifyClient, wait_until

CREATE = """
mutation create($topic: WebhookSubscriptionTopic!, $sub: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $sub) {
    webhookSubscription { id topic uri format }
    userErrors { field message }
  }
}"""
DELETE = """
mutation delete($id: ID!) {
  webhookSubscriptionDelete(id: $id) { deletedWebhookSubscriptionId userErrors { field message } }
}"""
LIST = "{ webhookSubscriptions(first: 50) { nodes { id topic uri } } }"


def subscribe(shop: ShopifyClient, topic: str, uri: str) -> dict:
    return shop.gql(CREATE, topic=topic, sub={"uri": uri, "format": "JSON"})["data"][
        "webhookSubscriptionCreate"]


def test_a_fresh_shop_has_no_subscriptions_and_delivers_nothing(make_sandbox, receiver):
    sandbox = make_sandbox()
    shop = ShopifyClient(sandbox)
    assert shop.gql(LIST)["data"]["webhookSubscriptions"]["nodes"] == []
    shop.place_orders(1)
    assert httpx.get(sandbox.url("/_sandbox/deliveries")).json()["deliveries"] == []


def test_the_configured_url_is_subscribed_to_every_topic_the_shop_sends(make_sandbox, receiver):
    url = receiver.url("/hook")
    sandbox = make_sandbox(shopify_webhook_url=url)
    nodes = ShopifyClient(sandbox).gql(LIST)["data"]["webhookSubscriptions"]["nodes"]
    topics = {n["topic"] for n in nodes}
    assert {"ORDERS_CREATE", "ORDERS_PAID", "REFUNDS_CREATE", "INVENTORY_LEVELS_UPDATE",
            "FULFILLMENTS_CREATE"} <= topics
    assert {n["uri"] for n in nodes} == {url}


def test_each_subscription_gets_its_own_delivery_of_its_topic(make_sandbox, receiver):
    sandbox = make_sandbox()
    shop = ShopifyClient(sandbox)
    made = subscribe(shop, "ORDERS_PAID", receiver.url("/a"))
    assert made["userErrors"] == [] and made["webhookSubscription"]["topic"] == "ORDERS_PAID"
    assert made["webhookSubscription"]["id"].startswith("gid://shopify/WebhookSubscription/")
    assert subscribe(shop, "ORDERS_PAID", receiver.url("/b"))["userErrors"] == []
    assert subscribe(shop, "ORDERS_CREATE", receiver.url("/b"))["userErrors"] == []
    shop.place_orders(1)
    wait_until(lambda: len(receiver.received) >= 3)
    got = sorted((r.path, r.headers["x-shopify-topic"]) for r in receiver.received)
    assert got == [("/a", "orders/paid"), ("/b", "orders/create"), ("/b", "orders/paid")]
    paid = [r for r in receiver.received if r.headers["x-shopify-topic"] == "orders/paid"]
    assert paid[0].headers["x-shopify-webhook-id"] != paid[1].headers["x-shopify-webhook-id"]
    assert len({r.headers["x-shopify-event-id"] for r in receiver.received}) == 1

    deleted = shop.gql(DELETE, id=made["webhookSubscription"]["id"])["data"][
        "webhookSubscriptionDelete"]
    assert deleted == {"deletedWebhookSubscriptionId": made["webhookSubscription"]["id"],
                       "userErrors": []}
    again = shop.gql(DELETE, id=made["webhookSubscription"]["id"])["data"][
        "webhookSubscriptionDelete"]
    assert again["userErrors"] == [{"field": ["id"],
                                    "message": "Webhook subscription does not exist"}]


def test_a_duplicate_or_a_plain_http_address_is_refused_with_shopifys_user_errors(make_sandbox):
    shop = ShopifyClient(make_sandbox())
    assert subscribe(shop, "ORDERS_PAID", "https://shipflow.example.com/w")["userErrors"] == []
    duplicate = subscribe(shop, "ORDERS_PAID", "https://shipflow.example.com/w")
    assert duplicate == {"webhookSubscription": None, "userErrors": [{
        "field": ["webhookSubscription", "callbackUrl"],
        "message": "Address for this topic has already been taken"}]}
    plain = subscribe(shop, "ORDERS_PAID", "http://shipflow.example.com/w")
    assert plain["userErrors"][0]["message"] == "Address protocol http:// is not supported"
    nodes = shop.gql(LIST)["data"]["webhookSubscriptions"]["nodes"]
    assert len(nodes) == 1


def test_privacy_topics_are_not_in_the_topic_enum(make_sandbox):
    shop = ShopifyClient(make_sandbox())
    answer = shop.gql(CREATE, topic="CUSTOMERS_REDACT",
                      sub={"uri": "https://shipflow.example.com/w"})
    assert "data" not in answer or answer.get("data") is None
    assert "CUSTOMERS_REDACT" in answer["errors"][0]["message"]


def test_access_scopes_are_listed_and_enforced(make_sandbox):
    sandbox = make_sandbox()
    shop = ShopifyClient(sandbox)
    scopes = "{ currentAppInstallation { accessScopes { handle } } }"
    granted = [s["handle"] for s in
               shop.gql(scopes)["data"]["currentAppInstallation"]["accessScopes"]]
    assert "write_merchant_managed_fulfillment_orders" in granted
    httpx.post(sandbox.url("/_sandbox/shopify/access-scopes"),
               json={"scopes": ["read_products"]}).raise_for_status()
    assert shop.gql(scopes)["data"]["currentAppInstallation"]["accessScopes"] == [
        {"handle": "read_products"}]
    denied = shop.gql('{ order(id: "gid://shopify/Order/1") { id } }')
    assert denied["data"] == {"order": None}
    [error] = denied["errors"]
    assert error["message"] == ("Access denied for order field. Required access: "
                                "`read_orders` access scope.")
    assert error["extensions"] == {"code": "ACCESS_DENIED",
                                   "documentation": "https://shopify.dev/api/usage/access-scopes",
                                   "requiredAccess": "`read_orders` access scope."}
    assert error["path"] == ["order"]
    refused = subscribe(shop, "ORDERS_PAID", "https://shipflow.example.com/w")
    assert refused["webhookSubscription"] is None
    assert "`read_orders`" in refused["userErrors"][0]["message"]
    # write_ implies read_
    httpx.post(sandbox.url("/_sandbox/shopify/access-scopes"),
               json={"scopes": ["write_orders"]}).raise_for_status()
    assert "errors" not in shop.gql('{ order(id: "gid://shopify/Order/1") { id } }')
    bad = httpx.post(sandbox.url("/_sandbox/shopify/access-scopes"), json={"scopes": "all"})
    assert bad.status_code == 400


def test_a_klaviyo_key_without_the_scope_gets_permission_denied(make_sandbox):
    sandbox = make_sandbox()
    headers = {"Authorization": f"Klaviyo-API-Key {sandbox.config.klaviyo_api_key}",
               "revision": "2026-07-15", "Content-Type": "application/vnd.api+json"}
    body = {"data": {"type": "event"}}
    assert httpx.post(sandbox.url("/klaviyo/api/events"), json=body,
                      headers=headers).status_code == 400  # full access: the body is judged
    httpx.post(sandbox.url("/_sandbox/klaviyo/scopes"),
               json={"scopes": ["profiles:write"]}).raise_for_status()
    denied = httpx.post(sandbox.url("/klaviyo/api/events"), json=body, headers=headers)
    assert denied.status_code == 403
    [error] = denied.json()["errors"]
    assert (error["status"], error["code"]) == (403, "permission_denied")
    assert httpx.post(sandbox.url("/klaviyo/api/profile-import"), json=body,
                      headers=headers).status_code == 400  # profiles:write is granted
    httpx.post(sandbox.url("/_sandbox/klaviyo/scopes"), json={"scopes": None})
    assert httpx.get(sandbox.url("/_sandbox/klaviyo/scopes")).json() == {"scopes": None}


def test_privacy_requests_go_to_the_app_configurations_address(make_sandbox, receiver):
    sandbox = make_sandbox(shopify_webhook_url=receiver.url("/orders"))
    order = ShopifyClient(sandbox).place_orders(1)[0]
    wait_until(lambda: len(receiver.received) >= 2)
    receiver.received.clear()
    # Without an address of its own, the app's configuration names its webhook endpoint.
    httpx.post(sandbox.url("/_sandbox/shopify/shop/redact"), json={}).raise_for_status()
    wait_until(lambda: len(receiver.received) == 1)
    assert receiver.received[0].path == "/orders"
    receiver.received.clear()
    httpx.post(sandbox.url("/_sandbox/shopify/app-config"),
               json={"compliance_webhook_url": receiver.url("/privacy")}).raise_for_status()
    for path in ("customers/data_request", "customers/redact", "shop/redact"):
        sent = httpx.post(sandbox.url(f"/_sandbox/shopify/{path}"),
                          json={} if path == "shop/redact" else {"order_id": order["id"]})
        assert sent.status_code == 201, sent.text
    wait_until(lambda: len(receiver.received) >= 3)
    by_topic = {r.headers["x-shopify-topic"]: json.loads(r.body) for r in receiver.received}
    assert {r.path for r in receiver.received} == {"/privacy"}
    assert set(by_topic["shop/redact"]) == {"shop_id", "shop_domain"}
    assert by_topic["customers/redact"]["orders_to_redact"] == [order["id"]]
    request = by_topic["customers/data_request"]
    assert request["orders_requested"] == [order["id"]] and set(request["customer"]) == {
        "id", "email", "phone"} and isinstance(request["data_request"]["id"], int)
    assert httpx.post(sandbox.url("/_sandbox/shopify/customers/redact"),
                      json={}).status_code == 400
