from datetime import date, datetime, timedelta, timezone

import pytest

from shipflow.domain.delays import DelayNotice, business_days_between, detect_delay
from shipflow.domain.parcel import ParcelProgress
from shipflow.domain.policy import DelayPolicy
from shipflow.domain.tracking_events import ExceptionType, TrackingMilestone

UTC = timezone.utc
POLICY = DelayPolicy(no_scan_business_days=3)
# 2026-11-02 is a Monday.
MON = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
FRI = datetime(2026, 11, 6, 10, 0, tzinfo=UTC)
ETA = datetime(2026, 11, 5, 0, 0, tzinfo=UTC)  # Thursday, as ShipEngine writes dates


def at(day: datetime, days: float = 0, hours: float = 0) -> datetime:
    return day + timedelta(days=days, hours=hours)


@pytest.mark.parametrize(("start", "end", "expected"), [
    (MON, at(MON, 1), 1),
    (MON, at(MON, 3), 3),
    (MON, at(MON, 0, 23), 0),
    (FRI, at(FRI, 3), 1),  # Fri 10:00 -> Mon 10:00: the weekend does not count
    (FRI, at(FRI, 5), 3),  # -> Wed 10:00
    (at(FRI, 1), at(FRI, 3, -10), 0),  # Sat 10:00 -> Mon 00:00: weekend only
    (at(FRI, 1), at(FRI, 5), 2),  # Sat -> Wed 10:00: Mon + Tue + 10 h
    (MON, at(MON, 14), 10),  # two whole weeks
    (MON, at(MON, 16), 12),
    (at(MON, 3), MON, 0),  # backwards
    (datetime(2026, 11, 6, 10), datetime(2026, 11, 9, 10), 1),  # naive = UTC
])
def test_business_days_between(start: datetime, end: datetime, expected: int) -> None:
    assert business_days_between(start, end) == expected


def test_offsets_do_not_change_the_count() -> None:
    eastern = timezone(timedelta(hours=-5))
    assert business_days_between(FRI.astimezone(eastern), at(FRI, 5).astimezone(eastern)) == 3


def moving(**changes: object) -> ParcelProgress:
    values: dict[str, object] = dict(milestone=TrackingMilestone.IN_TRANSIT,
                                     last_scan_at=at(MON, 1), estimated_delivery=ETA)
    values.update(changes)
    return ParcelProgress(**values)  # type: ignore[arg-type]


def test_on_time_parcel_has_no_notice() -> None:
    assert detect_delay(moving(), at(MON, 2), POLICY) is None


def test_estimate_passes_when_its_day_is_over_in_hawaii() -> None:
    progress = moving(last_scan_at=at(MON, 2, 13))  # Wed 23:00: still scanning
    # 17:00 in Los Angeles on the promised day is already the next day in UTC: not late yet.
    assert detect_delay(progress, datetime(2026, 11, 6, 1, 0, tzinfo=UTC), POLICY) is None
    assert detect_delay(progress, datetime(2026, 11, 6, 9, 59, 59, tzinfo=UTC), POLICY) is None
    notice = detect_delay(progress, datetime(2026, 11, 6, 10, 0, tzinfo=UTC), POLICY)
    assert notice == DelayNotice("estimate_passed", "2026-11-05", date(2026, 11, 5), None, 1)


def test_days_late_counts_calendar_days() -> None:
    notice = detect_delay(moving(last_scan_at=at(MON, 4)), datetime(2026, 11, 8, 18, tzinfo=UTC),
                          POLICY)
    assert notice is not None and notice.days_late == 3


def test_estimate_passed_wins_over_no_scan() -> None:
    notice = detect_delay(moving(last_scan_at=MON), at(MON, 9), POLICY)
    assert notice is not None and notice.reason == "estimate_passed"


def test_no_scan_for_three_business_days() -> None:
    progress = moving(last_scan_at=FRI, estimated_delivery=datetime(2026, 11, 20, tzinfo=UTC))
    assert detect_delay(progress, at(FRI, 4), POLICY) is None  # Tue 10:00: Mon + Tue = 2
    notice = detect_delay(progress, at(FRI, 5), POLICY)  # Wed 10:00
    assert notice == DelayNotice("no_scan", "2026-11-06T10:00:00+00:00", date(2026, 11, 20),
                                 None, 0)
    # the same silence seen later is the same occurrence
    later = detect_delay(progress, at(FRI, 6), POLICY)
    assert later is not None and later.occurrence == notice.occurrence


def test_no_scan_since_the_label_when_nothing_was_scanned() -> None:
    progress = ParcelProgress(milestone=TrackingMilestone.LABEL_CREATED)
    assert detect_delay(progress, at(MON, 9), POLICY) is None  # nothing to count from
    notice = detect_delay(progress, at(MON, 3), POLICY, since=MON)
    assert notice is not None and notice.reason == "no_scan"
    assert notice.occurrence == "2026-11-02T10:00:00+00:00"
    assert notice.previous_estimate is None
    # a scan, once there is one, is what counts
    scanned = ParcelProgress(milestone=TrackingMilestone.ACCEPTED, last_scan_at=at(MON, 2))
    assert detect_delay(scanned, at(MON, 3), POLICY, since=MON) is None


def test_threshold_zero_turns_no_scan_off() -> None:
    progress = moving(estimated_delivery=None, last_scan_at=MON)
    assert detect_delay(progress, at(MON, 30), DelayPolicy(no_scan_business_days=0)) is None


@pytest.mark.parametrize("progress", [
    moving(milestone=TrackingMilestone.DELIVERED, delivered_at=at(MON, 2)),
    moving(delivered_at=at(MON, 2)),
    moving(milestone=TrackingMilestone.AVAILABLE_FOR_PICKUP),
    moving(exception=ExceptionType.FAILED_ATTEMPT, exception_at=at(MON, 2)),
    moving(exception=ExceptionType.HELD_AT_CUSTOMS, exception_at=at(MON, 2)),
], ids=["delivered", "delivered-at", "at-pickup-point", "failed-attempt", "customs"])
def test_no_notice_when_the_customer_knows_better(progress: ParcelProgress) -> None:
    assert detect_delay(progress, at(MON, 20), POLICY) is None


def test_carrier_delay_exception_does_not_silence_a_late_parcel() -> None:
    progress = moving(exception=ExceptionType.DELAYED, exception_at=at(MON, 2))
    notice = detect_delay(progress, at(MON, 5), POLICY)
    assert notice is not None and notice.reason == "estimate_passed"
