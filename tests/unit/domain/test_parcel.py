from datetime import datetime, timedelta, timezone

from shipflow.domain.parcel import (
    EstimateChanged,
    ExceptionRaised,
    MilestoneReached,
    ParcelProgress,
    advance,
)
from shipflow.domain.tracking_events import (
    ExceptionType,
    TrackingMilestone,
    TrackingScan,
    TrackingStatus,
    TrackingUpdate,
    normalize_scans,
)

T0 = datetime(2026, 9, 1, 8, tzinfo=timezone.utc)
ETA = T0 + timedelta(days=3)


def scan(hours: float, status: str, detail: str | None = None) -> TrackingScan:
    return TrackingScan(T0 + timedelta(hours=hours), TrackingStatus(status), status_detail_code=detail)


def update(*scans: TrackingScan, eta: datetime | None = ETA) -> TrackingUpdate:
    ordered = normalize_scans(list(scans))
    return TrackingUpdate("1Z1", "ups", ordered[-1].status_code, ordered, estimated_delivery=eta)


ACCEPTED = scan(0, "AC", "PICKED_UP")
TRANSIT = scan(10, "IT", "IN_TRANSIT")
OUT = scan(48, "IT", "OUT_FOR_DELIVERY")
DELIVERED = scan(52, "DE", "DELIVERED")


def milestones(events: list) -> list[TrackingMilestone]:
    return [e.milestone for e in events if isinstance(e, MilestoneReached)]


def test_each_milestone_is_reported_once_in_order() -> None:
    p1, e1 = advance(ParcelProgress(), update(ACCEPTED, TRANSIT))
    assert milestones(e1) == [TrackingMilestone.ACCEPTED, TrackingMilestone.IN_TRANSIT]
    p2, e2 = advance(p1, update(ACCEPTED, TRANSIT, OUT))  # cumulative history again
    assert milestones(e2) == [TrackingMilestone.OUT_FOR_DELIVERY]
    p3, e3 = advance(p2, update(ACCEPTED, TRANSIT, OUT, DELIVERED))
    assert milestones(e3) == [TrackingMilestone.DELIVERED]
    assert p3.delivered_at == DELIVERED.occurred_at
    assert advance(p3, update(ACCEPTED, TRANSIT, OUT, DELIVERED)) == (p3, [])


def test_a_late_older_update_never_moves_the_parcel_backwards() -> None:
    delivered, _ = advance(ParcelProgress(), update(ACCEPTED, TRANSIT, OUT, DELIVERED))
    later, events = advance(delivered, update(ACCEPTED, TRANSIT))
    assert later.milestone is TrackingMilestone.DELIVERED and events == []


def test_out_of_order_delivery_skips_the_missed_milestones_it_jumped_over() -> None:
    p, events = advance(ParcelProgress(), update(DELIVERED, ACCEPTED))
    assert milestones(events)[-1] is TrackingMilestone.DELIVERED
    _, events = advance(p, update(OUT))
    assert events == []  # out for delivery after delivered is old news


def test_exceptions_are_reported_once_and_cleared_when_moving_again() -> None:
    attempt = scan(50, "AT", "ATTEMPTED_DELIVERY")
    p, events = advance(ParcelProgress(), update(ACCEPTED, TRANSIT, OUT, attempt))
    raised = [e for e in events if isinstance(e, ExceptionRaised)]
    assert [e.exception for e in raised] == [ExceptionType.FAILED_ATTEMPT]
    assert p.exception is ExceptionType.FAILED_ATTEMPT
    again, events = advance(p, update(ACCEPTED, TRANSIT, OUT, attempt))
    assert events == []
    done, events = advance(again, update(ACCEPTED, TRANSIT, OUT, attempt, scan(70, "DE", "DELIVERED")))
    assert milestones(events) == [TrackingMilestone.DELIVERED] and done.exception is None


def test_a_later_estimate_is_news_and_the_same_one_is_not() -> None:
    p, events = advance(ParcelProgress(), update(ACCEPTED))
    assert not [e for e in events if isinstance(e, EstimateChanged)]
    later = ETA + timedelta(days=2)
    p2, events = advance(p, update(ACCEPTED, scan(30, "EX", "CARRIER_DELAYS"), eta=later))
    assert EstimateChanged(ETA, later) in events
    assert [e.exception for e in events if isinstance(e, ExceptionRaised)] == [ExceptionType.DELAYED]
    assert advance(p2, update(ACCEPTED, scan(30, "EX", "CARRIER_DELAYS"), eta=later))[1] == []


def test_a_history_learned_late_tells_only_the_current_state() -> None:
    from shipflow.domain.parcel import still_news
    attempt = scan(40, "EX", "ATTEMPTED_DELIVERY")
    now, events = advance(ParcelProgress(), update(ACCEPTED, TRANSIT, attempt, OUT, DELIVERED))
    assert milestones(events) == [TrackingMilestone.ACCEPTED, TrackingMilestone.IN_TRANSIT,
                                  TrackingMilestone.OUT_FOR_DELIVERY, TrackingMilestone.DELIVERED]
    news = still_news(events, now)
    assert milestones(news) == [TrackingMilestone.DELIVERED]
    assert not [e for e in news if isinstance(e, ExceptionRaised)]  # moved past it


def test_a_late_history_ending_in_an_exception_tells_that_exception_once() -> None:
    from shipflow.domain.parcel import still_news
    first = scan(30, "EX", "ATTEMPTED_DELIVERY")
    second = scan(50, "EX", "ATTEMPTED_DELIVERY_2ND")
    now, events = advance(ParcelProgress(), update(ACCEPTED, TRANSIT, first, second))
    news = still_news(events, now)
    assert [e.scan for e in news if isinstance(e, ExceptionRaised)] == [second]
    assert milestones(news) == [TrackingMilestone.IN_TRANSIT]


def test_one_new_scan_at_a_time_is_all_news() -> None:
    from shipflow.domain.parcel import still_news
    now, events = advance(ParcelProgress(milestone=TrackingMilestone.IN_TRANSIT,
                                         last_scan_at=TRANSIT.occurred_at), update(OUT))
    assert still_news(events, now) == events
