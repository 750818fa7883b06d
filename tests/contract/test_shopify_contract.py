"""Shopify: the HMAC vectors, the order parser on every real `orders_*` payload, the inventory
payload, and our GraphQL documents and variables against the Admin schema (our subset and the
sandbox's)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from graphql import GraphQLSchema, build_schema, parse, validate
from graphql.execution.values import get_variable_values
from graphql.language import OperationDefinitionNode

from shipflow.domain.order import Address, Customer, LineItem
from shipflow.domain.tracking import tracking_info
from shipflow.providers.shopify import graphql as gql
from shipflow.providers.shopify import history, inventory, paid_orders, products, subscriptions
from shipflow.providers.shopify.models import HoldReason, LineItemQuantity
from shipflow.providers.shopify.webhooks import (
    parse_inventory_level,
    parse_order,
    verify_hmac,
)

from .graphql_cost import requested_cost
from .paths import FIXTURES

SHOPIFY = FIXTURES / "shopify"
SHOP = "snowdevil.myshopify.com"


# -- HMAC --------------------------------------------------------------------------------------
def test_hmac_vector_from_the_spec() -> None:
    body = b'{"id":820982911946154508}'
    good = "qBvrsZF7RfB1iS6BX6IHqJTp5L911P7intnPeTPsH0I="
    assert verify_hmac(body, good, ["hush"])
    assert not verify_hmac(body, good, ["wrong"])
    assert not verify_hmac(body + b" ", good, ["hush"])


def test_hmac_vector_from_the_fixtures_readme() -> None:
    raw = (SHOPIFY / "inventory_levels_update_docs_2026-07.json").read_bytes()
    assert len(raw) == 241
    good = "FrmeUY7B22+mSEb3iHq7SCjjt63JHGBEEbMKPF1Bo4E="
    assert verify_hmac(raw, good, ["hush"])
    assert not verify_hmac(raw.rstrip(b"\n"), good, ["hush"])  # the exact bytes, newline too


def test_hmac_accepts_either_secret_during_rotation() -> None:
    body = b'{"id":820982911946154508}'
    good = "qBvrsZF7RfB1iS6BX6IHqJTp5L911P7intnPeTPsH0I="
    assert verify_hmac(body, good, ["new-secret", "hush"])
    assert verify_hmac(body, good, ("hush", "new-secret"))
    assert verify_hmac(body, f"  {good}\n", ["hush"])


# -- orders/* ----------------------------------------------------------------------------------
def order_fixtures() -> list[Path]:
    files = sorted(SHOPIFY.glob("orders_*.json"))
    assert files, "no orders_* fixtures"
    return files


@pytest.mark.parametrize("path", order_fixtures(), ids=lambda p: p.name)
def test_every_order_fixture_parses_to_the_payloads_values(path: Path) -> None:
    raw = json.loads(path.read_text())
    payload = raw.get("order", raw)
    order = parse_order(raw, SHOP)
    assert order.shopify_order_id == payload["id"]
    assert order.gid == payload["admin_graphql_api_id"]
    assert order.name == payload["name"]
    assert order.currency == payload["currency"]
    assert order.total_price == Decimal(payload["total_price"])
    assert order.financial_status == payload["financial_status"]
    assert order.created_at == datetime.fromisoformat(payload["created_at"])
    lines = payload["line_items"]
    assert [li.line_item_id for li in order.line_items] == [li["id"] for li in lines]
    for parsed, line in zip(order.line_items, lines, strict=True):
        assert parsed.unit_price == Decimal(line["price"])
        assert parsed.sku == (line["sku"] or None)
        assert parsed.quantity == line.get("current_quantity", line["quantity"])
        assert isinstance(parsed.line_item_id, int)
    if payload.get("shipping_address"):
        assert order.shipping_address is not None
        assert order.shipping_address.country_code == payload["shipping_address"]["country_code"]
    if payload.get("customer"):
        assert order.customer is not None
        assert order.customer.customer_id == payload["customer"]["id"]


def test_docs_sample_order_fields() -> None:
    order = parse_order(json.loads((SHOPIFY / "orders_create_docs_2026-07.json").read_text()), SHOP)
    minus5 = timezone(timedelta(hours=-5))
    assert order.shopify_order_id == 820982911946154508  # above 2**53, exact
    assert order.shop_domain == SHOP and order.name == "#9999"
    assert order.created_at == datetime(2021, 12, 31, 19, 0, tzinfo=minus5)
    assert order.cancelled_at == datetime(2021, 12, 31, 19, 0, tzinfo=minus5)
    assert (order.financial_status, order.currency, order.test) == ("voided", "USD", True)
    assert order.total_price == Decimal("404.95") and order.total_tax == Decimal("0.00")
    assert order.shipping_price == Decimal("10.00")
    assert order.shipping_method == "Generic Shipping"
    assert order.tags == ("tag1", "tag2")
    assert order.email == "jon@example.com" and order.note is None
    assert not order.is_paid
    assert order.customer == Customer(
        customer_id=115310627314723954, email="john@example.com", phone=None,
        first_name="John", last_name="Smith")
    assert order.shipping_address == Address(
        name="Steve Shipper", address1="123 Shipping Street", city="Shippington",
        country_code="US", zip="40003", province_code="KY", address2=None,
        company="Shipping Company", phone="555-555-SHIP")
    assert order.billing_address == order.shipping_address
    assert len(order.line_items) == 5
    assert order.line_items[0] == LineItem(
        line_item_id=487817672276298554, sku="SKU2006-001", title="Aviator sunglasses",
        quantity=1, unit_price=Decimal("89.99"), grams=100, variant_title=None,
        product_id=788032119674292922, variant_id=None, requires_shipping=True)
    assert order.line_items[1].product_id is None
    assert [li.sku for li in order.line_items] == [
        "SKU2006-001", "LENS-PROTECT-2YR", "CASE-LEATHER-PREM", "SKU2006-020", "SKU2006-035"]
    assert order.total_grams == 100 + 1000 + 500


def test_sandbox_generated_orders_parse() -> None:
    """The sandbox's generator must produce what the real parser accepts (and vice versa)."""
    try:
        from shipflow_sandbox.shopify.ids import IdAllocator
        from shipflow_sandbox.shopify.orders import OrderGenerator
    except ImportError as exc:  # the sandbox is optional for this contract
        pytest.skip(f"sandbox not importable: {exc}")
    generator = OrderGenerator(7, IdAllocator(7), SHOP)
    now = datetime(2026, 11, 2, 15, 0, tzinfo=timezone.utc)
    for _ in range(50):
        raw = json.loads(json.dumps(generator.generate(now)))
        order = parse_order(raw, SHOP)
        assert order.shopify_order_id == raw["id"] and order.is_paid
        assert order.total_price == Decimal(raw["total_price"])
        assert order.shipping_address is not None and order.shipping_address.address1


def test_inventory_level_update() -> None:
    level = parse_inventory_level(
        json.loads((SHOPIFY / "inventory_levels_update_docs_2026-07.json").read_text()))
    assert level.inventory_item_id == 271878346596884015
    assert level.location_id == 24826418
    assert level.available == 10 and level.in_stock
    assert level.updated_at == datetime(2021, 12, 31, 19, 0,
                                        tzinfo=timezone(timedelta(hours=-5)))
    assert level.admin_graphql_api_id == (
        "gid://shopify/InventoryLevel/24826418?inventory_item_id=271878346596884015")
    disconnected = parse_inventory_level({"inventory_item_id": 1, "location_id": 2})
    assert disconnected.available is None and not disconnected.in_stock


# -- GraphQL documents -------------------------------------------------------------------------
def schemas() -> list[tuple[str, GraphQLSchema]]:
    found = [("shipflow subset", build_schema(
        (Path(__file__).parent / "shopify_admin_subset.graphql").read_text()))]
    try:
        from shipflow_sandbox.shopify.schema import base_schema
    except ImportError:
        return found
    return [*found, ("sandbox", base_schema())]


UPS = tracking_info("ups", "1Z001985YW99744790")
EXAMPLES: list[tuple[gql.Operation, dict[str, Any]]] = [
    (gql.FULFILLMENT_ORDERS, {"id": "gid://shopify/Order/1"}),
    (gql.ORDER_FULFILLMENTS, {"id": "gid://shopify/Order/1"}),
    (gql.FULFILLMENT_CREATE, gql.fulfillment_create_variables(
        ["gid://shopify/FulfillmentOrder/1", "gid://shopify/FulfillmentOrder/2"], UPS,
        line_items={"gid://shopify/FulfillmentOrder/2": [
            LineItemQuantity("gid://shopify/FulfillmentOrderLineItem/3", 1)]},
        message="Shipped by shipflow")),
    (gql.FULFILLMENT_TRACKING_INFO_UPDATE, gql.tracking_update_variables(
        "gid://shopify/Fulfillment/1", UPS, notify_customer=True)),
    (gql.FULFILLMENT_ORDER_HOLD, gql.hold_variables(
        "gid://shopify/FulfillmentOrder/1", HoldReason.INVENTORY_OUT_OF_STOCK,
        reason_notes="SKU X backordered", handle="shipflow-backorder",
        line_items=[LineItemQuantity("gid://shopify/FulfillmentOrderLineItem/3", 4)],
        external_id="order:1")),
    (gql.FULFILLMENT_ORDER_RELEASE_HOLD, gql.release_hold_variables(
        "gid://shopify/FulfillmentOrder/1", ["gid://shopify/FulfillmentHold/1"])),
    (gql.TAGS_ADD, gql.tags_add_variables("gid://shopify/Order/1", ["shipflow:held"])),
    (subscriptions.ACCESS_SCOPES, {}),
    (subscriptions.WEBHOOK_SUBSCRIPTIONS, {"after": None}),
    (subscriptions.WEBHOOK_SUBSCRIPTIONS, {"after": "eyJsYXN0X2lkIjoxfQ=="}),
    *[(subscriptions.WEBHOOK_SUBSCRIPTION_CREATE, subscriptions.create_variables(
        topic, "https://shipflow.example.com/webhooks/shopify"))
      for topic in subscriptions.SHIPFLOW_TOPICS],
    (history.ORDERS_HISTORY, {"query": history.orders_query(
        datetime(2026, 11, 1, tzinfo=timezone.utc)), "after": None}),
    (paid_orders.PAID_ORDERS, {"query": paid_orders.paid_orders_query(
        datetime(2026, 11, 1, tzinfo=timezone.utc)), "after": None}),
]
INVENTORY_EXAMPLES: list[tuple[gql.Operation, dict[str, Any]]] = [
    (inventory.INVENTORY_ITEM_SKUS, inventory.inventory_item_ids_variables(
        range(271878346596884015, 271878346596884015 + inventory.INVENTORY_ITEMS_PER_CALL))),
    (inventory.inventory_item_skus_operation(1), inventory.inventory_item_ids_variables(
        ["gid://shopify/InventoryItem/271878346596884015"])),
    (inventory.VARIANT_STOCK_BY_SKU, {"query": inventory.sku_query('SKU "2006" 001')}),
    (inventory.VARIANT_STOCK, {"id": "gid://shopify/ProductVariant/642667041472713922"}),
    (inventory.VARIANT_STOCK_BY_SKUS, {"query": 'sku:"SKU2006-001" OR sku:"A B"', "after": None}),
    (inventory.VARIANT_STOCK_BY_SKUS, {"query": 'sku:"A"', "after": "eyJsYXN0X2lkIjoxfQ=="}),
    (products.PRODUCT_CATEGORIES, products.product_ids_variables(
        range(632910392, 632910392 + products.PRODUCTS_PER_CALL))),
]


def subset_schema() -> GraphQLSchema:
    return build_schema((Path(__file__).parent / "shopify_admin_subset.graphql").read_text())


@pytest.mark.parametrize(("name", "schema"), schemas(), ids=lambda v: v if isinstance(v, str)
                         else "")
@pytest.mark.parametrize(("operation", "variables"), EXAMPLES, ids=lambda v: getattr(
    v, "name", ""))
def test_documents_and_variables_fit_the_admin_schema(
        name: str, schema: GraphQLSchema, operation: gql.Operation,
        variables: dict[str, Any]) -> None:
    document = parse(operation.document)
    assert validate(schema, document) == []
    [definition] = document.definitions
    assert isinstance(definition, OperationDefinitionNode)
    assert definition.name is not None and definition.name.value == operation.name
    coerced = get_variable_values(schema, definition.variable_definitions, variables)
    assert not isinstance(coerced, list), [e.message for e in coerced]


def inventory_schemas() -> list[tuple[str, GraphQLSchema]]:
    found = [("shipflow subset", subset_schema())]
    try:
        from shipflow_sandbox.shopify.schema import base_schema
    except ImportError:
        return found
    sandbox = base_schema()
    return [*found, ("sandbox", sandbox)] if sandbox.query_type and (
        "inventoryItem" in sandbox.query_type.fields) else found


@pytest.mark.parametrize(("name", "schema"), inventory_schemas(),
                         ids=lambda v: v if isinstance(v, str) else "")
@pytest.mark.parametrize(("operation", "variables"), INVENTORY_EXAMPLES,
                         ids=lambda v: getattr(v, "name", ""))
def test_inventory_documents_fit_the_admin_schema(name: str, schema: GraphQLSchema,
                                                  operation: gql.Operation,
                                                  variables: dict[str, Any]) -> None:
    document = parse(operation.document)
    assert validate(schema, document) == []
    [definition] = document.definitions
    assert isinstance(definition, OperationDefinitionNode)
    assert definition.name is not None and definition.name.value == operation.name
    coerced = get_variable_values(schema, definition.variable_definitions, variables)
    assert not isinstance(coerced, list), [e.message for e in coerced]


@pytest.mark.parametrize(("operation", "variables"), EXAMPLES + INVENTORY_EXAMPLES,
                         ids=lambda v: getattr(v, "name", ""))
def test_every_document_costs_under_the_cap_and_its_estimate(
        operation: gql.Operation, variables: dict[str, Any]) -> None:
    """Shopify refuses a query above 1,000 requested points; the estimate (used before Shopify
    has reported the real cost) must not be below what it will charge up front."""
    cost = requested_cost(subset_schema(), operation.document, variables)
    assert cost <= gql.MAX_QUERY_COST
    assert operation.estimated_cost >= cost


def test_cost_rules() -> None:
    schema = subset_schema()
    assert requested_cost(schema, gql.FULFILLMENT_ORDERS.document, {}) == 538
    assert requested_cost(schema, inventory.VARIANT_STOCK_BY_SKU.document, {}) == 397
    assert requested_cost(schema, inventory.INVENTORY_ITEM_SKUS.document, {}) == 200
    nodes = "query q($ids: [ID!]!) { nodes(ids: $ids) { ... on InventoryItem { id variant { id } } } }"
    assert requested_cost(schema, nodes, {"ids": ["gid://shopify/InventoryItem/1"] * 250}) == 500
    assert requested_cost(schema, gql.TAGS_ADD.document, {}) == 12  # 10 + node + userErrors
    assert requested_cost(schema, products.PRODUCT_CATEGORIES.document,
                          products.product_ids_variables(range(1, 251))) == 250


def test_documents_stay_under_the_query_cost_cap() -> None:
    try:
        from shipflow_sandbox.shopify.cost import CostCalculator
        from shipflow_sandbox.shopify.schema import base_schema
    except ImportError as exc:
        pytest.skip(f"sandbox cost calculator not importable: {exc}")
    for operation, variables in EXAMPLES + INVENTORY_EXAMPLES:
        [definition] = parse(operation.document).definitions
        requested = CostCalculator(base_schema(), definition, {}, variables).requested()
        assert requested <= gql.MAX_QUERY_COST, operation.name
        assert operation.estimated_cost >= requested, operation.name


def test_no_deprecated_mutations() -> None:
    for operation in gql.OPERATIONS:
        assert "V2" not in operation.document
