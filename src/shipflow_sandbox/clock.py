"""Simulated time: durations run `time_scale` times faster than real time.

Rate-limit windows, webhook backoff and warehouse delays are measured in simulated seconds;
anything a client must wait for (Retry-After, reset headers, restore rates) is reported back
converted to real seconds, because clients live in real time.

A test can pin the wall clock to a moment (`pinned`) to script history at known times.

Two kinds of timestamps: `wall()` is real time (request/response stamps, webhook signature
timestamps, which receivers compare with their own clock); `calendar()` is the *simulated*
calendar, which starts at the real time when the clock starts and then runs `time_scale` times
faster. Things that happen "days later" (carrier scans, `holdUntilDate` releases, estimated
delivery dates) live on the simulated calendar; with `time_scale == 1` the two are the same.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta


class Clock:
    def __init__(self, time_scale: float = 1.0, origin: datetime | None = None) -> None:
        """`origin`: the real moment the simulated calendar starts from (default: now). Given
        the same origin and scale, separate processes (shipflow's `SHIPFLOW_CLOCK_ORIGIN`) read
        the same calendar, whenever each of them started."""
        self.time_scale = time_scale
        wall = datetime.now(UTC)
        self.calendar_origin = origin or wall
        self._origin = time.monotonic() - (wall - self.calendar_origin).total_seconds()
        self.pinned: datetime | None = None

    def now(self) -> float:
        """Simulated seconds since the clock started (monotonic)."""
        return (time.monotonic() - self._origin) * self.time_scale

    def to_real(self, sim_seconds: float) -> float:
        return sim_seconds / self.time_scale

    def per_real_second(self, per_sim_second: float) -> float:
        return per_sim_second * self.time_scale

    async def sleep(self, sim_seconds: float) -> None:
        await asyncio.sleep(max(0.0, sim_seconds / self.time_scale))

    def calendar(self) -> datetime:
        """The simulated calendar time (UTC): real start time + simulated seconds elapsed."""
        return self.calendar_origin + timedelta(seconds=self.now())

    def at_calendar(self, moment: datetime) -> float:
        """The simulated second (as `now()` counts them) at which `calendar()` reaches `moment`."""
        return (moment - self.calendar_origin).total_seconds()

    def wall(self) -> datetime:
        """Real wall-clock time (UTC); payload timestamps are not scaled. While `pinned` is set
        (`POST /_sandbox/clock`), that moment instead: what the providers stamp on what they
        record (orders, labels, fulfillments) is then exactly what a test scripted."""
        return self.pinned if self.pinned is not None else datetime.now(UTC)
