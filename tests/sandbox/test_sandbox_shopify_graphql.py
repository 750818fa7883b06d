"""The simulated GraphQL Admin API: auth, versions, fulfillment rules, holds, tags, cost limits."""

from __future__ import annotations

import httpx
from sandbox_helpers import API, FULFILL, HOLD, ORDER_QUERY, RELEASE, ShopifyClient

TAGS = (
    "mutation ($id: ID!, $tags: [String!]!) { tagsAdd(id: $id, tags: $tags) "
    "{ node { id } userErrors { field message } } }"
)


def first_fo(shopify: ShopifyClient, order_gid: str) -> dict:
    order = shopify.gql(ORDER_QUERY, id=order_gid)["data"]["order"]
    return order["fulfillmentOrders"]["nodes"][0]


def fulfill(shopify: ShopifyClient, fo_gid: str, **extra: object) -> dict:
    fulfillment = {
        "lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fo_gid, **extra}],
        "trackingInfo": {"company": "UPS", "number": "1Z999AA10123456784"},
        "notifyCustomer": False,
    }
    return shopify.gql(FULFILL, fulfillment=fulfillment)["data"]["fulfillmentCreate"]


def test_wrong_or_missing_token_gets_the_real_401(sandbox):
    for headers in ({}, {"X-Shopify-Access-Token": "shpat_wrong"}):
        response = httpx.post(
            sandbox.url(API), json={"query": '{ order(id: "1") { id } }'}, headers=headers
        )
        assert response.status_code == 401
        assert response.json() == {
            "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
        }


def test_unknown_api_version_is_404_and_old_ones_fall_forward(sandbox, shopify):
    query = {"query": '{ order(id: "gid://shopify/Order/1") { id } }'}
    for version in ("2026-02", "banana", "2031-01"):
        url = sandbox.url(f"/shopify/admin/api/{version}/graphql.json")
        assert httpx.post(url, json=query, headers=shopify.headers).status_code == 404
    url = sandbox.url("/shopify/admin/api/2023-01/graphql.json")
    response = httpx.post(url, json=query, headers=shopify.headers)
    assert response.status_code == 200
    assert response.headers["X-Shopify-API-Version"] > "2023-01"


def test_order_query_shape_and_cost_extension(shopify):
    order = shopify.place_orders(1)[0]
    body = shopify.gql(ORDER_QUERY, id=order["admin_graphql_api_id"])
    data = body["data"]["order"]
    assert data["id"] == order["admin_graphql_api_id"]
    assert data["displayFulfillmentStatus"] == "UNFULFILLED"
    fo = data["fulfillmentOrders"]["nodes"][0]
    assert fo["id"].startswith("gid://shopify/FulfillmentOrder/")
    assert fo["status"] == "OPEN" and fo["requestStatus"] == "UNSUBMITTED"
    assert {"action": "CREATE_FULFILLMENT"} in fo["supportedActions"]
    assert fo["assignedLocation"]["location"]["id"].startswith("gid://shopify/Location/")
    line = fo["lineItems"]["nodes"][0]
    assert line["remainingQuantity"] == line["totalQuantity"] >= 1
    assert line["lineItem"]["id"].startswith("gid://shopify/LineItem/")
    cost = body["extensions"]["cost"]
    # order 1 + connection 2 + 5 x (node 1 + actions 1 + location 2 + holds 1 + lines 2 + 10 x 2)
    # + fulfillments 5 x (1 + trackingInfo 1)
    assert cost["requestedQueryCost"] == 1 + 2 + 5 * (1 + 1 + 2 + 1 + 2 + 10 * 2) + 5 * 2
    assert 0 < cost["actualQueryCost"] < cost["requestedQueryCost"]
    status = cost["throttleStatus"]
    assert status["maximumAvailable"] == 2000.0 and status["restoreRate"] == 100.0
    assert status["currentlyAvailable"] <= 2000


def test_fulfillment_closes_the_fo_and_a_second_one_is_a_user_error(shopify):
    order = shopify.place_orders(1)[0]
    fo = first_fo(shopify, order["admin_graphql_api_id"])
    created = fulfill(shopify, fo["id"])
    assert created["userErrors"] == []
    assert created["fulfillment"]["status"] == "SUCCESS"
    assert created["fulfillment"]["trackingInfo"] == [
        {
            "company": "UPS",
            "number": "1Z999AA10123456784",
            "url": "https://www.ups.com/WebTracking?loc=en_US&requester=ST&trackNums=1Z999AA10123456784",
        }
    ]
    after = shopify.gql(ORDER_QUERY, id=order["admin_graphql_api_id"])["data"]["order"]
    assert after["displayFulfillmentStatus"] == "FULFILLED"
    assert after["fulfillmentOrders"]["nodes"][0]["status"] == "CLOSED"
    assert after["fulfillmentOrders"]["nodes"][0]["supportedActions"] == []
    assert after["fulfillments"][0]["id"] == created["fulfillment"]["id"]
    again = fulfill(shopify, fo["id"])
    assert again["fulfillment"] is None
    assert again["userErrors"][0]["field"] == ["fulfillment"]
    assert "closed" in again["userErrors"][0]["message"]


def test_partial_fulfillment_keeps_the_fo_in_progress(shopify):
    for order in shopify.place_orders(20):
        fo = first_fo(shopify, order["admin_graphql_api_id"])
        line = fo["lineItems"]["nodes"][0]
        if len(fo["lineItems"]["nodes"]) > 1 or line["remainingQuantity"] > 1:
            break
    created = fulfill(
        shopify, fo["id"], fulfillmentOrderLineItems=[{"id": line["id"], "quantity": 1}]
    )
    assert created["userErrors"] == []
    after = shopify.gql(ORDER_QUERY, id=order["admin_graphql_api_id"])["data"]["order"]
    assert after["displayFulfillmentStatus"] == "PARTIALLY_FULFILLED"
    assert after["fulfillmentOrders"]["nodes"][0]["status"] == "IN_PROGRESS"
    too_many = fulfill(
        shopify, fo["id"], fulfillmentOrderLineItems=[{"id": line["id"], "quantity": 99}]
    )
    assert (
        too_many["userErrors"][0]["message"]
        == "Invalid fulfillment order line item quantity requested."
    )


def test_on_hold_blocks_fulfillment_until_released(shopify):
    order = shopify.place_orders(1)[0]
    fo = first_fo(shopify, order["admin_graphql_api_id"])
    hold_input = {
        "reason": "INCORRECT_ADDRESS",
        "reasonNotes": "Check the address",
        "handle": "address-review",
    }
    held = shopify.gql(HOLD, id=fo["id"], fulfillmentHold=hold_input)["data"][
        "fulfillmentOrderHold"
    ]
    assert held["userErrors"] == []
    assert held["fulfillmentOrder"]["status"] == "ON_HOLD"
    assert held["fulfillmentHold"]["reason"] == "INCORRECT_ADDRESS"
    again = shopify.gql(HOLD, id=fo["id"], fulfillmentHold=hold_input)["data"]
    assert (
        again["fulfillmentOrderHold"]["userErrors"][0]["code"]
        == "DUPLICATE_FULFILLMENT_HOLD_HANDLE"
    )
    blocked = fulfill(shopify, fo["id"])
    assert blocked["fulfillment"] is None
    assert "on_hold" in blocked["userErrors"][0]["message"]
    status = shopify.gql(ORDER_QUERY, id=order["admin_graphql_api_id"])["data"]["order"]
    assert status["displayFulfillmentStatus"] == "ON_HOLD"
    released = shopify.gql(RELEASE, id=fo["id"], holdIds=[held["fulfillmentHold"]["id"]])
    assert released["data"]["fulfillmentOrderReleaseHold"]["fulfillmentOrder"]["status"] == "OPEN"
    assert fulfill(shopify, fo["id"])["userErrors"] == []


def test_holding_some_lines_splits_the_fulfillment_order(shopify):
    for order in shopify.place_orders(30):
        fo = first_fo(shopify, order["admin_graphql_api_id"])
        if len(fo["lineItems"]["nodes"]) > 1:
            break
    line = fo["lineItems"]["nodes"][0]
    hold_input = {
        "reason": "INVENTORY_OUT_OF_STOCK",
        "fulfillmentOrderLineItems": [{"id": line["id"], "quantity": line["remainingQuantity"]}],
    }
    held = shopify.gql(HOLD, id=fo["id"], fulfillmentHold=hold_input)["data"][
        "fulfillmentOrderHold"
    ]
    assert held["fulfillmentOrder"]["status"] == "ON_HOLD"
    assert held["remainingFulfillmentOrder"]["status"] == "OPEN"
    assert fulfill(shopify, held["remainingFulfillmentOrder"]["id"])["userErrors"] == []
    page_query = """query ($id: ID!, $after: String) { order(id: $id) {
      fulfillmentOrders(first: 1, after: $after) { nodes { id status }
        pageInfo { hasNextPage endCursor } } } }"""
    first = shopify.gql(page_query, id=order["admin_graphql_api_id"])["data"]["order"]
    page = first["fulfillmentOrders"]
    assert page["pageInfo"]["hasNextPage"] is True
    assert page["nodes"] == [{"id": fo["id"], "status": "ON_HOLD"}]
    after = page["pageInfo"]["endCursor"]
    second = shopify.gql(page_query, id=order["admin_graphql_api_id"], after=after)
    rest = second["data"]["order"]["fulfillmentOrders"]
    assert rest["nodes"][0]["id"] == held["remainingFulfillmentOrder"]["id"]
    assert rest["nodes"][0]["status"] == "CLOSED"
    assert rest["pageInfo"]["hasNextPage"] is False


def test_tags_add_is_additive_and_idempotent(shopify):
    order = shopify.place_orders(1)[0]
    for _ in range(2):
        result = shopify.gql(TAGS, id=order["admin_graphql_api_id"], tags=["address-review", "vip"])
        assert result["data"]["tagsAdd"]["userErrors"] == []
    tags = shopify.gql(ORDER_QUERY, id=order["admin_graphql_api_id"])["data"]["order"]["tags"]
    assert {"address-review", "vip"} <= set(tags)
    assert len(tags) == len(set(tags))


def test_syntax_and_validation_errors_have_locations(shopify):
    syntax = shopify.gql('{ order(id: "x") { id ')
    assert "data" not in syntax and syntax["errors"][0]["locations"][0]["line"] == 1
    invalid = shopify.gql('{ order(id: "gid://shopify/Order/1") { nope } }')
    assert invalid["errors"][0]["message"] == "Field 'nope' doesn't exist on type 'Order'"
    assert invalid["errors"][0]["extensions"]["code"] == "undefinedField"
    assert "cost" in invalid["extensions"]
    no_first = shopify.gql(
        '{ order(id: "gid://shopify/Order/1") { fulfillmentOrders { nodes { id } } } }'
    )
    assert no_first["errors"][0]["message"] == "you must provide one of first or last"


def test_queries_over_1000_points_are_rejected(shopify):
    query = """{ order(id: "gid://shopify/Order/1") { fulfillmentOrders(first: 50) { nodes {
      lineItems(first: 50) { nodes { id lineItem { id } } } } } } }"""
    body = shopify.gql(query)
    assert "data" not in body
    error = body["errors"][0]
    assert error["extensions"]["code"] == "MAX_COST_EXCEEDED"
    assert error["message"].startswith(
        f"Query cost is {error['extensions']['cost']}, which exceeds"
    )


def test_throttled_when_the_bucket_is_empty(make_sandbox):
    # tagsAdd requests 12 points (10 + node + userErrors) and costs 10: 36 -> 26 -> 16 -> 6
    sandbox = make_sandbox(shopify_bucket_size=36, shopify_restore_rate=0.01)
    shopify = ShopifyClient(sandbox)
    order = shopify.place_orders(1)[0]
    bodies = [shopify.gql(TAGS, id=order["admin_graphql_api_id"], tags=[f"t{i}"]) for i in range(4)]
    assert [b["extensions"]["cost"]["actualQueryCost"] for b in bodies[:3]] == [10, 10, 10]
    throttled = bodies[3]
    assert "data" not in throttled
    assert throttled["errors"] == [
        {
            "message": "Throttled",
            "extensions": {
                "code": "THROTTLED",
                "documentation": "https://shopify.dev/api/usage/rate-limits",
            },
        }
    ]
    cost = throttled["extensions"]["cost"]
    assert cost["actualQueryCost"] is None
    assert cost["throttleStatus"]["currentlyAvailable"] < cost["requestedQueryCost"]


def test_rate_limits_can_be_switched_off(make_sandbox):
    sandbox = make_sandbox(shopify_bucket_size=30, enforce_rate_limits=False)
    shopify = ShopifyClient(sandbox)
    order = shopify.place_orders(1)[0]
    for i in range(6):
        assert "data" in shopify.gql(TAGS, id=order["admin_graphql_api_id"], tags=[f"t{i}"])
