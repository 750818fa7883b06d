"""Simulated time: durations run `time_scale` times faster than real time.

Rate-limit windows, webhook backoff and warehouse delays are measured in simulated seconds;
anything a client must wait for (Retry-After, reset headers, restore rates) is reported back
converted to real seconds, because clients live in real time.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime


class Clock:
    def __init__(self, time_scale: float = 1.0) -> None:
        self.time_scale = time_scale
        self._origin = time.monotonic()

    def now(self) -> float:
        """Simulated seconds since the clock started (monotonic)."""
        return (time.monotonic() - self._origin) * self.time_scale

    def to_real(self, sim_seconds: float) -> float:
        return sim_seconds / self.time_scale

    def per_real_second(self, per_sim_second: float) -> float:
        return per_sim_second * self.time_scale

    async def sleep(self, sim_seconds: float) -> None:
        await asyncio.sleep(max(0.0, sim_seconds / self.time_scale))

    @staticmethod
    def wall() -> datetime:
        """Real wall-clock time (UTC); payload timestamps are not scaled."""
        return datetime.now(UTC)
