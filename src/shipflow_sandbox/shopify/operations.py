"""The writes the GraphQL mutations perform on the shop, with Shopify's business rules.

Business failures are returned as `userErrors` (`{field, message, code}`), never raised
(shopify.md §4.2). Each successful write emits the webhook topics Shopify sends for it
(shopify.md §8.3); the echo topics (`orders/updated`, `orders/fulfilled`, ...) only when
`echo` is on. Error wordings Shopify does not document are marked as assumptions.

A fulfillment of part of a fulfillment order leaves the rest on that same FO, now IN_PROGRESS
("The fulfillment order is being processed") with smaller `remainingQuantity`s; the FO closes
when nothing remains. Shopify documents no automatic split on a partial fulfillment (splits
are explicit: `fulfillmentOrderSplit`, or a hold on some lines), so none happens here.
"""

from __future__ import annotations

from typing import Any

from shipflow_sandbox.shopify.holds import HoldOperations, UserError, user_error
from shipflow_sandbox.shopify.ids import parse_gid
from shipflow_sandbox.shopify.payloads import carrier_tracking_url, fulfillment_json
from shipflow_sandbox.shopify.store import (
    Fulfillment,
    FulfillmentOrder,
    FulfillmentOrderLine,
    ShopifyStore,
    ShopOrder,
    TrackingInfo,
)

FULFILLABLE = ("OPEN", "IN_PROGRESS")
Plan = list[tuple[FulfillmentOrder, FulfillmentOrderLine, int]]


def tracking_from_input(data: dict[str, Any] | None) -> list[TrackingInfo]:
    """`FulfillmentTrackingInput` -> the list `Fulfillment.trackingInfo` returns."""
    if not data:
        return []
    company = data.get("company")
    numbers = list(data.get("numbers") or []) or ([data["number"]] if data.get("number") else [])
    urls = list(data.get("urls") or []) or ([data["url"]] if data.get("url") else [])
    if not numbers:
        return [TrackingInfo(company, None, urls[0] if urls else None)] if company or urls else []
    return [
        TrackingInfo(company, n, urls[i] if i < len(urls) else carrier_tracking_url(company, n))
        for i, n in enumerate(numbers)
    ]


class ShopifyOperations(HoldOperations):
    def __init__(self, store: ShopifyStore, echo: bool = False) -> None:
        self.store = store
        self.echo = echo

    def _plan(self, groups: list[dict[str, Any]]) -> tuple[Plan, UserError | None]:
        """Resolve `lineItemsByFulfillmentOrder` into (FO, line, quantity) triples."""
        plan: Plan = []
        order_ids = set()
        for group in groups:
            fo_id = parse_gid(group["fulfillmentOrderId"], "FulfillmentOrder")
            fo = self.store.fulfillment_orders.get(fo_id or -1)
            if fo is None:
                # Assumption: the wording for an unknown FO id is not documented.
                return [], user_error(["fulfillment"], "Fulfillment order does not exist.")
            order_ids.add(fo.order_id)
            if fo.status not in FULFILLABLE:
                # Assumption: wording as seen in merchant reports.
                message = (
                    f"Fulfillment order {fo.id} has an unfulfillable status= {fo.status.lower()}."
                )
                return [], user_error(["fulfillment"], message)
            requested = group.get("fulfillmentOrderLineItems")
            if not requested:
                # "If the fulfillment order line items are left blank then all ... are fulfilled"
                plan += [
                    (fo, ln, ln.remaining_quantity) for ln in fo.lines if ln.remaining_quantity
                ]
                continue
            for item in requested:
                wanted = parse_gid(item["id"], "FulfillmentOrderLineItem")
                line = next((ln for ln in fo.lines if ln.id == wanted), None)
                if line is None:
                    message = "Invalid fulfillment order line item id."
                    return [], user_error(["fulfillment"], message)
                if not 0 < item["quantity"] <= line.remaining_quantity:
                    message = "Invalid fulfillment order line item quantity requested."
                    return [], user_error(["fulfillment"], message)
                plan.append((fo, line, item["quantity"]))
        if len(order_ids) > 1:
            message = "All fulfillment orders must belong to the same order."
            return [], user_error(["fulfillment"], message)
        if not plan:
            message = "Fulfillment order has no remaining line items to fulfill."
            return [], user_error(["fulfillment"], message)
        return plan, None

    def fulfillment_create(
        self, data: dict[str, Any]
    ) -> tuple[Fulfillment | None, list[UserError]]:
        store = self.store
        groups = data.get("lineItemsByFulfillmentOrder") or []
        if not groups:
            message = "Line items by fulfillment order can't be blank."
            return None, [user_error(["fulfillment"], message)]
        plan, error = self._plan(groups)
        if error:
            return None, [error]
        order = store.orders[plan[0][0].order_id]
        quantities: dict[int, int] = {}
        for _, line, qty in plan:
            line.remaining_quantity -= qty
            quantities[line.line_item_id] = quantities.get(line.line_item_id, 0) + qty
        for touched in {fo.id: fo for fo, _, _ in plan}.values():
            store.reset_fo_status(touched)
        stamp = store.timestamp()
        name = f"{order.rest.get('name') or '#' + str(order.id)}.{len(order.fulfillment_ids) + 1}"
        fulfillment = Fulfillment(
            store.ids.next("Fulfillment"),
            order.id,
            name,
            stamp,
            stamp,
            tracking_from_input(data.get("trackingInfo")),
            quantities,
        )
        store.fulfillments[fulfillment.id] = fulfillment
        for line_item_id in quantities:
            store.fulfillment_line_item_id(fulfillment, line_item_id)  # numbered in creation order
        order.fulfillment_ids.append(fulfillment.id)
        store.on_fulfilled(order, quantities)
        self._refresh(order)
        topics = [("fulfillments/create", fulfillment_json(order, fulfillment))]
        if self.echo:
            done = order.rest["fulfillment_status"] == "fulfilled"
            topics.append(("orders/updated", order.rest))
            topics.append(
                ("orders/fulfilled" if done else "orders/partially_fulfilled", order.rest)
            )
        store.emit(topics)
        return fulfillment, []

    def tracking_update(
        self, fulfillment_gid: str, tracking: dict[str, Any]
    ) -> tuple[Fulfillment | None, list[UserError]]:
        fulfillment = self.store.fulfillments.get(parse_gid(fulfillment_gid, "Fulfillment") or -1)
        if fulfillment is None:
            return None, [user_error(["fulfillmentId"], "Fulfillment does not exist.")]
        fulfillment.tracking = tracking_from_input(tracking)
        fulfillment.updated_at = self.store.timestamp()
        order = self.store.orders[fulfillment.order_id]
        self._refresh(order)
        topics = [("fulfillments/update", fulfillment_json(order, fulfillment))]
        if self.echo:
            topics.append(("orders/updated", order.rest))
        self.store.emit(topics)
        return fulfillment, []

    def tags_add(self, node_gid: str, tags: list[str]) -> tuple[ShopOrder | None, list[UserError]]:
        """Append tags (idempotent, case-insensitive); REST keeps them sorted, ", "-joined."""
        order = self.store.orders.get(parse_gid(node_gid, "Order") or -1)
        if order is None:
            # Assumption: only orders are taggable in the sandbox; wording is ours.
            return None, [user_error(["id"], "Resource not found.")]
        merged = {t.lower(): t for t in order.tags}
        for tag in (t.strip() for t in tags):
            if tag:
                merged.setdefault(tag.lower(), tag)
        order.rest["tags"] = ", ".join(sorted(merged.values(), key=str.lower))
        order.rest["updated_at"] = self.store.timestamp()
        if self.echo:
            self.store.emit([("orders/updated", order.rest)])
        return order, []

    def _refresh(self, order: ShopOrder) -> None:
        self.store.refresh_rest(order)
        order.rest["fulfillments"] = [
            fulfillment_json(order, f) for f in self.store.order_fulfillments(order)
        ]
