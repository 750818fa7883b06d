from datetime import datetime, timedelta, timezone
from decimal import Decimal

from shipflow.domain.messages import reorder_reminder_due, review_request_due
from shipflow.domain.order import LineItem, Order
from shipflow.domain.policy import TimerPolicy
from shipflow.domain.shipment import Shipment, ShipmentItem
from shipflow.domain.timers import (
    PlannedTimer,
    TimerKind,
    category_days,
    plan_after_delivery,
    review_days,
)
from tests.unit.domain.factories import a_shipment, an_order

DELIVERED = datetime(2026, 11, 5, 16, 18, 41, tzinfo=timezone.utc)
LINES = (
    LineItem(1, "MUG-01", "Mug", 2, Decimal("19.99"), 350, "Blue", 7, 70),
    LineItem(2, "SERUM-30", "Serum", 1, Decimal("45.00"), 100, None, 8, 80),
    LineItem(3, "COFFEE-1KG", "Coffee", 3, Decimal("25.00"), 1000, None, 9, 90),
    LineItem(4, None, "Gift card", 1, Decimal("10.00"), requires_shipping=False),
)
CATEGORIES = {7: ["Kitchen", "gift"], 8: ["Skincare", "New"], 9: ["Coffee"]}
POLICY = TimerPolicy(
    review_days_default=4,
    review_days_by_category={"kitchen": 5, "SKINCARE ": 21, "Gift": 7},
    reorder_days_by_sku={"COFFEE-1KG": 10, "mug-01": 0, "SERUM-30": 30},
)


def order() -> Order:
    return an_order(line_items=LINES)


def shipment(*skus: str) -> Shipment:
    items = tuple(ShipmentItem(li.sku, li.name, li.quantity) for li in LINES
                  if li.sku and (not skus or li.sku in skus))
    return a_shipment(items=items)


def test_category_days_takes_the_largest_match_ignoring_case() -> None:
    assert category_days(["KITCHEN", "Gift"], POLICY) == 7
    assert category_days(["skincare"], POLICY) == 21
    assert category_days(["Tools", ""], POLICY) is None
    assert category_days([], POLICY) is None


def test_review_days_default_when_no_category_is_configured() -> None:
    assert review_days([9, None, 404], CATEGORIES, POLICY) == 4
    assert review_days([7, 8], CATEGORIES, POLICY) == 21


def test_review_waits_for_the_slowest_product_of_the_parcel() -> None:
    timers = plan_after_delivery(order(), shipment(), DELIVERED, CATEGORIES, POLICY)
    [review] = [t for t in timers if t.kind is TimerKind.REVIEW_REQUEST]
    assert review == PlannedTimer(
        TimerKind.REVIEW_REQUEST,
        "review-request-due:demo.myshopify.com:820982911946154508:33974374",
        DELIVERED + timedelta(days=21), "33974374", None, 21)


def test_review_of_a_parcel_without_the_serum() -> None:
    timers = plan_after_delivery(order(), shipment("MUG-01", "COFFEE-1KG"), DELIVERED,
                                 CATEGORIES, POLICY)
    assert timers[0].days == 7 and timers[0].due_at == DELIVERED + timedelta(days=7)
    only_coffee = plan_after_delivery(order(), shipment("COFFEE-1KG"), DELIVERED, CATEGORIES,
                                      POLICY)
    assert only_coffee[0].days == 4  # the default


def test_reorder_timers_per_sku_by_consumption() -> None:
    timers = plan_after_delivery(order(), shipment(), DELIVERED, CATEGORIES, POLICY)
    reorders = {t.sku: t for t in timers if t.kind is TimerKind.REORDER_REMINDER}
    assert set(reorders) == {"SERUM-30", "COFFEE-1KG"}  # the mug lasts forever (0 days)
    coffee = reorders["COFFEE-1KG"]
    assert coffee.days == 30 and coffee.due_at == DELIVERED + timedelta(days=30)  # 3 x 10
    assert coffee.key == "reorder-reminder-due:demo.myshopify.com:820982911946154508:COFFEE-1KG"
    assert coffee.shipment_id == "33974374"
    assert reorders["SERUM-30"].days == 30


def test_reorder_sku_configuration_ignores_case() -> None:
    policy = TimerPolicy(reorder_days_by_sku={"coffee-1kg": 10})
    [_, coffee] = plan_after_delivery(order(), shipment(), DELIVERED, {}, policy)
    assert coffee.sku == "COFFEE-1KG" and coffee.days == 30


def test_only_skus_in_the_parcel_get_a_reminder() -> None:
    timers = plan_after_delivery(order(), shipment("MUG-01"), DELIVERED, CATEGORIES, POLICY)
    assert [t.kind for t in timers] == [TimerKind.REVIEW_REQUEST]


def test_split_parcels_plan_a_reminder_for_every_unit_ordered() -> None:
    first = a_shipment(items=(ShipmentItem("COFFEE-1KG", "Coffee", 1),))
    second = a_shipment(shipment_id="2", items=(ShipmentItem("COFFEE-1KG", "Coffee", 2),))
    [_, a] = plan_after_delivery(order(), first, DELIVERED, {}, POLICY)
    [_, b] = plan_after_delivery(order(), second, DELIVERED + timedelta(days=3), {}, POLICY)
    assert a.days == b.days == 30
    assert a.key == b.key  # the second delivery schedules nothing new


def test_planning_is_deterministic_and_keys_are_the_events_unique_ids() -> None:
    o, s = order(), shipment()
    timers = plan_after_delivery(o, s, DELIVERED, CATEGORIES, POLICY)
    assert timers == plan_after_delivery(o, s, DELIVERED, CATEGORIES, POLICY)
    assert len({t.key for t in timers}) == len(timers)
    review, *reorders = timers
    event = review_request_due(o, s, DELIVERED, review.days, review.due_at)
    assert event.unique_id == review.key
    for timer in reorders:
        line = next(li for li in o.line_items if li.sku == timer.sku)
        reminder = reorder_reminder_due(o, line, o.created_at, timer.due_at, timer.due_at)
        assert reminder.unique_id == timer.key


def test_a_shipment_without_items_carries_every_shippable_line() -> None:
    timers = plan_after_delivery(order(), a_shipment(items=()), DELIVERED, CATEGORIES, POLICY)
    assert timers[0].days == 21
    assert sorted(t.sku for t in timers if t.sku) == ["COFFEE-1KG", "SERUM-30"]
