"""When a parcel counts as late, so the customer hears it before they have to ask.

Two signs (DESIGN.md §5): the carrier's estimated delivery date has passed, or the carrier has
not scanned the parcel for `DelayPolicy.no_scan_business_days` business days. Each notice names
its occurrence, so the same delay is told once however often it is detected, and a new delay
(a later estimate that passes too, a new silence after a fresh scan) is told again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Literal

from shipflow.domain.keys import utc_instant
from shipflow.domain.parcel import ParcelProgress
from shipflow.domain.policy import DelayPolicy
from shipflow.domain.tracking_events import ExceptionType, TrackingMilestone

DelayReason = Literal["estimate_passed", "no_scan"]

_DAY = 86_400.0


@dataclass(frozen=True, slots=True)
class DelayNotice:
    """One delay worth telling the customer about.

    `occurrence` identifies this delay among the shipment's delays: the estimate date that
    passed (ISO date) or the time of the last sign of life (UTC ISO instant).
    `previous_estimate` is the estimate on file when the delay was seen; `new_estimate` a later
    one when known (detection alone never knows one). `days_late` is 0 when not meaningful.
    """

    reason: DelayReason
    occurrence: str
    previous_estimate: date | None
    new_estimate: date | None
    days_late: int


# How far behind UTC the last US calendar day ends (Hawaii, UTC−10).
ESTIMATE_DAY_ENDS = timedelta(hours=10)


def _utc(moment: datetime) -> datetime:
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(
        timezone.utc)


def estimate_date(estimate: datetime) -> date:
    """The calendar date an estimate promises, read in UTC.

    Carriers give a date, not a time: ShipEngine writes it as UTC midnight
    (`"2026-09-03T00:00:00Z"`, shared/fixtures/shipstation/v2_track_event_v2_ups_delivered.real.json),
    so its UTC date is the promised date.
    """
    return _utc(estimate).date()


def business_days_between(a: datetime, b: datetime) -> int:
    """Whole business days elapsed from `a` to `b` (0 if `b` is not after `a`).

    Business time is Monday to Friday, judged in UTC; Saturday and Sunday do not count.
    There is no holiday calendar: a carrier holiday counts as a business day, so a notice can
    come one day early around a public holiday. Friday 10:00 to the next Wednesday 10:00 is 3.
    """
    start, end = _utc(a), _utc(b)
    if end <= start:
        return 0
    weeks = (end - start).days // 7
    seconds = weeks * 5 * _DAY
    cursor = start + timedelta(weeks=weeks)
    while cursor < end:
        midnight = datetime.combine(cursor.date() + timedelta(days=1), time(), tzinfo=timezone.utc)
        step_end = min(midnight, end)
        if cursor.weekday() < 5:
            seconds += (step_end - cursor).total_seconds()
        cursor = step_end
    return int(seconds // _DAY)


def detect_delay(
    progress: ParcelProgress,
    now: datetime,
    policy: DelayPolicy,
    since: datetime | None = None,
) -> DelayNotice | None:
    """The delay to tell the customer about at `now`, if any.

    - `estimate_passed` first: the parcel is not delivered and the estimated day is over
      everywhere in the US: `now` is past midnight at the end of that day in Hawaii (UTC−10,
      the last US day to end; `ESTIMATE_DAY_ENDS`). The domain does not know the recipient's
      time zone, and ending the day at UTC midnight called late the parcels a West-coast
      driver delivers at 17:00 on the promised day (measured in the 200-order run). The cost:
      the notice comes up to a few hours after the day really ended on the East coast.
      `days_late` counts calendar days past the estimated date (1 the day after).
    - else `no_scan`: no scan for `policy.no_scan_business_days` business days (see
      `business_days_between`) since the last scan or, before the first scan, since `since`
      (the ship date or label time, which only the caller knows). Occurrence = that instant,
      so a fresh scan followed by a new silence is a new delay. A threshold of 0 turns this
      sign off.

    No notice for a delivered parcel, for one waiting at a pickup point (it is there; the
    customer was told by the pickup notice), or while an exception is open: a Delivery
    Exception has already told the customer something more precise, and a "delayed" message
    on top would contradict it. The exception of type DELAYED is the one exception that does
    not suppress a notice: it is the carrier's own "late" code, which the lifecycle treats as
    lateness rather than as a stop, so no Delivery Exception has been sent for it.
    """
    if progress.delivered_at is not None or progress.milestone in (
            TrackingMilestone.DELIVERED, TrackingMilestone.AVAILABLE_FOR_PICKUP):
        return None
    if progress.exception is not None and progress.exception is not ExceptionType.DELAYED:
        return None
    promised = estimate_date(progress.estimated_delivery) if progress.estimated_delivery else None
    today = (_utc(now) - ESTIMATE_DAY_ENDS).date()  # the date it still is in Hawaii
    if promised is not None and today > promised:
        return DelayNotice(
            reason="estimate_passed",
            occurrence=promised.isoformat(),
            previous_estimate=promised,
            new_estimate=None,
            days_late=(today - promised).days,
        )
    last_sign = progress.last_scan_at or since
    if last_sign is None:
        return None
    threshold = policy.no_scan_business_days
    if threshold > 0 and business_days_between(last_sign, now) >= threshold:
        return DelayNotice(
            reason="no_scan",
            occurrence=utc_instant(last_sign),
            previous_estimate=promised,
            new_estimate=None,
            days_late=0,
        )
    return None
