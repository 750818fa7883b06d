"""The Klaviyo client: the only place shipflow talks to Klaviyo.

Private-key auth, a pinned `revision`, JSON:API bodies built in `wire.py` (klaviyo.md §1–4).
Every event carries a deterministic `unique_id`, and Klaviyo records only the first event per
profile, metric and unique_id, so sending an event again is always safe: 5xx, timeouts and
429s are retried.
"""

from __future__ import annotations

import random
from typing import Any, Sequence

import httpx

from shipflow.domain.milestone import MilestoneEvent
from shipflow.providers import http
from shipflow.providers.errors import ErrorDetail
from shipflow.providers.klaviyo import wire

DEFAULT_REVISION = "2026-07-15"
JSON_API = "application/vnd.api+json"


def rate_budget(clock: http.Clock = http.SYSTEM_CLOCK) -> http.HeaderRateBudget:
    """A budget read from `RateLimit-Remaining`/`RateLimit-Reset` (the steady window)."""
    return http.HeaderRateBudget("RateLimit-Remaining", "RateLimit-Reset", clock=clock)


class KlaviyoClient:
    """Synchronous client for Create Event and Bulk Create Events.

    `base_url` is `https://a.klaviyo.com` or a sandbox base such as
    `http://127.0.0.1:8100/klaviyo`. The two endpoints sit in different rate tiers (XL and M),
    so each has its own budget.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        revision: str = DEFAULT_REVISION,
        transport: httpx.BaseTransport | None = None,
        timeout: httpx.Timeout | float | None = None,
        retry: http.RetryPolicy | None = None,
        clock: http.Clock = http.SYSTEM_CLOCK,
        rng: random.Random | None = None,
    ) -> None:
        self.revision = revision
        self._client = http.build_client(
            base_url.rstrip("/") + "/",
            headers={
                "Authorization": f"Klaviyo-API-Key {api_key}",
                "revision": revision,
                "Accept": JSON_API,
            },
            transport=transport,
            timeout=timeout if timeout is not None else http.default_timeout(),
        )
        rng = rng or random.Random()

        def session(budget: http.RateBudget) -> http.HttpSession:
            return http.HttpSession("klaviyo", self._client, _check, retry=retry, clock=clock,
                                    budget=budget, rng=rng, content_type=JSON_API)

        self._events = session(rate_budget(clock))
        self._bulk = session(rate_budget(clock))

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> KlaviyoClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def create_event(self, event: MilestoneEvent) -> None:
        """`POST /api/events`; 202 means accepted for asynchronous processing."""
        self._events.request("POST", "api/events", json=wire.event_request(event),
                             idempotent=True)

    def create_events_bulk(self, events: Sequence[MilestoneEvent]) -> None:
        """`POST /api/event-bulk-create-jobs`, as many jobs as 1,000 events / 5 MB need."""
        for body in wire.bulk_requests(events):
            self._bulk.request("POST", "api/event-bulk-create-jobs", json=body,
                               idempotent=True)


def _check(response: httpx.Response) -> None:
    if 200 <= response.status_code < 300:
        return
    errors = wire.parse_errors(http.response_json(response))
    message = "; ".join(str(e) for e in errors) or http.short_text(response)
    details = tuple(ErrorDetail(e.detail, e.pointer or e.parameter, e.code) for e in errors)
    extra: dict[str, Any] = {}
    if response.status_code == 429:
        # The 2023 capture had no Retry-After at all (klaviyo.md §4): then back off.
        extra["retry_after"] = http.parse_retry_after(response.headers.get("Retry-After"))
    http.raise_for_status(
        "klaviyo", response, message,
        code=errors[0].code if errors else None,
        details=details,
        request_id=errors[0].id if errors else None,
        **extra,
    )
