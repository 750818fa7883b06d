"""The CEL view of an order: the `order` variable of a condition, and its declared shape.

Every key is always present (null or empty when Shopify had nothing), money is a double, ids
and counts are ints. `ORDER_TYPE` is what `typecheck` checks conditions against; a test keeps
it and `order_view` in step.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

from celpy import celtypes

from shipflow.domain.destination import Destination, classify_destination
from shipflow.domain.order import Address, LineItem, Order
from shipflow.rules.typecheck import BOOL, DOUBLE, INT, STRING, ListOf, Struct

DESTINATION_TYPE = Struct("order.destination", {
    "country_code": STRING, "province_code": STRING, "zip": STRING, "city": STRING,
    **{kind.value: BOOL for kind in Destination},
})
LINE_ITEM_TYPE = Struct("a line item", {
    "sku": STRING, "title": STRING, "quantity": INT, "unit_price": DOUBLE, "grams": INT,
    "requires_shipping": BOOL, "product_id": INT,
})
ORDER_TYPE = Struct("order", {
    "id": INT, "name": STRING, "total_price": DOUBLE, "subtotal_price": DOUBLE, "currency": STRING,
    "presentment_total_price": DOUBLE, "presentment_currency": STRING,
    "email": STRING, "tags": ListOf(STRING), "shipping_method": STRING, "item_count": INT,
    "total_weight_grams": INT, "line_items": ListOf(LINE_ITEM_TYPE), "skus": ListOf(STRING),
    "destination": DESTINATION_TYPE, "backordered_skus": ListOf(STRING), "has_backorder": BOOL,
})


@dataclass(frozen=True, slots=True)
class OrderView:
    value: celtypes.MapType  # the `order` variable
    backordered_skus: tuple[str, ...]


def order_view(order: Order, stock: Mapping[str, int] | None = None) -> OrderView:
    backordered = backordered_skus(order, stock or {})
    shippable = order.shippable_items
    skus = list(dict.fromkeys(li.sku for li in order.line_items if li.sku))
    value = _map({
        "id": _int(order.shopify_order_id),
        "name": celtypes.StringType(order.name),
        "total_price": celtypes.DoubleType(float(order.total_price)),
        # The normalized order carries no subtotal; the total is the closest figure.
        "subtotal_price": celtypes.DoubleType(float(order.total_price)),
        "currency": celtypes.StringType(order.currency),
        # What the customer saw, in their currency (the shop's figures when the same).
        "presentment_total_price": celtypes.DoubleType(float(
            order.presentment_total_price if order.presentment_total_price is not None
            else order.total_price)),
        "presentment_currency": celtypes.StringType(order.presentment_currency
                                                    or order.currency),
        "email": _string(order.contact_email),
        "tags": _strings(order.tags),
        "shipping_method": _string(order.shipping_method),
        "item_count": _int(sum(li.quantity for li in shippable)),
        "total_weight_grams": _int(order.total_grams),
        "line_items": celtypes.ListType([_line_item(li) for li in order.line_items]),
        "skus": _strings(skus),
        "destination": _destination(order.shipping_address),
        "backordered_skus": _strings(backordered),
        "has_backorder": celtypes.BoolType(bool(backordered)),
    })
    return OrderView(value, backordered)


def backordered_skus(order: Order, stock: Mapping[str, int]) -> tuple[str, ...]:
    """SKUs of shippable lines with less stock than the order needs (all its lines together);
    a SKU that `stock` does not mention counts as in stock."""
    needed: dict[str, int] = {}
    for line in order.shippable_items:
        if line.sku:
            needed[line.sku] = needed.get(line.sku, 0) + line.quantity
    return tuple(sku for sku, quantity in needed.items() if sku in stock and stock[sku] < quantity)


def _line_item(line: LineItem) -> celtypes.MapType:
    return _map({
        "sku": _string(line.sku),
        "title": celtypes.StringType(line.title),
        "quantity": _int(line.quantity),
        "unit_price": celtypes.DoubleType(float(line.unit_price)),
        "grams": _int(line.grams),
        "requires_shipping": celtypes.BoolType(line.requires_shipping),
        "product_id": None if line.product_id is None else _int(line.product_id),
    })


def _destination(address: Address | None) -> celtypes.MapType:
    kind = classify_destination(address)
    fields: dict[str, celtypes.Value | None] = {
        "country_code": _string(address.country_code or None) if address else None,
        "province_code": _string(address.province_code) if address else None,
        "zip": _string(address.zip) if address else None,
        "city": _string(address.city) if address else None,
    }
    fields.update({k.value: celtypes.BoolType(k is kind) for k in Destination})
    return _map(fields)


def _int(value: int) -> celtypes.IntType:
    # celtypes.IntType(value) builds a range-checking wrapper function on every call, most of
    # the cost of a view; this is the same check without it.
    if not -(2**63) <= value < 2**63:
        raise ValueError(f"{value} does not fit a CEL int")
    return int.__new__(celtypes.IntType, value)


def _map(fields: Mapping[str, celtypes.Value | None]) -> celtypes.MapType:
    return celtypes.MapType({_key(k): v for k, v in fields.items()})


@functools.cache
def _key(name: str) -> celtypes.StringType:
    return celtypes.StringType(name)


def _string(text: str | None) -> celtypes.StringType | None:
    return None if text is None else celtypes.StringType(text)


def _strings(texts: list[str] | tuple[str, ...]) -> celtypes.ListType:
    return celtypes.ListType([celtypes.StringType(t) for t in texts])

