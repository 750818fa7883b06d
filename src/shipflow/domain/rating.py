"""Choosing a label rate in `api` label mode, under the merchant's policy.

- `cheapest_on_time`: the cheapest rate whose delivery (estimated date, else ship date plus its
  business days in transit) is on or before the promised date; when none is on time, the
  fastest one, cheapest among equals (a late parcel is better than none, and the customer hears
  about it through `Shipment Delayed`);
- `preferred_carrier`: the cheapest rate of the preferred carrier; any carrier's cheapest when it
  has none.
A rule's service choice (`service:` in the rules file) narrows the rates first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Sequence

from shipflow.domain.policy import LabelPolicy, RateChoice
from shipflow.domain.routing import ServiceChoice


@dataclass(frozen=True, slots=True)
class RateOption:
    rate_id: str
    carrier_code: str
    service_code: str
    amount: Decimal
    delivery_days: int | None = None
    estimated_delivery: date | None = None


@dataclass(frozen=True, slots=True)
class RateDecision:
    rate: RateOption
    reason: str


def add_business_days(start: date, days: int) -> date:
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


def arrival(rate: RateOption, ship_date: date) -> date | None:
    if rate.estimated_delivery is not None:
        return rate.estimated_delivery
    if rate.delivery_days is not None:
        return add_business_days(ship_date, rate.delivery_days)
    return None


def choose_rate(rates: Sequence[RateOption], policy: LabelPolicy, *, ship_date: date,
                promised_by: date | None = None,
                service: ServiceChoice | None = None) -> RateDecision | None:
    """The rate to buy, with the reason in words for the timeline; None when there is none."""
    candidates = list(rates)
    if service is not None:
        narrowed = [r for r in candidates if r.carrier_code == service.carrier_code
                    and (service.service_code is None or r.service_code == service.service_code)]
        candidates = narrowed or candidates
    if not candidates:
        return None
    by_price = sorted(candidates, key=lambda r: (r.amount, r.delivery_days or 99))
    if policy.choose is RateChoice.PREFERRED_CARRIER and policy.preferred_carrier:
        preferred = [r for r in by_price if r.carrier_code == policy.preferred_carrier]
        if preferred:
            return RateDecision(preferred[0], f"cheapest {policy.preferred_carrier} rate "
                                f"({preferred[0].amount})")
        return RateDecision(by_price[0], f"no {policy.preferred_carrier} rate; cheapest overall "
                            f"({by_price[0].amount})")
    promise = promised_by or add_business_days(ship_date, policy.promised_business_days)
    on_time = [r for r in by_price if (a := arrival(r, ship_date)) is not None and a <= promise]
    if on_time:
        best = on_time[0]
        return RateDecision(best, f"cheapest rate arriving by {promise.isoformat()} "
                            f"({best.amount}, {arrival(best, ship_date)})")
    fastest = sorted(by_price, key=lambda r: (arrival(r, ship_date) or date.max, r.amount))[0]
    return RateDecision(fastest, f"no rate arrives by {promise.isoformat()}; the fastest "
                        f"({fastest.amount}, {arrival(fastest, ship_date)})")
