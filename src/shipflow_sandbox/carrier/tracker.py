"""The carrier at run time: a tracking plan per parcel, its scans fired on the simulated clock.

`register` is called for every label (v2 labels, and v1 shipments through their twin v2 label);
the outcome is the next one queued by `force_next`, else `SandboxConfig.carrier_outcome`,
else drawn from the configured odds with the carrier's seeded RNG. Each scan, when its time
comes, is rendered (`events.render`), appended to the parcel's history and handed to the
listeners (the v2 API sends TRACK_EVENT_V2 webhooks). `force` re-plans the scans that have
not happened yet; scans already sent never change, so a history never goes backwards.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from shipflow_sandbox.carrier import events
from shipflow_sandbox.carrier.geo import (
    NONCONTIGUOUS,
    ORIGIN,
    destination,
    distance_km,
    line_haul,
)
from shipflow_sandbox.carrier.outcomes import OUTCOMES, choose_outcome
from shipflow_sandbox.carrier.plan import PlanError, PlannedScan, Route, apply_outcome, base_scans
from shipflow_sandbox.carrier.taxonomy import FINAL_KINDS, KINDS
from shipflow_sandbox.carrier.transit import add_business_days, pickup_day, transit_days
from shipflow_sandbox.clock import Clock
from shipflow_sandbox.config import SandboxConfig
from shipflow_sandbox.scheduler import Scheduler, Timer

__all__ = ["CarrierSim", "Parcel", "PlanError"]


@dataclass
class Parcel:
    tracking_number: str
    label_id: str
    route: Route
    outcome: str
    confirmation: str | None
    recipient: str
    company: str | None
    plan: list[PlannedScan]
    emitted: list[dict[str, Any]] = field(default_factory=list)
    emitted_scans: list[PlannedScan] = field(default_factory=list)
    timers: list[Timer] = field(default_factory=list)
    voided: bool = False
    replans: int = 0

    @property
    def carrier_code(self) -> str:
        return self.route.carrier_code

    @property
    def done(self) -> bool:
        return bool(self.emitted_scans) and self.emitted_scans[-1].kind in FINAL_KINDS

    def estimate(self) -> date:
        for scan in reversed(self.emitted_scans):
            if scan.estimate is not None:
                return scan.estimate
        return self.route.estimate

    def ship_date(self) -> str:
        picked = next((s for s in self.emitted_scans if s.kind == "picked_up"), None)
        return events.utc_text(picked.at) if picked else events.day_text(self.route.pickup)

    def tracking_information(self) -> dict[str, Any] | None:
        if not self.emitted:
            return None
        return events.tracking_information(
            tracking_number=self.tracking_number,
            carrier=self.carrier_code,
            events=self.emitted,
            ship_date=self.ship_date(),
            estimate=self.estimate(),
        )

    def to_json(self) -> dict[str, Any]:
        """The plan as the `/_sandbox/carrier` controls show it."""
        sent = len(self.emitted_scans)
        return {
            "tracking_number": self.tracking_number,
            "label_id": self.label_id,
            "carrier_code": self.carrier_code,
            "service_code": self.route.service_code,
            "outcome": self.outcome,
            "voided": self.voided,
            "ship_date": self.route.pickup.isoformat(),
            "estimated_delivery_date": self.estimate().isoformat(),
            "scans": [
                {
                    "at": events.utc_text(scan.at),
                    "kind": scan.kind,
                    "status_code": KINDS[scan.kind][0],
                    "status_detail_code": KINDS[scan.kind][1],
                    "city_locality": scan.place.city,
                    "state_province": scan.place.state,
                    "emitted": index < sent,
                }
                for index, scan in enumerate(self.emitted_scans + self._pending())
            ],
        }

    def _pending(self) -> list[PlannedScan]:
        if not self.emitted_scans:
            return list(self.plan)
        last = self.emitted_scans[-1].at
        return [s for s in self.plan if s.at > last]


Listener = Callable[[Parcel, dict[str, Any]], None]


class CarrierSim:
    def __init__(self, config: SandboxConfig, clock: Clock, scheduler: Scheduler) -> None:
        self.config = config
        self.clock = clock
        self.scheduler = scheduler
        self.rng = random.Random(f"carrier:{config.seed}")
        self.parcels: dict[str, Parcel] = {}
        self.listeners: list[Listener] = []
        self.forced_next: list[str] = []
        self.scans_emitted = 0

    def register(self, *, tracking_number: str, carrier_code: str, service_code: str,
                 label_id: str, ship_to: Mapping[str, Any], confirmation: str | None,
                 created: datetime | None = None) -> Parcel:
        """Plan and schedule the scans of a new label. `ship_to` has v2 address keys."""
        created = created or self.clock.calendar()
        home, depot = destination(ship_to.get("city_locality"), ship_to.get("state_province"),
                                  ship_to.get("postal_code"), ship_to.get("country_code"))
        pickup = pickup_day(created, ORIGIN.tz)
        days = transit_days(service_code, distance_km(ORIGIN, home),
                            home.state in NONCONTIGUOUS)
        route = Route(created, carrier_code, service_code, home, depot,
                      tuple(line_haul(home)), pickup, add_business_days(pickup, days),
                      f"{self.config.seed}:{tracking_number}")
        if self.forced_next:
            outcome = self.forced_next.pop(0)
        else:
            outcome = self.config.carrier_outcome or choose_outcome(
                self.rng, self.config.carrier_odds
            )
        parcel = Parcel(tracking_number, label_id, route, outcome, confirmation,
                        str(ship_to.get("name") or "Recipient"), ship_to.get("company_name"),
                        apply_outcome(base_scans(route), route, outcome, created))
        self.parcels[tracking_number] = parcel
        self._schedule(parcel)
        return parcel

    def force_next(self, outcome: str) -> None:
        _check(outcome)
        self.forced_next.append(outcome)

    def force(self, tracking_number: str, outcome: str) -> Parcel:
        """Re-plan a parcel's future for `outcome` (KeyError: unknown, PlanError: too late)."""
        _check(outcome)
        parcel = self.parcels[tracking_number]
        if parcel.done or parcel.voided:
            raise PlanError("the parcel's tracking has ended")
        started = any(s.source != "base" for s in parcel.emitted_scans)
        scans = parcel.plan if started else base_scans(parcel.route)
        not_before = self.clock.calendar()
        if parcel.emitted_scans:
            not_before = max(not_before, parcel.emitted_scans[-1].at)
        parcel.replans += 1
        parcel.plan = apply_outcome(scans, parcel.route, outcome, not_before, parcel.replans)
        parcel.outcome = outcome
        self._schedule(parcel)
        return parcel

    def void(self, tracking_number: str) -> None:
        parcel = self.parcels.get(tracking_number)
        if parcel is not None:
            parcel.voided = True
            for timer in parcel.timers:
                timer.cancel()

    def _schedule(self, parcel: Parcel) -> None:
        for timer in parcel.timers:
            timer.cancel()
        parcel.timers = [
            self.scheduler.at(self.clock.at_calendar(scan.at), self._firing(parcel, scan))
            for scan in parcel._pending()
        ]

    def _firing(self, parcel: Parcel, scan: PlannedScan) -> Callable[[], None]:
        return lambda: self._fire(parcel, scan)

    def _fire(self, parcel: Parcel, scan: PlannedScan) -> None:
        if parcel.voided or parcel.done:
            return
        signer, text, company = None, None, None
        if scan.kind in ("delivered", "delivered_damaged"):
            rng = random.Random(f"{parcel.route.seed}:door")
            signer, text = events.delivery_details(
                parcel.carrier_code, parcel.confirmation, parcel.recipient, rng
            )
            company = parcel.company
        event = events.render(parcel.carrier_code, scan, description=text, signer=signer,
                              company=company)
        parcel.emitted.append(event)
        parcel.emitted_scans.append(scan)
        self.scans_emitted += 1
        for listener in self.listeners:
            listener(parcel, event)

    def counts(self) -> dict[str, Any]:
        outcomes = Counter(p.outcome for p in self.parcels.values())
        status = Counter(p.emitted[-1]["status_code"] for p in self.parcels.values() if p.emitted)
        return {
            "parcels": len(self.parcels),
            "outcomes": dict(sorted(outcomes.items())),
            "latest_status": dict(sorted(status.items())),
            "scans_emitted": self.scans_emitted,
            "scans_pending": self.scheduler.pending(),
        }


def _check(outcome: str) -> None:
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}; one of {', '.join(OUTCOMES)}")
