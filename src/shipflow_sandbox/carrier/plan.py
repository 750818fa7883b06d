"""Tracking plans: every scan a parcel will get, with its time on the simulated calendar.

A plan starts from the parcel's on-time *base* schedule (deterministic per tracking number):

    NY label created -> [AC electronic advice] -> AC picked up (end of the warehouse's day)
    -> IT hub arrival/departure pairs along the route (customs at an import gateway)
    -> IT local depot (early morning) -> IT out for delivery -> DE delivered (daytime)

and an outcome then rewrites the part after `not_before` (so a forced outcome never changes
scans that were already sent): `delayed` inserts EX/CARRIER_DELAYS with a later estimate and
shifts the rest, `stalled` silently shifts the rest so that 3-5 business days pass without a
scan, `failed_attempt` turns the delivery into AT/ATTEMPTED_DELIVERY and delivers the next business day,
`undeliverable` turns it into EX/ADDRESS_QUERY then EX/RETURN_TO_SENDER, `damaged` inserts
EX/PARCEL_DAMAGED and ends in DE/DELIVERED_DAMAGED a day late, `lost` drops the rest and adds
EX/PARCEL_LOST 5-8 business days after the estimate.
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from shipflow_sandbox.carrier.geo import ORIGIN, Place
from shipflow_sandbox.carrier.transit import (
    add_business_days,
    is_business_day,
    local_moment,
    next_business_day,
)

PIVOTS = {"hub_arrival", "hub_departure", "in_transit", "customs_processing", "customs_cleared",
          "depot"}
MIN_GAP = timedelta(minutes=1)


class PlanError(Exception):
    """An outcome that can no longer happen (the parcel is too far along)."""


@dataclass(frozen=True)
class PlannedScan:
    at: datetime
    kind: str
    place: Place
    phase: str  # "pre" | "haul" | "final"
    source: str = "base"  # "base" or the outcome that added/moved it
    estimate: date | None = None
    location: str | None = None


@dataclass(frozen=True)
class Route:
    created: datetime
    carrier_code: str
    service_code: str
    home: Place
    depot: Place
    hubs: tuple[Place, ...]
    pickup: date
    estimate: date
    seed: str


def _hours(rng: random.Random, low: float, high: float) -> timedelta:
    return timedelta(hours=rng.uniform(low, high))


def base_scans(route: Route) -> list[PlannedScan]:
    """The on-time schedule; the same route always gives the same scans."""
    rng = random.Random(route.seed + ":base")
    scans = [PlannedScan(route.created + timedelta(minutes=rng.uniform(1, 5)),
                         "label_created", ORIGIN, "pre")]
    if route.carrier_code != "ups":
        scans.append(PlannedScan(route.created + timedelta(minutes=rng.uniform(20, 90)),
                                 "electronic_advice", ORIGIN, "pre"))
    pickup = local_moment(route.pickup, rng.uniform(17.5, 19.0), ORIGIN.tz)
    scans.append(PlannedScan(pickup, "picked_up", ORIGIN, "pre"))
    depot_at = local_moment(route.estimate, rng.uniform(3.5, 6.0), route.depot.tz)
    start = pickup + _hours(rng, 0.8, 1.5)
    legs = len(route.hubs)
    span = depot_at - start
    international = route.home.country != "US"
    for index, hub in enumerate(route.hubs):
        center = start + span * (index / legs)
        dwell = min(timedelta(hours=3), span / (3 * legs))
        arrive = center if index == 0 else center - dwell / 2
        scans.append(PlannedScan(arrive, "hub_arrival", hub, "haul"))
        if international and index == legs - 1:
            scans.append(PlannedScan(arrive + dwell * 0.3, "customs_processing", hub, "haul"))
            scans.append(PlannedScan(arrive + dwell * 0.7, "customs_cleared", hub, "haul"))
        scans.append(PlannedScan(arrive + dwell, "hub_departure", hub, "haul"))
        if route.carrier_code == "stamps_com" and index < legs - 1:
            scans.append(PlannedScan(center + span / (2 * legs), "in_transit", hub, "haul"))
    scans += _final(route, route.estimate, rng, "delivered", source="base")
    return _ordered(scans)


def _final(route: Route, day: date, rng: random.Random, end: str, source: str,
           with_depot: bool = True) -> list[PlannedScan]:
    """Depot (early morning), out for delivery, then `end` at the door, all on `day`."""
    tz = route.depot.tz
    scans = []
    if with_depot:
        scans.append(PlannedScan(local_moment(day, rng.uniform(3.5, 6.0), tz), "depot",
                                 route.depot, "final", source))
    scans.append(PlannedScan(local_moment(day, rng.uniform(7.0, 9.5), tz), "out_for_delivery",
                             route.depot, "final", source))
    scans.append(PlannedScan(local_moment(day, rng.uniform(10.5, 18.5), tz), end, route.home,
                             "final", source))
    return scans


def _ordered(scans: list[PlannedScan]) -> list[PlannedScan]:
    """Sorted by time, each at least a minute after the one before."""
    out: list[PlannedScan] = []
    for scan in sorted(scans, key=lambda s: s.at):
        if out and scan.at < out[-1].at + MIN_GAP:
            scan = dataclasses.replace(scan, at=out[-1].at + MIN_GAP)
        out.append(scan)
    return out


def _final_day(scans: list[PlannedScan], route: Route) -> date:
    """The local date of the last scan of the final phase (the planned delivery day)."""
    last = next((s for s in reversed(scans) if s.phase == "final"), None)
    if last is None:
        return route.estimate
    return last.at.astimezone(ZoneInfo(route.depot.tz)).date()


def _pivot(scans: list[PlannedScan], not_before: datetime, rng: random.Random,
           outcome: str) -> int:
    """The scan after which an en-route outcome strikes (preferably between hubs)."""
    choices = [i for i, s in enumerate(scans) if s.kind in PIVOTS and s.at > not_before]
    if not choices:
        raise PlanError(f"too late for {outcome!r}: the parcel is already out for delivery")
    haul = [i for i in choices if scans[i].phase == "haul"] or choices
    return rng.choice(haul)


def _shift_rest(scans: list[PlannedScan], pivot: int, route: Route, new_day: date,
                rng: random.Random, source: str, end: str = "delivered") -> list[PlannedScan]:
    """Scans up to `pivot` kept; later hub scans moved by the delay; final phase on new_day."""
    old_day = _final_day(scans, route)
    delta = timedelta(days=(new_day - old_day).days)
    kept = scans[: pivot + 1]
    moved = [dataclasses.replace(s, at=s.at + delta, source=source)
             for s in scans[pivot + 1:] if s.phase == "haul"]
    return kept + moved + _final(route, new_day, rng, end, source)


def apply_outcome(scans: list[PlannedScan], route: Route, outcome: str,
                  not_before: datetime, attempt: int = 0) -> list[PlannedScan]:
    """`scans` rewritten for `outcome` after `not_before` (see the module docstring)."""
    rng = random.Random(f"{route.seed}:{outcome}:{attempt}")
    if outcome == "on_time":
        return scans
    day = _final_day(scans, route)
    if outcome in ("failed_attempt", "undeliverable"):
        end = next((i for i, s in enumerate(scans)
                    if s.kind in ("delivered", "delivered_damaged") and s.at > not_before), None)
        if end is None:
            raise PlanError(f"too late for {outcome!r}: the parcel was already delivered")
        last = scans[end]
        kind = "attempted" if outcome == "failed_attempt" else "address_query"
        retry = next_business_day(day)
        place = route.home if kind == "attempted" else route.depot
        first = dataclasses.replace(last, kind=kind, place=place, source=outcome,
                                    estimate=retry if kind == "attempted" else None)
        rest = scans[:end] + [first]
        if kind == "attempted":
            rest += _final(route, retry, rng, "delivered", outcome, with_depot=False)
        else:
            at = local_moment(retry, rng.uniform(9.0, 12.0), route.depot.tz)
            rest.append(PlannedScan(at, "return_to_sender", route.depot, "final", outcome))
        return _ordered(rest)
    pivot = _pivot(scans, not_before, rng, outcome)
    anchor = scans[pivot]
    if outcome == "lost":
        at = local_moment(add_business_days(day, rng.randint(5, 8)), rng.uniform(10, 16),
                          anchor.place.tz)
        lost = PlannedScan(at, "lost", anchor.place, "final", outcome)
        return _ordered(scans[: pivot + 1] + [lost])
    if outcome == "stalled":
        # No scan at all for 3-5 business days after the pivot, then on as planned.
        resume = add_business_days(anchor.at.date(), rng.randint(3, 5))
        following = scans[pivot + 1].at.date()
        new_day = day + timedelta(days=max(1, (resume - following).days))
        if not is_business_day(new_day):
            new_day = next_business_day(new_day)
        return _ordered(_shift_rest(scans, pivot, route, new_day, rng, outcome))
    late = rng.randint(1, 3) if outcome == "delayed" else 1
    new_day = add_business_days(day, late)
    kind = "delayed" if outcome == "delayed" else "damaged"
    event = PlannedScan(anchor.at + _hours(rng, 0.3, 1.5), kind, anchor.place, anchor.phase,
                        outcome, estimate=new_day)
    final_kind = "delivered_damaged" if outcome == "damaged" else "delivered"
    rest = _shift_rest(scans, pivot, route, new_day, rng, outcome, final_kind)
    return _ordered([*rest[: pivot + 1], event, *rest[pivot + 1:]])
