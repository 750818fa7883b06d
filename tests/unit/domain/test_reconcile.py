"""The pure comparisons of reconciliation: what counts as a gap, and what is left alone."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

from shipflow.config import span
from shipflow.domain import reconcile as rc
from tests.unit.domain.factories import an_order

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=timezone.utc)
SETTLED = NOW - timedelta(minutes=10)


def paid(order_id: int, *, minutes_ago: int = 60, cancelled: bool = False,
         tracking: tuple[str, ...] = ()) -> rc.PaidOrderSeen:
    order = replace(an_order(), shopify_order_id=order_id, name=f"#{order_id}",
                    updated_at=NOW - timedelta(minutes=minutes_ago),
                    cancelled_at=NOW if cancelled else None)
    return rc.PaidOrderSeen(order, tracking)


def label(shipment_id: str, order_key: str, tracking: str, *, minutes_ago: int = 60,
          voided: bool = False) -> rc.LabelSeen:
    return rc.LabelSeen(shipment_id, order_key, order_key, tracking,
                        NOW - timedelta(minutes=minutes_ago), voided)


def test_missed_orders_skips_known_cancelled_and_in_flight() -> None:
    seen = [paid(1), paid(2), paid(3, cancelled=True), paid(4, minutes_ago=2)]
    found = rc.missed_orders(seen, known={2}, settled_before=SETTLED)
    assert [f.order_id for f in found] == [1]
    assert found[0].check is rc.Check.MISSED_ORDERS and found[0].key == "1"


def test_unrecorded_labels_tell_relabels_from_unfulfilled() -> None:
    labels = [
        label("s1", "101", "T-NEW"),  # order 101 fulfilled with T-OLD: a relabel
        label("s2", "102", "T-2"),  # never fulfilled
        label("s3", "103", "T-3"),  # recorded already
        label("s4", "104", "T-4", voided=True),
        label("s5", "105", "T-5", minutes_ago=1),  # in flight
        label("s6", "999", "T-6"),  # not one of shipflow's orders (a store connection's)
        label("s7", "107", "T-7"),  # fulfilled with this very tracking by someone else
    ]
    found = rc.unrecorded_labels(labels, recorded={"s3"},
                                 ours={"101", "102", "103", "104", "105", "107"},
                                 fulfilled={101: ("T-OLD",), 107: ("T-7",)},
                                 settled_before=SETTLED)
    assert [(f.check, f.key) for f in found] == [
        (rc.Check.RELABELS, "s1"), (rc.Check.UNFULFILLED_LABELS, "s2")]


def test_split_part_keys_name_their_order() -> None:
    assert label("s", "1001-2", "T").shopify_order_id == 1001
    assert label("s", "x", "T").shopify_order_id is None


def test_missing_in_shipstation_and_counts() -> None:
    pushed = {"1": (1, "#1", NOW - timedelta(hours=1)), "2": (2, "#2", NOW - timedelta(hours=1)),
              "3": (3, "#3", NOW - timedelta(minutes=1))}
    found = rc.missing_in_shipstation(pushed, present={"2"}, settled_before=SETTLED)
    assert [f.key for f in found] == ["1"]
    counts = rc.counts(found, fixed={"missing_in_shipstation:1"})
    assert counts["missing_in_shipstation"] == {"found": 1, "fixed": 1}
    assert counts["missed_orders"] == {"found": 0, "fixed": 0}
    assert set(counts) == {c.value for c in rc.CHECKS}


def test_spans() -> None:
    assert span("10m") == timedelta(minutes=10)
    assert span("7d") == timedelta(days=7)
    assert span("0") == timedelta(0)
    assert span("90s") == timedelta(seconds=90)


def test_times_pushed_counts_the_first_push_and_every_repush() -> None:
    keys = ["shipstation:createorder:1001", "shipstation:createorder:1001:again-1",
            "shipstation:createorder:10012", "shopify:fulfil:1001"]
    assert rc.times_pushed(keys, "1001") == 2
    assert rc.times_pushed([], "1001") == 0


def test_tracking_drift_finds_fulfillments_showing_other_tracking() -> None:
    def fulfilled(shipment: str, order_id: int, number: str, minutes_ago: int = 60
                  ) -> rc.FulfilledLabel:
        return rc.FulfilledLabel(shipment, order_id, f"#{order_id}", f"F{order_id}", number,
                                 NOW - timedelta(minutes=minutes_ago))

    seen = [replace(paid(1), fulfillments=(("F1", ("T-1",)),)),
            replace(paid(2), fulfillments=(("F2", ("T-WRONG",)),)),
            replace(paid(3), fulfillments=(("F3", ("T-OLD",)),)),
            replace(paid(4), fulfillments=())]  # cancelled fulfillment: not read as active
    labels = [fulfilled("s1", 1, "T-1"), fulfilled("s2", 2, "T-2"),
              fulfilled("s3", 3, "T-3", minutes_ago=1), fulfilled("s4", 4, "T-4")]
    found = rc.tracking_drift(labels, seen, SETTLED)
    assert [(f.check, f.key, f.order_id) for f in found] == [(rc.Check.RELABELS, "s2", 2)]
    assert rc.times_sent(["k", "k:again-1", "kk"], "k") == 2
