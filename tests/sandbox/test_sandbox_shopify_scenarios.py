"""Shopify scenarios the routing feature stages through the controls: orders with chosen lines
and destinations, split fulfillments, holds per reason, relabels, product categories, and
stock set to zero before the orders and raised after them."""

from __future__ import annotations

import json

import httpx
import pytest
from sandbox_helpers import FULFILL, HOLD, RELEASE, wait_until

from shipflow_sandbox.shopify.catalog import CATALOG, PRODUCTS
from shipflow_sandbox.shopify.webhooks import sign

TRACKING_UPDATE = """
mutation fulfillmentTrackingInfoUpdate($fulfillmentId: ID!,
    $trackingInfoInput: FulfillmentTrackingInput!, $notifyCustomer: Boolean) {
  fulfillmentTrackingInfoUpdate(fulfillmentId: $fulfillmentId,
      trackingInfoInput: $trackingInfoInput, notifyCustomer: $notifyCustomer) {
    fulfillment { id trackingInfo { company number url } }
    userErrors { field message }
  }
}
"""
PRODUCTS_QUERY = """
query productCategories($ids: [ID!]!) {
  nodes(ids: $ids) { ... on Product { id productType tags } }
}
"""


def place(sandbox, **template) -> dict:
    response = httpx.post(sandbox.url("/_sandbox/shopify/orders"), json={"count": 1, **template})
    assert response.status_code == 201, response.text
    return response.json()["orders"][0]


def detail(sandbox, order_id: int) -> dict:
    return httpx.get(sandbox.url(f"/_sandbox/shopify/orders/{order_id}")).json()


def fulfill(shopify, fo_id: str, lines=None, number="1Z999AA10123456784") -> dict:
    group = {"fulfillmentOrderId": fo_id}
    if lines is not None:
        group["fulfillmentOrderLineItems"] = lines
    return shopify.gql(FULFILL, fulfillment={
        "lineItemsByFulfillmentOrder": [group],
        "trackingInfo": {"company": "UPS", "number": number}})["data"]["fulfillmentCreate"]


def test_orders_with_chosen_lines_and_destination(sandbox):
    placed = place(sandbox, line_items=[{"sku": "ESP-MACH-PRO", "quantity": 1},
                                        {"sku": "FLT-PAPER-100", "quantity": 3}],
                   destination="noncontiguous")
    order = detail(sandbox, placed["id"])["order"]
    assert [(li["sku"], li["quantity"]) for li in order["line_items"]] == [
        ("ESP-MACH-PRO", 1), ("FLT-PAPER-100", 3)]
    assert order["shipping_address"]["province_code"] in ("AK", "HI", None)
    assert order["shipping_address"]["country_code"] in ("US", "PR")
    assert order["total_price"] == f"{1249 + 3 * 8.5 + 14.95:.2f}"
    for bad in ({"line_items": [{"sku": "NOPE", "quantity": 1}]},
                {"line_items": [{"sku": "MUG-CER-12", "quantity": 0}]},
                {"destination": "moon"}):
        answer = httpx.post(sandbox.url("/_sandbox/shopify/orders"), json={"count": 1, **bad})
        assert answer.status_code == 400 and "error" in answer.json()


def test_a_split_fulfils_part_of_the_fo_and_the_rest_later(sandbox, shopify):
    placed = place(sandbox, line_items=[{"sku": "MUG-CER-12", "quantity": 3},
                                        {"sku": "BEAN-ETH-340", "quantity": 1}])
    [fo] = detail(sandbox, placed["id"])["fulfillment_orders"]
    mug, beans = fo["line_items"]
    assert (mug["sku"], mug["remaining_quantity"], beans["sku"]) == (
        "MUG-CER-12", 3, "BEAN-ETH-340")
    first = fulfill(shopify, fo["id"], [{"id": mug["id"], "quantity": 2}], "1ZFIRST0000000001")
    assert first["userErrors"] == []
    state = detail(sandbox, placed["id"])
    [same] = state["fulfillment_orders"]  # Shopify keeps the rest on the same FO
    assert same["id"] == fo["id"] and same["status"] == "IN_PROGRESS"
    assert [ln["remaining_quantity"] for ln in same["line_items"]] == [1, 1]
    assert state["display_fulfillment_status"] == "PARTIALLY_FULFILLED"
    assert state["order"]["fulfillment_status"] == "partial"
    [shipped] = state["fulfillments"]
    assert shipped["tracking_number"] == "1ZFIRST0000000001"
    assert [(li["sku"], li["quantity"]) for li in shipped["line_items"]] == [("MUG-CER-12", 2)]
    rest = fulfill(shopify, fo["id"], None, "1ZSECOND000000002")  # blank: all that remains
    assert rest["userErrors"] == []
    state = detail(sandbox, placed["id"])
    assert state["fulfillment_orders"][0]["status"] == "CLOSED"
    assert state["display_fulfillment_status"] == "FULFILLED"
    assert [(f["tracking_number"], [(li["sku"], li["quantity"]) for li in f["line_items"]])
            for f in state["fulfillments"]] == [
        ("1ZFIRST0000000001", [("MUG-CER-12", 2)]),
        ("1ZSECOND000000002", [("MUG-CER-12", 1), ("BEAN-ETH-340", 1)])]


@pytest.mark.parametrize("reason", ["INCORRECT_ADDRESS", "INVENTORY_OUT_OF_STOCK", "OTHER"])
def test_holds_show_in_the_control_and_block_fulfillment(sandbox, shopify, reason):
    placed = place(sandbox)
    [fo] = detail(sandbox, placed["id"])["fulfillment_orders"]
    held = shopify.gql(HOLD, id=fo["id"], fulfillmentHold={
        "reason": reason, "reasonNotes": f"shipflow: {reason.lower()}",
        "handle": "shipflow"})["data"]["fulfillmentOrderHold"]
    assert held["userErrors"] == [] and held["fulfillmentHold"]["reason"] == reason
    [shown] = detail(sandbox, placed["id"])["fulfillment_orders"]
    assert shown["status"] == "ON_HOLD"
    assert shown["holds"] == [{"id": held["fulfillmentHold"]["id"], "reason": reason,
                               "handle": "shipflow", "reason_notes": f"shipflow: {reason.lower()}",
                               "held_by_requesting_app": True}]
    blocked = fulfill(shopify, fo["id"])
    assert blocked["fulfillment"] is None
    assert blocked["userErrors"] == [{"field": ["fulfillment"], "message": (
        f"Fulfillment order {fo['id'].rsplit('/', 1)[1]} has an unfulfillable status= on_hold.")}]
    released = shopify.gql(RELEASE, id=fo["id"], holdIds=[held["fulfillmentHold"]["id"]])
    assert released["data"]["fulfillmentOrderReleaseHold"]["fulfillmentOrder"]["status"] == "OPEN"
    assert detail(sandbox, placed["id"])["fulfillment_orders"][0]["holds"] == []
    assert fulfill(shopify, fo["id"])["userErrors"] == []


def test_tracking_update_shows_in_the_control(sandbox, shopify):
    placed = place(sandbox)
    [fo] = detail(sandbox, placed["id"])["fulfillment_orders"]
    created = fulfill(shopify, fo["id"], number="1ZOLD00000000001")["fulfillment"]
    updated = shopify.gql(TRACKING_UPDATE, fulfillmentId=created["id"], trackingInfoInput={
        "company": "USPS", "number": "9400100000000000000001"}, notifyCustomer=False)
    assert updated["data"]["fulfillmentTrackingInfoUpdate"]["userErrors"] == []
    [shown] = detail(sandbox, placed["id"])["fulfillments"]
    assert shown["admin_graphql_api_id"] == created["id"]
    assert shown["tracking_company"] == "USPS"
    assert shown["tracking_numbers"] == ["9400100000000000000001"]
    assert shown["tracking_url"].endswith("9400100000000000000001")


def test_products_have_a_type_and_tags_read_by_nodes(sandbox, shopify):
    placed = place(sandbox, line_items=[{"sku": "TEE-LOGO-M", "quantity": 1},
                                        {"sku": "BEAN-COL-1K", "quantity": 1}])
    order = detail(sandbox, placed["id"])["order"]
    ids = [f"gid://shopify/Product/{li['product_id']}" for li in order["line_items"]]
    answer = shopify.gql(PRODUCTS_QUERY, ids=[*ids, "gid://shopify/Product/1",
                                              placed["admin_graphql_api_id"]])
    tee, beans, missing, not_a_product = answer["data"]["nodes"]
    by_sku = {p.sku: PRODUCTS[p.product_index] for p in CATALOG}
    assert tee == {"id": ids[0], "productType": "Apparel",
                   "tags": list(by_sku["TEE-LOGO-M"].tags)}
    assert beans["productType"] == "Coffee" and "consumable" in beans["tags"]
    assert missing is None and not_a_product == {}
    assert answer["extensions"]["cost"]["requestedQueryCost"] == 4  # one point per id
    too_many = shopify.gql(PRODUCTS_QUERY, ids=[ids[0]] * 251)
    assert too_many["errors"][0]["extensions"]["code"] == "MAX_INPUT_SIZE_EXCEEDED"
    full = shopify.gql(PRODUCTS_QUERY, ids=[ids[0]] * 250)
    assert full["extensions"]["cost"]["requestedQueryCost"] == 250
    node = shopify.gql('query ($id: ID!) { node(id: $id) { id ... on Product { title } } }',
                       id=ids[0])
    assert node["data"]["node"] == {"id": ids[0], "title": "Logo Tee"}


def test_stock_staged_at_zero_then_raised_sends_a_signed_restock(make_sandbox, receiver):
    sandbox = make_sandbox(seed=4, shopify_webhook_url=receiver.url("/shopify"))
    inventory = sandbox.url("/_sandbox/shopify/inventory")
    staged = httpx.post(inventory, json={"sku": "KTL-GOOSE-BK", "available": 0,
                                         "policy": "continue", "deliver": False})
    assert staged.status_code == 200
    assert staged.json()["inventory_policy"] == "continue" and staged.json()["available"] == 0
    place(sandbox, line_items=[{"sku": "KTL-GOOSE-BK", "quantity": 2}])
    wait_until(lambda: len(receiver.received) == 2)  # orders/create, orders/paid: no restock
    topics = [r.headers["x-shopify-topic"] for r in receiver.received]
    assert topics == ["orders/create", "orders/paid"]
    rows = {r["sku"]: r for r in httpx.get(inventory).json()["inventory"]}
    assert rows["KTL-GOOSE-BK"]["available"] == -2  # backordered: continue lets it go negative
    raised = httpx.post(inventory, json={"sku": "KTL-GOOSE-BK", "available": 5}).json()
    wait_until(lambda: len(receiver.received) == 3)
    restock = receiver.received[2]
    assert restock.headers["x-shopify-topic"] == "inventory_levels/update"
    assert restock.headers["x-shopify-hmac-sha256"] == sign(
        restock.body, sandbox.config.shopify_webhook_secret)
    payload = json.loads(restock.body)
    assert payload["inventory_item_id"] == raised["inventory_item_id"]
    assert payload["available"] == 5
    bad = httpx.post(inventory, json={"sku": "KTL-GOOSE-BK", "available": 1, "policy": "maybe"})
    assert bad.status_code == 400


def test_cancel_and_refund_webhooks_are_signed_like_the_others(make_sandbox, receiver):
    sandbox = make_sandbox(seed=6, shopify_webhook_url=receiver.url("/shopify"))
    first, second = (place(sandbox) for _ in range(2))
    wait_until(lambda: len(receiver.received) == 4)
    httpx.post(sandbox.url(f"/_sandbox/shopify/orders/{first['id']}/cancel"),
               json={"reason": "customer", "restock": True})
    httpx.post(sandbox.url(f"/_sandbox/shopify/orders/{second['id']}/refund"),
               json={"restock": True})
    wait_until(lambda: len(receiver.received) == 6)
    secret = sandbox.config.shopify_webhook_secret
    for delivery in receiver.received:
        assert delivery.headers["x-shopify-hmac-sha256"] == sign(delivery.body, secret)
        assert delivery.headers["x-shopify-webhook-id"]
    by_topic = {r.headers["x-shopify-topic"]: json.loads(r.body) for r in receiver.received}
    assert by_topic["orders/cancelled"]["id"] == first["id"]
    assert by_topic["orders/cancelled"]["cancel_reason"] == "customer"
    assert by_topic["refunds/create"]["order_id"] == second["id"]
    assert by_topic["refunds/create"]["restock"] is True
