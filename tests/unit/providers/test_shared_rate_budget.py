"""One `HeaderRateBudget` shared by several ShipStation clients and threads keeps the whole
process under the per-key window: 3 threads, 400 calls, 40/minute, not a single 429.

The provider is a `MockTransport` that counts requests in fixed one-minute windows of a virtual
clock and answers with ShipStation's real rate headers (shipstation.md §1.2). Sleeping advances
the virtual clock, so the test takes milliseconds, not ten minutes.
"""

from __future__ import annotations

import math
import threading
from typing import Callable

import httpx
import pytest

from shipflow.providers.http import HeaderRateBudget
from shipflow.providers.shipstation import ShipStationClient, rate_budget

from .helpers import FAST_RETRY, FakeClock, seeded

BASE = "http://127.0.0.1:8100/shipstation"
LIMIT = 40
WINDOW = 60.0


class VirtualClock:
    """Simulated time for several threads: it stands still while any thread is working and
    jumps, when every thread is asleep, to the earliest wake-up. So a response's headers and
    the client reading them share one instant, as they (nearly) do on a real network.

    `sleep(s)` lasts until s seconds after the sleeping thread last read the clock. Worker
    threads call `enter()` before and `leave()` after their work.
    """

    def __init__(self, start: float = 1000.0) -> None:
        self._now = start
        self._cond = threading.Condition()
        self._running = 0
        self._sleepers: dict[int, float] = {}
        self._read: dict[int, float] = {}

    def enter(self) -> None:
        with self._cond:
            self._running += 1

    def leave(self) -> None:
        with self._cond:
            self._running -= 1
            self._advance()

    def monotonic(self) -> float:
        with self._cond:
            self._read[threading.get_ident()] = self._now
            return self._now

    def sleep(self, seconds: float) -> None:
        me = threading.get_ident()
        with self._cond:
            target = self._read.get(me, self._now) + max(0.0, seconds)
            if target <= self._now:
                return
            self._sleepers[me] = target
            self._running -= 1
            self._advance()
            while self._now < target:
                self._cond.wait()
            del self._sleepers[me]
            self._running += 1

    def _advance(self) -> None:
        pending = [t for t in self._sleepers.values() if t > self._now]
        if self._running == 0 and pending:
            self._now = min(pending)
            self._cond.notify_all()


class FixedWindowShipStation:
    """`GET /carriers` limited to LIMIT requests per fixed WINDOW of the fake clock."""

    def __init__(self, clock: VirtualClock) -> None:
        self.clock = clock
        self.lock = threading.Lock()
        self.window = -1
        self.count = 0
        self.ok = 0
        self.limited = 0
        self.per_window: dict[int, int] = {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            now = self.clock.monotonic()
            window = math.floor(now / WINDOW)
            if window != self.window:
                self.window, self.count = window, 0
            reset = str(math.ceil((window + 1) * WINDOW - now))
            if self.count >= LIMIT:
                self.limited += 1
                return httpx.Response(429, json={"message": "Too Many Requests"}, headers={
                    "X-Rate-Limit-Limit": str(LIMIT), "X-Rate-Limit-Remaining": "0",
                    "X-Rate-Limit-Reset": reset})
            self.count += 1
            self.ok += 1
            self.per_window[window] = self.per_window.get(window, 0) + 1
            return httpx.Response(200, json=[], headers={
                "X-Rate-Limit-Limit": str(LIMIT),
                "X-Rate-Limit-Remaining": str(LIMIT - self.count),
                "X-Rate-Limit-Reset": reset})


def run_threads(clock: VirtualClock, work: Callable[[int], None], threads: int
                ) -> list[BaseException]:
    failures: list[BaseException] = []

    def run(index: int) -> None:
        try:
            work(index)
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            failures.append(exc)
        finally:
            clock.leave()

    started = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for _ in started:
        clock.enter()
    for thread in started:
        thread.start()
    for thread in started:
        thread.join(timeout=30)
    return failures


@pytest.mark.parametrize("one_client", [False, True], ids=["client-per-thread", "shared-client"])
def test_three_threads_one_budget_zero_429s(one_client: bool) -> None:
    clock = VirtualClock()
    provider = FixedWindowShipStation(clock)
    transport = httpx.MockTransport(provider)
    budget = rate_budget(clock)

    def make() -> ShipStationClient:
        return ShipStationClient(BASE, "key", "secret", transport=transport, clock=clock,
                                 budget=budget, retry=FAST_RETRY, rng=seeded())

    shared = make()
    calls = [134, 133, 133]

    def work(index: int) -> None:
        ss = shared if one_client else make()
        for _ in range(calls[index]):
            ss.list_carriers()

    assert run_threads(clock, work, 3) == []
    assert provider.limited == 0
    assert provider.ok == sum(calls) == 400
    assert max(provider.per_window.values()) <= LIMIT
    # Requests in flight are counted against the window until their answer says otherwise, so
    # a window may end a place or two short; the budget must not leave much more unused.
    *full, _last = provider.per_window.values()
    assert min(full) >= LIMIT - 3
    assert len(provider.per_window) <= 11  # 400 calls at 40 a minute: ten windows, at best


def test_separate_budgets_are_what_the_seam_prevents() -> None:
    """Without the shared budget each client only knows the headers of its own responses;
    the window still holds (the server refuses), but clients draw 429s and must retry."""
    clock = VirtualClock()
    provider = FixedWindowShipStation(clock)
    transport = httpx.MockTransport(provider)

    def work(index: int) -> None:
        ss = ShipStationClient(BASE, "key", "secret", transport=transport, clock=clock,
                               budget=rate_budget(clock), retry=FAST_RETRY, rng=seeded())
        for _ in range(60):
            ss.list_carriers()

    # One after the other, so the outcome does not depend on thread timing: the third client
    # starts knowing nothing of the window the first two spent, and runs into its 429.
    for _ in range(3):
        assert run_threads(clock, work, 1) == []
    assert provider.ok == 180
    assert provider.limited >= 1


def test_budget_counts_requests_in_flight() -> None:
    """Two threads holding the last two places: the headers of the first answer ("1 left")
    cannot know the other is already on its way."""
    clock = FakeClock()
    budget = HeaderRateBudget("R", "S", limit_header="L", clock=clock)

    def answer(remaining: int) -> httpx.Response:
        return httpx.Response(200, headers={"L": "40", "R": str(remaining), "S": "30"})

    budget.observe(answer(2))  # two left in this window
    other = threading.Thread(target=budget.acquire)  # another thread takes one...
    other.start()
    other.join()
    budget.acquire()  # ...and this one the last
    budget.observe(answer(1))  # our answer came first: "1 left", but the other is in flight
    assert budget.remaining == 0
    before = clock.monotonic()
    budget.acquire()  # must wait for the window, not spend a request on a 429
    assert clock.monotonic() - before == pytest.approx(30.0)
    assert budget.remaining == 40 - 1 - 1  # a fresh window, minus the in-flight one and ours
