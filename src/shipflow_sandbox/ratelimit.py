"""The two rate-limit shapes the simulated providers use, in simulated time.

- `LeakyBucket`: Shopify's GraphQL cost bucket (shopify.md §5.1): refills continuously,
  charged the requested cost up front, refunded the difference to the actual cost.
- `FixedWindow`: ShipStation's 40 requests/minute (shipstation.md §1.2) and Klaviyo's burst and
  steady windows (klaviyo.md §4): a counter that resets at fixed window boundaries.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from shipflow_sandbox.clock import Clock


class LeakyBucket:
    def __init__(self, clock: Clock, size: float, restore_rate: float) -> None:
        self.clock = clock
        self.size = size
        self.restore_rate = restore_rate
        self._available = size
        self._at = clock.now()

    def _refill(self) -> None:
        now = self.clock.now()
        self._available = min(self.size, self._available + (now - self._at) * self.restore_rate)
        self._at = now

    @property
    def available(self) -> float:
        self._refill()
        return self._available

    def try_take(self, cost: float) -> bool:
        self._refill()
        if cost > self._available:
            return False
        self._available -= cost
        return True

    def refund(self, amount: float) -> None:
        self._refill()
        self._available = min(self.size, self._available + max(0.0, amount))


@dataclass(frozen=True)
class WindowState:
    allowed: bool
    limit: int
    remaining: int
    reset_real_seconds: float


class FixedWindow:
    def __init__(self, clock: Clock, limit: int, window_seconds: float) -> None:
        self.clock = clock
        self.limit = limit
        self.window = window_seconds
        self._index = -1
        self._count = 0

    def _roll(self) -> float:
        now = self.clock.now()
        index = math.floor(now / self.window)
        if index != self._index:
            self._index = index
            self._count = 0
        return (index + 1) * self.window - now

    def peek(self) -> WindowState:
        left = self._roll()
        return WindowState(
            self._count < self.limit,
            self.limit,
            max(0, self.limit - self._count),
            self.clock.to_real(left),
        )

    def hit(self) -> WindowState:
        """Count one request if the window has room; report the state after it."""
        left = self._roll()
        allowed = self._count < self.limit
        if allowed:
            self._count += 1
        return WindowState(
            allowed, self.limit, max(0, self.limit - self._count), self.clock.to_real(left)
        )
