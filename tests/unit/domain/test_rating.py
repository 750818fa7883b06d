from __future__ import annotations

from datetime import date
from decimal import Decimal

from shipflow.domain.policy import LabelPolicy, RateChoice
from shipflow.domain.rating import RateOption, add_business_days, choose_rate
from shipflow.domain.routing import ServiceChoice

MONDAY = date(2026, 11, 23)
RATES = [
    RateOption("r1", "stamps_com", "usps_ground_advantage", Decimal("6.10"), 5),
    RateOption("r2", "ups", "ups_ground", Decimal("9.40"), 3),
    RateOption("r3", "fedex", "fedex_2day", Decimal("18.00"), 2),
    RateOption("r4", "ups", "ups_next_day_air", Decimal("31.00"), None, date(2026, 11, 24)),
]


def test_business_days_skip_the_weekend() -> None:
    assert add_business_days(date(2026, 11, 27), 1) == date(2026, 11, 30)  # Fri -> Mon
    assert add_business_days(MONDAY, 3) == date(2026, 11, 26)


def test_cheapest_that_meets_the_promise() -> None:
    decision = choose_rate(RATES, LabelPolicy(promised_business_days=3), ship_date=MONDAY)
    assert decision is not None and decision.rate.rate_id == "r2"
    loose = choose_rate(RATES, LabelPolicy(promised_business_days=5), ship_date=MONDAY)
    assert loose is not None and loose.rate.rate_id == "r1"


def test_nothing_on_time_takes_the_fastest() -> None:
    decision = choose_rate(RATES[:3], LabelPolicy(), ship_date=MONDAY,
                           promised_by=date(2026, 11, 24))
    assert decision is not None and decision.rate.rate_id == "r3"
    assert "no rate arrives by" in decision.reason


def test_preferred_carrier_and_its_absence() -> None:
    policy = LabelPolicy(choose=RateChoice.PREFERRED_CARRIER, preferred_carrier="fedex")
    decision = choose_rate(RATES, policy, ship_date=MONDAY)
    assert decision is not None and decision.rate.rate_id == "r3"
    other = LabelPolicy(choose=RateChoice.PREFERRED_CARRIER, preferred_carrier="dhl")
    fallback = choose_rate(RATES, other, ship_date=MONDAY)
    assert fallback is not None and fallback.rate.rate_id == "r1"


def test_a_rules_service_narrows_the_rates() -> None:
    decision = choose_rate(RATES, LabelPolicy(promised_business_days=5), ship_date=MONDAY,
                           service=ServiceChoice("ups"))
    assert decision is not None and decision.rate.rate_id == "r2"
    assert choose_rate([], LabelPolicy(), ship_date=MONDAY) is None
