from datetime import datetime, timedelta, timezone

from shipflow.domain.keys import MAX_UNIQUE_ID, milestone_unique_id, sku_set, utc_instant
from shipflow.domain.milestone import Milestone

SHOP = "demo.myshopify.com"
ORDER = 820982911946154508


def test_order_shipped_ids_are_unchanged() -> None:
    assert milestone_unique_id(Milestone.ORDER_SHIPPED, SHOP, ORDER, "33974374") == (
        "order-shipped:demo.myshopify.com:820982911946154508:33974374")


def test_an_occurrence_tells_repeated_facts_apart() -> None:
    first = milestone_unique_id(Milestone.SHIPMENT_DELAYED, SHOP, ORDER, "33974374",
                                "estimate_passed:2026-11-05")
    assert first == ("shipment-delayed:demo.myshopify.com:820982911946154508:33974374:"
                     "estimate_passed:2026-11-05")
    second = milestone_unique_id(Milestone.SHIPMENT_DELAYED, SHOP, ORDER, "33974374",
                                 "estimate_passed:2026-11-07")
    assert first != second


def test_the_metric_is_part_of_the_id() -> None:
    ids = {milestone_unique_id(m, SHOP, ORDER, "33974374") for m in Milestone}
    assert len(ids) == len(Milestone)


def test_long_ids_stay_under_the_limit_and_distinct() -> None:
    many = sku_set(f"SKU-{n:04d}-LONG-NAME" for n in range(40))
    fewer = sku_set(f"SKU-{n:04d}-LONG-NAME" for n in range(39))
    a = milestone_unique_id(Milestone.BACKORDER_DELAYED, SHOP, ORDER, many)
    b = milestone_unique_id(Milestone.BACKORDER_DELAYED, SHOP, ORDER, fewer)
    assert len(a) == len(b) == MAX_UNIQUE_ID
    assert a != b
    assert a.startswith("backorder-delayed:demo.myshopify.com:820982911946154508:SKU-0000")
    assert a == milestone_unique_id(Milestone.BACKORDER_DELAYED, SHOP, ORDER, many)


def test_sku_sets_ignore_order_and_repeats() -> None:
    assert sku_set(["B", "A", "B"]) == sku_set(["A", "B"]) == "A+B"


def test_instants_do_not_depend_on_the_offset() -> None:
    utc = datetime(2026, 11, 3, 14, 0, tzinfo=timezone.utc)
    eastern = utc.astimezone(timezone(timedelta(hours=-5)))
    assert utc_instant(utc) == utc_instant(eastern) == "2026-11-03T14:00:00+00:00"
    assert utc_instant(datetime(2026, 11, 3, 14, 0, 0, 123456)) == "2026-11-03T14:00:00+00:00"
