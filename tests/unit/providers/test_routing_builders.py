"""The builders the routing feature needs, without a network: ShipStation order bodies with
statuses, services, split lines and custom fields; the API label mode rate request; Shopify
product categories and split fulfillment variables."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from shipflow.domain.order import Address, Order
from shipflow.domain.tracking import tracking_info
from shipflow.providers.fields import Fields
from shipflow.providers.shipstation import order_request, parse_order
from shipflow.providers.shipstation.mapping import parse_fulfillments_page
from shipflow.providers.shipstation_v2 import (
    Warehouse,
    order_rate_request,
    order_shipment,
    package_for_order,
)
from shipflow.providers.shipstation_v2.rating import MIN_PACKAGE_GRAMS
from shipflow.providers.shipstation_v2.wire import parse_warehouses
from shipflow.providers.shopify import LineItemQuantity, ShopifyClient, products
from shipflow.providers.shopify import graphql as gql
from shipflow.providers.shopify.webhooks import parse_order as parse_shopify_order

from .helpers import FAST_RETRY, FakeClock, Script, respond, seeded
from .paths import FIXTURES

SHOP = "snowdevil.myshopify.com"
WAREHOUSE = Warehouse("se-24079", "Louisville", Address(
    name="Shipflow Demo Warehouse", address1="500 Distribution Way", city="Louisville",
    country_code="US", zip="40213", province_code="KY", phone="502-555-0100"))


def an_order() -> Order:
    order = parse_shopify_order(json.loads(
        (FIXTURES / "shopify" / "orders_create_docs_2026-07.json").read_text()), SHOP)
    return replace(order, financial_status="paid", cancelled_at=None)


def two_lines(order: Order) -> tuple[int, int]:
    first, second = order.shippable_items[:2]
    return first.line_item_id, second.line_item_id


# -- ShipStation v1 order bodies ---------------------------------------------------------------
def test_the_existing_call_is_unchanged() -> None:
    order = an_order()
    plain = order_request(order, order_key="k")
    assert plain["orderStatus"] == "awaiting_shipment"
    assert "carrierCode" not in plain and "serviceCode" not in plain
    assert plain["advancedOptions"] == {"customField1": order.gid, "source": "shipflow"}
    assert plain["weight"] == {"value": order.total_grams, "units": "grams"}
    assert plain["amountPaid"] == float(order.total_price)


@pytest.mark.parametrize("status", ["awaiting_shipment", "on_hold", "cancelled"])
def test_status_is_sent_as_given(status: str) -> None:
    assert order_request(an_order(), order_key="k", status=status)["orderStatus"] == status


def test_routing_fields() -> None:
    order = an_order()
    first, second = two_lines(order)
    body = order_request(order, order_key="k-2", status="on_hold", confirmation="adult_signature",
                         carrier_code="ups", service_code="ups_2nd_day_air",
                         items={second: 1, first: 1}, custom_field1="mine",
                         custom_field2="part 2", custom_field3="hold: backorder",
                         order_number="9999-2", tag_ids=[48211],
                         advanced_options={"storeId": 26815, "customField2": "overridden"})
    assert body["orderNumber"] == "9999-2" and body["orderStatus"] == "on_hold"
    assert (body["carrierCode"], body["serviceCode"], body["confirmation"]) == (
        "ups", "ups_2nd_day_air", "adult_signature")
    assert [i["lineItemKey"] for i in body["items"]] == [str(first), str(second)]
    lines = {li.line_item_id: li for li in order.line_items}
    assert body["weight"]["value"] == lines[first].grams + lines[second].grams
    assert body["amountPaid"] == float(lines[first].unit_price + lines[second].unit_price)
    assert body["taxAmount"] == 0.0 and body["shippingAmount"] == 0.0
    assert body["advancedOptions"] == {"storeId": 26815, "customField1": "mine",
                                       "customField2": "part 2",
                                       "customField3": "hold: backorder", "source": "shipflow"}
    assert body["tagIds"] == [48211]
    read = parse_order({**body, "orderId": 1})
    assert read.shopify_order_gid is None  # customField1 no longer holds the GID
    assert (read.custom_field2, read.custom_field3, read.store_id) == (
        "part 2", "hold: backorder", 26815)


@pytest.mark.parametrize("changes", [
    {"status": "shipped"},
    {"status": "awaiting_shipment", "hold_until": date(2026, 12, 1)},
    {"service_code": "ups_ground"},
    {"items": {}},
    {"items": {1: 1}},
    {"order_number": ""},
])
def test_order_request_refuses(changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        order_request(an_order(), order_key="k", **changes)


def test_split_quantities_must_fit_the_line() -> None:
    order = an_order()
    first, _ = two_lines(order)
    ordered = next(li.quantity for li in order.line_items if li.line_item_id == first)
    with pytest.raises(ValueError, match="quantity"):
        order_request(order, order_key="k", items=[(first, ordered + 1)])
    with pytest.raises(ValueError, match="quantity"):
        order_request(order, order_key="k", items=[(first, 0)])
    assert order_request(order, order_key="k", items=[(first, ordered)])["items"][0][
        "quantity"] == ordered


def test_fulfillments_page() -> None:
    page = {"fulfillments": [{"fulfillmentId": 33974001, "orderId": 5, "orderNumber": "1001",
                              "trackingNumber": "1Z1", "carrierCode": "ups",
                              "shipDate": "2026-11-25", "voided": False,
                              "marketplaceNotified": True}], "total": 1, "page": 1, "pages": 1}
    [row] = parse_fulfillments_page(page)
    assert (row.fulfillment_id, row.order_id, row.tracking_number, row.ship_date,
            row.marketplace_notified) == (33974001, 5, "1Z1", date(2026, 11, 25), True)


# -- API label mode ----------------------------------------------------------------------------
def test_the_rate_request_ships_from_a_warehouse_id() -> None:
    order = an_order()
    first, _ = two_lines(order)
    body = order_rate_request(order, WAREHOUSE, ["se-1", "se-2"], external_shipment_id="o-1",
                              ship_date=date(2026, 11, 2), items={first: 1})
    shipment = body["shipment"]
    assert body["rate_options"] == {"carrier_ids": ["se-1", "se-2"]}
    assert shipment["warehouse_id"] == "se-24079"
    assert "ship_from" not in shipment and "return_to" not in shipment
    assert "carrier_id" not in shipment and "service_code" not in shipment
    assert shipment["ship_to"]["postal_code"] == order.shipping_address.zip  # type: ignore[union-attr]
    assert [i["external_order_item_id"] for i in shipment["items"]] == [str(first)]
    grams = next(li.grams for li in order.line_items if li.line_item_id == first)
    assert shipment["packages"] == [{"package_code": "package",
                                     "weight": {"value": max(grams, MIN_PACKAGE_GRAMS),
                                                "unit": "gram"}}]
    by_address = order_shipment(order, WAREHOUSE.origin, external_shipment_id="o-1",
                                ship_date=date(2026, 11, 2))
    assert by_address["ship_from"]["postal_code"] == "40213"
    assert by_address["warehouse_id"] is None


def test_package_weight() -> None:
    order = an_order()
    assert package_for_order(order, tare_grams=150).weight_grams == order.total_grams + 150
    weightless = replace(order, line_items=tuple(replace(li, grams=0) for li in order.line_items))
    assert package_for_order(weightless).weight_grams == MIN_PACKAGE_GRAMS
    with pytest.raises(ValueError):
        package_for_order(order, tare_grams=-1)


def test_warehouses_parse() -> None:
    [warehouse] = parse_warehouses({"warehouses": [{
        "warehouse_id": "se-24079", "is_default": True, "name": "Louisville",
        "created_at": "2024-03-18T14:02:11.513Z",
        "origin_address": {"name": "Shipflow Demo Warehouse", "phone": "502-555-0100",
                           "company_name": "Ridgeline Goods",
                           "address_line1": "500 Distribution Way",
                           "city_locality": "Louisville", "state_province": "KY",
                           "postal_code": "40213", "country_code": "us",
                           "address_residential_indicator": "no"}}]})
    assert warehouse.warehouse_id == "se-24079" and warehouse.is_default
    assert (warehouse.origin.city, warehouse.origin.country_code, warehouse.origin.company) == (
        "Louisville", "US", "Ridgeline Goods")


# -- Shopify -----------------------------------------------------------------------------------
def test_split_fulfillment_variables_take_pairs() -> None:
    variables = gql.fulfillment_create_variables(
        ["gid://shopify/FulfillmentOrder/1"], tracking_info("ups", "1Z1"),
        line_items={"gid://shopify/FulfillmentOrder/1": [
            ("gid://shopify/FulfillmentOrderLineItem/3", 2), ("4", 1),
            LineItemQuantity("gid://shopify/FulfillmentOrderLineItem/5", 1)]})
    [group] = variables["fulfillment"]["lineItemsByFulfillmentOrder"]
    assert group["fulfillmentOrderLineItems"] == [
        {"id": "gid://shopify/FulfillmentOrderLineItem/3", "quantity": 2},
        {"id": "gid://shopify/FulfillmentOrderLineItem/4", "quantity": 1},
        {"id": "gid://shopify/FulfillmentOrderLineItem/5", "quantity": 1}]
    with pytest.raises(ValueError):
        gql.fulfillment_create_variables(
            ["gid://shopify/FulfillmentOrder/1"], tracking_info("ups", "1Z1"),
            line_items={"gid://shopify/FulfillmentOrder/1": [("3", 0)]})


def test_product_categories_parse() -> None:
    data = Fields({"nodes": [
        {"id": "gid://shopify/Product/1", "productType": "Coffee",
         "tags": ["coffee", "consumable", "coffee"]},
        None,
        {},
        {"id": "gid://shopify/Product/2", "productType": "", "tags": []},
        {"id": "gid://shopify/Product/3", "productType": "Apparel", "tags": ["Apparel", "merch"]},
    ]})
    assert products.parse_product_categories(data) == {
        1: ("Coffee", "coffee", "consumable"), 2: (), 3: ("Apparel", "merch")}
    assert products.product_ids_variables([1, "gid://shopify/Product/1", 2]) == {
        "ids": ["gid://shopify/Product/1", "gid://shopify/Product/2"]}
    with pytest.raises(ValueError):
        products.product_ids_variables(range(251))


def test_product_categories_one_call_per_250_ids() -> None:
    def answer(request: Any) -> Any:
        ids = json.loads(request.content)["variables"]["ids"]
        return respond(200, {"data": {"nodes": [
            {"id": i, "productType": "Coffee", "tags": ["coffee"]} for i in ids[:2]]},
            "extensions": {"cost": {"requestedQueryCost": len(ids), "actualQueryCost": len(ids),
                                    "throttleStatus": {"maximumAvailable": 2000,
                                                       "currentlyAvailable": 1900,
                                                       "restoreRate": 100}}}})

    script = Script([answer])
    with ShopifyClient("https://shop.example", "shpat_x", transport=script.transport,
                       retry=FAST_RETRY, clock=FakeClock(), rng=seeded()) as client:
        found = client.product_categories(range(1, 301))
    assert [len(script.body(i)["variables"]["ids"]) for i in range(2)] == [250, 50]
    assert script.body(0)["operationName"] == "productCategories"
    assert found == {1: ("Coffee", "coffee"), 2: ("Coffee", "coffee"),
                     251: ("Coffee", "coffee"), 252: ("Coffee", "coffee")}


def test_split_amounts_are_money() -> None:
    order = an_order()
    first, _ = two_lines(order)
    body = order_request(order, order_key="k", items={first: 1})
    price = next(li.unit_price for li in order.line_items if li.line_item_id == first)
    assert Decimal(str(body["amountPaid"])) == price.quantize(Decimal("0.01"))
    assert isinstance(body["amountPaid"], float)
