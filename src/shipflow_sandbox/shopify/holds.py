"""Fulfillment holds: `fulfillmentOrderHold` and `fulfillmentOrderReleaseHold` (shopify.md §4.5).

A hold puts the fulfillment order ON_HOLD (so `fulfillmentCreate` on it fails); holding only
some line items splits the rest into a new FO returned as `remainingFulfillmentOrder`; the
`handle` is unique per app per FO and defaults to "". Releasing by `holdIds` releases only
those holds; without ids every hold is released.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shipflow_sandbox.shopify.ids import parse_gid
from shipflow_sandbox.shopify.payloads import (
    hold_event_json,
    hold_released_json,
    placed_on_hold_json,
)
from shipflow_sandbox.shopify.store import (
    FulfillmentHold,
    FulfillmentOrder,
    FulfillmentOrderLine,
    ShopifyStore,
    ShopOrder,
)

UserError = dict[str, Any]
HOLDABLE = ("OPEN", "IN_PROGRESS", "ON_HOLD")
DUPLICATE_HANDLE = (
    "The handle provided for the fulfillment hold is already in use by this app for another "
    "hold on this fulfillment order."
)


def user_error(field: list[str] | None, message: str, code: str | None = None) -> UserError:
    return {"field": field, "message": message, "code": code}


@dataclass
class HoldResult:
    hold: FulfillmentHold | None = None
    fulfillment_order: FulfillmentOrder | None = None
    remaining: FulfillmentOrder | None = None
    errors: list[UserError] = field(default_factory=list)


def _failed(field: list[str] | None, message: str, code: str | None = None) -> HoldResult:
    return HoldResult(errors=[user_error(field, message, code)])


class HoldOperations:
    store: ShopifyStore

    def _refresh(self, order: ShopOrder) -> None:
        raise NotImplementedError

    def _find_fo(self, fo_gid: str) -> FulfillmentOrder | None:
        return self.store.fulfillment_orders.get(parse_gid(fo_gid, "FulfillmentOrder") or -1)

    def hold(self, fo_gid: str, data: dict[str, Any]) -> HoldResult:
        store = self.store
        fo = self._find_fo(fo_gid)
        if fo is None:
            return _failed(["id"], "Fulfillment order not found.", "FULFILLMENT_ORDER_NOT_FOUND")
        if fo.status not in HOLDABLE:
            # Assumption: the error-code enum has no value for this case; the wording is ours.
            return _failed(["id"], "The fulfillment order cannot be placed on hold.")
        handle = data.get("handle") or ""
        if any(h.handle == handle for h in fo.holds):
            return _failed(
                ["fulfillmentHold", "handle"], DUPLICATE_HANDLE, "DUPLICATE_FULFILLMENT_HOLD_HANDLE"
            )
        held: list[tuple[FulfillmentOrderLine, int]] = []
        items_field = ["fulfillmentHold", "fulfillmentOrderLineItems"]
        for item in data.get("fulfillmentOrderLineItems") or []:
            wanted = parse_gid(item["id"], "FulfillmentOrderLineItem")
            line = next((ln for ln in fo.lines if ln.id == wanted), None)
            if item["quantity"] <= 0:
                return _failed(items_field, "Quantity must be greater than 0.", "GREATER_THAN_ZERO")
            if line is None or item["quantity"] > line.remaining_quantity:
                return _failed(
                    items_field, "The line item quantity is invalid.", "INVALID_LINE_ITEM_QUANTITY"
                )
            held.append((line, item["quantity"]))
        remaining = self._split(fo, held) if held else None
        hold = FulfillmentHold(
            store.ids.next("FulfillmentHold"),
            data["reason"],
            data.get("reasonNotes"),
            handle,
            data.get("externalId"),
        )
        fo.holds.append(hold)
        store.reset_fo_status(fo)
        self._refresh(store.orders[fo.order_id])
        held_lines = [(ln.id, q) for ln, q in held] or [
            (ln.id, ln.remaining_quantity) for ln in fo.lines
        ]
        store.emit(
            [
                (
                    "fulfillment_orders/placed_on_hold",
                    placed_on_hold_json(fo, hold, remaining, held_lines),
                ),
                ("fulfillment_holds/added", hold_event_json(fo, hold)),
            ]
        )
        return HoldResult(hold, fo, remaining)

    def _split(
        self, fo: FulfillmentOrder, held: list[tuple[FulfillmentOrderLine, int]]
    ) -> FulfillmentOrder | None:
        """Move the quantities that are not held to a new fulfillment order."""
        held_qty = {line.id: qty for line, qty in held}
        moved: list[FulfillmentOrderLine] = []
        for line in list(fo.lines):
            rest = line.remaining_quantity - held_qty.get(line.id, 0)
            if rest <= 0:
                continue
            new_id = self.store.ids.next("FulfillmentOrderLineItem")
            moved.append(FulfillmentOrderLine(new_id, line.line_item_id, rest, rest))
            line.total_quantity -= rest
            line.remaining_quantity -= rest
            if line.total_quantity == 0:
                fo.lines.remove(line)
        if not moved:
            return None
        new = self.store.new_fulfillment_order(fo.order_id, moved)
        self.store.orders[fo.order_id].fulfillment_order_ids.append(new.id)
        return new

    def release(
        self, fo_gid: str, hold_ids: list[str] | None
    ) -> tuple[FulfillmentOrder | None, list[UserError]]:
        fo = self._find_fo(fo_gid)
        if fo is None:
            error = user_error(
                ["id"], "Fulfillment order not found.", "FULFILLMENT_ORDER_NOT_FOUND"
            )
            return None, [error]
        if fo.status != "ON_HOLD":
            return None, [user_error(["id"], "The fulfillment order is not on hold.")]
        wanted = {parse_gid(h, "FulfillmentHold") for h in hold_ids} if hold_ids else None
        if wanted is not None and not wanted <= {h.id for h in fo.holds}:
            return None, [user_error(["holdIds"], "One or more hold IDs are invalid.")]
        released = [h for h in fo.holds if wanted is None or h.id in wanted]
        fo.holds = [h for h in fo.holds if h not in released]
        self.store.reset_fo_status(fo)
        self._refresh(self.store.orders[fo.order_id])
        topics = [("fulfillment_holds/released", hold_event_json(fo, h)) for h in released]
        if not fo.holds:
            topics.insert(0, ("fulfillment_orders/hold_released", hold_released_json(fo)))
        self.store.emit(topics)
        return fo, []
