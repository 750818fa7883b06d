"""Track: carrier scans to milestones, and delays the sweeper found.

`track_parcel` (one per distinct carrier update): move the shipment forward (never back),
record what was new on the order's timeline, and tell the customer (`Shipment Out For
Delivery`, `Order Delivered`, `Delivery Exception`); a delivery plans the review and reorder
timers. `tell_delay` (started by the sweeper): `Shipment Delayed`, once per delay.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Sequence

from shipflow.domain import keys, messages
from shipflow.domain.delays import DelayNotice
from shipflow.domain.lifecycle import Delivered
from shipflow.domain.milestone import MilestoneEvent
from shipflow.domain.order import Order
from shipflow.domain.parcel import ExceptionRaised, MilestoneReached, ParcelEvent, still_news
from shipflow.domain.shipment import Shipment, TrackingInfo
from shipflow.domain.timers import plan_after_delivery
from shipflow.domain.tracking import tracking_info
from shipflow.domain.tracking_events import ExceptionType, TrackingMilestone, TrackingUpdate
from shipflow.engine import durable
from shipflow.engine.flows.tell import tell
from shipflow.engine.retries import with_durable_retries
from shipflow.engine.runtime import current
from shipflow.store.shipments import StoredShipment, TrackingApplied

log = logging.getLogger("shipflow.engine")


@durable.step("apply_tracking")
def apply_tracking(update: TrackingUpdate) -> TrackingApplied | None:
    return current().store.shipments.apply_tracking(update)


@durable.step("park_tracking")
def park_tracking(update: TrackingUpdate) -> None:
    current().store.shipments.park(keys.tracking_workflow_id(update), update)


@durable.workflow("track_parcel")
def track_parcel(update: TrackingUpdate) -> str:
    return follow(update)


def follow(update: TrackingUpdate) -> str:
    """Inside a workflow: apply a carrier update and tell the customer what is news. An update
    for a label not recorded yet (its SHIP_NOTIFY is late) is kept, and followed when the label
    lands (`ship.ship_labels`)."""
    applied = apply_tracking(update)
    if applied is None:
        park_tracking(update)
        log.info("tracking update before its label; kept until the label is recorded")
        return "parked"
    tell_milestones(still_news(list(applied.events), applied.progress), applied.shipment_id)
    milestone = applied.progress.milestone
    return milestone.value if milestone is not None else "no_milestone"


def _parcel(shipment_id: str) -> tuple[StoredShipment, Order, TrackingInfo] | None:
    """A stored shipment with its order and tracking, for the messages about it."""
    rt = current()
    stored = rt.store.shipments.get(shipment_id)
    if stored is None:
        return None
    order = rt.store.orders.load([stored.order_pk])[0].order
    shipment = stored.shipment
    return stored, order, tracking_info(shipment.carrier_code, shipment.tracking_number)


@durable.step("milestone_events")
def milestone_events(shipment_id: str, reached: Sequence[ParcelEvent]
                     ) -> list[tuple[int, MilestoneEvent]]:
    rt = current()
    found = _parcel(shipment_id)
    if found is None:
        return []
    stored, order, tracking = found
    shipment = stored.shipment
    out: list[tuple[int, MilestoneEvent]] = []
    for event in reached:
        if isinstance(event, MilestoneReached):
            if event.milestone is TrackingMilestone.OUT_FOR_DELIVERY:
                out.append((stored.order_pk, messages.out_for_delivery(
                    order, shipment, tracking, event.scan, stored.progress.estimated_delivery,
                    event.scan.occurred_at)))
            elif event.milestone is TrackingMilestone.DELIVERED:
                out.append((stored.order_pk, messages.order_delivered(
                    order, shipment, tracking, event.scan)))
                _plan_timers(stored.order_pk, order, shipment, event.scan.occurred_at)
        elif isinstance(event, ExceptionRaised) and event.exception is not ExceptionType.DELAYED:
            out.append((stored.order_pk, messages.delivery_exception(
                order, shipment, tracking, event.exception, event.scan)))
            if event.exception is ExceptionType.RETURNED_TO_SENDER:
                rt.store.timers.cancel_for(stored.order_pk, "returned to sender")
    return out


def _plan_timers(order_pk: int, order: Order, shipment: Shipment, delivered_at: datetime) -> None:
    rt = current()
    product_ids = sorted({li.product_id for li in order.shippable_items if li.product_id})
    categories: dict[int, tuple[str, ...]] = {}
    if product_ids and rt.rules.policies.timers.review_days_by_category:
        categories = rt.shopify.product_categories(product_ids)
    planned = plan_after_delivery(order, shipment, delivered_at, categories,
                                  rt.rules.policies.timers)
    rt.store.timers.add(order_pk, planned)
    if rt.store.shipments.all_delivered(order_pk):
        rt.store.orders.apply([(order_pk, Delivered())])


def tell_milestones(applied_events: list[ParcelEvent], shipment_id: str) -> int:
    worth = [e for e in applied_events if isinstance(e, (MilestoneReached, ExceptionRaised))]
    if not worth:
        return 0
    items = with_durable_retries(milestone_events, shipment_id, worth)
    return tell(items)


# -- delays found by the sweeper ---------------------------------------------------------------
@durable.step("delay_event")
def delay_event(shipment_id: str, notice: DelayNotice) -> list[tuple[int, MilestoneEvent]]:
    rt = current()
    found = _parcel(shipment_id)
    if found is None:
        return []
    stored, order, tracking = found
    event = messages.shipment_delayed(order, stored.shipment, tracking, notice, rt.clock())
    return [(stored.order_pk, event)]


@durable.workflow("tell_delay")
def tell_delay(shipment_id: str, notice: DelayNotice) -> int:
    return tell(delay_event(shipment_id, notice))
