from datetime import datetime, timedelta, timezone

import pytest

from shipflow.domain.tracking_events import (
    ExceptionType,
    TrackingMilestone,
    TrackingScan,
    TrackingStatus,
    normalize_scans,
    read_scan,
)

T0 = datetime(2026, 9, 1, 12, tzinfo=timezone.utc)


def scan(status: str, detail: str | None = None, carrier: str | None = None,
         minutes: int = 0) -> TrackingScan:
    return TrackingScan(T0 + timedelta(minutes=minutes), TrackingStatus(status),
                        status_detail_code=detail, carrier_detail_code=carrier)


@pytest.mark.parametrize(("status", "detail", "carrier", "milestone", "exception"), [
    ("NY", "SHIPMENT_CREATED", None, TrackingMilestone.LABEL_CREATED, None),
    ("AC", "PICKED_UP", None, TrackingMilestone.ACCEPTED, None),
    ("IT", "HUB_SCAN_IN", None, TrackingMilestone.IN_TRANSIT, None),
    ("IT", "OUT_FOR_DELIVERY", None, TrackingMilestone.OUT_FOR_DELIVERY, None),
    ("IT", None, "OT", TrackingMilestone.OUT_FOR_DELIVERY, None),  # UPS
    ("IT", None, "OD", TrackingMilestone.IN_TRANSIT, None),  # UPS loaded on vehicle
    ("DE", "DELIVERED", None, TrackingMilestone.DELIVERED, None),
    ("DE", None, "FS", TrackingMilestone.DELIVERED, None),
    ("DE", "DELIVERED_DAMAGED", None, TrackingMilestone.DELIVERED, ExceptionType.DAMAGED),
    ("SP", None, None, TrackingMilestone.AVAILABLE_FOR_PICKUP, None),
    ("EX", "CARRIER_DELAYS", None, None, ExceptionType.DELAYED),
    ("EX", "ADDRESS_QUERY", None, None, ExceptionType.ADDRESS_ISSUE),
    ("EX", "RETURN_TO_SENDER", None, None, ExceptionType.RETURNED_TO_SENDER),
    ("EX", "PARCEL_LOST", None, None, ExceptionType.LOST),
    ("EX", "HELD_BY_CUSTOMS", None, None, ExceptionType.HELD_AT_CUSTOMS),
    ("EX", "UNSPECIFIED_EXCEPTION", None, None, ExceptionType.OTHER),
    ("AT", "ATTEMPTED_DELIVERY", None, None, ExceptionType.FAILED_ATTEMPT),
    ("AT", None, None, None, ExceptionType.FAILED_ATTEMPT),
    ("IT", "PARCEL_DAMAGED", None, TrackingMilestone.IN_TRANSIT, ExceptionType.DAMAGED),
    ("UN", None, None, None, None),
])
def test_each_scan_reads_as_the_taxonomy_says(status, detail, carrier, milestone,
                                              exception) -> None:
    reading = read_scan(scan(status, detail, carrier))
    assert reading.milestone == milestone
    assert reading.exception == exception


def test_milestones_are_ordered() -> None:
    assert TrackingMilestone.DELIVERED.rank > TrackingMilestone.OUT_FOR_DELIVERY.rank
    assert TrackingMilestone.IN_TRANSIT.rank > TrackingMilestone.LABEL_CREATED.rank


def test_cumulative_unsorted_history_is_deduplicated_and_sorted() -> None:
    history = [scan("DE", "DELIVERED", minutes=30), scan("IT", "IN_TRANSIT", minutes=10),
               scan("DE", "DELIVERED", minutes=30), scan("AC", "PICKED_UP", minutes=0)]
    assert [s.status_code.value for s in normalize_scans(history)] == ["AC", "IT", "DE"]
