"""Parsers for the Shopify webhook topics beyond `orders/create|paid` and inventory levels.

Payloads are REST representations (shopify.md §2): int64 ids (exact in Python, never floats),
lower-case enums (`on_hold`, `inventory_out_of_stock`), which are upper-cased here to match the
GraphQL values the rest of the provider uses. Every parser raises `MalformedWebhook` naming the
field path when something it needs is missing or mistyped; fields it does not need are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from shipflow.domain.order import Order
from shipflow.providers.errors import MalformedWebhook
from shipflow.providers.fields import Fields
from shipflow.providers.shopify.models import (
    FulfillmentHold,
    FulfillmentOrderRef,
    LineItemQuantity,
)
from shipflow.providers.shopify.webhooks import parse_inventory_level, parse_order

__all__ = [
    "FulfillmentEvent",
    "FulfillmentHoldChange",
    "FulfillmentOrderHoldChange",
    "FulfillmentUpdate",
    "FulfilledLine",
    "OrderCancellation",
    "ProductUpdate",
    "Refund",
    "RefundLineItem",
    "VariantSnapshot",
    "parse_cancelled_order",
    "parse_fulfillment",
    "parse_fulfillment_event",
    "parse_fulfillment_hold",
    "parse_fulfillment_order_hold",
    "parse_product",
    "parse_refund",
    "parse_topic",
    "parse_variant",
]


def _root(payload: Any) -> Fields:
    return Fields(payload, "", MalformedWebhook)


def _text(f: Fields, key: str) -> str | None:
    return f.string(key, required=False, empty_is_none=True)


# -- orders/cancelled --------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class OrderCancellation:
    """`orders/cancelled`: the order (same payload as orders/create) and why it was cancelled
    (`customer`, `fraud`, `inventory`, `declined`, `other`, `staff`)."""

    order: Order
    cancelled_at: datetime
    cancel_reason: str | None


def parse_cancelled_order(payload: Any, shop_domain: str) -> OrderCancellation:
    order = parse_order(payload, shop_domain)
    if order.cancelled_at is None:
        raise MalformedWebhook("cancelled_at: is missing (not a cancelled order)")
    body = payload["order"] if isinstance(payload, dict) and set(payload) == {"order"} else payload
    return OrderCancellation(order, order.cancelled_at, _text(_root(body), "cancel_reason"))


# -- refunds/create ----------------------------------------------------------------------------
RESTOCKING_TYPES = frozenset({"cancel", "return", "legacy_restock"})


@dataclass(frozen=True, slots=True)
class RefundLineItem:
    line_item_id: int
    quantity: int
    restock_type: str | None  # no_restock, cancel, return, legacy_restock
    location_id: int | None = None
    sku: str | None = None
    variant_id: int | None = None

    @property
    def restocked(self) -> bool:
        """The units went back into stock (and may release a backordered order)."""
        return self.restock_type in RESTOCKING_TYPES


@dataclass(frozen=True, slots=True)
class Refund:
    """`refunds/create`: what was refunded on an order and whether it went back to stock."""

    refund_id: int
    order_id: int
    created_at: datetime | None
    line_items: tuple[RefundLineItem, ...]
    restock: bool = False  # the refund-level flag (deprecated by Shopify; lines say more)
    note: str | None = None
    admin_graphql_api_id: str | None = None

    @property
    def refunded_quantities(self) -> dict[int, int]:
        """Units refunded per order line item id."""
        totals: dict[int, int] = {}
        for line in self.line_items:
            totals[line.line_item_id] = totals.get(line.line_item_id, 0) + line.quantity
        return totals


def parse_refund(payload: Any) -> Refund:
    """`{id, order_id, created_at, restock, note, refund_line_items: [{line_item_id, quantity,
    restock_type, location_id, line_item: {sku, variant_id…}}], transactions…}`. A line
    without `line_item_id` takes the id of its nested `line_item`."""
    root = _root(payload)
    lines = []
    for entry in root.objects("refund_line_items", required=False):
        nested = entry.optional_obj("line_item")
        line_item_id = entry.integer("line_item_id", required=False)
        if line_item_id is None:
            if nested is None:
                raise entry.fail("line_item_id", "is missing")
            line_item_id = nested.req_integer("id")
        lines.append(RefundLineItem(
            line_item_id=line_item_id,
            quantity=entry.req_integer("quantity"),
            restock_type=_text(entry, "restock_type"),
            location_id=entry.integer("location_id", required=False),
            sku=_text(nested, "sku") if nested else None,
            variant_id=nested.integer("variant_id", required=False) if nested else None,
        ))
    return Refund(
        refund_id=root.req_integer("id"),
        order_id=root.req_integer("order_id"),
        created_at=root.timestamp("created_at", required=False),
        line_items=tuple(lines),
        restock=root.boolean("restock", False),
        note=_text(root, "note"),
        admin_graphql_api_id=_text(root, "admin_graphql_api_id"),
    )


# -- fulfillment holds -------------------------------------------------------------------------
def _hold(f: Fields) -> FulfillmentHold:
    held = f.data.get("held_by_requesting_app")
    return FulfillmentHold(
        id=f.req_string("id"),
        reason=f.req_string("reason").upper(),
        reason_notes=_text(f, "reason_notes"),
        handle=_text(f, "handle"),
        held_by_requesting_app=held if isinstance(held, bool) else None,
    )


def _fo_ref(f: Fields | None) -> FulfillmentOrderRef | None:
    if f is None:
        return None
    status = _text(f, "status")
    return FulfillmentOrderRef(f.req_string("id"), status.upper() if status else None)


@dataclass(frozen=True, slots=True)
class FulfillmentHoldChange:
    """`fulfillment_holds/added` and `fulfillment_holds/released`: one hold on one
    fulfillment order. `held_by_requesting_app` tells our own holds from others'."""

    fulfillment_order_id: str
    hold: FulfillmentHold
    held_by_app_id: str | None = None


def parse_fulfillment_hold(payload: Any) -> FulfillmentHoldChange:
    root = _root(payload)
    hold = root.obj("fulfillment_hold")
    app = hold.optional_obj("held_by_app")
    return FulfillmentHoldChange(
        fulfillment_order_id=root.obj("fulfillment_order").req_string("id"),
        hold=_hold(hold),
        held_by_app_id=_text(app, "id") if app else None,
    )


@dataclass(frozen=True, slots=True)
class FulfillmentOrderHoldChange:
    """`fulfillment_orders/placed_on_hold` (with all holds, the split-off remainder and the
    held lines) and `fulfillment_orders/hold_released` (only the fulfillment order)."""

    fulfillment_order: FulfillmentOrderRef
    holds: tuple[FulfillmentHold, ...] = ()
    remaining_fulfillment_order: FulfillmentOrderRef | None = None
    held_line_items: tuple[LineItemQuantity, ...] = ()
    created_hold: FulfillmentHold | None = None


def parse_fulfillment_order_hold(payload: Any) -> FulfillmentOrderHoldChange:
    root = _root(payload)
    order = root.obj("fulfillment_order")
    fulfillment_order = _fo_ref(order)
    assert fulfillment_order is not None
    created = root.optional_obj("created_fulfillment_hold")
    return FulfillmentOrderHoldChange(
        fulfillment_order=fulfillment_order,
        holds=tuple(_hold(h) for h in order.objects("fulfillment_holds", required=False)),
        remaining_fulfillment_order=_fo_ref(root.optional_obj("remaining_fulfillment_order")),
        held_line_items=tuple(
            LineItemQuantity(li.req_string("id"), li.req_integer("quantity"))
            for li in root.objects("held_fulfillment_order_line_items", required=False)),
        created_hold=_hold(created) if created else None,
    )


# -- products and variants ---------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class VariantSnapshot:
    """A variant as `products/update` and `variants/in_stock|out_of_stock` send it."""

    variant_id: int
    product_id: int | None
    sku: str | None
    inventory_item_id: int | None  # null in the docs sample; set in real stores
    inventory_policy: str | None  # DENY or CONTINUE (upper-cased)
    inventory_quantity: int | None = None
    old_inventory_quantity: int | None = None
    title: str | None = None
    admin_graphql_api_id: str | None = None


def parse_variant(payload: Any, path: str = "") -> VariantSnapshot:
    f = Fields(payload, path, MalformedWebhook)
    policy = _text(f, "inventory_policy")
    return VariantSnapshot(
        variant_id=f.req_integer("id"),
        product_id=f.integer("product_id", required=False),
        sku=_text(f, "sku"),
        inventory_item_id=f.integer("inventory_item_id", required=False),
        inventory_policy=policy.upper() if policy else None,
        inventory_quantity=f.integer("inventory_quantity", required=False),
        old_inventory_quantity=f.integer("old_inventory_quantity", required=False),
        title=_text(f, "title"),
        admin_graphql_api_id=_text(f, "admin_graphql_api_id"),
    )


@dataclass(frozen=True, slots=True)
class ProductUpdate:
    """`products/update`: full variant details for the first 100 variants only (shopify.md
    §2); `variant_gids` lists every variant with its own `updated_at`."""

    product_id: int
    title: str | None
    variants: tuple[VariantSnapshot, ...]
    variant_gids: tuple[str, ...] = ()
    updated_at: datetime | None = None

    def inventory_item_map(self) -> dict[int, tuple[int, str | None]]:
        """`{inventory item id: (variant id, sku)}` for the variants that name their item:
        the restock map `inventory_levels/update` needs."""
        return {v.inventory_item_id: (v.variant_id, v.sku) for v in self.variants
                if v.inventory_item_id is not None}


def parse_product(payload: Any) -> ProductUpdate:
    root = _root(payload)
    return ProductUpdate(
        product_id=root.req_integer("id"),
        title=_text(root, "title"),
        variants=tuple(parse_variant(v.data, v.path)
                       for v in root.objects("variants", required=False)),
        variant_gids=tuple(
            g for g in (_text(v, "admin_graphql_api_id")
                        for v in root.objects("variant_gids", required=False)) if g),
        updated_at=root.timestamp("updated_at", required=False),
    )


# -- fulfillments ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class FulfilledLine:
    line_item_id: int
    quantity: int
    sku: str | None = None


@dataclass(frozen=True, slots=True)
class FulfillmentUpdate:
    """`fulfillments/create|update`: a fulfillment as Shopify holds it (ours echoed back, or
    one made by someone else, which reconciliation must notice)."""

    fulfillment_id: int
    order_id: int
    status: str  # lower-case REST values: pending, open, success, cancelled, error, failure
    name: str | None
    tracking_company: str | None
    tracking_numbers: tuple[str, ...]
    tracking_urls: tuple[str, ...]
    shipment_status: str | None
    line_items: tuple[FulfilledLine, ...]
    location_id: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    admin_graphql_api_id: str | None = None


def _strings(f: Fields, key: str) -> tuple[str, ...]:
    return tuple(v for v in f.array(key, required=False) if isinstance(v, str) and v)


def parse_fulfillment(payload: Any) -> FulfillmentUpdate:
    """`tracking_numbers`/`tracking_urls` are the lists; the singular fields are their first
    entries and are used only when the lists are absent."""
    root = _root(payload)
    numbers = _strings(root, "tracking_numbers") or tuple(
        t for t in (_text(root, "tracking_number"),) if t)
    urls = _strings(root, "tracking_urls") or tuple(
        u for u in (_text(root, "tracking_url"),) if u)
    return FulfillmentUpdate(
        fulfillment_id=root.req_integer("id"),
        order_id=root.req_integer("order_id"),
        status=root.req_string("status").lower(),
        name=_text(root, "name"),
        tracking_company=_text(root, "tracking_company"),
        tracking_numbers=numbers,
        tracking_urls=urls,
        shipment_status=_text(root, "shipment_status"),
        line_items=tuple(
            FulfilledLine(li.req_integer("id"), li.req_integer("quantity"), _text(li, "sku"))
            for li in root.objects("line_items", required=False)),
        location_id=root.integer("location_id", required=False),
        created_at=root.timestamp("created_at", required=False),
        updated_at=root.timestamp("updated_at", required=False),
        admin_graphql_api_id=_text(root, "admin_graphql_api_id"),
    )


@dataclass(frozen=True, slots=True)
class FulfillmentEvent:
    """`fulfillment_events/create`: a carrier event Shopify recorded on a fulfillment."""

    event_id: int
    fulfillment_id: int
    order_id: int
    status: str  # in_transit, out_for_delivery, delivered, failure…
    happened_at: datetime | None
    message: str | None = None
    city: str | None = None
    province: str | None = None
    country: str | None = None
    zip: str | None = None
    estimated_delivery_at: datetime | None = None


def parse_fulfillment_event(payload: Any) -> FulfillmentEvent:
    root = _root(payload)
    return FulfillmentEvent(
        event_id=root.req_integer("id"),
        fulfillment_id=root.req_integer("fulfillment_id"),
        order_id=root.req_integer("order_id"),
        status=root.req_string("status").lower(),
        happened_at=root.timestamp("happened_at", required=False),
        message=_text(root, "message"),
        city=_text(root, "city"),
        province=_text(root, "province"),
        country=_text(root, "country"),
        zip=_text(root, "zip"),
        estimated_delivery_at=root.timestamp("estimated_delivery_at", required=False),
    )


# -- dispatch ----------------------------------------------------------------------------------
def _shop_free(parser: Callable[[Any], Any]) -> Callable[[Any, str], Any]:
    return lambda payload, shop_domain: parser(payload)


_PARSERS: dict[str, Callable[[Any, str], Any]] = {
    **dict.fromkeys(("orders/create", "orders/paid", "orders/updated", "orders/fulfilled",
                     "orders/partially_fulfilled"), parse_order),
    "orders/cancelled": parse_cancelled_order,
    "refunds/create": _shop_free(parse_refund),
    **dict.fromkeys(("fulfillment_holds/added", "fulfillment_holds/released"),
                    _shop_free(parse_fulfillment_hold)),
    **dict.fromkeys(("fulfillment_orders/placed_on_hold", "fulfillment_orders/hold_released"),
                    _shop_free(parse_fulfillment_order_hold)),
    **dict.fromkeys(("inventory_levels/update", "inventory_levels/connect",
                     "inventory_levels/disconnect"), _shop_free(parse_inventory_level)),
    "products/update": _shop_free(parse_product),
    **dict.fromkeys(("variants/in_stock", "variants/out_of_stock"), _shop_free(parse_variant)),
    **dict.fromkeys(("fulfillments/create", "fulfillments/update"),
                    _shop_free(parse_fulfillment)),
    "fulfillment_events/create": _shop_free(parse_fulfillment_event),
}
TOPICS = frozenset(_PARSERS)


def parse_topic(topic: str, payload: Any, shop_domain: str) -> Any:
    """The parsed payload of a delivery, by its `X-Shopify-Topic`; `KeyError` for a topic
    shipflow does not handle (answer 200 and drop it: Shopify would only retry)."""
    return _PARSERS[topic.strip().lower()](payload, shop_domain)
