"""Plausibility and column limits for signed Shopify input, checked before anything is stored.

A delivery that passed the signature check but would not fit the tables (a name longer than
`orders.name`, an id beyond BIGINT, a price beyond NUMERIC(14,2)) or makes no sense (no line
items, a negative quantity, an order dated 1970) is answered 400 naming the field's path and
kept in the inbox as rejected; it must never reach the database and fail there as a 500
(Shopify retries a 5xx, then deletes the subscription). String limits are read from the
tables themselves, so a migration that widens a column widens the check.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from decimal import Decimal

import sqlalchemy as sa

from shipflow.domain.order import Order
from shipflow.providers.shopify.topics import Refund
from shipflow.store.tables import line_items, orders

MAX_ID = 2**63 - 1  # BIGINT; Shopify's ids are positive int64
MAX_QUANTITY = 1_000_000  # units of one line
MAX_GRAMS = 10_000_000  # 10 t for one unit
MONEY_LIMIT = Decimal(10) ** 12  # NUMERIC(14, 2): twelve digits before the point
EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(2100, 1, 1, tzinfo=timezone.utc)
_CURRENCY = re.compile(r"[A-Z]{3}")


# Real provider payloads nest about 7 levels deep (order > line_items > tax_lines > price_set >
# shop_money > amount); anything far deeper is hostile or broken, whatever field it hides in.
MAX_DEPTH = 32


class OutOfRange(ValueError):
    """`str(exc)` is "<field path>: <problem>", safe to answer (no value is echoed)."""


def check_depth(payload: object, limit: int = MAX_DEPTH) -> None:
    """Refuse a body nested deeper than `limit` levels (iterative: no recursion to exhaust)."""
    stack: list[tuple[object, int]] = [(payload, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            raise OutOfRange(f"body: nested deeper than {limit} levels")
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)


def _length(column: sa.Column[str]) -> int:
    length = getattr(column.type, "length", None)
    return int(length) if length else 1 << 30


def _text(path: str, value: str | None, limit: int) -> None:
    if value is None:
        return
    if len(value) > limit:
        raise OutOfRange(f"{path}: longer than {limit} characters")
    if "\x00" in value:
        raise OutOfRange(f"{path}: contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise OutOfRange(f"{path}: is not valid Unicode (a lone surrogate)") from None


def _id(path: str, value: int | None) -> None:
    if value is not None and not 1 <= value <= MAX_ID:
        raise OutOfRange(f"{path}: expected an id between 1 and {MAX_ID}")


def _count(path: str, value: int, limit: int) -> None:
    if not 0 <= value <= limit:
        raise OutOfRange(f"{path}: expected between 0 and {limit}")


def _money(path: str, value: Decimal) -> None:
    if value < 0:
        raise OutOfRange(f"{path}: must not be negative")
    if value >= MONEY_LIMIT:
        raise OutOfRange(f"{path}: expected less than {MONEY_LIMIT}")


def _when(path: str, value: datetime | None) -> None:
    if value is None:
        return
    aware = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if not EARLIEST <= aware < LATEST:
        raise OutOfRange(f"{path}: expected a date between 2000 and 2100")


def check_order(order: Order) -> None:
    """Raise `OutOfRange` for the first field that does not fit; paths are the payload's."""
    _id("id", order.shopify_order_id)
    _text("name", order.name, _length(orders.c.name))
    _text("financial_status", order.financial_status, _length(orders.c.financial_status))
    if not _CURRENCY.fullmatch(order.currency):
        raise OutOfRange("currency: expected a three-letter ISO 4217 code")
    _money("total_price", order.total_price)
    _money("total_shipping_price_set", order.shipping_price)
    _money("total_tax", order.total_tax)
    _when("created_at", order.created_at)
    _when("updated_at", order.updated_at)
    _when("cancelled_at", order.cancelled_at)
    if order.customer is not None:
        _id("customer.id", order.customer.customer_id)
    if not order.line_items:
        raise OutOfRange("line_items: an order needs at least one line item")
    for index, item in enumerate(order.line_items):
        at = f"line_items[{index}]"
        _id(f"{at}.id", item.line_item_id)
        _id(f"{at}.product_id", item.product_id)
        _id(f"{at}.variant_id", item.variant_id)
        _text(f"{at}.sku", item.sku, _length(line_items.c.sku))
        _text(f"{at}.title", item.title, _length(line_items.c.title))
        _count(f"{at}.quantity", item.quantity, MAX_QUANTITY)
        _money(f"{at}.price", item.unit_price)
        _count(f"{at}.grams", item.grams, MAX_GRAMS)
    for index, (line_item_id, quantity) in enumerate(order.refunded):
        _id(f"refunds[{index}].refund_line_items.line_item_id", line_item_id)
        _count(f"refunds[{index}].refund_line_items.quantity", quantity, MAX_QUANTITY)


def check_refund(refund: Refund) -> None:
    _id("id", refund.refund_id)
    _id("order_id", refund.order_id)
    for index, line in enumerate(refund.line_items):
        at = f"refund_line_items[{index}]"
        _id(f"{at}.line_item_id", line.line_item_id)
        _count(f"{at}.quantity", line.quantity, MAX_QUANTITY)


def check_inventory_item(item_id: int) -> None:
    _id("inventory_item_id", item_id)
