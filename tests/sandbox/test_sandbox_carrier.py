"""The carrier simulator: tracking plans, scan order, forced outcomes and the code taxonomy."""

from __future__ import annotations

import random
import re
import time
from datetime import UTC, date, datetime

import httpx
import pytest
from sandbox_helpers import FIXTURES
from v2_helpers import USPS, V2

from shipflow_sandbox.carrier.geo import destination, line_haul
from shipflow_sandbox.carrier.outcomes import DEFAULT_ODDS, OUTCOMES, choose_outcome
from shipflow_sandbox.carrier.plan import PlanError, Route, apply_outcome, base_scans
from shipflow_sandbox.carrier.transit import (
    add_business_days,
    business_days_between,
    is_business_day,
    pickup_day,
    transit_days,
)

MD = (FIXTURES.parent / "specs" / "shipstation.md").read_text()
STATUS_CODES = set(re.findall(r"^\| `([A-Z]{2})` \|", MD[MD.index("### 3.1"):], re.M)[:8])
DETAIL_CODES = set(re.findall(r"^\| `([A-Z_0-9]+)` \|",
                              MD[MD.index("### 3.4"):MD.index("## 4.")], re.M))
FINAL = {"DELIVERED", "DELIVERED_DAMAGED", "RETURN_TO_SENDER", "PARCEL_LOST"}
EXPECTED = {  # outcome -> detail codes that must appear, in this order
    "on_time": ["SHIPMENT_CREATED", "PICKED_UP", "RECEIVED_LOCAL_DELIVERY_DEPOT",
                "OUT_FOR_DELIVERY", "DELIVERED"],
    "delayed": ["SHIPMENT_CREATED", "CARRIER_DELAYS", "OUT_FOR_DELIVERY", "DELIVERED"],
    "stalled": ["SHIPMENT_CREATED", "OUT_FOR_DELIVERY", "DELIVERED"],
    "failed_attempt": ["OUT_FOR_DELIVERY", "ATTEMPTED_DELIVERY", "OUT_FOR_DELIVERY",
                       "DELIVERED"],
    "undeliverable": ["OUT_FOR_DELIVERY", "ADDRESS_QUERY", "RETURN_TO_SENDER"],
    "damaged": ["PARCEL_DAMAGED", "DELIVERED_DAMAGED"],
    "lost": ["SHIPMENT_CREATED", "PARCEL_LOST"],
}
STATUS_OF = {"CARRIER_DELAYS": "EX", "ATTEMPTED_DELIVERY": "AT", "ADDRESS_QUERY": "EX",
             "RETURN_TO_SENDER": "EX", "PARCEL_DAMAGED": "EX", "PARCEL_LOST": "EX",
             "DELIVERED": "DE", "DELIVERED_DAMAGED": "DE", "OUT_FOR_DELIVERY": "IT",
             "SHIPMENT_CREATED": "NY", "PICKED_UP": "AC"}


def day_of(stamp: str) -> date:
    return date.fromisoformat(stamp[:10])


@pytest.fixture(scope="module")
def finished(request):
    """One parcel per forced outcome (USPS, so every event carries a detail code), run to the
    end, plus one UPS parcel forced after it was created."""
    from shipflow_sandbox import SandboxConfig, running_sandbox

    context = running_sandbox(SandboxConfig(seed=8, time_scale=86400 * 50))
    sandbox = context.__enter__()
    request.addfinalizer(lambda: context.__exit__(None, None, None))
    v2 = V2(sandbox)
    labels = {}
    for outcome in OUTCOMES:
        httpx.post(sandbox.url("/_sandbox/carrier/plan"), json={"next": True, "outcome": outcome})
        labels[outcome] = v2.label(carrier_id=USPS, service_code="usps_ground_advantage")
    ups = v2.label()
    forced = httpx.post(sandbox.url("/_sandbox/carrier/plan"),
                        json={"tracking_number": ups["tracking_number"], "outcome": "delayed"})
    assert forced.status_code == 200 and forced.json()["outcome"] == "delayed"
    labels["ups"] = ups
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline:
        infos = {k: v2.track(v["label_id"]) for k, v in labels.items()}
        if all(i["events"][0]["status_detail_code"] in FINAL or
               i["events"][0]["carrier_detail_code"] == "FS" for i in infos.values()):
            return sandbox, labels, infos
        time.sleep(0.1)
    raise AssertionError("parcels did not finish")


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_forced_outcomes_produce_exactly_the_taxonomy_codes(finished, outcome):
    _, labels, infos = finished
    events = list(reversed(infos[outcome]["events"]))  # oldest first
    codes = [e["status_detail_code"] for e in events]
    assert all(e["status_code"] in STATUS_CODES for e in events)
    assert set(codes) <= DETAIL_CODES
    for code in codes:
        if code in STATUS_OF:
            assert all(e["status_code"] == STATUS_OF[code] for e in events
                       if e["status_detail_code"] == code)
    position = 0
    for wanted in EXPECTED[outcome]:
        position = codes.index(wanted, position) + 1
    assert codes[-1] in FINAL
    times = [e["occurred_at"] for e in events]
    assert times == sorted(times) and len(set(times)) == len(times)
    info = infos[outcome]
    assert info["status_detail_code"] == codes[-1]
    delivered = codes[-1].startswith("DELIVERED")
    assert (info["actual_delivery_date"] is not None) == delivered
    exceptions = {"EX", "AT"} & {e["status_code"] for e in events}
    assert bool(exceptions) == (outcome not in ("on_time", "stalled"))


def test_estimates_move_later_or_are_missed(finished):
    _, labels, infos = finished
    on_time = infos["on_time"]
    assert day_of(on_time["actual_delivery_date"]) == day_of(on_time["estimated_delivery_date"])
    assert is_business_day(day_of(on_time["estimated_delivery_date"]))
    delayed = infos["delayed"]
    assert day_of(delayed["actual_delivery_date"]) == day_of(delayed["estimated_delivery_date"])
    plan = httpx.get(finished[0].url("/_sandbox/carrier/plans"),
                     params={"tracking_number": labels["delayed"]["tracking_number"]}).json()
    assert plan["plans"][0]["outcome"] == "delayed"
    stalled = infos["stalled"]
    assert day_of(stalled["actual_delivery_date"]) > day_of(stalled["estimated_delivery_date"])
    days = [day_of(e["occurred_at"]) for e in reversed(stalled["events"])]
    gaps = [business_days_between(a, b) for a, b in zip(days, days[1:], strict=False)]
    assert max(gaps) >= 3, days


def test_ups_sends_null_detail_codes_and_ot_for_out_for_delivery(finished):
    _, _, infos = finished
    events = infos["ups"]["events"]
    routine = [e for e in events if e["status_code"] in ("NY", "AC", "IT", "DE")]
    assert routine and all(e["status_detail_code"] is None for e in routine)
    out = [e for e in events if e["carrier_detail_code"] == "OT"]
    assert out and all(e["status_code"] == "IT" for e in out)
    assert events[0]["carrier_detail_code"] == "FS" and events[0]["status_code"] == "DE"
    assert any(e["status_detail_code"] == "CARRIER_DELAYS" for e in events)
    assert infos["ups"]["carrier_id"] == 3 and infos["ups"]["carrier_code"] == "ups"


def test_signature_services_name_the_signer_and_deliveries_say_where(make_sandbox):
    sandbox = make_sandbox(time_scale=86400 * 50, carrier_outcome="on_time")
    v2 = V2(sandbox)
    signed = v2.label(confirmation="adult_signature")
    plain = v2.label(carrier_id=USPS, service_code="usps_priority_mail")
    time.sleep(0.4)
    delivered = v2.track(signed["label_id"])["events"][0]
    assert delivered["signer"] == "SMITH" and "SMITH" in delivered["description"]
    assert delivered["postal_code"] == "48067" and delivered["city_locality"] == "ROYAL OAK"
    left = v2.track(plain["label_id"])["events"][0]
    assert left["signer"] is None and left["description"].startswith("Delivered, ")


def test_forcing_too_late_is_refused(finished):
    sandbox, labels, _ = finished
    late = httpx.post(sandbox.url("/_sandbox/carrier/plan"),
                      json={"tracking_number": labels["on_time"]["tracking_number"],
                            "outcome": "lost"})
    assert late.status_code == 409
    unknown = httpx.post(sandbox.url("/_sandbox/carrier/plan"),
                         json={"tracking_number": "nope", "outcome": "lost"})
    assert unknown.status_code == 404
    bad = httpx.post(sandbox.url("/_sandbox/carrier/plan"), json={"outcome": "teleported"})
    assert bad.status_code == 400


# -- pure planning ---------------------------------------------------------------------------
def route(service: str = "ups_ground", city: str = "Seattle", state: str = "WA") -> Route:
    created = datetime(2026, 9, 1, 15, 0, tzinfo=UTC)  # a Tuesday, before the cut-off
    home, depot = destination(city, state, "98103", "US")
    pickup = pickup_day(created, "America/Kentucky/Louisville")
    days = transit_days(service, 3000, False)
    return Route(created, "ups", service, home, depot, tuple(line_haul(home)), pickup,
                 add_business_days(pickup, days), "t:1")


def test_replanning_never_rewrites_what_was_sent():
    r = route()
    delayed = apply_outcome(base_scans(r), r, "delayed", r.created)
    sent = [s for s in delayed if s.kind in ("label_created", "picked_up", "delayed")
            or s.at <= next(x.at for x in delayed if x.kind == "delayed")]
    cut = sent[-1].at
    lost = apply_outcome(delayed, r, "lost", cut, attempt=1)
    assert lost[: len(sent)] == sent
    assert lost[-1].kind == "lost" and all(s.at > cut for s in lost[len(sent):])
    with pytest.raises(PlanError):
        apply_outcome(lost, r, "failed_attempt", lost[-1].at, attempt=2)


def test_transit_times_per_service_in_business_days():
    assert transit_days("ups_next_day_air", 3000, False) == 1
    assert transit_days("fedex_2day", 100, False) == 2
    assert 3 <= transit_days("ups_ground", 2500, False) <= 5
    assert transit_days("ups_ground", 150, False) == 1
    assert 2 <= transit_days("usps_ground_advantage", 10, False)
    assert transit_days("usps_ground_advantage", 9000, False) == 5
    assert 1 <= transit_days("usps_priority_mail", 2000, False) <= 3
    assert transit_days("ups_ground", 2000, True) == transit_days("ups_ground", 2000, False) + 2
    friday = date(2026, 9, 4)
    assert add_business_days(friday, 1) == date(2026, 9, 7)
    late = datetime(2026, 9, 4, 22, 0, tzinfo=UTC)  # Friday 18:00 in Louisville
    assert pickup_day(late, "America/Kentucky/Louisville") == date(2026, 9, 7)
    for service in ("ups_ground", "usps_priority_mail", "fedex_standard_overnight"):
        r = route(service)
        delivered = base_scans(r)[-1]
        assert delivered.kind == "delivered" and is_business_day(r.estimate)


def test_default_odds_are_realistic():
    rng = random.Random(4)
    draws = [choose_outcome(rng, DEFAULT_ODDS) for _ in range(20000)]
    share = {o: draws.count(o) / len(draws) for o in OUTCOMES}
    assert share["on_time"] == pytest.approx(0.85, abs=0.015)
    assert share["delayed"] == pytest.approx(0.08, abs=0.01)
    assert share["failed_attempt"] == pytest.approx(0.03, abs=0.006)
    assert 0 < share["lost"] < 0.012
