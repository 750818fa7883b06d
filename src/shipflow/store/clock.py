"""The store's clock: injected, so tests and time-accelerated runs set the time."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def accelerated(origin: datetime, scale: float) -> Clock:
    """A calendar that equals the wall clock at `origin` and then runs `scale` times faster.

    Every process given the same origin and scale reads the same time, whenever it started or
    restarted: the sandbox's simulated calendar with the same two values (time-accelerated runs
    across several processes, e.g. the chaos benchmark)."""
    if origin.tzinfo is None:
        raise ValueError("the clock's origin needs a time zone")

    def now() -> datetime:
        return origin + (utcnow() - origin) * scale

    return now
