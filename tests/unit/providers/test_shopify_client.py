"""ShopifyClient against scripted GraphQL answers: headers, parsing, userErrors, throttling."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from shipflow.domain.tracking import tracking_info
from shipflow.providers.errors import (
    AuthenticationError,
    NotFound,
    RateLimited,
    RejectedRequest,
    TransientError,
    UserErrors,
)
from shipflow.providers.shopify import HoldReason, LineItemQuantity, ShopifyClient

from .helpers import FAST_RETRY, FakeClock, Script, raise_, respond, seeded

ORDER = "gid://shopify/Order/820982911946154508"
UPS = tracking_info("ups", "1Z001985YW99744790")


def cost(requested: float = 10, available: float = 1990, maximum: float = 2000,
         rate: float = 100) -> dict[str, Any]:
    return {"cost": {"requestedQueryCost": requested, "actualQueryCost": requested,
                     "throttleStatus": {"maximumAvailable": maximum,
                                        "currentlyAvailable": available, "restoreRate": rate}}}


def ok(data: dict[str, Any], **kw: float) -> httpx.Response:
    return respond(200, {"data": data, "extensions": cost(**kw)})


def throttled(requested: float, available: float, rate: float = 100,
              status: int = 200) -> httpx.Response:
    return respond(status, {
        "errors": [{"message": "Throttled", "extensions": {
            "code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
        "extensions": {"cost": {"requestedQueryCost": requested, "actualQueryCost": None,
                                "throttleStatus": {"maximumAvailable": 2000,
                                                   "currentlyAvailable": available,
                                                   "restoreRate": rate}}}})


FULFILLMENT_ORDERS = {"order": {"id": ORDER, "fulfillmentOrders": {"nodes": [{
    "id": "gid://shopify/FulfillmentOrder/1046000778",
    "status": "OPEN",
    "requestStatus": "UNSUBMITTED",
    "supportedActions": [{"action": "CREATE_FULFILLMENT"}, {"action": "HOLD"}],
    "assignedLocation": {"location": {"id": "gid://shopify/Location/24826418"}},
    "fulfillmentHolds": [],
    "lineItems": {"nodes": [
        {"id": "gid://shopify/FulfillmentOrderLineItem/1", "remainingQuantity": 1,
         "totalQuantity": 1,
         "lineItem": {"id": "gid://shopify/LineItem/487817672276298554", "sku": "SKU2006-001"}},
        {"id": "gid://shopify/FulfillmentOrderLineItem/2", "remainingQuantity": 0,
         "totalQuantity": 2, "lineItem": {"id": "gid://shopify/LineItem/2", "sku": ""}},
    ]},
}, {
    "id": "gid://shopify/FulfillmentOrder/2", "status": "ON_HOLD", "requestStatus": "UNSUBMITTED",
    "supportedActions": [{"action": "RELEASE_HOLD"}],
    "assignedLocation": {"location": {"id": "gid://shopify/Location/1"}},
    "fulfillmentHolds": [{"id": "gid://shopify/FulfillmentHold/1",
                          "reason": "INVENTORY_OUT_OF_STOCK", "reasonNotes": "SKU X backordered",
                          "handle": "shipflow-backorder", "heldByRequestingApp": True}],
    "lineItems": {"nodes": []},
}]}}}

CREATED = {"fulfillmentCreate": {"fulfillment": {
    "id": "gid://shopify/Fulfillment/255858046", "status": "SUCCESS",
    "trackingInfo": [{"company": "UPS", "number": "1Z001985YW99744790",
                      "url": "https://www.ups.com/track?tracknum=1Z001985YW99744790"}]},
    "userErrors": []}}


def client(script: Script, clock: FakeClock | None = None,
           base: str = "http://127.0.0.1:8100/shopify") -> ShopifyClient:
    return ShopifyClient(base, "shpat_test", transport=script.transport, clock=clock or FakeClock(),
                         retry=FAST_RETRY, rng=seeded())


def test_posts_to_the_versioned_graphql_path_with_the_access_token() -> None:
    script = Script([ok(FULFILLMENT_ORDERS)])
    client(script).fulfillment_orders(ORDER)
    request = script.requests[0]
    assert request.method == "POST"
    assert str(request.url) == "http://127.0.0.1:8100/shopify/admin/api/2026-07/graphql.json"
    assert request.headers["X-Shopify-Access-Token"] == "shpat_test"
    assert request.headers["Content-Type"] == "application/json"
    body = script.body()
    assert body["variables"] == {"id": ORDER}
    assert body["operationName"] == "fulfillmentOrders"
    assert "fulfillmentOrders(first: 5)" in body["query"]


def test_real_shop_url_and_numeric_order_id() -> None:
    script = Script([ok(FULFILLMENT_ORDERS)])
    client(script, base="https://snowdevil.myshopify.com/").fulfillment_orders(820982911946154508)
    assert str(script.requests[0].url) == (
        "https://snowdevil.myshopify.com/admin/api/2026-07/graphql.json")
    assert script.body()["variables"] == {"id": ORDER}


def test_fulfillment_orders_are_parsed() -> None:
    orders = client(Script([ok(FULFILLMENT_ORDERS)])).fulfillment_orders(ORDER)
    first, held = orders
    assert first.id == "gid://shopify/FulfillmentOrder/1046000778"
    assert first.status == "OPEN" and first.can_fulfill and not first.on_hold
    assert first.supported_actions == ("CREATE_FULFILLMENT", "HOLD")
    assert first.location_id == "gid://shopify/Location/24826418"
    line = first.line_items[0]
    assert (line.id, line.remaining_quantity, line.total_quantity, line.sku) == (
        "gid://shopify/FulfillmentOrderLineItem/1", 1, 1, "SKU2006-001")
    assert line.shopify_line_item_id == 487817672276298554
    assert first.line_items[1].sku is None
    assert held.on_hold and not held.can_fulfill
    assert held.holds[0].reason == "INVENTORY_OUT_OF_STOCK"
    assert held.holds[0].handle == "shipflow-backorder"
    assert held.holds[0].held_by_requesting_app is True


def test_order_fulfillments_list_tracking_numbers() -> None:
    data = {"order": {"id": ORDER, "fulfillments": [
        {"id": "gid://shopify/Fulfillment/1", "status": "SUCCESS",
         "trackingInfo": [{"company": "UPS", "number": "1Z1", "url": None},
                          {"company": "UPS", "number": "1Z2", "url": None}]},
        {"id": "gid://shopify/Fulfillment/2", "status": "CANCELLED", "trackingInfo": []},
    ]}}
    found = client(Script([ok(data)])).order_fulfillments(ORDER)
    assert [f.id for f in found] == ["gid://shopify/Fulfillment/1", "gid://shopify/Fulfillment/2"]
    assert found[0].tracking_numbers == ("1Z1", "1Z2") and found[0].active
    assert not found[1].active


def test_unknown_order_is_not_found() -> None:
    with pytest.raises(NotFound):
        client(Script([ok({"order": None})])).order_fulfillments(ORDER)


def test_create_fulfillment_sends_current_input_shape() -> None:
    script = Script([ok(CREATED)])
    created = client(script).create_fulfillment(
        ["gid://shopify/FulfillmentOrder/1046000778", "gid://shopify/FulfillmentOrder/2"], UPS,
        line_items={"gid://shopify/FulfillmentOrder/2": [
            LineItemQuantity("gid://shopify/FulfillmentOrderLineItem/3", 2)]},
    )
    assert created.id == "gid://shopify/Fulfillment/255858046"
    assert created.tracking_numbers == ("1Z001985YW99744790",)
    body = script.body()
    assert "mutation fulfillmentCreate($fulfillment: FulfillmentInput!" in body["query"]
    assert "fulfillmentCreateV2" not in body["query"]
    assert body["variables"] == {"fulfillment": {
        "lineItemsByFulfillmentOrder": [
            {"fulfillmentOrderId": "gid://shopify/FulfillmentOrder/1046000778"},
            {"fulfillmentOrderId": "gid://shopify/FulfillmentOrder/2",
             "fulfillmentOrderLineItems": [
                 {"id": "gid://shopify/FulfillmentOrderLineItem/3", "quantity": 2}]},
        ],
        "trackingInfo": {"company": "UPS", "number": "1Z001985YW99744790",
                         "url": "https://www.ups.com/track?tracknum=1Z001985YW99744790"},
        "notifyCustomer": False,
    }}


def test_user_errors_are_raised_with_field_paths_and_not_retried() -> None:
    script = Script([ok({"fulfillmentCreate": {"fulfillment": None, "userErrors": [
        {"field": ["fulfillment"],
         "message": "The api_client does not have access to the fulfillment order."}]}},
        requested=23)])
    with pytest.raises(UserErrors) as caught:
        client(script).create_fulfillment(["gid://shopify/FulfillmentOrder/1"], UPS)
    error = caught.value
    assert isinstance(error, RejectedRequest)
    assert error.errors[0].field == ("fulfillment",)
    assert "does not have access" in str(error)
    assert error.operation == "fulfillmentCreate"
    assert len(script.requests) == 1


def test_throttled_200_waits_for_the_missing_points_then_retries() -> None:
    clock = FakeClock()
    script = Script([throttled(requested=70, available=10, rate=100), ok(FULFILLMENT_ORDERS)])
    orders = client(script, clock).fulfillment_orders(ORDER)
    assert len(orders) == 2 and len(script.requests) == 2
    # (70 - 10) / 100 = 0.6 s, plus a little jitter so parallel workers do not stampede
    assert 0.6 <= clock.slept < 0.8


def test_throttled_429_honours_retry_after() -> None:
    clock = FakeClock()
    script = Script([respond(429, {"errors": [{"message": "Throttled"}]},
                             headers={"Retry-After": "2.0"}), ok(FULFILLMENT_ORDERS)])
    client(script, clock).fulfillment_orders(ORDER)
    assert len(script.requests) == 2
    assert 2.0 <= clock.slept < 2.5


def test_throttled_429_without_retry_after_uses_the_cost_arithmetic() -> None:
    clock = FakeClock()
    script = Script([throttled(requested=100, available=50, rate=50, status=429), ok(CREATED)])
    client(script, clock).create_fulfillment(["gid://shopify/FulfillmentOrder/1"], UPS)
    assert len(script.requests) == 2  # a throttle was never run: safe even for a mutation
    assert 1.0 <= clock.slept < 1.3


def test_waits_before_sending_when_the_known_bucket_cannot_cover_the_cost() -> None:
    clock = FakeClock()
    # The first answer says a fulfillmentOrders query costs 60 and only 5 points are left.
    script = Script([ok(FULFILLMENT_ORDERS, requested=60, available=5), ok(FULFILLMENT_ORDERS)])
    shop = client(script, clock)
    shop.fulfillment_orders(ORDER)
    assert clock.sleeps == []
    shop.fulfillment_orders(ORDER)
    assert clock.sleeps == [pytest.approx(0.55)]  # (60 - 5) / 100
    assert len(script.requests) == 2


def test_bucket_refills_at_the_restore_rate() -> None:
    clock = FakeClock()
    script = Script([ok(FULFILLMENT_ORDERS, requested=60, available=5), ok(FULFILLMENT_ORDERS)])
    shop = client(script, clock)
    shop.fulfillment_orders(ORDER)
    clock.now += 1.0  # 100 points restored since
    shop.fulfillment_orders(ORDER)
    assert clock.sleeps == []


def test_server_error_is_retried_for_reads() -> None:
    clock = FakeClock()
    script = Script([respond(503, text="upstream"), respond(502, text="bad gateway"),
                     ok(FULFILLMENT_ORDERS)])
    client(script, clock).fulfillment_orders(ORDER)
    assert len(script.requests) == 3
    assert len(clock.sleeps) == 2


def test_server_error_is_not_retried_for_fulfillment_create() -> None:
    script = Script([respond(500, text="oops"), ok(CREATED)])
    with pytest.raises(TransientError):
        client(script).create_fulfillment(["gid://shopify/FulfillmentOrder/1"], UPS)
    assert len(script.requests) == 1


def test_connection_never_made_is_retried_even_for_fulfillment_create() -> None:
    script = Script([raise_(httpx.ConnectError("refused")), ok(CREATED)])
    client(script).create_fulfillment(["gid://shopify/FulfillmentOrder/1"], UPS)
    assert len(script.requests) == 2


def test_read_timeout_on_fulfillment_create_is_not_retried() -> None:
    script = Script([raise_(httpx.ReadTimeout("slow")), ok(CREATED)])
    with pytest.raises(TransientError) as caught:
        client(script).create_fulfillment(["gid://shopify/FulfillmentOrder/1"], UPS)
    assert caught.value.code == "ReadTimeout"
    assert len(script.requests) == 1


def test_gives_up_after_max_attempts() -> None:
    script = Script([respond(503, text="down")])
    with pytest.raises(TransientError):
        client(script).fulfillment_orders(ORDER)
    assert len(script.requests) == FAST_RETRY.max_attempts


def test_top_level_errors_map_to_types() -> None:
    denied = respond(200, {"errors": [{"message": "Access denied for fulfillmentOrders field.",
                                       "extensions": {"code": "ACCESS_DENIED"}}]})
    with pytest.raises(AuthenticationError):
        client(Script([denied])).fulfillment_orders(ORDER)
    bad_token = respond(401, {"errors": "[API] Invalid API key or access token "
                                        "(unrecognized login or wrong password)"})
    with pytest.raises(AuthenticationError) as caught:
        client(Script([bad_token])).fulfillment_orders(ORDER)
    assert caught.value.status_code == 401
    invalid = respond(200, {"errors": [{"message": "Field 'nope' doesn't exist on type 'Order'",
                                        "locations": [{"line": 1, "column": 2}],
                                        "path": ["query", "order", "nope"],
                                        "extensions": {"code": "undefinedField"}}]})
    with pytest.raises(RejectedRequest) as rejected:
        client(Script([invalid])).fulfillment_orders(ORDER)
    assert rejected.value.details[0].pointer == "query.order.nope"
    internal = respond(200, {"errors": [{"message": "Internal error",
                                         "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]})
    script = Script([internal, ok(FULFILLMENT_ORDERS)])
    client(script).fulfillment_orders(ORDER)
    assert len(script.requests) == 2


def test_long_throttle_is_raised_for_a_durable_retry() -> None:
    script = Script([respond(429, {"errors": [{"message": "Throttled"}]},
                             headers={"Retry-After": "600"})])
    with pytest.raises(RateLimited) as caught:
        client(script).fulfillment_orders(ORDER)
    assert caught.value.retry_after == 600
    assert len(script.requests) == 1


def test_update_tracking_hold_release_and_tags() -> None:
    fulfillment = {"id": "gid://shopify/Fulfillment/1", "status": "SUCCESS",
                   "trackingInfo": [{"company": "UPS", "number": "1Z9", "url": "https://u"}]}
    script = Script([
        ok({"fulfillmentTrackingInfoUpdate": {"fulfillment": fulfillment, "userErrors": []}}),
        ok({"fulfillmentOrderHold": {
            "fulfillmentHold": {"id": "gid://shopify/FulfillmentHold/7",
                                "reason": "INCORRECT_ADDRESS", "reasonNotes": "review",
                                "handle": "shipflow-address"},
            "fulfillmentOrder": {"id": "gid://shopify/FulfillmentOrder/1", "status": "ON_HOLD"},
            "remainingFulfillmentOrder": None, "userErrors": []}}),
        ok({"fulfillmentOrderReleaseHold": {
            "fulfillmentOrder": {"id": "gid://shopify/FulfillmentOrder/1", "status": "OPEN"},
            "userErrors": []}}),
        ok({"tagsAdd": {"node": {"id": ORDER}, "userErrors": []}}),
    ])
    shop = client(script)
    updated = shop.update_tracking("gid://shopify/Fulfillment/1", tracking_info("ups", "1Z9"))
    assert updated.tracking_numbers == ("1Z9",)
    assert script.body(0)["variables"]["fulfillmentId"] == "gid://shopify/Fulfillment/1"
    assert script.body(0)["variables"]["notifyCustomer"] is False

    hold = shop.hold_fulfillment_order("gid://shopify/FulfillmentOrder/1",
                                       HoldReason.INCORRECT_ADDRESS, reason_notes="review",
                                       handle="shipflow-address")
    assert hold.hold is not None and hold.hold.id == "gid://shopify/FulfillmentHold/7"
    assert hold.fulfillment_order is not None and hold.fulfillment_order.status == "ON_HOLD"
    assert script.body(1)["variables"] == {"id": "gid://shopify/FulfillmentOrder/1",
                                          "fulfillmentHold": {"reason": "INCORRECT_ADDRESS",
                                                              "notifyMerchant": False,
                                                              "reasonNotes": "review",
                                                              "handle": "shipflow-address"}}

    released = shop.release_hold("gid://shopify/FulfillmentOrder/1",
                                 ["gid://shopify/FulfillmentHold/7"])
    assert released.status == "OPEN"
    assert script.body(2)["variables"]["holdIds"] == ["gid://shopify/FulfillmentHold/7"]

    shop.add_tags(ORDER, ["shipflow:routed", " vip ", "vip"])
    assert script.body(3)["variables"] == {"id": ORDER, "tags": ["shipflow:routed", "vip"]}


def test_hold_user_errors_carry_their_code() -> None:
    script = Script([ok({"fulfillmentOrderHold": {
        "fulfillmentHold": None, "fulfillmentOrder": None, "remainingFulfillmentOrder": None,
        "userErrors": [{"field": ["id"], "message": "Fulfillment order is not open.",
                        "code": "FULFILLMENT_ORDER_NOT_FOUND"}]}})])
    with pytest.raises(UserErrors) as caught:
        client(script).hold_fulfillment_order("gid://shopify/FulfillmentOrder/1", "OTHER")
    assert caught.value.errors[0].code == "FULFILLMENT_ORDER_NOT_FOUND"


def test_inputs_are_checked_before_anything_is_sent() -> None:
    script = Script([ok(CREATED)])
    shop = client(script)
    with pytest.raises(ValueError):
        shop.create_fulfillment([], UPS)
    with pytest.raises(ValueError):
        shop.add_tags(ORDER, ["a,b"])
    with pytest.raises(ValueError):
        shop.hold_fulfillment_order("gid://shopify/FulfillmentOrder/1", "NOT_A_REASON")
    with pytest.raises(ValueError):
        shop.fulfillment_orders("gid://shopify/Product/1")
    assert script.requests == []


# -- inventory ---------------------------------------------------------------------------------
def stock_node(variant: int, sku: str | None, policy: str, tracked: bool,
               levels: list[tuple[int, int]], quantity: int | None = None) -> dict[str, Any]:
    return {"id": f"gid://shopify/ProductVariant/{variant}", "sku": sku,
            "inventoryPolicy": policy, "inventoryQuantity": quantity,
            "inventoryItem": {"id": f"gid://shopify/InventoryItem/{variant + 1}",
                              "tracked": tracked, "inventoryLevels": {"nodes": [
                                  {"location": {"id": f"gid://shopify/Location/{loc}"},
                                   "quantities": [{"name": "available", "quantity": qty}]}
                                  for loc, qty in levels]}}}


def test_inventory_item_skus_in_calls_of_100() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        variables = json.loads(request.content)["variables"]
        data: dict[str, Any] = {}
        for name, item_gid in variables.items():
            number = int(item_gid.rsplit("/", 1)[1])
            data["i" + name.removeprefix("id")] = None if number == 7 else {
                "id": item_gid, "sku": None if number == 9 else f"SKU-{number}",
                "variant": {"id": f"gid://shopify/ProductVariant/{number + 1000}",
                            "sku": f"V-{number}"}}
        return ok(data)

    script = Script([answer])
    found = client(script).inventory_item_skus(list(range(1, 151)) + [1, 2])
    assert len(script.requests) == 2
    assert [len(script.body(i)["variables"]) for i in range(2)] == [100, 50]
    assert script.body(0)["operationName"] == "inventoryItemSkus"
    assert script.body(1)["variables"]["id0"] == "gid://shopify/InventoryItem/101"
    assert "i49: inventoryItem(id: $id49)" in script.body(1)["query"]
    assert found[1] == (1001, "SKU-1") and found[150] == (1150, "SKU-150")
    assert found[9] == (1009, "V-9")  # the variant's SKU when the item has none
    assert 7 not in found and len(found) == 149
    assert client(Script([answer])).inventory_item_skus(
        ["gid://shopify/InventoryItem/271878346596884015"]) == {
        271878346596884015: (271878346596885015, "SKU-271878346596884015")}


def test_variant_stock_by_sku_picks_the_exact_match() -> None:
    script = Script([ok({"productVariants": {"nodes": [
        stock_node(1, "SKU2006-0011", "DENY", True, [(1, 5)]),
        stock_node(642667041472713922, "SKU2006-001", "CONTINUE", True,
                   [(24826418, -2), (24826419, 1)], quantity=-1),
    ]}})])
    stock = client(script).variant_stock("SKU2006-001")
    assert script.body()["variables"] == {"query": 'sku:"SKU2006-001"'}
    assert script.body()["operationName"] == "variantStockBySku"
    assert (stock.variant_id, stock.sku, stock.policy, stock.tracked) == (
        642667041472713922, "SKU2006-001", "CONTINUE", True)
    assert stock.inventory_item_id == 642667041472713923
    assert stock.available == -1 and stock.inventory_quantity == -1
    assert [(level.location_id, level.available) for level in stock.levels] == [
        ("gid://shopify/Location/24826418", -2), ("gid://shopify/Location/24826419", 1)]
    assert stock.backorderable and not stock.in_stock


def test_variant_stock_by_id_and_untracked_items() -> None:
    script = Script([ok({"productVariant": stock_node(5, None, "DENY", False, [])}),
                     ok({"productVariant": None}),
                     ok({"productVariants": {"nodes": []}})])
    ss = client(script)
    stock = ss.variant_stock(5)
    assert script.body(0)["variables"] == {"id": "gid://shopify/ProductVariant/5"}
    assert stock.available == 0 and not stock.tracked and stock.in_stock
    assert not stock.backorderable
    with pytest.raises(NotFound):
        ss.variant_stock("gid://shopify/ProductVariant/404")
    with pytest.raises(NotFound, match="no variant with SKU 'NOPE'"):
        ss.variant_stock("NOPE")
    with pytest.raises(ValueError):
        ss.variant_stock(" ")


# -- stock of many SKUs in one search (issue 10, finding 4) ------------------------------------
def test_stock_of_many_skus_is_one_or_search_per_chunk_and_paged() -> None:
    from shipflow.providers.shopify import inventory

    skus = [f"SKU-{n:03d}" for n in range(120)]

    def answer(request: httpx.Request) -> httpx.Response:
        variables = json.loads(request.content)["variables"]
        asked = [term.split('"')[1] for term in variables["query"].split(" OR ")]
        start = int(variables["after"] or 0)
        page = asked[start:start + inventory.STOCK_PAGE]
        nodes = [stock_node(1000 + int(sku[4:]), sku, "CONTINUE", True,
                            [(1, int(sku[4:]) - 5), (2, 1)])
                 for sku in page if sku != "SKU-007"]  # not the store's
        nodes.insert(0, stock_node(9, page[0] + "-X", "DENY", True, [(1, 99)]))  # tokenized
        end = start + len(page)
        return ok({"productVariants": {"nodes": nodes, "pageInfo": {
            "hasNextPage": end < len(asked), "endCursor": str(end) if end < len(asked) else None}}})

    script = Script([answer])
    found = client(script).variant_stocks(skus + ["SKU-001", " ", "SKU-002 "])
    searches = [script.body(i)["variables"]["query"] for i in range(len(script.requests))]
    assert len(set(searches)) == 3  # 120 SKUs: chunks of 50, 50 and 20
    assert searches[0].startswith('sku:"SKU-000" OR sku:"SKU-001" OR ')
    assert len(script.requests) == 5 + 5 + 2  # pages of 12
    assert script.body(0)["operationName"] == "variantStockBySkus"
    assert all(len(q) <= inventory.MAX_SEARCH_CHARS for q in searches)
    assert len(found) == 119 and "SKU-007" not in found and "SKU-000-X" not in found
    assert found["SKU-010"].available == 10 - 5 + 1  # summed over locations
    assert found["SKU-002"].variant_id == 1002


def test_sku_searches_respect_the_length_limit() -> None:
    from shipflow.providers.shopify import inventory

    long = ["L" * 900 + str(n) for n in range(5)]
    chunks = inventory.sku_searches(long)
    assert [len(c) for c, _ in chunks] == [2, 2, 1]
    assert all(len(q) <= inventory.MAX_SEARCH_CHARS for _, q in chunks)
    assert inventory.sku_searches(['a "b"']) == [(('a "b"',), 'sku:"a \\"b\\""')]


def test_order_source_stock_is_keyed_by_the_skus_given() -> None:
    from shipflow.providers.shopify.order_source import ShopifyOrderSource

    script = Script([ok({"productVariants": {"nodes": [
        stock_node(1, "A", "CONTINUE", True, [(1, -3), (2, 1)]),
        stock_node(2, "B", "DENY", False, [])],
        "pageInfo": {"hasNextPage": False, "endCursor": None}}})])
    stock = ShopifyOrderSource(client(script)).stock(["A", "B", "BUNDLE"])
    assert len(script.requests) == 1
    assert script.body()["variables"]["query"] == 'sku:"A" OR sku:"B" OR sku:"BUNDLE"'
    assert {k: (v.tracked, v.available) for k, v in stock.items()} == {
        "A": (True, -2), "B": (False, 0)}
