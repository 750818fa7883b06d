"""Timers on the simulated clock: run a callback when `Clock.now()` reaches a given second.

One background task serves every timer (carrier scans, hold releases, held-back webhooks), so
thousands of pending scans cost one heap entry each, not one task each. Callbacks run on the
app's event loop, in (due time, insertion) order; a callback that raises is recorded in
`errors` and does not stop the others. Timers added before `start()` wait for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from shipflow_sandbox.clock import Clock


@dataclass(order=True)
class Timer:
    due: float
    seq: int
    callback: Callable[[], None] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)

    def cancel(self) -> None:
        self.cancelled = True


class Scheduler:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._heap: list[Timer] = []
        self._seq = itertools.count()
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self.errors: list[str] = []

    def at(self, sim_time: float, callback: Callable[[], None]) -> Timer:
        """Run `callback` once the simulated clock reaches `sim_time` (at once if it has)."""
        timer = Timer(sim_time, next(self._seq), callback)
        heapq.heappush(self._heap, timer)
        if self._wake is not None and self._heap[0] is timer:
            self._wake.set()
        return timer

    def after(self, sim_seconds: float, callback: Callable[[], None]) -> Timer:
        return self.at(self.clock.now() + max(0.0, sim_seconds), callback)

    def pending(self) -> int:
        return sum(not t.cancelled for t in self._heap)

    def clear(self) -> None:
        for timer in self._heap:
            timer.cancel()
        self._heap.clear()

    async def start(self) -> None:
        self._wake = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._wake = None

    def run_due(self) -> int:
        """Run every timer that is due now; returns how many ran."""
        ran = 0
        now = self.clock.now()
        while self._heap and self._heap[0].due <= now:
            timer = heapq.heappop(self._heap)
            if timer.cancelled:
                continue
            try:
                timer.callback()
            except Exception as exc:  # noqa: BLE001 - one bad timer must not stop the clock
                self.errors.append(f"{type(exc).__name__}: {exc}")
            ran += 1
        return ran

    async def _run(self) -> None:
        assert self._wake is not None
        while True:
            self.run_due()
            while self._heap and self._heap[0].cancelled:
                heapq.heappop(self._heap)
            timeout = None
            if self._heap:
                timeout = max(0.0, self.clock.to_real(self._heap[0].due - self.clock.now()))
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)
