"""The shared HTTP helper and the error hierarchy."""

from __future__ import annotations

import logging
import pickle
import random
from datetime import datetime, timezone

import httpx
import pytest

from shipflow.providers import errors
from shipflow.providers.http import (
    HeaderRateBudget,
    HttpSession,
    RetryPolicy,
    build_client,
    parse_retry_after,
    raise_for_status,
)

from .helpers import FakeClock, Script, respond


def test_retry_after_forms() -> None:
    now = datetime(2026, 11, 2, 12, 0, 0, tzinfo=timezone.utc)
    assert parse_retry_after("2") == 2.0
    assert parse_retry_after("2.0") == 2.0
    assert parse_retry_after("Mon, 02 Nov 2026 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Mon, 02 Nov 2026 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("-5") == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
    assert parse_retry_after("nan") is None


def test_backoff_is_exponential_capped_and_jittered() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=8.0)
    rng = random.Random(1)
    for attempt, nominal in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (9, 8.0)]:
        delays = {policy.backoff(attempt, rng) for _ in range(50)}
        assert all(0.5 * nominal <= d <= 1.5 * nominal for d in delays)
        assert len(delays) > 1


def test_header_budget_only_waits_when_spent() -> None:
    clock = FakeClock()
    budget = HeaderRateBudget("X-Rate-Limit-Remaining", "X-Rate-Limit-Reset", clock=clock)
    budget.acquire()
    budget.observe(httpx.Response(200, headers={"X-Rate-Limit-Remaining": "3",
                                                "X-Rate-Limit-Reset": "10"}))
    budget.acquire()
    budget.observe(httpx.Response(200, headers={"X-Rate-Limit-Remaining": "0",
                                                "X-Rate-Limit-Reset": "10"}))
    clock.now += 4
    budget.acquire()
    assert clock.sleeps == [6.0]
    budget.acquire()  # the fresh window is unknown until the next response
    assert clock.sleeps == [6.0]
    budget.observe(httpx.Response(200, headers={"X-Rate-Limit-Remaining": "junk"}))
    budget.acquire()
    assert clock.sleeps == [6.0]


def limits(remaining: int, reset: float, limit: int = 40) -> httpx.Response:
    return httpx.Response(200, headers={"X-Rate-Limit-Limit": str(limit),
                                        "X-Rate-Limit-Remaining": str(remaining),
                                        "X-Rate-Limit-Reset": str(reset)})


def shipstation_budget(clock: FakeClock) -> HeaderRateBudget:
    return HeaderRateBudget("X-Rate-Limit-Remaining", "X-Rate-Limit-Reset",
                            limit_header="X-Rate-Limit-Limit", clock=clock)


def test_header_budget_counts_down_between_answers() -> None:
    """Each request takes its place as it is sent, before any answer says so (the threaded
    case, answers overtaken by requests in flight, is in test_shared_rate_budget.py)."""
    clock = FakeClock()
    budget = shipstation_budget(clock)
    budget.acquire()
    budget.observe(limits(2, 30))
    budget.acquire()
    budget.acquire()  # no answer for the previous one (it timed out): this is the last place
    assert budget.remaining == 0
    budget.acquire()
    assert clock.sleeps == [30.0]
    assert budget.remaining == 40 - 1  # the new window (its limit is known), minus this one


def test_header_budget_ignores_late_answers_from_an_ended_window() -> None:
    clock = FakeClock()
    budget = shipstation_budget(clock)
    budget.acquire()
    budget.observe(limits(39, 60))  # window ends at 1060
    clock.now += 30
    budget.acquire()
    budget.observe(limits(38, 30))  # same window (ends 1060): the estimate goes down only
    assert budget.remaining == 38
    budget.observe(limits(39, 31))  # a late, higher answer from the same window: ignored
    assert budget.remaining == 38
    clock.now += 31  # a new window (ends 1121)
    budget.acquire()
    budget.observe(limits(39, 59))
    assert budget.remaining == 39
    budget.observe(limits(1, 1))  # an answer from the window that ended at 1062: ignored
    assert budget.remaining == 39


def test_header_budget_forgets_requests_that_never_answered() -> None:
    clock = FakeClock()
    budget = shipstation_budget(clock)
    budget.acquire()  # raised a timeout: no observe
    budget.acquire()  # the same thread again: its earlier request is over
    budget.observe(limits(10, 30))
    assert budget.remaining == 10  # nothing else counted as in flight


def test_header_budget_uses_retry_after_on_429() -> None:
    clock = FakeClock()
    budget = HeaderRateBudget("RateLimit-Remaining", "RateLimit-Reset", clock=clock)
    budget.acquire()
    budget.observe(httpx.Response(429, headers={"Retry-After": "7"}))
    budget.acquire()
    assert clock.sleeps == [7.0]
    budget.observe(httpx.Response(429))  # no hint at all: the session backs off instead
    budget.acquire()
    assert clock.sleeps == [7.0]


def test_failure_log_line_has_no_query_body_or_secret(caplog: pytest.LogCaptureFixture) -> None:
    script = Script([respond(503, {"message": "jane@example.com is down"}), respond(200, {})])
    client = build_client("https://api.example.com/", transport=script.transport,
                          headers={"Authorization": "Bearer s3cret"})

    def check(response: httpx.Response) -> None:
        raise_for_status("example", response, response.text, code="E_DOWN")

    session = HttpSession("example", client, check, clock=FakeClock(), rng=random.Random(3))
    with caplog.at_level(logging.WARNING, logger="shipflow.providers"):
        session.request("POST", "orders?email=jane@example.com", idempotent=True,
                        json={"name": "Jane Doe"})
    assert len(caplog.records) == 1
    line = caplog.records[0].getMessage()
    assert line.startswith("example POST /orders failed: TransientError (HTTP 503, E_DOWN)")
    assert "attempt 1/4; retrying in" in line
    for secret in ("jane", "Jane", "s3cret", "email="):
        assert secret not in line


def test_redirects_are_not_followed() -> None:
    script = Script([respond(302, headers={"Location": "http://169.254.169.254/"})])
    client = build_client("https://api.example.com/", transport=script.transport)

    def check(response: httpx.Response) -> None:
        raise_for_status("example", response, "moved")

    session = HttpSession("example", client, check, clock=FakeClock())
    with pytest.raises(errors.RejectedRequest, match="unexpected HTTP 302"):
        session.request("GET", "x", idempotent=True)
    assert len(script.requests) == 1


def test_status_mapping() -> None:
    cases = {400: errors.RejectedRequest, 401: errors.AuthenticationError,
             403: errors.AuthenticationError, 404: errors.NotFound, 408: errors.TransientError,
             409: errors.RejectedRequest, 422: errors.RejectedRequest, 429: errors.RateLimited,
             500: errors.TransientError, 503: errors.TransientError}
    for status, kind in cases.items():
        with pytest.raises(kind):
            raise_for_status("p", httpx.Response(status), "m")
    raise_for_status("p", httpx.Response(202), "m")


def test_hierarchy() -> None:
    assert issubclass(errors.RateLimited, errors.TransientError)
    assert issubclass(errors.UserErrors, errors.RejectedRequest)
    assert issubclass(errors.MalformedWebhook, errors.MalformedPayload)
    assert issubclass(errors.MalformedWebhook, ValueError)
    assert issubclass(errors.UnexpectedResponse, errors.ProviderError)
    assert issubclass(errors.SignatureError, errors.ProviderError)
    assert not issubclass(errors.SignatureError, errors.MalformedWebhook)  # not a 400
    for cls in (errors.TransientError, errors.RateLimited, errors.AuthenticationError,
                errors.NotFound, errors.RejectedRequest, errors.UserErrors,
                errors.MalformedPayload, errors.MalformedWebhook, errors.UnexpectedResponse,
                errors.SignatureError):
        assert cls.__doc__ and "\n" not in cls.__doc__.strip()
    # the engine raises these with a message only
    assert str(errors.RejectedRequest("no open fulfillment order")) == "no open fulfillment order"


def test_errors_survive_pickling_for_durable_steps() -> None:
    samples = [
        errors.RateLimited("slow down", retry_after=2.5, provider="klaviyo", status_code=429,
                           code="throttled", request_id="r1"),
        errors.UserErrors("fulfillmentCreate",
                          (errors.UserError(("fulfillment", "trackingInfo"), "bad", "INVALID"),)),
        errors.RejectedRequest("bad", details=(errors.ErrorDetail("m", "/data", "invalid"),),
                               provider="klaviyo", status_code=400),
        errors.MalformedWebhook("line_items[2].quantity: expected an integer"),
        errors.TransientError("ReadTimeout calling GET /x", provider="shipstation"),
        errors.SignatureError(401, "signature does not match"),
    ]
    for error in samples:
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error)
        assert str(copy) == str(error)
        assert copy.__dict__ == error.__dict__
    assert pickle.loads(pickle.dumps(samples[0])).retry_after == 2.5
