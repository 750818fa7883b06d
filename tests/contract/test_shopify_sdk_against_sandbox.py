"""Shopify's official Python library (`ShopifyAPI`, module `shopify`), unmodified, against the
sandbox over loopback: a merchant's own order query and `fulfillmentCreate` (issue 10).

How the library is pointed at the sandbox: a merchant opens a `shopify.Session(shop, version,
token)` and activates it; the library then builds every URL from
`ShopifyResource.site` (`https://<shop>.myshopify.com/admin/api/<version>`) and
`shopify.GraphQL()` posts to `site + "/graphql.json"` with the session's
`X-Shopify-Access-Token`. `Session` itself cannot name a loopback address with a path prefix:
it keeps only the first label of the host and appends `Session.myshopify_domain` (and
`Session.port`), so at best it reaches `http://<shop>.<domain>:<port>/admin/api/...`, never
`http://127.0.0.1:<port>/shopify/admin/api/...`. The library's own, documented way to use
another base (its README's private-app setup, `ShopifyResource.set_site(...)`) is to set the
site; it keeps scheme, host, port and path, so after activating the merchant's session we set
`shopify.ShopifyResource.site` to the sandbox's `http://127.0.0.1:<port>/shopify/admin/api/
2026-07`. Nothing below the library (urllib, sockets) is touched, and the token, the version
and the headers are the session's own.

The documents are written as a merchant writes them (named operations, variables, edges,
money bags, the shipping address, the line items with their variants), not shipflow's own
query text, and the assertions check the shapes the real Admin API returns.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
import shopify

from shipflow_sandbox import config as sandbox_config
from shipflow_sandbox import server as sandbox_server

VERSION = "2026-07"

ORDER_FOR_SHIPPING = """
query OrderForShipping($id: ID!) {
  order(id: $id) {
    id
    name
    email
    createdAt
    displayFinancialStatus
    displayFulfillmentStatus
    totalPriceSet { ...Money }
    subtotalPriceSet { ...Money }
    totalShippingPriceSet { shopMoney { amount currencyCode } }
    shippingAddress {
      name
      address1
      address2
      city
      province
      provinceCode
      zip
      country
      countryCodeV2
      phone
      formatted(withName: true)
    }
    customer { id displayName email }
    shippingLine { title code originalPriceSet { shopMoney { amount currencyCode } } }
    lineItems(first: 25) {
      edges {
        node {
          id
          name
          sku
          quantity
          unfulfilledQuantity
          originalUnitPriceSet { ...Money }
          discountedTotalSet { shopMoney { amount currencyCode } }
          variant { id sku title }
        }
      }
    }
    fulfillmentOrders(first: 5) {
      edges {
        node {
          id
          status
          lineItems(first: 25) {
            edges { node { id remainingQuantity totalQuantity lineItem { sku } } }
          }
        }
      }
    }
  }
}

fragment Money on MoneyBag {
  shopMoney { amount currencyCode }
  presentmentMoney { amount currencyCode }
}
"""

CREATE_FULFILLMENT = """
mutation CreateFulfillment($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment, message: "Shipped by the back-office script") {
    fulfillment {
      id
      name
      status
      createdAt
      totalQuantity
      trackingInfo(first: 10) { company number url }
      fulfillmentLineItems(first: 25) {
        edges { node { id quantity lineItem { sku } } }
      }
    }
    userErrors { field message }
  }
}
"""

UNSHIPPED_ORDERS = """
query UnshippedOrders($query: String) {
  orders(first: 10, query: $query, sortKey: CREATED_AT, reverse: true) {
    edges { cursor node { id name displayFulfillmentStatus } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Any]:
    with sandbox_server.running_sandbox(sandbox_config.SandboxConfig()) as running:
        yield running


@pytest.fixture
def merchant_graphql(sandbox: Any) -> Iterator[Any]:
    """The merchant's session, its site set to the sandbox (see the module docstring)."""
    config = sandbox.config
    session = shopify.Session(config.shop_domain, VERSION, config.shopify_access_token)
    shopify.ShopifyResource.activate_session(session)
    shopify.ShopifyResource.site = sandbox.url(f"/shopify/admin/api/{VERSION}")
    try:
        yield shopify.GraphQL()
    finally:
        shopify.ShopifyResource.clear_session()


def place_order(sandbox: Any, **extra: Any) -> dict[str, Any]:
    placed = httpx.post(sandbox.url("/_sandbox/shopify/orders"), json={"count": 1, **extra})
    order_id = placed.json()["orders"][0]["id"]
    rest = httpx.get(sandbox.url(f"/_sandbox/shopify/orders/{order_id}")).json()["order"]
    return dict(rest)


def run(client: Any, document: str, name: str, **variables: Any) -> dict[str, Any]:
    body = json.loads(client.execute(document, variables=variables, operation_name=name))
    assert "errors" not in body, body.get("errors")
    cost = body["extensions"]["cost"]
    assert cost["requestedQueryCost"] >= cost["actualQueryCost"] > 0
    return dict(body["data"])


def money(amount: str) -> Decimal:
    return Decimal(amount)


def test_the_library_reaches_the_sandbox_with_the_session_token(sandbox: Any,
                                                                 merchant_graphql: Any) -> None:
    assert merchant_graphql.endpoint == sandbox.url(f"/shopify/admin/api/{VERSION}/graphql.json")
    assert merchant_graphql.headers["X-Shopify-Access-Token"] == sandbox.config.shopify_access_token
    assert merchant_graphql.headers["User-Agent"].startswith("ShopifyPythonAPI/")


def test_merchant_order_query_has_the_real_shapes(sandbox: Any, merchant_graphql: Any) -> None:
    rest = place_order(sandbox, line_items=[{"sku": "MUG-CER-12", "quantity": 2},
                                          {"sku": "BEAN-ETH-340", "quantity": 1}],
                       destination="contiguous")
    before = sandbox.state.requests["shopify graphql query order"]
    order = run(merchant_graphql, ORDER_FOR_SHIPPING, "OrderForShipping",
                id=rest["admin_graphql_api_id"])["order"]
    assert sandbox.state.requests["shopify graphql query order"] == before + 1

    assert order["id"] == rest["admin_graphql_api_id"] and order["name"] == rest["name"]
    assert order["email"] == rest["email"]
    assert order["createdAt"].endswith("Z")
    assert order["displayFinancialStatus"] == "PAID"
    assert order["displayFulfillmentStatus"] == "UNFULFILLED"

    total = order["totalPriceSet"]
    assert set(total) == {"shopMoney", "presentmentMoney"}
    for bag in (total["shopMoney"], total["presentmentMoney"]):
        assert set(bag) == {"amount", "currencyCode"} and bag["currencyCode"] == "USD"
        assert isinstance(bag["amount"], str) and money(bag["amount"]) == money(rest["total_price"])
    # Decimal scalars print without trailing zeros but keep one decimal ("24.0", "19.5")
    assert re.fullmatch(r"\d+\.(\d*[1-9]|0)", total["shopMoney"]["amount"])
    subtotal = money(order["subtotalPriceSet"]["shopMoney"]["amount"])
    shipping = money(order["totalShippingPriceSet"]["shopMoney"]["amount"])
    assert subtotal == money("67.50") and subtotal + shipping == money(rest["total_price"])

    address, rest_address = order["shippingAddress"], rest["shipping_address"]
    assert address["city"] == rest_address["city"] and address["zip"] == rest_address["zip"]
    assert address["countryCodeV2"] == "US" and address["provinceCode"] == rest_address[
        "province_code"]
    assert address["formatted"][0] == rest_address["name"]
    assert address["formatted"][-1] == "United States"
    assert order["customer"]["id"].startswith("gid://shopify/Customer/")
    assert order["customer"]["email"] == rest["email"]
    assert order["shippingLine"]["title"] == rest["shipping_lines"][0]["title"]

    lines = [edge["node"] for edge in order["lineItems"]["edges"]]
    assert [(li["sku"], li["quantity"], li["unfulfilledQuantity"]) for li in lines] == [
        ("MUG-CER-12", 2, 2), ("BEAN-ETH-340", 1, 1)]
    mug = lines[0]
    assert mug["id"].startswith("gid://shopify/LineItem/")
    assert mug["originalUnitPriceSet"]["shopMoney"] == {"amount": "24.0", "currencyCode": "USD"}
    assert mug["discountedTotalSet"]["shopMoney"]["amount"] == "48.0"
    assert mug["variant"]["sku"] == "MUG-CER-12"
    assert mug["variant"]["id"].startswith("gid://shopify/ProductVariant/")

    [fo] = [edge["node"] for edge in order["fulfillmentOrders"]["edges"]]
    assert fo["id"].startswith("gid://shopify/FulfillmentOrder/") and fo["status"] == "OPEN"
    fo_lines = [edge["node"] for edge in fo["lineItems"]["edges"]]
    assert [(ln["lineItem"]["sku"], ln["remainingQuantity"]) for ln in fo_lines] == [
        ("MUG-CER-12", 2), ("BEAN-ETH-340", 1)]


def test_merchant_fulfillment_create_and_its_user_errors(sandbox: Any,
                                                        merchant_graphql: Any) -> None:
    rest = place_order(sandbox, line_items=[{"sku": "GRN-BURR-01", "quantity": 1},
                                          {"sku": "FLT-PAPER-100", "quantity": 3}],
                       destination="contiguous")
    order = run(merchant_graphql, ORDER_FOR_SHIPPING, "OrderForShipping",
                id=rest["admin_graphql_api_id"])["order"]
    fo_id = order["fulfillmentOrders"]["edges"][0]["node"]["id"]
    fulfillment_input = {
        "lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fo_id}],
        "trackingInfo": {"company": "USPS", "number": "9400111899223856928499",
                         "url": "https://tools.usps.com/go/TrackConfirmAction?tLabels="
                                "9400111899223856928499"},
        "notifyCustomer": True,
    }
    created = run(merchant_graphql, CREATE_FULFILLMENT, "CreateFulfillment",
                  fulfillment=fulfillment_input)["fulfillmentCreate"]
    assert created["userErrors"] == []
    fulfillment = created["fulfillment"]
    assert fulfillment["id"].startswith("gid://shopify/Fulfillment/")
    assert fulfillment["name"] == f"{rest['name']}.1"
    assert fulfillment["status"] == "SUCCESS" and fulfillment["totalQuantity"] == 4
    assert fulfillment["trackingInfo"] == [{
        "company": "USPS", "number": "9400111899223856928499",
        "url": fulfillment_input["trackingInfo"]["url"]}]
    shipped = [edge["node"] for edge in fulfillment["fulfillmentLineItems"]["edges"]]
    assert [(n["lineItem"]["sku"], n["quantity"]) for n in shipped] == [
        ("GRN-BURR-01", 1), ("FLT-PAPER-100", 3)]
    assert all(n["id"].startswith("gid://shopify/FulfillmentLineItem/") for n in shipped)
    assert len({n["id"] for n in shipped}) == 2

    after = run(merchant_graphql, ORDER_FOR_SHIPPING, "OrderForShipping",
                id=rest["admin_graphql_api_id"])["order"]
    assert after["displayFulfillmentStatus"] == "FULFILLED"
    assert after["fulfillmentOrders"]["edges"][0]["node"]["status"] == "CLOSED"
    assert [e["node"]["unfulfilledQuantity"] for e in after["lineItems"]["edges"]] == [0, 0]

    again = run(merchant_graphql, CREATE_FULFILLMENT, "CreateFulfillment",
                fulfillment=fulfillment_input)["fulfillmentCreate"]
    assert again["fulfillment"] is None
    assert again["userErrors"] and again["userErrors"][0]["field"] == ["fulfillment"]


def test_merchant_lists_unshipped_orders(sandbox: Any, merchant_graphql: Any) -> None:
    unshipped = place_order(sandbox, line_items=[{"sku": "TEE-LOGO-M", "quantity": 1}])
    listed = run(merchant_graphql, UNSHIPPED_ORDERS, "UnshippedOrders",
                 query="fulfillment_status:unshipped")["orders"]
    names = [edge["node"]["name"] for edge in listed["edges"]]
    assert unshipped["name"] == names[0]  # newest first (reverse: true)
    assert {edge["node"]["displayFulfillmentStatus"] for edge in listed["edges"]} == {
        "UNFULFILLED"}
    assert all(edge["cursor"] for edge in listed["edges"])
    assert set(listed["pageInfo"]) == {"hasNextPage", "endCursor"}
    by_name = run(merchant_graphql, UNSHIPPED_ORDERS, "UnshippedOrders",
                  query=f"name:{unshipped['name']}")["orders"]
    assert [edge["node"]["name"] for edge in by_name["edges"]] == [unshipped["name"]]
