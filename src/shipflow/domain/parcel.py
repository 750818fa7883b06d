"""A parcel's progress and how a tracking update moves it: forward only, each news once.

Carriers resend the whole history on every webhook, out of order and sometimes twice
(shipstation.md §2.4). `advance` compares an update with what was already known and returns
only what is new: a milestone further than any before, or an exception not yet reported.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from shipflow.domain.tracking_events import (
    ExceptionType,
    TrackingMilestone,
    TrackingScan,
    TrackingUpdate,
    read_scan,
)


@dataclass(frozen=True, slots=True)
class ParcelProgress:
    milestone: TrackingMilestone | None = None
    last_scan_at: datetime | None = None
    estimated_delivery: datetime | None = None
    delivered_at: datetime | None = None
    exception: ExceptionType | None = None
    exception_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class MilestoneReached:
    milestone: TrackingMilestone
    scan: TrackingScan


@dataclass(frozen=True, slots=True)
class ExceptionRaised:
    exception: ExceptionType
    scan: TrackingScan


@dataclass(frozen=True, slots=True)
class EstimateChanged:
    previous: datetime | None
    estimate: datetime


ParcelEvent = MilestoneReached | ExceptionRaised | EstimateChanged


def advance(progress: ParcelProgress,
            update: TrackingUpdate) -> tuple[ParcelProgress, list[ParcelEvent]]:
    events: list[ParcelEvent] = []
    state = progress
    for scan in update.scans:  # oldest first
        if state.last_scan_at is not None and scan.occurred_at < state.last_scan_at:
            continue  # old news: already past it
        reading = read_scan(scan)
        milestone = reading.milestone
        if milestone is not None and (state.milestone is None or
                                      milestone.rank > state.milestone.rank):
            state = replace(state, milestone=milestone)
            events.append(MilestoneReached(milestone, scan))
            if milestone is TrackingMilestone.DELIVERED:
                state = replace(state, delivered_at=scan.occurred_at)
        if reading.exception is not None:
            if state.exception_at is None or scan.occurred_at > state.exception_at:
                state = replace(state, exception=reading.exception, exception_at=scan.occurred_at)
                events.append(ExceptionRaised(reading.exception, scan))
        elif milestone is not None and state.exception is not None:
            state = replace(state, exception=None)  # moving again: the exception is over
        if state.last_scan_at is None or scan.occurred_at > state.last_scan_at:
            state = replace(state, last_scan_at=scan.occurred_at)
    estimate = update.estimated_delivery
    if estimate is not None and estimate != state.estimated_delivery and state.delivered_at is None:
        if state.estimated_delivery is not None:
            events.append(EstimateChanged(state.estimated_delivery, estimate))
        state = replace(state, estimated_delivery=estimate)
    return state, events


def still_news(events: list[ParcelEvent], now: ParcelProgress) -> list[ParcelEvent]:
    """What the customer still needs to hear after one update, given where the parcel is `now`.

    A history learned late (several scans at once, after missed webhooks) yields every step it
    missed; telling them all would send `Out For Delivery` beside `Delivered`, or a `Delivery
    Exception` the parcel has since moved past. Only the current milestone is news, and an
    exception only while it is the parcel's current state. (The timeline keeps every step.)
    """
    kept: list[ParcelEvent] = []
    for event in events:
        if isinstance(event, MilestoneReached):
            if event.milestone is now.milestone:
                kept.append(event)
        elif isinstance(event, ExceptionRaised):
            if now.exception is event.exception and event.scan.occurred_at == now.exception_at:
                kept.append(event)
        else:
            kept.append(event)
    return kept
