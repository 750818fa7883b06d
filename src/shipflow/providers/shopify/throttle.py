"""Shopify's cost-based GraphQL limit, as this client last saw it (shopify.md §5.1).

Every response reports the bucket (`maximumAvailable`, `currentlyAvailable`, `restoreRate`).
Before sending, the client reserves the query's expected cost: if the bucket (refilled at
`restoreRate` since it was last seen) cannot cover it, the caller waits for the difference.
Reservations let the bucket go negative, so threads sharing one client queue up behind each
other instead of all firing into a THROTTLED answer. A response resets the estimate to what
Shopify reports, minus the points of requests still in flight (their answers have not been
counted yet): without that, four threads that each saw a fresh report would all spend it.
"""

from __future__ import annotations

import threading

from shipflow.providers.http import SYSTEM_CLOCK, Clock
from shipflow.providers.shopify.models import ThrottleStatus


class CostBucket:
    def __init__(self, clock: Clock = SYSTEM_CLOCK) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._maximum = 0.0
        self._available: float | None = None  # None until Shopify has told us
        self._rate = 0.0
        self._at = 0.0
        self._in_flight = 0.0

    def observe(self, status: ThrottleStatus, settled: float = 0.0) -> None:
        """A response's report; `settled` = the points this request had reserved."""
        with self._lock:
            self._in_flight = max(0.0, self._in_flight - settled)
            self._maximum = status.maximum_available
            self._available = status.currently_available - self._in_flight
            self._rate = status.restore_rate
            self._at = self.clock.monotonic()

    def release(self, cost: float) -> None:
        """A reservation whose request got no report (a transport error, a non-GraphQL body)."""
        with self._lock:
            self._in_flight = max(0.0, self._in_flight - cost)

    def available(self) -> float | None:
        """Points in the bucket now, by the last report and the restore rate since."""
        with self._lock:
            return self._refilled(self.clock.monotonic())

    def _refilled(self, now: float) -> float | None:
        if self._available is None:
            return None
        return min(self._maximum, self._available + (now - self._at) * self._rate)

    def reserve(self, cost: float) -> float:
        """Take `cost` points; return how many seconds to wait before sending (0 if none)."""
        with self._lock:
            self._in_flight += cost
            now = self.clock.monotonic()
            available = self._refilled(now)
            if available is None or self._rate <= 0:
                return 0.0
            cost = min(cost, self._maximum)  # a query never needs more than a full bucket
            wait = max(0.0, (cost - available) / self._rate)
            self._available = available - cost
            self._at = now
            return wait
