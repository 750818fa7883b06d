"""Which of an order's lines a ShipStation order or shipment carries: all the shippable ones,
or a subset with quantities (one part of a split order). Shared by the v1 and v2 builders."""

from __future__ import annotations

from typing import Mapping, Sequence

from shipflow.domain.order import LineItem, Order

# `{Shopify line item id: quantity}`, or the same as (id, quantity) pairs.
LineSelection = Mapping[int, int] | Sequence[tuple[int, int]]


def order_lines(order: Order, items: LineSelection | None = None) -> list[tuple[LineItem, int]]:
    """(line, quantity) for every shippable line (`requires_shipping`, quantity > 0), or for
    the lines `items` names, in the order's own line order. Each named line must be a
    shippable line of the order, and its quantity 1 to what was ordered."""
    shippable = order.shippable_items
    if items is None:
        return [(li, li.quantity) for li in shippable]
    wanted = dict(items.items() if isinstance(items, Mapping) else items)
    if not wanted:
        raise ValueError("items names no line: pass items=None for the whole order")
    by_id = {li.line_item_id: li for li in shippable}
    unknown = sorted(set(wanted) - set(by_id))
    if unknown:
        raise ValueError(f"items name lines that are not shippable lines of {order.name}: "
                         f"{unknown}")
    chosen = []
    for li in shippable:
        if li.line_item_id not in wanted:
            continue
        quantity = wanted[li.line_item_id]
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not (
                0 < quantity <= li.quantity):
            raise ValueError(f"quantity for line {li.line_item_id} must be 1–{li.quantity}")
        chosen.append((li, quantity))
    return chosen
