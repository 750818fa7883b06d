"""Every Shopify payload in `fixtures/shopify/` parses, by its topic, to the values it holds."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from shipflow.providers.errors import MalformedWebhook
from shipflow.providers.shopify import topics
from shipflow.providers.shopify.models import FulfillmentHold, FulfillmentOrderRef
from shipflow.providers.shopify.webhooks import InventoryLevelUpdate

from .paths import FIXTURES

SHOPIFY = FIXTURES / "shopify"
SHOP = "snowdevil.myshopify.com"
MINUS5 = timezone(timedelta(hours=-5))
DOCS_TIME = datetime(2021, 12, 31, 19, 0, tzinfo=MINUS5)

# Each fixture and the topic(s) its docs sample stands for (fixtures/shopify/README.md).
TOPIC_OF = {
    "orders_create_docs_2026-07.json": "orders/cancelled",  # the same sample, cancelled_at set
    "fulfillments_create_docs_2026-07.json": "fulfillments/update",  # identical samples
    "inventory_levels_update_docs_2026-07.json": "inventory_levels/update",
    "fulfillment_orders_placed_on_hold_docs_2026-07.json": "fulfillment_orders/placed_on_hold",
    "fulfillment_orders_hold_released_docs_2026-07.json": "fulfillment_orders/hold_released",
    "fulfillment_holds_added_docs_2026-07.json": "fulfillment_holds/added",
    "fulfillment_events_create_docs_2026-07.json": "fulfillment_events/create",
    "products_update_docs_2026-07.json": "products/update",
    "variants_out_of_stock_docs_2026-07.json": "variants/out_of_stock",
}


def load(name: str) -> Any:
    return json.loads((SHOPIFY / name).read_text())


def test_every_fixture_has_a_topic_parser() -> None:
    assert sorted(p.name for p in SHOPIFY.glob("*.json")) == sorted(TOPIC_OF)
    for name, topic in TOPIC_OF.items():
        assert topic in topics.TOPICS
        assert topics.parse_topic(topic.upper(), load(name), SHOP) is not None
    with pytest.raises(KeyError):
        topics.parse_topic("app/uninstalled", {}, SHOP)


def test_orders_cancelled() -> None:
    cancelled = topics.parse_topic("orders/cancelled", load("orders_create_docs_2026-07.json"),
                                   SHOP)
    assert isinstance(cancelled, topics.OrderCancellation)
    assert cancelled.order.shopify_order_id == 820982911946154508
    assert cancelled.order.shop_domain == SHOP and cancelled.order.name == "#9999"
    assert cancelled.cancelled_at == DOCS_TIME and cancelled.cancel_reason == "customer"
    assert not cancelled.order.is_paid
    wrapped = topics.parse_cancelled_order({"order": load("orders_create_docs_2026-07.json")},
                                           SHOP)
    assert wrapped == cancelled
    live = dict(load("orders_create_docs_2026-07.json"), cancelled_at=None, cancel_reason=None)
    with pytest.raises(MalformedWebhook, match="cancelled_at"):
        topics.parse_cancelled_order(live, SHOP)


def test_fulfillments_create_and_update() -> None:
    fulfillment = topics.parse_topic("fulfillments/create",
                                     load("fulfillments_create_docs_2026-07.json"), SHOP)
    assert isinstance(fulfillment, topics.FulfillmentUpdate)
    assert (fulfillment.fulfillment_id, fulfillment.order_id) == (123456, 820982911946154508)
    assert fulfillment.status == "pending" and fulfillment.name == "#9999.1"
    assert fulfillment.tracking_company == "UPS"
    assert fulfillment.tracking_numbers == ("1z827wk74630",)
    assert fulfillment.tracking_urls == (
        "https://www.ups.com/WebTracking?loc=en_US&requester=ST&trackNums=1z827wk74630",)
    assert fulfillment.shipment_status is None and fulfillment.location_id is None
    assert [(li.line_item_id, li.sku, li.quantity) for li in fulfillment.line_items] == [
        (487817672276298554, "SKU2006-001", 1), (789012345678901234, "LENS-PROTECT-2YR", 1),
        (890123456789012345, "CASE-LEATHER-PREM", 1), (976318377106520349, "SKU2006-020", 1),
        (315789986012684393, "SKU2006-035", 1)]
    assert fulfillment.created_at == DOCS_TIME
    assert fulfillment.admin_graphql_api_id == "gid://shopify/Fulfillment/123456"
    singular = {k: v for k, v in load("fulfillments_create_docs_2026-07.json").items()
                if k not in ("tracking_numbers", "tracking_urls")}
    assert topics.parse_fulfillment(singular).tracking_numbers == ("1z827wk74630",)


def test_inventory_levels_update_through_the_dispatcher() -> None:
    level = topics.parse_topic("inventory_levels/update",
                               load("inventory_levels_update_docs_2026-07.json"), SHOP)
    assert isinstance(level, InventoryLevelUpdate)
    assert (level.inventory_item_id, level.location_id, level.available) == (
        271878346596884015, 24826418, 10)


def test_fulfillment_holds_added_and_released() -> None:
    added = topics.parse_topic("fulfillment_holds/added",
                               load("fulfillment_holds_added_docs_2026-07.json"), SHOP)
    assert isinstance(added, topics.FulfillmentHoldChange)
    assert added.fulfillment_order_id == "gid://shopify/FulfillmentOrder/1"
    assert added.hold == FulfillmentHold(
        id="gid://shopify/FulfillmentHold/1", reason="OTHER",
        reason_notes="Waiting for some more details from the customer before this can be "
                     "fulfilled.",
        handle="test_handle", held_by_requesting_app=False)
    assert added.held_by_app_id == "gid://shopify/App/12345"
    # fulfillment_holds/released carries the same shape (shopify.md §2); no docs sample stored
    ours = load("fulfillment_holds_added_docs_2026-07.json")
    ours["fulfillment_hold"].update(reason="inventory_out_of_stock", handle="shipflow-backorder",
                                    held_by_requesting_app=True)
    released = topics.parse_topic("fulfillment_holds/released", ours, SHOP)
    assert released.hold.reason == "INVENTORY_OUT_OF_STOCK"
    assert released.hold.held_by_requesting_app and released.hold.handle == "shipflow-backorder"
    with pytest.raises(MalformedWebhook, match="fulfillment_hold.reason: is missing"):
        topics.parse_fulfillment_hold({"fulfillment_order": {"id": "x"},
                                       "fulfillment_hold": {"id": "y"}})


def test_fulfillment_orders_placed_on_hold_and_released() -> None:
    placed = topics.parse_topic("fulfillment_orders/placed_on_hold",
                                load("fulfillment_orders_placed_on_hold_docs_2026-07.json"), SHOP)
    assert isinstance(placed, topics.FulfillmentOrderHoldChange)
    assert placed.fulfillment_order == FulfillmentOrderRef("gid://shopify/FulfillmentOrder/1",
                                                           "ON_HOLD")
    assert [(h.id, h.reason, h.handle) for h in placed.holds] == [
        ("gid://shopify/FulfillmentHold/1", "OTHER", "example-hold-1"),
        ("gid://shopify/FulfillmentHold/2", "INVENTORY_OUT_OF_STOCK", "example-hold-2")]
    assert placed.remaining_fulfillment_order == FulfillmentOrderRef(
        "gid://shopify/FulfillmentOrder/2", "OPEN")
    assert [(li.id, li.quantity) for li in placed.held_line_items] == [
        ("gid://shopify/FulfillmentOrderLineItem/3", 4)]
    assert placed.created_hold is not None and placed.created_hold.reason_notes == "example"
    released = topics.parse_topic("fulfillment_orders/hold_released",
                                  load("fulfillment_orders_hold_released_docs_2026-07.json"),
                                  SHOP)
    assert released == topics.FulfillmentOrderHoldChange(
        FulfillmentOrderRef("gid://shopify/FulfillmentOrder/1", "OPEN"))


def test_fulfillment_event() -> None:
    event = topics.parse_topic("fulfillment_events/create",
                               load("fulfillment_events_create_docs_2026-07.json"), SHOP)
    assert event == topics.FulfillmentEvent(
        event_id=1234567, fulfillment_id=123456, order_id=820982911946154508,
        status="in_transit", happened_at=DOCS_TIME, message="Item is now in transit",
        country="CA")


def test_products_update() -> None:
    product = topics.parse_topic("products/update", load("products_update_docs_2026-07.json"),
                                 SHOP)
    assert isinstance(product, topics.ProductUpdate)
    assert product.product_id == 788032119674292922 and product.title == "Example T-Shirt"
    assert [(v.variant_id, v.title, v.inventory_policy, v.inventory_quantity,
             v.old_inventory_quantity) for v in product.variants] == [
        (642667041472713922, "Small", "DENY", 75, 75),
        (757650484644203962, "Medium", "DENY", 50, 50)]
    assert all(v.sku is None and v.inventory_item_id is None for v in product.variants)
    assert product.inventory_item_map() == {}  # the docs sample names no inventory items
    assert product.variant_gids == ("gid://shopify/ProductVariant/757650484644203962",
                                    "gid://shopify/ProductVariant/642667041472713922")
    real = load("products_update_docs_2026-07.json")
    real["variants"][0].update(sku="TEE-S", inventory_item_id=39072856)
    real["variants"][1].update(sku="TEE-M", inventory_item_id=39072857)
    assert topics.parse_product(real).inventory_item_map() == {
        39072856: (642667041472713922, "TEE-S"), 39072857: (757650484644203962, "TEE-M")}


def test_variants_out_of_stock() -> None:
    variant = topics.parse_topic("variants/out_of_stock",
                                 load("variants_out_of_stock_docs_2026-07.json"), SHOP)
    assert variant == topics.VariantSnapshot(
        variant_id=642667041472713922, product_id=788032119674292922, sku=None,
        inventory_item_id=None, inventory_policy="DENY", inventory_quantity=0,
        old_inventory_quantity=0, title="Small",
        admin_graphql_api_id="gid://shopify/ProductVariant/642667041472713922")


# refunds/create: no docs sample is stored in fixtures/shopify/; this body is written from the
# field list of shopify.md §2 and the REST Refund resource (ids > 2**53, money as strings).
REFUND = {
    "id": 890088186047892319,
    "order_id": 820982911946154508,
    "created_at": "2026-11-03T09:12:00-05:00",
    "note": "Lens plan cancelled; sunglasses returned",
    "user_id": 548380009,
    "processed_at": "2026-11-03T09:12:00-05:00",
    "restock": True,
    "duties": [],
    "return": None,
    "admin_graphql_api_id": "gid://shopify/Refund/890088186047892319",
    "refund_line_items": [
        {"id": 866550311766439020, "quantity": 1, "line_item_id": 487817672276298554,
         "location_id": 24826418, "restock_type": "return", "subtotal": "89.99",
         "total_tax": "0.00",
         "line_item": {"id": 487817672276298554, "variant_id": 642667041472713922,
                       "sku": "SKU2006-001", "quantity": 1, "title": "Aviator sunglasses",
                       "price": "89.99"}},
        {"id": 866550311766439021, "quantity": 1, "line_item_id": 789012345678901234,
         "location_id": None, "restock_type": "no_restock", "subtotal": "29.99",
         "total_tax": "0.00",
         "line_item": {"id": 789012345678901234, "variant_id": None, "sku": "LENS-PROTECT-2YR",
                       "quantity": 1, "title": "Lens Protection Plan (2 Year)",
                       "price": "29.99"}},
    ],
    "transactions": [],
    "order_adjustments": [],
    "refund_shipping_lines": [],
}


def test_refunds_create() -> None:
    refund = topics.parse_topic("refunds/create", REFUND, SHOP)
    assert isinstance(refund, topics.Refund)
    assert (refund.refund_id, refund.order_id) == (890088186047892319, 820982911946154508)
    assert refund.restock and refund.note == "Lens plan cancelled; sunglasses returned"
    assert refund.created_at == datetime(2026, 11, 3, 9, 12, tzinfo=MINUS5)
    returned, plan = refund.line_items
    assert (returned.line_item_id, returned.quantity, returned.restock_type, returned.location_id,
            returned.sku, returned.variant_id) == (
        487817672276298554, 1, "return", 24826418, "SKU2006-001", 642667041472713922)
    assert returned.restocked and not plan.restocked
    assert plan.variant_id is None and plan.location_id is None
    assert refund.refunded_quantities == {487817672276298554: 1, 789012345678901234: 1}
    nested_only = json.loads(json.dumps(REFUND))
    del nested_only["refund_line_items"][0]["line_item_id"]
    assert topics.parse_refund(nested_only).line_items[0].line_item_id == 487817672276298554


@pytest.mark.parametrize(("parser", "payload", "reason"), [
    (topics.parse_refund, {"order_id": 1}, "id: is missing"),
    (topics.parse_refund, dict(REFUND, refund_line_items=[{"quantity": 1}]),
     "refund_line_items[0].line_item_id: is missing"),
    (topics.parse_refund, dict(REFUND, order_id=8.2e17),
     "order_id: expected an integer, got a number (int64 ids must not be floats)"),
    (topics.parse_fulfillment, {"id": 1, "order_id": 2}, "status: is missing"),
    (topics.parse_product, {"id": 1, "variants": [{"sku": "x"}]}, "variants[0].id: is missing"),
    (topics.parse_fulfillment_order_hold, {"fulfillment_order": {}},
     "fulfillment_order.id: is missing"),
    (topics.parse_fulfillment_event, [], "body: expected an object, got an array"),
])
def test_malformed_payloads_name_the_field(parser: Any, payload: Any, reason: str) -> None:
    with pytest.raises(MalformedWebhook) as caught:
        parser(payload)
    assert str(caught.value) == reason
