"""From a routing plan and the stock picture to the ShipStation orders ("parts") an order becomes.

Backorders follow the merchant's policy: `split` ships the lines in stock now (part 1) and keeps
the missing units in part 2, on hold in ShipStation until a restock; `hold` holds the whole order
(ShipStation on_hold and a Shopify fulfillment-order hold, reason INVENTORY_OUT_OF_STOCK);
`notify` ships as usual (the warehouse waits for stock) and only tells the customer. A rule's
hold (address review...) holds everything, whatever the stock says.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Mapping

from shipflow.domain.order import LineItem, Order
from shipflow.domain.routing import BackorderPolicy, Hold, HoldReason, RoutingPlan


class PartStatus(StrEnum):
    """ShipStation v1 orderStatus values shipflow uses, plus `shipped`."""

    AWAITING_SHIPMENT = "awaiting_shipment"
    ON_HOLD = "on_hold"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class PartLine:
    line_item_id: int
    sku: str | None
    quantity: int


@dataclass(frozen=True, slots=True)
class Part:
    """One ShipStation order made for a Shopify order."""

    number: int  # 1, 2...
    lines: tuple[PartLine, ...]
    status: PartStatus
    hold_reason: HoldReason | None = None
    backordered: dict[str, int] = field(default_factory=dict)  # SKU -> units waiting for stock


@dataclass(frozen=True, slots=True)
class FulfilmentPlan:
    parts: tuple[Part, ...]
    shopify_hold: Hold | None  # held on Shopify's side too (the whole fulfillment order)
    backordered: tuple[tuple[LineItem, int], ...]  # (line, units missing): tell the customer
    policy: BackorderPolicy | None  # the backorder policy applied, when something is missing

    @property
    def is_held(self) -> bool:
        return all(p.status is PartStatus.ON_HOLD for p in self.parts)


def part_order_key(shopify_order_id: int, part: int) -> str:
    """ShipStation orderKey of a part: the Shopify order id, with `-N` from the second part on."""
    return str(shopify_order_id) if part == 1 else f"{shopify_order_id}-{part}"


def shopify_order_id_of(order_key: str) -> int | None:
    """The Shopify order id a ShipStation orderKey belongs to, or None if shipflow did not make it."""
    head = order_key.split(":")[-1].split("-")[0]
    return int(head) if head.isdigit() else None


def _skus(lines: tuple[tuple[LineItem, int], ...]) -> dict[str, int]:
    out: dict[str, int] = {}
    for line, missing in lines:
        key = line.sku or str(line.line_item_id)
        out[key] = out.get(key, 0) + missing
    return out


def plan_fulfilment(order: Order, routing: RoutingPlan, missing: Mapping[int, int],
                    default_policy: BackorderPolicy) -> FulfilmentPlan:
    """`missing` maps a line item id to the units of it that have no stock."""
    shippable = order.shippable_items
    backordered = tuple((li, min(li.quantity, missing[li.line_item_id])) for li in shippable
                        if missing.get(li.line_item_id, 0) > 0)
    everything = tuple(PartLine(li.line_item_id, li.sku, li.quantity) for li in shippable)
    waiting = _skus(backordered)
    policy = (routing.backorder or default_policy) if backordered else None

    if routing.hold is not None:
        part = Part(1, everything, PartStatus.ON_HOLD, routing.hold.reason, waiting)
        return FulfilmentPlan((part,), routing.hold, backordered, policy)
    if policy is BackorderPolicy.HOLD or (
            policy is BackorderPolicy.SPLIT and all(m >= li.quantity for li, m in backordered)
            and len(backordered) == len(shippable)):
        hold = Hold(HoldReason.BACKORDER, "Waiting for stock: " + ", ".join(sorted(waiting)))
        part = Part(1, everything, PartStatus.ON_HOLD, HoldReason.BACKORDER, waiting)
        return FulfilmentPlan((part,), hold, backordered, policy)
    if policy is BackorderPolicy.SPLIT:
        short = {li.line_item_id: m for li, m in backordered}
        now = tuple(PartLine(li.line_item_id, li.sku, li.quantity - short.get(li.line_item_id, 0))
                    for li in shippable if li.quantity - short.get(li.line_item_id, 0) > 0)
        later = tuple(PartLine(li.line_item_id, li.sku, m) for li, m in backordered)
        return FulfilmentPlan(
            (Part(1, now, PartStatus.AWAITING_SHIPMENT),
             Part(2, later, PartStatus.ON_HOLD, HoldReason.BACKORDER, waiting)),
            None, backordered, policy)
    part = Part(1, everything, PartStatus.AWAITING_SHIPMENT, None, waiting)
    return FulfilmentPlan((part,), None, backordered, policy)


def backordered_units(order_lines: list[tuple[int, int, str, int]], deficit: Mapping[str, int]
                      ) -> dict[int, int]:
    """Which units have no stock, by line item id.

    Shopify's `available` already counts every unshipped order's units as committed, so a SKU at
    `available = -k` is short by k units, and those are the k most recently ordered ones (the
    oldest orders have the stock). `order_lines` are (order pk, line item id, sku, quantity) of
    every order still waiting to ship that holds one of the SKUs; `deficit` maps SKU -> k.
    """
    missing: dict[int, int] = {}
    left = dict(deficit)
    for _, line_item_id, sku, quantity in sorted(order_lines, key=lambda r: (-r[0], -r[1])):
        short = min(quantity, left.get(sku, 0))
        if short > 0:
            missing[line_item_id] = short
            left[sku] -= short
    return missing
