"""The merchant's policies that are settings rather than per-order rules: label mode, timers,
delay thresholds. They live in the `policy:` section of the rules file (`shipflow.rules`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from shipflow.domain.routing import BackorderPolicy


class LabelMode(StrEnum):
    WAREHOUSE = "warehouse"  # staff print labels in ShipStation; SHIP_NOTIFY drives the rest
    API = "api"  # shipflow rate-shops and buys the label


class RateChoice(StrEnum):
    CHEAPEST_ON_TIME = "cheapest_on_time"  # cheapest rate that arrives by the promised date
    PREFERRED_CARRIER = "preferred_carrier"  # cheapest rate of the preferred carrier


@dataclass(frozen=True, slots=True)
class LabelPolicy:
    mode: LabelMode = LabelMode.WAREHOUSE
    choose: RateChoice = RateChoice.CHEAPEST_ON_TIME
    preferred_carrier: str | None = None
    promised_business_days: int = 5  # the delivery promise when the order carries none


@dataclass(frozen=True, slots=True)
class TimerPolicy:
    review_days_default: float = 4.0
    review_days_by_category: dict[str, float] = field(default_factory=dict)
    reorder_days_by_sku: dict[str, float] = field(default_factory=dict)  # days one unit lasts


@dataclass(frozen=True, slots=True)
class DelayPolicy:
    no_scan_business_days: int = 3


@dataclass(frozen=True, slots=True)
class Policies:
    labels: LabelPolicy = field(default_factory=LabelPolicy)
    timers: TimerPolicy = field(default_factory=TimerPolicy)
    delays: DelayPolicy = field(default_factory=DelayPolicy)
    default_backorder: BackorderPolicy = BackorderPolicy.NOTIFY
