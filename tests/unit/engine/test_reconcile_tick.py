"""The reconciliation schedule: a first start backfills at once, anything else waits one
interval; 0 disables it; a sweep another process ran within the interval is not repeated."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from shipflow.engine.flows.reconcile import Busy
from shipflow.engine.loops.reconcile_tick import ReconcileTick

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=timezone.utc)
HOUR = timedelta(hours=1)


class FakeRuns:
    def __init__(self, last: datetime | None = None) -> None:
        self.last = last

    def any_stored(self) -> bool:
        return self.last is not None

    def last_started(self) -> datetime | None:
        return self.last


class Clock:
    def __init__(self) -> None:
        self.seconds = 0.0

    def monotonic(self) -> float:
        return self.seconds

    def calendar(self) -> datetime:
        return NOW + timedelta(seconds=self.seconds)


def tick(runs: FakeRuns, clock: Clock, calls: list[tuple[datetime, str, datetime | None]], *,
         has_orders: bool, interval: timedelta = HOUR) -> ReconcileTick:
    def sweep(since: datetime, trigger: str, until: datetime | None) -> str:
        calls.append((since, trigger, until))
        runs.last = clock.calendar()
        return trigger

    t = ReconcileTick(sweep, runs, has_orders=lambda: has_orders,  # type: ignore[arg-type]
                      clock=clock.calendar, interval=interval, lookback=timedelta(days=7),
                      monotonic=clock.monotonic, background=False)
    t.start()
    return t


def test_first_start_backfills_at_once_then_every_interval() -> None:
    clock, calls = Clock(), []  # type: ignore[var-annotated]
    t = tick(FakeRuns(), clock, calls, has_orders=False)
    assert t() is True
    assert calls == [(NOW - timedelta(days=7), "first_start", NOW)]
    clock.seconds = 1800
    assert t() is False
    clock.seconds = 3600
    assert t() is True
    assert calls[-1][1:] == ("sweep", None)


def test_a_restart_waits_one_interval() -> None:
    clock, calls = Clock(), []  # type: ignore[var-annotated]
    t = tick(FakeRuns(), clock, calls, has_orders=True)  # orders, no run: not a first start
    assert t() is False
    clock.seconds = 3599
    assert t() is False
    clock.seconds = 3600
    assert t() is True and calls[0][1] == "sweep"


def test_zero_disables() -> None:
    clock, calls = Clock(), []  # type: ignore[var-annotated]
    t = tick(FakeRuns(), clock, calls, has_orders=False, interval=timedelta(0))
    clock.seconds = 10 ** 6
    assert t() is False and calls == []


def test_a_recent_sweep_by_another_process_is_not_repeated() -> None:
    clock, calls = Clock(), []  # type: ignore[var-annotated]
    runs = FakeRuns(last=NOW)
    t = tick(runs, clock, calls, has_orders=True)
    clock.seconds = 3600
    runs.last = clock.calendar() - timedelta(minutes=5)  # another worker swept just now
    assert t() is True  # its turn came, and it skipped the sweep
    assert calls == []


def test_busy_and_failures_are_survived() -> None:
    clock = Clock()

    def busy(since: datetime, trigger: str, until: datetime | None) -> None:
        raise Busy("another")

    t = ReconcileTick(busy, FakeRuns(), has_orders=lambda: False,  # type: ignore[arg-type]
                      clock=clock.calendar, interval=HOUR, lookback=HOUR,
                      monotonic=clock.monotonic, background=False)
    t.start()
    assert t() is True
    clock.seconds = 3600
    assert t() is True  # still ticking
