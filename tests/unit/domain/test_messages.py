from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from shipflow.domain import keys
from shipflow.domain.delays import DelayNotice
from shipflow.domain.messages import (
    back_in_stock,
    backorder_delayed,
    delivery_exception,
    order_shipped,
    reorder_reminder_due,
    review_request_due,
    shipment_delayed,
    shipment_lines,
)
from shipflow.domain.milestone import (
    BackInStockFacts,
    BackorderFacts,
    DelayedFacts,
    DeliveredFacts,
    ExceptionFacts,
    Milestone,
    OrderSummary,
    OutForDeliveryFacts,
    ProductLine,
    ReorderDueFacts,
    ReviewDueFacts,
    ShipmentSummary,
    ShippedFacts,
    ShippingRegion,
)
from shipflow.domain.order import Address, LineItem
from shipflow.domain.shipment import ShipmentItem, TrackingInfo
from shipflow.domain.tracking import carrier_name, tracking_info, tracking_url
from shipflow.domain.tracking_events import ExceptionType, TrackingScan, TrackingStatus
from tests.unit.domain.factories import (
    AT,
    DELIVERED_SCAN,
    EXCEPTION_SCAN,
    LATE,
    NO_SCAN,
    OUT_SCAN,
    UTC,
    a_shipment,
    an_order,
    every_milestone,
)

MUG = ProductLine("Mug - Blue", "MUG-01", 7, 70, 2)
TEE = ProductLine("T-shirt", "TEE-02", None, None, 1)
UPS = TrackingInfo("1Z999AA10123456784", "ups", "UPS",
                   "https://www.ups.com/track?tracknum=1Z999AA10123456784")
PARCEL = ShipmentSummary(
    shipment_id="33974374", tracking=UPS, service_code="ups_ground", shipping_method="Standard",
    ship_date=date(2026, 11, 2), estimated_delivery=None, items=(MUG, TEE), partial=False,
    destination=ShippingRegion("Austin", "TX", "US", "78701"))
ORDER = OrderSummary(820982911946154508, "#1001")


def test_tracking_links_are_the_carriers_real_pages() -> None:
    assert tracking_url("ups", "1Z999AA10123456784") == (
        "https://www.ups.com/track?tracknum=1Z999AA10123456784")
    assert tracking_url("stamps_com", "9400111899561704681189").startswith(
        "https://tools.usps.com/")
    assert carrier_name("fedex_walleted") == "FedEx"
    assert carrier_name("some_new_carrier") == "Some New Carrier"
    assert tracking_url("x", "a b&c").endswith("a%20b%26c")


def test_order_shipped_carries_real_tracking() -> None:
    order, shipment = an_order(), a_shipment()
    event = order_shipped(order, shipment, tracking_info("ups", shipment.tracking_number), AT)
    assert event.milestone is Milestone.ORDER_SHIPPED
    assert event.order == ORDER
    assert event.facts == ShippedFacts(PARCEL)
    assert PARCEL.units == 3
    assert event.email == "ada@example.org" and event.time == AT


def test_unique_id_is_deterministic_per_shipment() -> None:
    order = an_order()
    first = order_shipped(order, a_shipment(), tracking_info("ups", "1Z1"), AT)
    again = order_shipped(order, a_shipment(), tracking_info("ups", "1Z1"), datetime.now(timezone.utc))
    other = order_shipped(order, a_shipment(shipment_id="2"), tracking_info("ups", "1Z2"), AT)
    assert first.unique_id == again.unique_id
    assert first.unique_id != other.unique_id
    assert len(first.unique_id) <= 255


def test_workflow_ids_come_from_provider_ids() -> None:
    assert keys.shipstation_order_key(820982911946154508) == "820982911946154508"


# -- every milestone ---------------------------------------------------------------------------
EVENTS = every_milestone(an_order(), a_shipment())


@pytest.mark.parametrize("name", EVENTS)
def test_every_milestone_is_for_the_customer_and_the_order(name: str) -> None:
    event = EVENTS[name]
    assert event.order == ORDER
    assert 0 < len(event.unique_id) <= 255
    assert event.unique_id.startswith(event.milestone.value.lower().replace(" ", "-") + ":")
    assert event.email == "ada@example.org" and event.external_id == "42"
    assert (event.phone, event.first_name, event.last_name) == ("+15555550100", "Ada", "Lovelace")
    assert event.time.tzinfo is not None


def test_unique_ids_are_distinct_across_milestones_and_occurrences() -> None:
    ids = [e.unique_id for e in EVENTS.values()]
    assert len(set(ids)) == len(ids)
    assert {e.milestone for e in EVENTS.values()} == set(Milestone)


def test_unique_ids_do_not_depend_on_when_they_are_built() -> None:
    again = every_milestone(an_order(updated_at=datetime.now(UTC)), a_shipment())
    assert {k: e.unique_id for k, e in again.items()} == {
        k: e.unique_id for k, e in EVENTS.items()}


def test_every_shipment_milestone_describes_the_parcel() -> None:
    for name in ("shipped", "delayed", "out-for-delivery", "delivered", "exception", "review"):
        facts = EVENTS[name].facts
        assert isinstance(facts, (ShippedFacts, DelayedFacts, OutForDeliveryFacts,
                                  DeliveredFacts, ExceptionFacts, ReviewDueFacts)), name
        assert replace(facts.shipment, estimated_delivery=None) == PARCEL, name
    assert EVENTS["shipped"].facts == ShippedFacts(
        replace(PARCEL, estimated_delivery=date(2026, 11, 5)))
    delivered = EVENTS["delivered"].facts
    assert isinstance(delivered, DeliveredFacts)
    assert delivered.shipment.estimated_delivery is None


def test_order_shipped_signature_still_works_and_estimate_is_optional() -> None:
    event = order_shipped(an_order(), a_shipment(), tracking_info("ups", "1Z1"), AT)
    assert isinstance(event.facts, ShippedFacts)
    assert event.facts.shipment.estimated_delivery is None
    assert event.unique_id == "order-shipped:demo.myshopify.com:820982911946154508:33974374"


def test_an_estimate_given_as_an_instant_is_its_utc_date() -> None:
    late_evening = datetime(2026, 11, 5, 23, 0, tzinfo=timezone(timedelta(hours=-5)))
    event = order_shipped(an_order(), a_shipment(), tracking_info("ups", "1Z1"), AT,
                          estimated_delivery=late_evening)
    assert isinstance(event.facts, ShippedFacts)
    assert event.facts.shipment.estimated_delivery == date(2026, 11, 6)


def test_partial_shipment() -> None:
    shipment = a_shipment(items=(ShipmentItem("MUG-01", "Mug - Blue", 1),))
    facts = order_shipped(an_order(), shipment, tracking_info("ups", "1Z1"), AT).facts
    assert isinstance(facts, ShippedFacts)
    assert facts.shipment.partial is True
    assert facts.shipment.items == (replace(MUG, quantity=1),)
    assert facts.shipment.units == 1


def test_without_a_shipping_address_there_is_no_destination() -> None:
    facts = order_shipped(an_order(shipping_address=None), a_shipment(),
                          tracking_info("ups", "1Z1"), AT).facts
    assert isinstance(facts, ShippedFacts) and facts.shipment.destination is None
    facts = order_shipped(an_order(shipping_address=Address("n", "a", "Paris", "FR")),
                          a_shipment(), tracking_info("ups", "1Z1"), AT).facts
    assert isinstance(facts, ShippedFacts)
    assert facts.shipment.destination == ShippingRegion("Paris", None, "FR", "")


def test_shipment_delayed() -> None:
    event = EVENTS["delayed"]
    assert event.facts == DelayedFacts(PARCEL, "estimate_passed", date(2026, 11, 5), None, 2)
    assert event.time == datetime(2026, 11, 7, tzinfo=UTC)
    assert event.unique_id.endswith(":33974374:estimate_passed:2026-11-05")
    assert EVENTS["no-scan"].facts == DelayedFacts(PARCEL, "no_scan", date(2026, 11, 9), None, 0)
    assert EVENTS["no-scan"].unique_id.endswith(f":33974374:no_scan:{NO_SCAN.occurrence}")
    with_new = shipment_delayed(an_order(), a_shipment(), tracking_info("ups", "1Z1"),
                                DelayNotice("estimate_passed", "2026-11-05", date(2026, 11, 5),
                                            date(2026, 11, 9), 1), AT)
    assert isinstance(with_new.facts, DelayedFacts)
    assert with_new.facts.new_estimate == date(2026, 11, 9)
    assert with_new.facts.shipment.estimated_delivery == date(2026, 11, 9)
    assert with_new.unique_id == event.unique_id  # the same delay, told once
    negative = shipment_delayed(an_order(), a_shipment(), tracking_info("ups", "1Z1"),
                                replace(LATE, days_late=-3), AT)
    assert isinstance(negative.facts, DelayedFacts) and negative.facts.days_late == 0


def test_out_for_delivery() -> None:
    event = EVENTS["out-for-delivery"]
    assert event.facts == OutForDeliveryFacts(
        replace(PARCEL, estimated_delivery=date(2026, 11, 5)), OUT_SCAN)
    assert event.time == OUT_SCAN.occurred_at


def test_order_delivered_uses_the_carrier_scan() -> None:
    event = EVENTS["delivered"]
    assert event.facts == DeliveredFacts(PARCEL, DELIVERED_SCAN)
    assert event.time == DELIVERED_SCAN.occurred_at


@pytest.mark.parametrize(("kind", "action"), [
    (ExceptionType.ADDRESS_ISSUE, True), (ExceptionType.FAILED_ATTEMPT, True),
    (ExceptionType.HELD_AT_CUSTOMS, True), (ExceptionType.DAMAGED, False),
    (ExceptionType.LOST, False), (ExceptionType.RETURNED_TO_SENDER, False),
    (ExceptionType.DELAYED, False), (ExceptionType.OTHER, False)])
def test_delivery_exception(kind: ExceptionType, action: bool) -> None:
    event = delivery_exception(an_order(), a_shipment(), tracking_info("ups", "1Z1"), kind,
                               EXCEPTION_SCAN)
    assert event.facts == ExceptionFacts(
        replace(PARCEL, tracking=tracking_info("ups", "1Z1")), kind, EXCEPTION_SCAN,
        "The address is incomplete", action)
    assert event.time == EXCEPTION_SCAN.occurred_at
    assert event.unique_id.endswith(f":33974374:{kind.value}:2026-11-04T19:30:00+00:00")


def test_exception_without_description_or_detail_code() -> None:
    scan = TrackingScan(EXCEPTION_SCAN.occurred_at, TrackingStatus.EXCEPTION)
    event = delivery_exception(an_order(), a_shipment(), tracking_info("ups", "1Z1"),
                               ExceptionType.LOST, scan)
    assert isinstance(event.facts, ExceptionFacts)
    assert event.facts.description == "The carrier reported the parcel as lost."
    assert event.facts.scan == scan
    later = delivery_exception(an_order(), a_shipment(), tracking_info("ups", "1Z1"),
                               ExceptionType.LOST,
                               TrackingScan(scan.occurred_at + timedelta(days=1),
                                            TrackingStatus.EXCEPTION))
    assert later.unique_id != event.unique_id


def test_review_request_due() -> None:
    event = EVENTS["review"]
    assert event.facts == ReviewDueFacts(PARCEL, DELIVERED_SCAN.occurred_at, 21)
    assert event.time == DELIVERED_SCAN.occurred_at + timedelta(days=21)
    assert event.unique_id == "review-request-due:demo.myshopify.com:820982911946154508:33974374"
    half = review_request_due(an_order(), a_shipment(), DELIVERED_SCAN.occurred_at, 3.5, AT)
    assert isinstance(half.facts, ReviewDueFacts) and half.facts.days_since_delivery == 3.5


def test_reorder_reminder_due() -> None:
    event = EVENTS["reorder"]
    assert event.facts == ReorderDueFacts(MUG, datetime(2026, 11, 1, 12, 0, tzinfo=UTC), 2,
                                          date(2026, 12, 5))
    assert event.unique_id == "reorder-reminder-due:demo.myshopify.com:820982911946154508:MUG-01"


def test_reorder_counts_every_line_with_the_sku() -> None:
    order = an_order(line_items=(
        LineItem(1, "MUG-01", "Mug", 2, Decimal("19.99"), product_id=7, variant_id=70),
        LineItem(2, "MUG-01", "Mug", 3, Decimal("0"), variant_title="Free")))
    event = reorder_reminder_due(order, order.line_items[0], order.created_at,
                                 datetime(2026, 12, 5, 23, tzinfo=timezone(timedelta(hours=-5))),
                                 AT)
    assert event.facts == ReorderDueFacts(ProductLine("Mug", "MUG-01", 7, 70, 2),
                                          order.created_at, 5, date(2026, 12, 6))


def test_backorder_delayed() -> None:
    order = an_order()
    mug, tee = order.line_items[0], order.line_items[1]
    event = backorder_delayed(order, [(tee, 1), (mug, 1), (order.line_items[2], 0)], None, AT)
    assert event.facts == BackorderFacts((TEE, replace(MUG, quantity=1)), date(2026, 11, 1),
                                         None, "out_of_stock")
    assert event.time == AT
    # once per SKU set, in any order; a different set is a different notice
    same = backorder_delayed(order, [(mug, 2), (tee, 1)], date(2026, 11, 20), AT)
    assert same.unique_id == event.unique_id
    assert isinstance(same.facts, BackorderFacts)
    assert same.facts.new_expected_ship_date == date(2026, 11, 20)
    assert backorder_delayed(order, [(mug, 1)], None, AT).unique_id != event.unique_id
    with pytest.raises(ValueError):
        backorder_delayed(order, [(mug, 0)], None, AT)


def test_backorder_original_ship_date_is_the_shops_date_of_the_order() -> None:
    evening = datetime(2021, 12, 31, 19, 1, tzinfo=timezone(timedelta(hours=-5)))
    order = an_order(created_at=evening)
    event = backorder_delayed(order, [(order.line_items[0], 1)], None, AT)
    assert isinstance(event.facts, BackorderFacts)
    assert event.facts.original_ship_date == date(2021, 12, 31)


def test_back_in_stock() -> None:
    order = an_order()
    event = back_in_stock(order, ["TEE-02", "MUG-01", "OTHER"], AT)
    assert event.facts == BackInStockFacts((MUG, TEE))  # the order's line order
    assert event.unique_id == back_in_stock(order, ["MUG-01", "TEE-02"], AT).unique_id
    assert event.unique_id != back_in_stock(order, ["MUG-01"], AT).unique_id
    with pytest.raises(ValueError):
        back_in_stock(order, ["NOPE"], AT)


def test_lines_sharing_a_sku_share_the_shipped_units() -> None:
    order = an_order(line_items=(
        LineItem(1, "MUG-01", "Mug", 2, Decimal("19.99")),
        LineItem(2, "MUG-01", "Mug", 3, Decimal("0"), variant_title="Free"),
    ))
    shipment = a_shipment(items=(ShipmentItem("MUG-01", "Mug", 4),))
    assert [q for _, q in shipment_lines(order, shipment)] == [2, 2]
