"""The Klaviyo client: the only place shipflow talks to Klaviyo.

Private-key auth, a pinned `revision`, JSON:API bodies built in `wire.py` (klaviyo.md §1–4, §6).
Every event carries a deterministic `unique_id`, and Klaviyo records only the first event per
profile, metric and unique_id, so sending an event again is always safe: 5xx, timeouts and
429s are retried. A profile upsert sends the same values again, so it is retried too.
"""

from __future__ import annotations

import logging
import random
from datetime import datetime
from typing import Any, Mapping, Sequence

import httpx

from shipflow.domain.milestone import MilestoneEvent
from shipflow.providers import http
from shipflow.providers.errors import (
    AuthenticationError,
    ErrorDetail,
    RejectedRequest,
    UnexpectedResponse,
)
from shipflow.providers.klaviyo import history, wire

log = logging.getLogger("shipflow.providers.klaviyo")

DEFAULT_REVISION = "2026-07-15"
JSON_API = "application/vnd.api+json"


# Klaviyo rate-limits each endpoint separately, in tiers (klaviyo.md §4): Create Event is XL
# (350/s, 3500/m), Bulk Create Events M (10/s, 150/m), Create or Update Profile L (75/s, 750/m).
# Reads (the audit's): Get Events is XL too, Get Metrics M.
ENDPOINTS = ("events", "bulk", "profiles", "get_events", "get_metrics")
BURST_PER_SECOND = {"events": 350, "bulk": 10, "profiles": 75, "get_events": 350,
                    "get_metrics": 10}


def rate_budget(endpoint: str = "events", clock: http.Clock = http.SYSTEM_CLOCK,
                time_scale: float = 1.0) -> http.RateBudget:
    """The steady window as the `RateLimit-Remaining`/`RateLimit-Reset` headers report it (a 429,
    which carries `Retry-After` instead, stops the endpoint for that long), and the burst window,
    which no header reports, paced from the published tier. `time_scale` > 1 only for a sandbox
    that compresses time: its "second" lasts 1/time_scale real seconds."""
    steady = http.HeaderRateBudget("RateLimit-Remaining", "RateLimit-Reset",
                                   limit_header="RateLimit-Limit", clock=clock)
    burst = http.SlidingWindowBudget(BURST_PER_SECOND[endpoint], 1.0 / time_scale, clock=clock)
    # The steady window's wait (up to a minute) first, the burst's pacing last: a slot taken in
    # the burst window and then held through a long steady wait would be spent in a bunch.
    return http.CombinedBudget(steady, burst)


class KlaviyoClient:
    """Synchronous client for Create Event, Bulk Create Events and Create or Update Profile.

    `base_url` is `https://a.klaviyo.com` or a sandbox base such as
    `http://127.0.0.1:8100/klaviyo`. The endpoints sit in different rate tiers (XL, M, L), so
    each has its own budget; `budgets` replaces some or all of them (keys "events", "bulk",
    "profiles"), e.g. with budgets shared by every client of the process, since Klaviyo counts
    per account, not per client.
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
        budgets: Mapping[str, http.RateBudget] | None = None,
        time_scale: float = 1.0,
    ) -> None:
        unknown = set(budgets or {}) - set(ENDPOINTS)
        if unknown:
            raise ValueError(f"unknown Klaviyo endpoint budgets: {sorted(unknown)}")
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

        self.budgets: dict[str, http.RateBudget] = {
            name: (budgets or {}).get(name) or rate_budget(name, clock, time_scale)
            for name in ENDPOINTS}
        self._events = session(self.budgets["events"])
        self._bulk = session(self.budgets["bulk"])
        self._profiles = session(self.budgets["profiles"])
        self._get_events = session(self.budgets["get_events"])
        self._get_metrics = session(self.budgets["get_metrics"])
        self.max_pages = 200

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

    def can_create_events(self) -> bool:
        """Whether the key carries `events:write`, asked without writing anything.

        Klaviyo has no endpoint that lists a private key's scopes, and no read-only call needs
        `events:write`. So this sends `POST /api/events` with a body that cannot pass
        validation (`{"data": {"type": "event"}}`, no attributes): a key without the scope is
        refused with 403 `permission_denied` before the body is read, a key with it gets 400
        `invalid`, and no event is ever created. Assumption: Klaviyo checks permissions
        before validating, as Django REST Framework (whose error titles Klaviyo's match) does.
        A wrong key raises `AuthenticationError` (401)."""
        try:
            self._events.request("POST", "api/events", json={"data": {"type": "event"}},
                                 idempotent=True)
        except RejectedRequest:
            return True
        except AuthenticationError as exc:
            if exc.status_code == 403:
                return False
            raise
        raise UnexpectedResponse("an event without attributes was accepted",
                                 provider="klaviyo")

    def upsert_profile(self, profile: wire.KlaviyoProfile) -> str:
        """`POST /api/profile-import`: create (201) or update (200) the profile matched by its
        identifiers; returns Klaviyo's profile id.

        A 409 `duplicate_profile` means a profile already exists with one of these identifiers
        (typically email and phone of two different profiles, klaviyo.md §6). Klaviyo names
        that existing profile in the error's `meta.duplicate_profile_id` (klaviyo.md §2a; the
        real body in klaviyo/klaviyo-api-node#75), and its id is returned: the customer has a
        profile, and events find it by the same identifiers. The attributes sent are not
        written to it. A 409 without the id stays a `RejectedRequest`."""
        try:
            response = self._profiles.request("POST", "api/profile-import",
                                              json=wire.profile_import_request(profile),
                                              idempotent=True)
        except DuplicateProfile as exc:
            log.info("profile-import: 409 duplicate_profile; using the existing profile")
            return exc.profile_id
        return wire.parse_profile_id(http.response_json(response))


    # -- reads ---------------------------------------------------------------------------------
    def metric_ids(self) -> dict[str, list[str]]:
        """{metric name: its metric ids} for every metric of the account, every page (a name
        can belong to more than one integration)."""
        found: dict[str, list[str]] = {}
        url = "api/metrics"
        for _ in range(self.max_pages):
            response = self._get_metrics.request("GET", self._same_host(url), idempotent=True)
            page, following = history.parse_metrics_page(http.response_json(response))
            for name, ident in page:
                found.setdefault(name, []).append(ident)
            if following is None:
                return found
            url = following
        log.warning("metrics list has more than %d pages; stopped", self.max_pages)
        return found

    def events(self, metric_id: str, since: datetime,
               until: datetime | None = None) -> list[history.PastEvent]:
        """Every event of one metric from `since` (to `until`), oldest first, every page."""
        url: str | None = None
        events: list[history.PastEvent] = []
        params = {"filter": history.events_filter(metric_id, since, until), "sort": "datetime",
                  "page[size]": str(history.EVENTS_PAGE)}
        for _ in range(self.max_pages):
            response = self._get_events.request(
                "GET", self._same_host(url) if url else "api/events",
                params=None if url else params, idempotent=True)
            page, url = history.parse_events_page(http.response_json(response))
            events.extend(page)
            if url is None:
                return events
        log.warning("events list has more than %d pages; stopped", self.max_pages)
        return events

    def _same_host(self, url: str) -> str:
        """A `links.next` URL is followed only on the configured host (never elsewhere)."""
        target = httpx.URL(url)
        if not target.is_absolute_url:
            return url
        base = self._client.base_url
        if (target.scheme, target.host, target.port) != (base.scheme, base.host, base.port):
            raise UnexpectedResponse("links.next points outside the configured Klaviyo host",
                                     provider="klaviyo")
        return str(target)


class DuplicateProfile(RejectedRequest):
    """409 `duplicate_profile`, naming the existing profile (`profile_id`)."""

    def __init__(self, message: str, *, profile_id: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.profile_id = profile_id


def _check(response: httpx.Response) -> None:
    if 200 <= response.status_code < 300:
        return
    errors = wire.parse_errors(http.response_json(response))
    message = "; ".join(str(e) for e in errors) or http.short_text(response)
    details = tuple(ErrorDetail(e.detail, e.pointer or e.parameter, e.code) for e in errors)
    duplicate = wire.duplicate_profile_id(errors) if response.status_code == 409 else None
    if duplicate is not None:
        raise DuplicateProfile(message, profile_id=duplicate, provider="klaviyo",
                               status_code=409, code="duplicate_profile", details=details,
                               request_id=errors[0].id if errors else None)
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
