"""In-memory state of the simulated shop: orders, fulfillment orders, holds and fulfillments.

An order gets one fulfillment order (FO) at the shop's single location, with one FO line item
per line item that requires shipping (shopify.md §4.1). The REST order JSON is kept as the
source of truth for what webhooks carry and is updated as fulfillments are made.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shipflow_sandbox.shopify.ids import IdAllocator, gid
from shipflow_sandbox.shopify.rest import shop_time

LOCATION_ID = 68_120_000_001
# `FulfillmentLineItem` ids: numbered apart from `IdAllocator`, whose one random stream every
# other kind shares, so reading a fulfillment's line items never shifts any other id.
FULFILLMENT_LINE_ITEM_BASE = 10_400_000_000_000

# Webhook topic -> payload; `emit` gets every topic produced by one merchant/app action.
Emit = Callable[[list[tuple[str, dict[str, Any]]]], None]


@dataclass
class FulfillmentOrderLine:
    id: int
    line_item_id: int
    total_quantity: int
    remaining_quantity: int


@dataclass
class FulfillmentHold:
    id: int
    reason: str
    reason_notes: str | None
    handle: str
    external_id: str | None = None
    held_by_requesting_app: bool = True


@dataclass
class FulfillmentOrder:
    id: int
    order_id: int
    created_at: str
    updated_at: str
    lines: list[FulfillmentOrderLine]
    status: str = "OPEN"
    request_status: str = "UNSUBMITTED"
    holds: list[FulfillmentHold] = field(default_factory=list)
    location_id: int = LOCATION_ID

    @property
    def gid(self) -> str:
        return gid("FulfillmentOrder", self.id)


@dataclass
class TrackingInfo:
    company: str | None
    number: str | None
    url: str | None


@dataclass
class Fulfillment:
    id: int
    order_id: int
    name: str
    created_at: str
    updated_at: str
    tracking: list[TrackingInfo]
    quantities: dict[int, int]  # line item id -> quantity fulfilled
    status: str = "SUCCESS"

    @property
    def gid(self) -> str:
        return gid("Fulfillment", self.id)


@dataclass
class ShopOrder:
    id: int
    rest: dict[str, Any]
    fulfillment_order_ids: list[int] = field(default_factory=list)
    fulfillment_ids: list[int] = field(default_factory=list)

    @property
    def gid(self) -> str:
        return gid("Order", self.id)

    @property
    def tags(self) -> list[str]:
        return [t.strip() for t in (self.rest.get("tags") or "").split(",") if t.strip()]

    def line_item(self, line_item_id: int) -> dict[str, Any]:
        return next(li for li in self.rest["line_items"] if li["id"] == line_item_id)


class ShopifyStore:
    def __init__(self, ids: IdAllocator, now: Callable[[], datetime]) -> None:
        self.ids = ids
        self.now = now
        self.orders: dict[int, ShopOrder] = {}
        self.fulfillment_orders: dict[int, FulfillmentOrder] = {}
        self.fo_line_owner: dict[int, int] = {}
        self.fulfillments: dict[int, Fulfillment] = {}
        self.fulfillment_line_items: dict[tuple[int, int], int] = {}
        self.emit: Emit = lambda deliveries: None
        # Called with (order, {line item id: quantity}) after each fulfillment (inventory).
        self.on_fulfilled: Callable[[ShopOrder, dict[int, int]], None] = lambda o, q: None

    def timestamp(self) -> str:
        return shop_time(self.now())

    def add_order(self, rest: dict[str, Any]) -> ShopOrder:
        """Store a REST order (generated or supplied) and open its fulfillment order."""
        order = ShopOrder(int(rest["id"]), rest)
        self.orders[order.id] = order
        lines = [
            li
            for li in rest.get("line_items", [])
            if li.get("requires_shipping", True) and int(li.get("fulfillable_quantity") or 0) > 0
        ]
        if lines:
            fo = self.new_fulfillment_order(
                order.id,
                [
                    FulfillmentOrderLine(
                        self.ids.next("FulfillmentOrderLineItem"),
                        int(li["id"]),
                        int(li["fulfillable_quantity"]),
                        int(li["fulfillable_quantity"]),
                    )
                    for li in lines
                ],
            )
            order.fulfillment_order_ids.append(fo.id)
        return order

    def new_fulfillment_order(
        self, order_id: int, lines: list[FulfillmentOrderLine]
    ) -> FulfillmentOrder:
        stamp = self.timestamp()
        fo = FulfillmentOrder(self.ids.next("FulfillmentOrder"), order_id, stamp, stamp, lines)
        self.fulfillment_orders[fo.id] = fo
        for line in lines:
            self.fo_line_owner[line.id] = fo.id
        return fo

    def order_fulfillment_orders(self, order: ShopOrder) -> list[FulfillmentOrder]:
        return [self.fulfillment_orders[i] for i in order.fulfillment_order_ids]

    def order_fulfillments(self, order: ShopOrder) -> list[Fulfillment]:
        return [self.fulfillments[i] for i in order.fulfillment_ids]

    def fulfillment_line_item_id(self, fulfillment: Fulfillment, line_item_id: int) -> int:
        """The stable id of the `FulfillmentLineItem` for one line item of a fulfillment."""
        key = (fulfillment.id, line_item_id)
        if key not in self.fulfillment_line_items:
            count = len(self.fulfillment_line_items)
            self.fulfillment_line_items[key] = FULFILLMENT_LINE_ITEM_BASE + 1 + count * 37
        return self.fulfillment_line_items[key]

    def display_fulfillment_status(self, order: ShopOrder) -> str:
        """`Order.displayFulfillmentStatus` derived from the FOs and fulfillments."""
        fos = self.order_fulfillment_orders(order)
        remaining = sum(line.remaining_quantity for fo in fos for line in fo.lines)
        if order.fulfillment_ids:
            return "FULFILLED" if remaining == 0 else "PARTIALLY_FULFILLED"
        active = [fo for fo in fos if fo.status not in ("CLOSED", "CANCELLED")]
        if active and all(fo.status == "ON_HOLD" for fo in active):
            return "ON_HOLD"
        if any(fo.status == "IN_PROGRESS" for fo in fos):
            return "IN_PROGRESS"
        return "UNFULFILLED"

    def refresh_rest(self, order: ShopOrder) -> None:
        """Bring the REST order's fulfillment fields up to date after a change."""
        done: dict[int, int] = {}
        for fulfillment in self.order_fulfillments(order):
            for line_id, qty in fulfillment.quantities.items():
                done[line_id] = done.get(line_id, 0) + qty
        for li in order.rest.get("line_items", []):
            fulfilled = done.get(int(li["id"]), 0)
            if fulfilled:
                li["fulfillable_quantity"] = max(0, int(li["quantity"]) - fulfilled)
                li["fulfillment_status"] = (
                    "fulfilled" if li["fulfillable_quantity"] == 0 else "partial"
                )
        status = self.display_fulfillment_status(order)
        order.rest["fulfillment_status"] = {
            "FULFILLED": "fulfilled",
            "PARTIALLY_FULFILLED": "partial",
        }.get(status)
        order.rest["updated_at"] = self.timestamp()

    def reset_fo_status(self, fo: FulfillmentOrder) -> None:
        """The status an FO without holds has, given what was fulfilled from it."""
        if fo.holds:
            fo.status = "ON_HOLD"
        elif all(line.remaining_quantity == 0 for line in fo.lines):
            fo.status = "CLOSED"
        elif any(line.remaining_quantity < line.total_quantity for line in fo.lines):
            fo.status = "IN_PROGRESS"
        else:
            fo.status = "OPEN"
        fo.updated_at = self.timestamp()

    def counts(self) -> dict[str, int]:
        return {
            "orders": len(self.orders),
            "fulfilled_orders": sum(
                self.display_fulfillment_status(o) == "FULFILLED" for o in self.orders.values()
            ),
            "fulfillments": len(self.fulfillments),
            "fulfillments_with_tracking": sum(
                any(t.number for t in f.tracking) for f in self.fulfillments.values()
            ),
        }
