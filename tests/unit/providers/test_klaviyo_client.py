"""KlaviyoClient against scripted answers: headers, 202, 429 with and without Retry-After."""

from __future__ import annotations

from datetime import datetime, timezone

import httpx
import pytest

from shipflow.domain.milestone import MilestoneEvent, OrderSummary
from shipflow.providers.errors import (
    AuthenticationError,
    RateLimited,
    RejectedRequest,
    UnexpectedResponse,
)
from shipflow.providers.http import RetryPolicy
from shipflow.providers.klaviyo import KlaviyoClient, KlaviyoProfile
from shipflow.providers.klaviyo.client import rate_budget
from tests.unit.domain.factories import a_milestone_event

from .helpers import FAST_RETRY, FakeClock, Script, respond, seeded

BASE = "http://127.0.0.1:8100/klaviyo"
AT = datetime(2026, 11, 2, 15, 4, 5, 123456, tzinfo=timezone.utc)


def event(n: int = 1, email: str | None = "sarah.mason@klaviyo-demo.com") -> MilestoneEvent:
    return a_milestone_event(unique_id=f"order-shipped:x:{n}:1", time=AT, email=email,
                             phone=None, first_name=None, last_name=None, external_id=None,
                             order=OrderSummary(n, "#1001"))


def throttled(detail: str = "Request was throttled. Expected available in 1 second.") -> dict:
    return {"errors": [{"id": "4a1e3b8c-5a3f-4f6a-9a0b-0d0c8b2f5c11", "status": 429,
                        "code": "throttled", "title": "Request was throttled.",
                        "detail": detail, "source": {"pointer": "/data"},
                        "links": {"type": "https://developers.klaviyo.com/en/docs/"
                                          "rate_limits_and_error_handling#rate-limits"},
                        "meta": {}}]}


def client(script: Script, clock: FakeClock | None = None) -> KlaviyoClient:
    return KlaviyoClient(BASE, "pk_" + "a" * 34, transport=script.transport,
                         clock=clock or FakeClock(), retry=FAST_RETRY, rng=seeded())


def test_headers_and_path() -> None:
    script = Script([respond(202)])
    client(script).create_event(event())
    request = script.requests[0]
    assert str(request.url) == f"{BASE}/api/events"
    assert request.headers["Authorization"] == "Klaviyo-API-Key pk_" + "a" * 34
    assert request.headers["revision"] == "2026-07-15"
    assert request.headers["Content-Type"] == "application/vnd.api+json"
    assert request.headers["Accept"] == "application/vnd.api+json"
    body = script.body()
    assert body["data"]["attributes"]["unique_id"] == "order-shipped:x:1:1"
    assert body["data"]["attributes"]["time"] == "2026-11-02T15:04:05+00:00"


def test_revision_can_be_pinned() -> None:
    script = Script([respond(202)])
    KlaviyoClient(BASE, "pk_x", revision="2026-10-15", transport=script.transport,
                  clock=FakeClock()).create_event(event())
    assert script.requests[0].headers["revision"] == "2026-10-15"


def test_429_with_retry_after_waits_that_long() -> None:
    clock = FakeClock()
    script = Script([respond(429, throttled(), headers={"Retry-After": "3"}), respond(202)])
    client(script, clock).create_event(event())
    assert len(script.requests) == 2
    assert 3.0 <= clock.slept < 3.5


def test_429_without_retry_after_backs_off() -> None:
    clock = FakeClock()
    script = Script([respond(429, throttled()), respond(429, throttled()), respond(202)])
    client(script, clock).create_event(event())
    assert len(script.requests) == 3
    first, second = clock.sleeps
    assert 0.25 <= first <= 0.75 and 0.5 <= second <= 1.5  # base 0.5 s, doubled, ±50 %


def test_persistent_429_is_raised_with_klaviyo_detail() -> None:
    script = Script([respond(429, throttled())])
    with pytest.raises(RateLimited) as caught:
        client(script).create_event(event())
    assert caught.value.code == "throttled"
    assert "Expected available in 1 second" in str(caught.value)
    assert len(script.requests) == FAST_RETRY.max_attempts


def test_5xx_is_retried_because_unique_id_dedupes() -> None:
    script = Script([respond(503, text="<html>503</html>"), respond(500, {"errors": []}),
                     respond(202)])
    client(script).create_event(event())
    assert len(script.requests) == 3


def test_json_api_errors_become_typed_errors_with_pointer() -> None:
    body = {"errors": [{"id": "e0b5f5e4-1", "status": 400, "code": "invalid",
                        "title": "Invalid input.",
                        "detail": "'last_name' is not a valid field for the resource 'profile'.",
                        "source": {"pointer": "/data/attributes/profile/data/attributes/"
                                              "last_name"},
                        "links": {}, "meta": {}}]}
    script = Script([respond(400, body)])
    with pytest.raises(RejectedRequest) as caught:
        client(script).create_event(event())
    error = caught.value
    assert error.code == "invalid" and error.request_id == "e0b5f5e4-1"
    assert error.details[0].pointer == "/data/attributes/profile/data/attributes/last_name"
    assert "is not a valid field" in str(error)
    assert len(script.requests) == 1

    auth = {"errors": [{"id": "x", "status": 401, "code": "not_authenticated",
                        "title": "Authentication credentials were not provided.",
                        "detail": "Missing or invalid private key.",
                        "source": {"pointer": "/data/"}}]}
    with pytest.raises(AuthenticationError, match="Missing or invalid private key"):
        client(Script([respond(401, auth)])).create_event(event())


def test_cloudflare_html_error_is_still_readable() -> None:
    script = Script([respond(400, text="<html><head><title>400 Bad Request</title></head>"
                                       "<body>cloudflare</body></html>")])
    with pytest.raises(RejectedRequest, match="400 Bad Request"):
        client(script).create_event(event())


def test_bulk_splits_at_1000_events_and_dedupes() -> None:
    script = Script([respond(202)])
    events = [event(n, email=f"c{n % 700}@example.org") for n in range(2100)]
    events.append(event(5, email="c5@example.org"))  # a repeat of an event already queued
    client(script).create_events_bulk(events)
    assert [r.url.path for r in script.requests] == ["/klaviyo/api/event-bulk-create-jobs"] * 3
    counts = []
    for index in range(3):
        profiles = script.body(index)["data"]["attributes"]["events-bulk-create"]["data"]
        counts.append(sum(len(p["attributes"]["events"]["data"]) for p in profiles))
    assert counts == [1000, 1000, 100]


def test_rate_budget_waits_when_klaviyo_says_none_left() -> None:
    clock = FakeClock()
    script = Script([respond(202, headers={"RateLimit-Limit": "3500", "RateLimit-Remaining": "0",
                                           "RateLimit-Reset": "12"}), respond(202)])
    klaviyo = client(script, clock)
    klaviyo.create_event(event(1))
    klaviyo.create_event(event(2))
    assert clock.sleeps == [12.0]


def test_event_without_identifier_is_refused_before_sending() -> None:
    script = Script([respond(202)])
    with pytest.raises(ValueError, match="no profile identifier"):
        client(script).create_event(event(email=None))
    assert script.requests == []


# -- profiles and per-endpoint budgets ---------------------------------------------------------
PROFILE_ID = "01GDDKASAP8TKDDA2GRZDSVP4H"


def created(status: int = 201) -> httpx.Response:
    return respond(status, {"data": {"type": "profile", "id": PROFILE_ID, "attributes": {
        "email": "sarah.mason@klaviyo-demo.com"}, "links": {"self": "x"}}},
        headers={"RateLimit-Limit": "750", "RateLimit-Remaining": "749",
                 "RateLimit-Reset": "40"})


def test_upsert_profile_created_and_updated() -> None:
    script = Script([created(201), created(200)])
    klaviyo = client(script)
    profile = KlaviyoProfile(email="sarah.mason@klaviyo-demo.com", first_name="Sarah")
    assert klaviyo.upsert_profile(profile) == PROFILE_ID
    assert klaviyo.upsert_profile(profile) == PROFILE_ID
    request = script.requests[0]
    assert str(request.url) == f"{BASE}/api/profile-import"
    assert request.headers["Content-Type"] == "application/vnd.api+json"
    assert request.headers["revision"] == "2026-07-15"
    assert script.body() == {"data": {"type": "profile", "attributes": {
        "email": "sarah.mason@klaviyo-demo.com", "first_name": "Sarah"}}}
    with pytest.raises(UnexpectedResponse):
        client(Script([respond(200, {"data": {"type": "profile"}})])).upsert_profile(profile)


def test_profile_429_with_and_without_retry_after() -> None:
    clock = FakeClock()
    script = Script([respond(429, throttled(), headers={"Retry-After": "2"}), created()])
    client(script, clock).upsert_profile(KlaviyoProfile(external_id="7"))
    assert len(script.requests) == 2 and 2.0 <= clock.slept < 2.5
    bare = FakeClock()
    script = Script([respond(429, throttled()), created()])
    client(script, bare).upsert_profile(KlaviyoProfile(external_id="7"))
    assert len(script.requests) == 2 and 0.25 <= bare.slept <= 0.75


def duplicate(meta: dict) -> dict:
    # The real body (klaviyo/klaviyo-api-node#75, klaviyo.md §2a).
    return {"errors": [{"id": "bf03176f-c362-4731-8c90-3f5da9c30fc7", "status": 409,
                        "code": "duplicate_profile", "title": "Conflict.",
                        "detail": "A profile already exists with one of these identifiers.",
                        "source": {"pointer": "/data/attributes"}, "links": {},
                        "meta": meta}]}


def test_duplicate_profile_resolves_to_the_existing_profile() -> None:
    script = Script([respond(409, duplicate({"duplicate_profile_id": PROFILE_ID}))])
    found = client(script).upsert_profile(
        KlaviyoProfile(email="a@x.org", phone_number="+15005550006"))
    assert found == PROFILE_ID and len(script.requests) == 1


def test_duplicate_profile_without_an_id_is_a_rejection() -> None:
    script = Script([respond(409, duplicate({}))])
    with pytest.raises(RejectedRequest, match="already exists") as caught:
        client(script).upsert_profile(KlaviyoProfile(email="a@x.org", phone_number="+15005550006"))
    assert caught.value.code == "duplicate_profile" and len(script.requests) == 1


def test_each_endpoint_has_its_own_budget() -> None:
    """Spending the M-tier bulk window does not hold back Create Event (XL) or profiles (L)."""
    clock = FakeClock()
    spent = {"RateLimit-Limit": "150", "RateLimit-Remaining": "0", "RateLimit-Reset": "50"}
    script = Script([respond(202, headers=spent), respond(202), created(), respond(202)])
    klaviyo = client(script, clock)
    klaviyo.create_events_bulk([event(1)])
    klaviyo.create_event(event(2))
    klaviyo.upsert_profile(KlaviyoProfile(external_id="7"))
    assert clock.sleeps == []
    klaviyo.create_events_bulk([event(3)])
    assert clock.sleeps == [50.0]


def test_a_429_stops_that_endpoint_for_retry_after() -> None:
    """Klaviyo's 429 replaces the RateLimit-* headers by Retry-After; the budget keeps every
    later call to that endpoint (from any client sharing it) back for that long."""
    clock = FakeClock()
    script = Script([respond(429, throttled(), headers={"Retry-After": "9"}), created(),
                     respond(202)])
    klaviyo = KlaviyoClient(BASE, "pk_x", transport=script.transport, clock=clock,
                            retry=RetryPolicy(max_attempts=1))
    with pytest.raises(RateLimited):
        klaviyo.create_event(event(1))
    assert clock.sleeps == []
    klaviyo.upsert_profile(KlaviyoProfile(external_id="7"))  # another endpoint: no wait
    assert clock.sleeps == []
    klaviyo.create_event(event(2))
    assert clock.sleeps == [9.0]


def test_budgets_can_be_shared_between_clients() -> None:
    clock = FakeClock()
    shared = {"events": rate_budget("events", clock)}
    spent = {"RateLimit-Limit": "3500", "RateLimit-Remaining": "0", "RateLimit-Reset": "20"}
    first = KlaviyoClient(BASE, "pk_x", transport=Script([respond(202, headers=spent)]).transport,
                          clock=clock, budgets=shared)
    second = KlaviyoClient(BASE, "pk_x", transport=Script([respond(202)]).transport,
                           clock=clock, budgets=shared)
    first.create_event(event(1))
    second.create_event(event(2))  # the account's window, learnt by the other client
    assert clock.sleeps == [20.0]
    with pytest.raises(ValueError, match="unknown Klaviyo endpoint"):
        KlaviyoClient(BASE, "pk_x", budgets={"profile": rate_budget("events", clock)})


# -- reads (the audit's) -------------------------------------------------------------------------
def _event_row(n: int) -> dict:
    return {"type": "event", "id": f"e{n}", "links": {"self": "x"}, "attributes": {
        "timestamp": 1793613600 + n, "datetime": "2026-11-02T10:00:00+00:00",
        "event_properties": {"OrderId": n}, "uuid": f"e{n}"}}


def test_events_follow_links_next_on_the_same_host_only() -> None:
    page2 = f"{BASE}/api/events?page%5Bcursor%5D=abc"
    script = Script([
        respond(200, {"data": [_event_row(1)], "links": {"self": "x", "next": page2}}),
        respond(200, {"data": [_event_row(2)], "links": {"self": "x"}}),
    ])
    found = client(script).events("Y6Hmxn", AT)
    assert [e.properties["OrderId"] for e in found] == [1, 2]
    first, second = script.requests
    assert first.url.path == "/klaviyo/api/events"
    assert first.url.params["filter"] == (
        'equals(metric_id,"Y6Hmxn"),greater-or-equal(datetime,2026-11-02T15:04:05Z)')
    assert first.url.params["page[size]"] == "1000" and first.url.params["sort"] == "datetime"
    assert str(second.url) == page2 and second.headers["revision"] == "2026-07-15"

    elsewhere = Script([respond(200, {"data": [], "links": {
        "self": "x", "next": "https://evil.example/api/events?page%5Bcursor%5D=1"}})])
    with pytest.raises(UnexpectedResponse, match="outside the configured Klaviyo host"):
        client(elsewhere).events("Y6Hmxn", AT)


def test_metric_ids_keep_every_metric_of_a_name() -> None:
    def metric(ident: str, name: str) -> dict:
        return {"type": "metric", "id": ident, "attributes": {"name": name},
                "links": {"self": "x"}}

    script = Script([
        respond(200, {"data": [metric("A1", "Fulfilled Order")],
                      "links": {"self": "x", "next": f"{BASE}/api/metrics?page%5Bcursor%5D=2"}}),
        respond(200, {"data": [metric("B2", "Fulfilled Order"), metric("C3", "Placed Order")],
                      "links": {"self": "x"}}),
    ])
    assert client(script).metric_ids() == {"Fulfilled Order": ["A1", "B2"],
                                           "Placed Order": ["C3"]}
