"""The one HTTP helper every provider client sends through: timeouts, retries, rate limits.

A client builds an `HttpSession` around its `httpx.Client` (real transport, or a test's
`httpx.MockTransport`) and a `check` function that turns a response into one of the errors in
`providers.errors`. The session then decides, by error type, what to do next:

- `RateLimited` (429, or Shopify's 200 THROTTLED): the provider did not run the request, so it is
  always retried, after `retry_after` seconds (jittered backoff when the provider gave no hint);
  a wait longer than `RetryPolicy.max_wait` is raised instead, for a durable retry later.
- `TransientError` (5xx, timeouts, dropped connections): retried with jittered exponential backoff
  only when the request is safe to repeat (`idempotent=True`: a read, or a write keyed by the
  provider, like ShipStation's orderKey or Klaviyo's unique_id). A connection that was never made
  is retried either way, because nothing reached the provider.
- anything else is raised at once.

Every response is read under two bounds, whatever the client (`HttpSession(max_bytes=,
deadline=)`): at most `max_bytes` of (decoded) body, else `ResponseTooLarge` without reading
the rest (a `Content-Length` over the cap is refused before any byte is read); and at most
`deadline` seconds from sending the request to the body's last byte, else a `TransientError`
(code `DeadlineExceeded`), retried like a timeout. httpx's own read timeout bounds each wait
for the next chunk; the deadline bounds a body that trickles in, chunk after chunk.

Each failed attempt logs one line: provider, method, path (never the query string, which can hold
names), attempt, error type, status and the provider's error code (never its message or our body).
"""

from __future__ import annotations

import json as jsonlib
import logging
import random
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Mapping, Protocol

import httpx

from shipflow import __version__
from shipflow.providers.errors import (
    AuthenticationError,
    DeadlineExceeded,
    ErrorDetail,
    NotFound,
    ProviderError,
    RateLimited,
    RejectedRequest,
    ResponseTooLarge,
    TransientError,
)

log = logging.getLogger("shipflow.providers")

USER_AGENT = f"shipflow/{__version__}"


def default_timeout(read: float = 15.0, connect: float = 5.0) -> httpx.Timeout:
    """Explicit timeouts for every client; httpx's default (5 s for everything) is too short for
    ShipStation's label calls and too vague to reason about."""
    return httpx.Timeout(read, connect=connect)


class Clock(Protocol):
    """Time as the clients need it; tests pass a fake whose `sleep` only advances `monotonic`."""

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clock."""

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


SYSTEM_CLOCK = SystemClock()


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard one call tries before it raises.

    The engine retries durably across longer outages, so these are quick, in-process retries:
    at most `max_attempts` sends, backoff `base_delay * 2**n` capped at `max_delay`, jittered
    to 50–150 %; a rate-limit wait over `max_wait` seconds is raised, not slept.
    """

    max_attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 20.0
    max_wait: float = 65.0  # ShipStation's window is a minute; anything longer is an outage

    def backoff(self, attempt: int, rng: random.Random) -> float:
        delay = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return float(delay * rng.uniform(0.5, 1.5))


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header: delta-seconds ("2", "2.0") or an HTTP date."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - (now or datetime.now(timezone.utc))).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


def header_float(headers: Mapping[str, str], name: str) -> float | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if number == number else None


class RateBudget(Protocol):
    """Decides when the next request may go, from what the provider's headers said.

    The seam for a process-wide budget: `HeaderRateBudget` is per client instance; a shared one
    (a row in the database, say) implements the same two methods and is passed to the client.
    """

    def acquire(self) -> None:
        """Block until a request may be sent."""

    def observe(self, response: httpx.Response) -> None:
        """Learn from a response's rate-limit headers."""


class HeaderRateBudget:
    """A fixed-window budget read from `<remaining>`/`<reset seconds>` headers.

    ShipStation v1 sends `X-Rate-Limit-Remaining` and `X-Rate-Limit-Reset` (seconds until the
    window resets) on every response; Klaviyo sends `RateLimit-Remaining`/`RateLimit-Reset`.
    When the provider says nothing is left, the next `acquire` waits until the window resets,
    so the client never spends a request just to be told 429.

    One instance may be shared by several clients and threads of a process (all sending with
    one API key). It then has to count what the headers cannot know yet:

    - `acquire` takes one request from the estimate, so threads do not all see "1 left" and
      all send;
    - a response's `remaining` does not include requests still in flight (sent by other
      threads, maybe not yet counted by the provider), so the estimate is `remaining` minus
      those, and never raised within one window by a late, stale answer;
    - when the window resets, the estimate is the window's limit (`limit_header`, when the
      provider sends one) minus the requests still in flight; without a known limit the next
      response says.

    A request is "in flight" from `acquire` until the same thread's `observe`; a thread whose
    request raised instead (a timeout) is cleared on its next `acquire`, and any entry older
    than `stale_after` seconds is dropped, so a lost thread cannot shrink the budget for good.
    429 answers without a reset header fall back to `Retry-After`.
    """

    # Reset headers are whole seconds: two windows' ends closer than this are the same window.
    _SAME_WINDOW = 1.5

    def __init__(
        self,
        remaining_header: str,
        reset_header: str,
        *,
        limit_header: str | None = None,
        clock: Clock = SYSTEM_CLOCK,
        stale_after: float = 120.0,
    ) -> None:
        self.remaining_header = remaining_header
        self.reset_header = reset_header
        self.limit_header = limit_header
        self.clock = clock
        self.stale_after = stale_after
        self._lock = threading.Lock()
        self._remaining: float | None = None
        self._reset_at: float | None = None
        self._limit: float | None = None
        self._in_flight: dict[int, float] = {}

    def acquire(self) -> None:
        me = threading.get_ident()
        while True:
            with self._lock:
                now = self.clock.monotonic()
                self._in_flight.pop(me, None)
                for thread, since in list(self._in_flight.items()):
                    if now - since > self.stale_after:
                        del self._in_flight[thread]
                if self._reset_at is not None and now >= self._reset_at:
                    # The window we knew about is over; whatever is still in flight may be
                    # counted in the new one.
                    self._reset_at = None
                    self._remaining = (
                        None if self._limit is None else self._limit - len(self._in_flight)
                    )
                if self._remaining is None or self._remaining > 0 or self._reset_at is None:
                    if self._remaining is not None:
                        self._remaining -= 1
                    self._in_flight[me] = now
                    return
                wait = self._reset_at - now
            log.info("rate budget spent; waiting %.2fs for the window to reset", wait)
            self.clock.sleep(wait)

    def observe(self, response: httpx.Response) -> None:
        headers = response.headers
        remaining = header_float(headers, self.remaining_header)
        reset = header_float(headers, self.reset_header)
        limit = header_float(headers, self.limit_header) if self.limit_header else None
        limited = response.status_code == 429
        if limited and reset is None:
            reset = parse_retry_after(headers.get("Retry-After"))
        with self._lock:
            self._in_flight.pop(threading.get_ident(), None)
            if limit is not None and limit > 0:
                self._limit = limit
            if remaining is None and not limited:
                return
            estimate = 0.0 if limited else float(remaining or 0) - len(self._in_flight)
            if reset is None:
                self._remaining = estimate
                self._reset_at = None
                return
            ends = self.clock.monotonic() + reset
            known = self._reset_at
            if known is None or ends > known + self._SAME_WINDOW:
                self._remaining, self._reset_at = estimate, ends  # a new window
            elif ends >= known - self._SAME_WINDOW:
                current = estimate if self._remaining is None else self._remaining
                self._remaining, self._reset_at = min(current, estimate), max(known, ends)
            # else: an answer from a window that has already ended tells us nothing

    @property
    def remaining(self) -> float | None:
        return self._remaining


class SlidingWindowBudget:
    """At most `limit` requests in any `period` seconds, known in advance (a published limit
    whose window the provider does not report, like Klaviyo's one-second burst window).

    A sliding window never exceeds a fixed-window server's count, whatever the alignment, as
    long as requests arrive in the order and at the pace they were let through; `slack` seconds
    added to the window cover the few milliseconds between letting a request through and the
    provider counting it (threads, connection pool)."""

    def __init__(self, limit: int, period: float, *, clock: Clock = SYSTEM_CLOCK,
                 slack: float = 0.05) -> None:
        self.limit = limit
        self.period = period + slack
        self.clock = clock
        self._lock = threading.Lock()
        self._sent: deque[float] = deque()

    def acquire(self) -> None:
        while True:
            with self._lock:
                now = self.clock.monotonic()
                while self._sent and self._sent[0] <= now - self.period:
                    self._sent.popleft()
                if len(self._sent) < self.limit:
                    self._sent.append(now)
                    return
                wait = self._sent[0] + self.period - now
            self.clock.sleep(max(wait, 0.0))

    def observe(self, response: httpx.Response) -> None:
        return None


class CombinedBudget:
    """Several budgets at once: a request waits until every one of them lets it through, in
    the order given: put the budget with the longest waits first."""

    def __init__(self, *budgets: RateBudget) -> None:
        self.budgets = budgets

    def acquire(self) -> None:
        for budget in self.budgets:
            budget.acquire()

    def observe(self, response: httpx.Response) -> None:
        for budget in self.budgets:
            budget.observe(response)


def raise_for_status(
    provider: str,
    response: httpx.Response,
    message: str,
    *,
    code: str | None = None,
    details: tuple[ErrorDetail, ...] = (),
    retry_after: float | None = None,
    request_id: str | None = None,
) -> None:
    """Raise the error class that fits a non-2xx status; return for 2xx."""
    status = response.status_code
    if 200 <= status < 300:
        return
    common: dict[str, Any] = {
        "provider": provider, "status_code": status, "code": code, "request_id": request_id,
    }
    if status == 429:
        raise RateLimited(message, retry_after=retry_after, **common)
    if status in (401, 403):
        raise AuthenticationError(message, **common)
    if status == 404:
        raise NotFound(message, **common)
    if status == 408 or status >= 500:
        raise TransientError(message, **common)
    if 400 <= status < 500:
        raise RejectedRequest(message, details=details, **common)
    # 1xx/3xx: redirects are not followed on purpose (a webhook-pointed URL must not bounce us
    # somewhere else), so a 3xx is a misconfigured base URL.
    raise RejectedRequest(f"unexpected HTTP {status}: {message}", **common)


def response_json(response: httpx.Response) -> Any:
    """The JSON body, or None when there is none or it is not JSON (an HTML error page)."""
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None


def short_text(response: httpx.Response, limit: int = 200) -> str:
    """A bounded, single-line excerpt of a non-JSON body, for error messages."""
    text = " ".join(response.text.split())
    return text[:limit] + ("…" if len(text) > limit else "") or response.reason_phrase


# Bounds on every response (see the module docstring). 16 MiB holds a 500-shipment SHIP_NOTIFY
# page with its items many times over; 120 s is twice the label calls' read timeout.
DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024
DEFAULT_DEADLINE = 120.0


def read_bounded(
    response: httpx.Response,
    *,
    provider: str,
    max_bytes: int,
    deadline_at: float | None,
    clock: Clock = SYSTEM_CLOCK,
) -> bytes:
    """Read a streamed response's body, at most `max_bytes` of it and until `deadline_at`
    (`clock.monotonic()` time); the response is closed either way. Raises `ResponseTooLarge`
    or `DeadlineExceeded`; the body read so far is dropped."""
    status = response.status_code
    path = response.request.url.path
    try:
        declared = header_float(response.headers, "Content-Length")
        if declared is not None and declared > max_bytes:
            raise ResponseTooLarge(
                f"response to {path} declares {int(declared)} bytes, over the cap of "
                f"{max_bytes}", provider=provider, status_code=status, code="ResponseTooLarge")
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > max_bytes:
                raise ResponseTooLarge(
                    f"response to {path} is over the cap of {max_bytes} bytes",
                    provider=provider, status_code=status, code="ResponseTooLarge")
            if deadline_at is not None and clock.monotonic() > deadline_at:
                raise DeadlineExceeded(
                    f"response to {path} still incomplete at the deadline ({size} bytes read)",
                    provider=provider, status_code=status, code="DeadlineExceeded")
            chunks.append(chunk)
        if deadline_at is not None and clock.monotonic() > deadline_at:
            raise DeadlineExceeded(f"response to {path} completed after the deadline",
                                   provider=provider, status_code=status,
                                   code="DeadlineExceeded")
        return b"".join(chunks)
    finally:
        response.close()


# Errors raised by httpx before any byte of the request reached the provider.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class HttpSession:
    """Sends one logical request, with the retries and waits described in the module docstring."""

    def __init__(
        self,
        provider: str,
        client: httpx.Client,
        check: Callable[[httpx.Response], None],
        *,
        retry: RetryPolicy | None = None,
        clock: Clock = SYSTEM_CLOCK,
        budget: RateBudget | None = None,
        rng: random.Random | None = None,
        content_type: str = "application/json",
        max_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        deadline: float | None = DEFAULT_DEADLINE,
    ) -> None:
        if max_bytes <= 0 or (deadline is not None and deadline <= 0):
            raise ValueError("max_bytes and deadline must be positive")
        self.max_bytes = max_bytes
        self.deadline = deadline
        self.provider = provider
        self.client = client
        self.check = check
        self.retry = retry or RetryPolicy()
        self.clock = clock
        self.budget = budget
        self.rng = rng or random.Random()
        self.content_type = content_type

    def request(
        self,
        method: str,
        url: str | httpx.URL,
        *,
        idempotent: bool,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        before_send: Callable[[], None] | None = None,
        after_response: Callable[[httpx.Response], None] | None = None,
    ) -> httpx.Response:
        content: bytes | None = None
        headers: dict[str, str] = {}
        if json is not None:
            content = jsonlib.dumps(json, separators=(",", ":"), ensure_ascii=False).encode()
            headers["Content-Type"] = self.content_type
        policy = self.retry
        attempt = 0
        while True:
            attempt += 1
            if self.budget is not None:
                self.budget.acquire()
            if before_send is not None:
                before_send()
            request = self.client.build_request(
                method, url, content=content, params=params, headers=headers
            )
            path = request.url.path
            error: ProviderError
            cause: BaseException
            started = self.clock.monotonic()
            try:
                response = self.client.send(request, stream=True)
                body = read_bounded(
                    response, provider=self.provider, max_bytes=self.max_bytes,
                    deadline_at=None if self.deadline is None else started + self.deadline,
                    clock=self.clock,
                )
                response._content = body  # what `Response.read()` itself sets
            except DeadlineExceeded as exc:
                error, cause, retryable = exc, exc, idempotent
                delay = policy.backoff(attempt, self.rng)
            except ResponseTooLarge as exc:
                self._log(method, path, attempt, exc, None)
                raise
            except httpx.TransportError as exc:
                error = TransientError(
                    f"{type(exc).__name__} calling {method} {path}",
                    provider=self.provider, code=type(exc).__name__,
                )
                retryable = idempotent or isinstance(exc, _NOT_SENT)
                delay = policy.backoff(attempt, self.rng)
                cause = exc
            else:
                if self.budget is not None:
                    self.budget.observe(response)
                if after_response is not None:
                    after_response(response)
                try:
                    self.check(response)
                    return response
                except RateLimited as exc:
                    error, cause, retryable = exc, exc, True
                    hinted = exc.retry_after
                    delay = hinted if hinted is not None else policy.backoff(attempt, self.rng)
                    if hinted is not None:
                        delay += self.rng.uniform(0, min(1.0, 0.1 + hinted * 0.1))
                except TransientError as exc:
                    error, cause, retryable = exc, exc, idempotent
                    delay = policy.backoff(attempt, self.rng)
                except ProviderError as exc:
                    self._log(method, path, attempt, exc, None)
                    raise
            if not retryable or attempt >= policy.max_attempts or delay > policy.max_wait:
                self._log(method, path, attempt, error, None)
                raise error from (cause if cause is not error else None)
            self._log(method, path, attempt, error, delay)
            self.clock.sleep(delay)

    def _log(
        self, method: str, path: str, attempt: int, error: ProviderError, delay: float | None
    ) -> None:
        status = f"HTTP {error.status_code}" if error.status_code else "no response"
        code = f", {error.code}" if error.code else ""
        then = f"retrying in {delay:.2f}s" if delay is not None else "giving up"
        log.warning(
            "%s %s %s failed: %s (%s%s), attempt %d/%d; %s",
            self.provider, method, path, type(error).__name__, status, code,
            attempt, self.retry.max_attempts, then,
        )


def build_client(
    base_url: str,
    *,
    headers: Mapping[str, str] | None = None,
    auth: httpx.Auth | tuple[str, str] | None = None,
    transport: httpx.BaseTransport | None = None,
    timeout: httpx.Timeout | float | None = None,
) -> httpx.Client:
    """An `httpx.Client` configured the same way for every provider (no redirects followed)."""
    merged = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    merged.update(headers or {})
    return httpx.Client(
        base_url=base_url,
        headers=merged,
        auth=auth,
        transport=transport,
        timeout=timeout if timeout is not None else default_timeout(),
        follow_redirects=False,
    )
