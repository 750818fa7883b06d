"""When the sweeper runs a reconciliation: every SHIPFLOW_RECONCILE_INTERVAL, looking back
SHIPFLOW_RECONCILE_LOOKBACK, in a thread of its own (a sweep reads whole order lists; the
sweeper's one-second work must not wait behind it).

At first start (no run stored and no order yet: a new installation on a live store) the
backfill runs at once, taking what was paid before this start (webhooks bring the rest).
Otherwise the first sweep waits one interval, so a restart, the demo or
a benchmark is not disturbed by a sweep at start-up. Several processes tick; the lease in
the database lets one sweep at a time, and a run started by another process within the
interval makes this one skip its turn.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta
from typing import Callable

from shipflow.engine.flows.reconcile import Busy
from shipflow.store.reconcile_runs import ReconcileRuns

log = logging.getLogger("shipflow.reconcile")

# (since, trigger, until) -> the stored run; `until` is set for a first start's backfill only
Sweep = Callable[[datetime, str, datetime | None], object]


class ReconcileTick:
    def __init__(self, sweep: Sweep, runs: ReconcileRuns, *, has_orders: Callable[[], bool],
                 clock: Callable[[], datetime], interval: timedelta, lookback: timedelta,
                 monotonic: Callable[[], float] = time.monotonic,
                 background: bool = True) -> None:
        self.sweep = sweep
        self.runs = runs
        self.has_orders = has_orders
        self.clock = clock
        self.interval = interval
        self.lookback = lookback
        self.monotonic = monotonic
        self.background = background  # False: run inline (tests)
        self._next: float | None = None
        self._started_at: datetime | None = None
        self._first_start = False
        self._busy = threading.Event()  # a sweep this tick started is still running

    @property
    def enabled(self) -> bool:
        return self.interval > timedelta(0)

    def start(self) -> None:
        if not self.enabled:
            return
        self._first_start = not self.runs.any_stored() and not self.has_orders()
        self._started_at = self.clock()
        self._next = self.monotonic() + (0.0 if self._first_start
                                         else self.interval.total_seconds())

    def __call__(self) -> bool:
        """Called on every sweeper tick; starts a sweep when one is due. True if it did."""
        if self._next is None or self.monotonic() < self._next:
            return False
        if self._busy.is_set():
            return False  # the previous sweep is still running (only the sweeper calls this)
        self._busy.set()
        self._next = self.monotonic() + self.interval.total_seconds()
        trigger = "first_start" if self._first_start else "sweep"
        self._first_start = False
        if self.background:
            threading.Thread(target=self._run, args=(trigger,), name="shipflow-reconcile",
                             daemon=True).start()
        else:
            self._run(trigger)
        return True

    def _run(self, trigger: str) -> None:
        try:
            now = self.clock()
            last = self.runs.last_started()
            if last is not None and (trigger == "first_start" or now - last < self.interval):
                return  # another process did the backfill, or swept within the interval
            until = self._started_at if trigger == "first_start" else None
            run = self.sweep(now - self.lookback, trigger, until)
            log.info("reconciliation (%s) done: %s", trigger, getattr(run, "counts", run))
        except Busy:
            log.info("reconciliation skipped: another process is sweeping")
        except Exception:  # a provider or database hiccup: the next interval tries again
            log.exception("reconciliation failed")
        finally:
            self._busy.clear()
