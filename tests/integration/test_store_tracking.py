"""Tracking updates applied by the store, on SQLite and PostgreSQL: forward only, news once,
even when several workers apply the same parcel's webhooks at the same moment."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

from shipflow.domain.parcel import MilestoneReached
from shipflow.domain.tracking import tracking_info
from shipflow.domain.tracking_events import (
    TrackingMilestone,
    TrackingScan,
    TrackingStatus,
    TrackingUpdate,
    normalize_scans,
)
from shipflow.store import Store
from shipflow.store.inbox import Delivery
from shipflow.store.queries import order_view
from tests.unit.domain.factories import a_shipment, an_order

T0 = datetime(2026, 11, 2, 8, tzinfo=timezone.utc)


def shipped_order(store: Store) -> str:
    order = an_order()
    store.inbox.accept(Delivery("shopify", "d-1", "orders/paid", order.shop_domain, {}, b"{}", 2),
                       order)
    pk = store.orders.pks_by_shopify_id([order.shopify_order_id])[order.shopify_order_id]
    shipment = a_shipment()
    store.shipments.record_labels([(pk, shipment, tracking_info(shipment.carrier_code,
                                                                shipment.tracking_number))])
    return shipment.tracking_number


def update(number: str, *steps: tuple[float, str, str | None]) -> TrackingUpdate:
    scans = normalize_scans([TrackingScan(T0 + timedelta(hours=h), TrackingStatus(code),
                                          status_detail_code=detail, city="Austin")
                             for h, code, detail in steps])
    return TrackingUpdate(number, "ups", scans[-1].status_code, scans)


PATH = [(0, "AC", "PICKED_UP"), (5, "IT", "IN_TRANSIT"), (30, "IT", "OUT_FOR_DELIVERY"),
        (33, "DE", "DELIVERED")]


def test_updates_move_forward_and_report_each_milestone_once(store: Store) -> None:
    number = shipped_order(store)
    first = store.shipments.apply_tracking(update(number, *PATH[:2]))
    assert first is not None
    assert [e.milestone for e in first.events if isinstance(e, MilestoneReached)] == [
        TrackingMilestone.ACCEPTED, TrackingMilestone.IN_TRANSIT]
    repeat = store.shipments.apply_tracking(update(number, *PATH[:2]))
    assert repeat is not None and repeat.events == ()
    done = store.shipments.apply_tracking(update(number, *PATH))
    assert done is not None and done.progress.milestone is TrackingMilestone.DELIVERED
    late = store.shipments.apply_tracking(update(number, *PATH[:3]))
    assert late is not None and late.events == ()
    assert late.progress.delivered_at == T0 + timedelta(hours=33)
    view = order_view(store.db, an_order().shopify_order_id)
    assert view is not None
    kinds = [e.kind for e in view.timeline]
    assert kinds.count("tracking:delivered") == 1 and kinds.count("tracking:accepted") == 1


def test_unknown_tracking_number_is_none(store: Store) -> None:
    assert store.shipments.apply_tracking(update("NOPE", *PATH)) is None


def test_concurrent_webhooks_for_one_parcel_report_delivered_once(store: Store) -> None:
    number = shipped_order(store)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: store.shipments.apply_tracking(update(number, *PATH)), range(16)))
    delivered = [e for r in results if r for e in r.events
                 if isinstance(e, MilestoneReached) and e.milestone is TrackingMilestone.DELIVERED]
    assert len(delivered) == 1
