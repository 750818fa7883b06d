"""Shopify inventory (GraphQL and the restock webhook), cancellations, refunds, and the
fulfillments/update that tracking updates send."""

from __future__ import annotations

import json

import httpx
from sandbox_helpers import FULFILL, ORDER_QUERY, ShopifyClient, fixture_json, wait_until

from shipflow_sandbox.shopify.webhooks import sign

VARIANTS = """
query ($q: String) {
  productVariants(first: 5, query: $q) {
    nodes { id sku inventoryPolicy inventoryQuantity inventoryItem { id } }
  }
}
"""
ITEM = """
query ($id: ID!) {
  inventoryItem(id: $id) {
    id sku tracked
    variant { id sku }
    inventoryLevels(first: 5) {
      nodes { location { id } quantities(names: ["available", "committed", "on_hand"]) {
        name quantity } }
    }
  }
}
"""
VARIANT = """
query ($id: ID!) {
  productVariant(id: $id) { id sku inventoryPolicy inventoryQuantity inventoryItem { id } }
}
"""
TRACKING = """
mutation ($id: ID!, $info: FulfillmentTrackingInput!) {
  fulfillmentTrackingInfoUpdate(fulfillmentId: $id, trackingInfoInput: $info,
                                notifyCustomer: false) {
    fulfillment { id trackingInfo { number } } userErrors { field message }
  }
}
"""


def variant(shopify: ShopifyClient, sku: str) -> dict:
    result = shopify.gql(VARIANTS, q=f"sku:{sku}")
    [node] = result["data"]["productVariants"]["nodes"]
    return node


def quantities(shopify: ShopifyClient, item_id: str) -> dict[str, int]:
    item = shopify.gql(ITEM, id=item_id)["data"]["inventoryItem"]
    [level] = item["inventoryLevels"]["nodes"]
    return {q["name"]: q["quantity"] for q in level["quantities"]}


def test_stock_by_sku_and_orders_decrement_it(sandbox, shopify):
    mug = variant(shopify, "MUG-CER-12")
    assert mug["sku"] == "MUG-CER-12" and mug["inventoryPolicy"] == "DENY"
    assert mug["inventoryQuantity"] >= 25 and mug["id"].startswith("gid://shopify/ProductVariant/")
    grinder = variant(shopify, "GRN-BURR-01")
    assert (grinder["inventoryPolicy"], grinder["inventoryQuantity"]) == ("CONTINUE", 0)
    item = shopify.gql(ITEM, id=grinder["inventoryItem"]["id"])["data"]["inventoryItem"]
    assert (item["sku"], item["tracked"], item["variant"]["id"]) == ("GRN-BURR-01", True,
                                                                    grinder["id"])
    location = item["inventoryLevels"]["nodes"][0]["location"]["id"]
    assert location.startswith("gid://shopify/Location/")
    assert shopify.gql(VARIANT, id=grinder["id"])["data"]["productVariant"] == grinder
    placed = shopify.place_orders(30)
    sold: dict[str, int] = {}
    for brief in placed:
        order = httpx.get(sandbox.url(f"/_sandbox/shopify/orders/{brief['id']}")).json()["order"]
        for line in order["line_items"]:
            sold[line["sku"]] = sold.get(line["sku"], 0) + line["quantity"]
    assert sold.get("GRN-BURR-01")
    after = quantities(shopify, grinder["inventoryItem"]["id"])
    assert after == {"available": -sold["GRN-BURR-01"], "committed": sold["GRN-BURR-01"],
                     "on_hand": 0}
    assert variant(shopify, "GRN-BURR-01")["inventoryQuantity"] == -sold["GRN-BURR-01"]
    both = shopify.gql(VARIANTS, q="sku:MUG-CER-12 OR sku:MUG-CER-16")
    assert {n["sku"] for n in both["data"]["productVariants"]["nodes"]} == {"MUG-CER-12",
                                                                           "MUG-CER-16"}
    bad = shopify.gql(ITEM.replace('"on_hand"', '"nonsense"'), id=grinder["inventoryItem"]["id"])
    assert bad["errors"]


def test_restock_control_sends_inventory_levels_update(make_sandbox, receiver):
    sandbox = make_sandbox(shopify_webhook_url=receiver.url("/shopify"))
    shopify = ShopifyClient(sandbox)
    grinder = variant(shopify, "GRN-BURR-01")
    response = httpx.post(sandbox.url("/_sandbox/shopify/inventory"),
                          json={"sku": "GRN-BURR-01", "available": 12})
    assert response.status_code == 200 and response.json()["available"] == 12
    wait_until(lambda: receiver.received)
    [delivery] = receiver.received
    assert delivery.headers["x-shopify-topic"] == "inventory_levels/update"
    assert delivery.headers["x-shopify-hmac-sha256"] == sign(
        delivery.body, sandbox.config.shopify_webhook_secret)
    payload = json.loads(delivery.body)
    assert list(payload) == list(fixture_json("shopify/inventory_levels_update_docs_2026-07.json"))
    assert payload["available"] == 12
    assert f"gid://shopify/InventoryItem/{payload['inventory_item_id']}" == \
        grinder["inventoryItem"]["id"]
    assert payload["admin_graphql_api_id"] == (f"gid://shopify/InventoryLevel/"
        f"{payload['location_id']}?inventory_item_id={payload['inventory_item_id']}")
    assert quantities(shopify, grinder["inventoryItem"]["id"])["available"] == 12
    unknown = httpx.post(sandbox.url("/_sandbox/shopify/inventory"),
                         json={"sku": "NOPE", "available": 1})
    assert unknown.status_code == 404


def test_cancel_and_refund_send_their_topics(make_sandbox, receiver):
    sandbox = make_sandbox(shopify_webhook_url=receiver.url("/shopify"))
    shopify = ShopifyClient(sandbox)
    first, second = shopify.place_orders(2)
    wait_until(lambda: len(receiver.received) == 4)
    cancelled = httpx.post(sandbox.url(f"/_sandbox/shopify/orders/{first['id']}/cancel"),
                           json={"reason": "inventory"})
    assert cancelled.status_code == 200
    again = httpx.post(sandbox.url(f"/_sandbox/shopify/orders/{first['id']}/cancel"), json={})
    assert again.status_code == 422
    refund = httpx.post(sandbox.url(f"/_sandbox/shopify/orders/{second['id']}/refund"),
                        json={"restock": True, "note": "damaged in transit"})
    assert refund.status_code == 201
    wait_until(lambda: len(receiver.received) == 6)
    topics = {r.headers["x-shopify-topic"]: json.loads(r.body) for r in receiver.received[4:]}
    order = topics["orders/cancelled"]
    assert order["id"] == first["id"] and order["cancel_reason"] == "inventory"
    assert order["cancelled_at"] and order["closed_at"]
    refund_body = topics["refunds/create"]
    assert refund_body["order_id"] == second["id"] and refund_body["restock"] is True
    assert refund_body["refund_line_items"][0]["restock_type"] == "cancel"
    assert refund_body["transactions"][0]["kind"] == "refund"
    state = httpx.get(sandbox.url(f"/_sandbox/shopify/orders/{first['id']}")).json()
    assert state["fulfillment_orders"][0]["status"] == "CANCELLED"
    second_state = httpx.get(sandbox.url(f"/_sandbox/shopify/orders/{second['id']}")).json()
    shipping = float(second_state["order"]["total_shipping_price_set"]["shop_money"]["amount"])
    expected = "partially_refunded" if shipping else "refunded"  # shipping was not refunded
    assert second_state["order"]["financial_status"] == expected
    assert len(second_state["order"]["refunds"]) == 1


def test_tracking_updates_send_fulfillments_update(make_sandbox, receiver):
    sandbox = make_sandbox(shopify_webhook_url=receiver.url("/shopify"))
    shopify = ShopifyClient(sandbox)
    [placed] = shopify.place_orders(1)
    order = shopify.gql(ORDER_QUERY, id=placed["admin_graphql_api_id"])["data"]["order"]
    fo = order["fulfillmentOrders"]["nodes"][0]["id"]
    made = shopify.gql(FULFILL, fulfillment={
        "lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fo}],
        "trackingInfo": {"company": "UPS", "number": "1Z999AA10123456784"}})
    fulfillment = made["data"]["fulfillmentCreate"]["fulfillment"]["id"]
    updated = shopify.gql(TRACKING, id=fulfillment, info={"company": "UPS",
                                                          "number": "1Z999AA10123456785"})
    assert updated["data"]["fulfillmentTrackingInfoUpdate"]["userErrors"] == []
    wait_until(lambda: any(r.headers["x-shopify-topic"] == "fulfillments/update"
                           for r in receiver.received))
    update = next(json.loads(r.body) for r in receiver.received
                  if r.headers["x-shopify-topic"] == "fulfillments/update")
    assert update["tracking_number"] == "1Z999AA10123456785"
    assert update["admin_graphql_api_id"] == fulfillment
