"""Shopify as the engine's `OrderSource` port: the lifecycle's reads and writes in Shopify's
words (fulfillment orders, holds with Shopify's hold reasons, tags), over `ShopifyClient`."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Sequence

from shipflow.domain.fulfilment import PartLine
from shipflow.domain.order import Order
from shipflow.domain.reconcile import PaidOrderSeen
from shipflow.domain.routing import Hold, HoldReason
from shipflow.domain.shipment import TrackingInfo
from shipflow.providers.errors import RejectedRequest, TransientError
from shipflow.providers.ports import Stock
from shipflow.providers.shopify.client import ShopifyClient
from shipflow.providers.shopify.models import HoldReason as ShopifyHoldReason
from shipflow.providers.shopify.models import LineItemQuantity

# shipflow's hold reasons in Shopify's `FulfillmentHoldReason` (shopify.md §4.5).
SHOPIFY_HOLD_REASONS = {
    HoldReason.ADDRESS_REVIEW: ShopifyHoldReason.INCORRECT_ADDRESS,
    HoldReason.BACKORDER: ShopifyHoldReason.INVENTORY_OUT_OF_STOCK,
    HoldReason.REVIEW: ShopifyHoldReason.OTHER,
}
log = logging.getLogger("shipflow.providers.shopify")
HOLD_HANDLE = "shipflow"  # our holds' handle: released by id, never other apps' holds
# `store_import`: the sends of one label's adoption that wait for the store connection's own
# fulfillment before shipflow creates it (its marketplace notifications may be off).
ADOPT_WAIT_ATTEMPTS = 3


class ShopifyOrderSource:
    def __init__(self, client: ShopifyClient, shop_domain: str = "") -> None:
        self.client = client
        self.shop_domain = shop_domain  # what orders read back are filed under (as a webhook's)

    def close(self) -> None:
        self.client.close()

    # -- reads ---------------------------------------------------------------------------------
    def stock(self, skus: Sequence[str]) -> dict[str, Stock]:
        """One `productVariants` search per chunk of SKUs (`ShopifyClient.variant_stocks`),
        `available` summed over locations; SKUs Shopify does not know (a bundle, a service:
        nothing to wait for) are absent. Keys are the SKUs as given."""
        found = self.client.variant_stocks(skus)
        out: dict[str, Stock] = {}
        for sku in skus:
            variant = found.get(sku.strip()) if sku else None
            if variant is not None:
                out[sku] = Stock(variant.tracked, variant.available)
        return out

    def sku_of_inventory_item(self, inventory_item_id: int) -> str | None:
        _, sku = self.client.inventory_item_skus([inventory_item_id]).get(inventory_item_id,
                                                                           (0, None))
        return sku

    def product_categories(self, product_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
        return self.client.product_categories(list(product_ids))

    def paid_orders(self, since: datetime) -> list[PaidOrderSeen]:
        """Orders too large to read whole are logged and left for the next webhook."""
        found, unread = self.client.paid_orders_since(since, self.shop_domain)
        for skipped in unread:
            log.warning("paid order %s not read whole (%s); not reconciled",
                        skipped.shopify_order_id, skipped.reason)
        return [PaidOrderSeen(
            p.order, tuple(number for f in p.fulfillments if f.active
                           for t in f.tracking if (number := t.number)),
            tuple((f.id, tuple(t.number for t in f.tracking if t.number))
                  for f in p.fulfillments if f.active))
            for p in found]

    # -- writes (through the outbox only) ------------------------------------------------------
    def fulfil(self, order: Order, tracking: TrackingInfo, lines: tuple[PartLine, ...] | None,
               *, retried: bool) -> str:
        if retried:  # a crash may have left a fulfillment behind: never create a second
            found = self._fulfilled_with(order, tracking)
            if found is not None:
                return found
        try:
            return self._create(order, tracking, lines)
        except RejectedRequest:
            # Nothing left to fulfil may mean an attempt still in flight when this one looked
            # (its answer late or lost) fulfilled this parcel meanwhile: then that is ours.
            found = self._fulfilled_with(order, tracking)
            if found is not None:
                return found
            raise

    def _fulfilled_with(self, order: Order, tracking: TrackingInfo) -> str | None:
        for existing in self.client.order_fulfillments(order.gid):
            if tracking.number in existing.tracking_numbers:
                return existing.id
        return None

    def _create(self, order: Order, tracking: TrackingInfo,
                lines: tuple[PartLine, ...] | None) -> str:
        if lines is None:
            open_orders = self.client.fulfillable_order_ids(order.gid)
            if not open_orders:
                raise RejectedRequest(f"{order.gid} has no open fulfillment order to fulfil")
            return self.client.create_fulfillment(open_orders, tracking,
                                                  notify_customer=False).id
        wanted = {line.line_item_id: line.quantity for line in lines}
        by_fo: dict[str, list[LineItemQuantity]] = {}
        for fo in self.client.fulfillment_orders(order.gid):
            if not fo.can_fulfill:
                continue
            for item in fo.line_items:
                qty = min(item.remaining_quantity, wanted.get(item.shopify_line_item_id or -1, 0))
                if qty > 0:
                    by_fo.setdefault(fo.id, []).append(LineItemQuantity(item.id, qty))
                    wanted[item.shopify_line_item_id or -1] -= qty
        if not by_fo:
            raise RejectedRequest(f"{order.gid} has no open fulfillment order line for this parcel")
        return self.client.create_fulfillment(list(by_fo), tracking, line_items=by_fo,
                                              notify_customer=False).id

    def update_tracking(self, fulfillment_id: str, tracking: TrackingInfo) -> None:
        self.client.update_tracking(fulfillment_id, tracking, notify_customer=False)

    def adopt_fulfilment(self, order: Order, tracking: TrackingInfo,
                         lines: tuple[PartLine, ...] | None, *, attempt: int) -> tuple[str, str]:
        active = [f for f in self.client.order_fulfillments(order.gid) if f.active]
        for f in active:
            if tracking.number in f.tracking_numbers:
                return f.id, "found"
        # Missing: a fulfillment without tracking. Wrong: the only fulfillment of a whole
        # order names another parcel (a voided label ShipStation notified before the relabel).
        bare = [f for f in active if not f.tracking_numbers]
        wrong = active if lines is None and len(active) == 1 else []
        if bare or wrong:
            target = (bare or wrong)[0]
            self.client.update_tracking(target.id, tracking, notify_customer=False)
            return target.id, "tracking corrected"
        if attempt < ADOPT_WAIT_ATTEMPTS:
            raise TransientError(f"{order.gid}: no fulfillment from the store connection yet",
                                 provider="shopify")
        return self.fulfil(order, tracking, lines, retried=True), "created"

    def hold(self, order: Order, hold: Hold) -> list[str]:
        held = []
        for fo in self.client.fulfillment_orders(order.gid):
            if any(h.handle == HOLD_HANDLE for h in fo.holds):
                held.append(fo.id)  # a retried call: already held by us
            elif fo.status in ("OPEN", "SCHEDULED"):
                self.client.hold_fulfillment_order(fo.id, SHOPIFY_HOLD_REASONS[hold.reason],
                                                   reason_notes=hold.note, handle=HOLD_HANDLE)
                held.append(fo.id)
        return held

    def release(self, order: Order) -> list[str]:
        released = []
        for fo in self.client.fulfillment_orders(order.gid):
            ours = [h.id for h in fo.holds if h.handle == HOLD_HANDLE]
            if ours:
                self.client.release_hold(fo.id, ours)
                released.append(fo.id)
        return released

    def add_tags(self, order: Order, tags: Sequence[str]) -> None:
        self.client.add_tags(order.gid, list(tags))
