"""Plausibility and column limits for signed (or token-checked) webhook input, checked before
anything is stored: Shopify's orders, refunds and stock changes, ShipStation's v1 pointers and
v2 tracking and label webhooks.

A delivery that passed the signature check but would not fit the tables (a name longer than
`orders.name`, an id beyond BIGINT, a price beyond NUMERIC(14,2), a tracking number longer than
`shipments.tracking_number`, a NUL character) or makes no sense (no line items, a negative
quantity, an order dated 1970, a scan dated year 9999, JSON nested 40 levels deep) is answered
400 naming the field's path and kept in the inbox as rejected; it must never reach the
database and fail there as a 5xx (Shopify retries a 5xx, then deletes the subscription;
ShipStation retries too). The shared checks and the column lengths are in `store/limits.py`.
"""

from __future__ import annotations

import re
from typing import Any

from shipflow.domain.order import Order
from shipflow.providers.fields import parse_datetime
from shipflow.providers.shipstation.webhooks import ResourcePointer
from shipflow.providers.shipstation_v2.webhooks import V2Webhook
from shipflow.providers.shopify.topics import Refund
from shipflow.store.limits import (
    MAX_DEPTH,
    MAX_PATH,
    MAX_QUANTITY,
    OutOfRange,
    check_tracking,
    nesting,
)
from shipflow.store.limits import column_length as _length
from shipflow.store.limits import count as _count
from shipflow.store.limits import ident as _id
from shipflow.store.limits import money as _money
from shipflow.store.limits import text as _text
from shipflow.store.limits import when as _when
from shipflow.store.tables import line_items, orders, webhook_inbox

__all__ = ["OutOfRange", "check_inventory_item", "check_order", "check_refund",
           "check_ship_notify", "check_shipstation_v2", "nesting"]

MAX_GRAMS = 10_000_000  # 10 t for one unit
_CURRENCY = re.compile(r"[A-Z]{3}")
# Any one string in a ShipStation webhook: its longest real value is a URL of about 200.
MAX_WEBHOOK_STRING = 2048


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


# -- ShipStation ------------------------------------------------------------------------------
def _strings(payload: Any, limit: int = MAX_WEBHOOK_STRING) -> None:
    """Every string of a decoded payload (keys too): not over `limit`, no NUL, valid Unicode;
    the path names the first that is not (`nesting` has bounded the depth)."""
    stack: list[tuple[Any, str]] = [(payload, "")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            _text(path or "body", value, limit)
        elif isinstance(value, dict):
            for key, child in value.items():
                _text(f"{path or 'body'} (a key)", key, 256)
                stack.append((child, (f"{path}.{key}" if path else key)[:MAX_PATH]))
        elif isinstance(value, list):
            stack.extend((child, f"{path}[{index}]"[:MAX_PATH])
                         for index, child in enumerate(value))


def check_ship_notify(payload: Any, pointer: ResourcePointer, delivery_id: str,
                      workflow_id: str | None) -> None:
    """A v1 pointer (`{"resource_url", "resource_type"}`): filed in the inbox under
    `delivery_id` (the URL) and, for SHIP_NOTIFY, the label workflow's id (made from the URL)."""
    nesting(payload, MAX_DEPTH)
    _strings(payload)
    _text("resource_type", pointer.resource_type, _length(webhook_inbox.c.topic))
    _text("resource_url", delivery_id, _length(webhook_inbox.c.delivery_id))
    _text("resource_url", workflow_id, _length(webhook_inbox.c.workflow_id))


def check_shipstation_v2(payload: Any, hook: V2Webhook) -> None:
    """A v2 webhook (a tracking update inline, or a label/batch pointer), where shipflow files
    or stores its values. A carrier event is checked where it sits in `data.events`, before
    the parser sorted them."""
    nesting(payload, MAX_DEPTH)
    _strings(payload)
    _text("resource_type", hook.resource_type, _length(webhook_inbox.c.topic))
    if hook.tracking is None:
        return
    data = payload.get("data") if isinstance(payload, dict) else None
    events = data.get("events") if isinstance(data, dict) else None
    for index, event in enumerate(events if isinstance(events, list) else []):
        raw = event.get("occurred_at") if isinstance(event, dict) else None
        occurred = parse_datetime(raw) if isinstance(raw, str) else None
        _when(f"data.events[{index}].occurred_at", occurred)
    check_tracking(hook.tracking, "data")
