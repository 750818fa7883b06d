"""Small, explicit domain objects for tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from shipflow.domain.delays import DelayNotice
from shipflow.domain.messages import (
    back_in_stock,
    backorder_delayed,
    delivery_exception,
    order_delivered,
    order_shipped,
    out_for_delivery,
    reorder_reminder_due,
    review_request_due,
    shipment_delayed,
    shipment_lines,
)
from shipflow.domain.milestone import MilestoneEvent
from shipflow.domain.order import Address, Customer, LineItem, Order
from shipflow.domain.shipment import Shipment, ShipmentItem
from shipflow.domain.tracking import tracking_info
from shipflow.domain.tracking_events import ExceptionType, TrackingScan, TrackingStatus


def an_order(**overrides: object) -> Order:
    values: dict[str, object] = dict(
        shopify_order_id=820982911946154508,
        shop_domain="demo.myshopify.com",
        name="#1001",
        created_at=datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc),
        updated_at=datetime(2026, 11, 1, 12, 5, tzinfo=timezone.utc),
        financial_status="paid",
        currency="USD",
        total_price=Decimal("129.98"),
        customer=Customer(42, "ada@example.org", "+15555550100", "Ada", "Lovelace"),
        email="ada@example.org",
        shipping_address=Address("Ada Lovelace", "1 Main St", "Austin", "US", "78701", "TX"),
        shipping_method="Standard",
        line_items=(
            LineItem(1, "MUG-01", "Mug", 2, Decimal("19.99"), 350, "Blue", 7, 70),
            LineItem(2, "TEE-02", "T-shirt", 1, Decimal("90.00"), 200),
            LineItem(3, None, "Gift card", 1, Decimal("10.00"), requires_shipping=False),
        ),
    )
    values.update(overrides)
    return Order(**values)  # type: ignore[arg-type]


def a_shipment(**overrides: object) -> Shipment:
    values: dict[str, object] = dict(
        shipment_id="33974374",
        order_key="820982911946154508",
        order_number="1001",
        tracking_number="1Z999AA10123456784",
        carrier_code="ups",
        service_code="ups_ground",
        ship_date=date(2026, 11, 2),
        items=(ShipmentItem("MUG-01", "Mug - Blue", 2), ShipmentItem("TEE-02", "T-shirt", 1)),
    )
    values.update(overrides)
    return Shipment(**values)  # type: ignore[arg-type]


# -- one milestone event of each kind ----------------------------------------------------------
# (used by tests/unit/domain/test_messages.py, tests/unit/providers/test_klaviyo_properties.py and
# tests/contract/test_klaviyo_milestones.py, which sends them through the real wire builder)
UTC = timezone.utc
AT = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
ETA = datetime(2026, 11, 5, tzinfo=UTC)
OUT_SCAN = TrackingScan(datetime(2026, 11, 5, 8, 2, tzinfo=UTC), TrackingStatus.IN_TRANSIT,
                        "Out For Delivery Today", carrier_detail_code="OT", city="AUSTIN",
                        state="TX", country_code="US")
DELIVERED_SCAN = TrackingScan(datetime(2026, 11, 5, 16, 18, 41, tzinfo=UTC),
                              TrackingStatus.DELIVERED, "Delivered, Front Door/Porch",
                              "DELIVERED", city="AUSTIN", state="TX", country_code="US",
                              signer="LOVELACE")
EXCEPTION_SCAN = TrackingScan(datetime(2026, 11, 4, 19, 30, tzinfo=UTC), TrackingStatus.EXCEPTION,
                              "The address is incomplete", "ADDRESS_QUERY", city="AUSTIN",
                              state="TX", country_code="US")
LATE = DelayNotice("estimate_passed", "2026-11-05", date(2026, 11, 5), None, 2)
NO_SCAN = DelayNotice("no_scan", "2026-11-02T15:00:00+00:00", date(2026, 11, 9), None, 0)


def every_milestone(order: Order, shipment: Shipment) -> dict[str, MilestoneEvent]:
    """One event of each kind, for `order` and `shipment`, at realistic times."""
    tracking = tracking_info(shipment.carrier_code, shipment.tracking_number)
    lines = [li for li, _ in shipment_lines(order, shipment) if li.sku] or [
        li for li in order.shippable_items if li.sku]
    line = lines[0]
    assert line.sku is not None
    late_at = datetime(2026, 11, 7, 0, 0, tzinfo=UTC)
    return {
        "shipped": order_shipped(order, shipment, tracking, AT, estimated_delivery=ETA),
        "delayed": shipment_delayed(order, shipment, tracking, LATE, late_at),
        "no-scan": shipment_delayed(order, shipment, tracking, NO_SCAN, late_at),
        "out-for-delivery": out_for_delivery(order, shipment, tracking, OUT_SCAN, ETA,
                                             OUT_SCAN.occurred_at),
        "delivered": order_delivered(order, shipment, tracking, DELIVERED_SCAN),
        "exception": delivery_exception(order, shipment, tracking, ExceptionType.ADDRESS_ISSUE,
                                        EXCEPTION_SCAN),
        "review": review_request_due(order, shipment, DELIVERED_SCAN.occurred_at, 21,
                                     DELIVERED_SCAN.occurred_at + timedelta(days=21)),
        "reorder": reorder_reminder_due(order, line, order.created_at, date(2026, 12, 5),
                                        datetime(2026, 12, 5, 16, 18, 41, tzinfo=UTC)),
        "backorder": backorder_delayed(order, [(li, 1) for li in lines], date(2026, 11, 20),
                                       order.created_at + timedelta(minutes=1)),
        "back-in-stock": back_in_stock(order, [line.sku], datetime(2026, 11, 19, 9, tzinfo=UTC)),
    }


def a_milestone_event(**overrides: object) -> MilestoneEvent:
    """The `Order Shipped` event of the factories' order and parcel, with `overrides` replacing
    fields (identity, `unique_id`, `time`, `order`...): for tests of what carries events."""
    event = order_shipped(an_order(), a_shipment(), tracking_info("ups", "1Z999AA10123456784"), AT)
    return replace(event, **overrides)  # type: ignore[arg-type]
