"""Starts the lifecycle work that nothing else starts: stopping cancelled orders, firing due
timers, telling customers about delays, doing Shopify's privacy requests and removing personal
data past its retention period.

Runs as a thread in every process that runs workflows. Everything it starts has a deterministic
workflow id (`stop:<order>`, `delay:<unique id>`) or claims its rows first (timers), so several
sweepers (several workers on PostgreSQL) never start the same work twice.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from datetime import datetime
from typing import Callable

from shipflow.domain import keys
from shipflow.domain.delays import DelayNotice, detect_delay
from shipflow.domain.order import OrderState
from shipflow.domain.policy import DelayPolicy
from shipflow.store import Store

log = logging.getLogger("shipflow.sweeper")


class Sweeper:
    def __init__(self, store: Store, *, clock: Callable[[], datetime],
                 delay_policy: Callable[[], DelayPolicy],
                 start_stop: Callable[[int], None],
                 start_timers: Callable[[str, list[str]], None],
                 start_delay: Callable[[str, DelayNotice], None],
                 batch_status: Callable[[str], str | None],
                 keepalive: Callable[[], None] | None = None,
                 wake_dispatcher: Callable[[], None] = lambda: None,
                 privacy: Callable[[], int] | None = None,
                 retention: Callable[[], dict[str, int]] | None = None,
                 interval: float = 1.0, delay_interval: float = 60.0,
                 retention_interval: float = 600.0,
                 reconcile: Callable[[], object] | None = None) -> None:
        self.store = store
        self.clock = clock
        self.delay_policy = delay_policy
        self.start_stop = start_stop
        self.start_timers = start_timers
        self.start_delay = start_delay
        self.batch_status = batch_status
        self.keepalive = keepalive  # this worker's heartbeat, and adopting dead ones' work
        self.wake_dispatcher = wake_dispatcher
        self.interval = interval
        self.delay_interval = delay_interval
        self.privacy = privacy  # open privacy requests (a cheap look-up each tick)
        self.retention = retention  # one bounded retention pass
        self.retention_interval = retention_interval
        self.reconcile = reconcile  # starts a reconciliation sweep when one is due (cheap)
        self._last_delay_sweep = 0.0
        self._last_retention = time.monotonic()  # the first pass comes one interval after start
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="shipflow-sweeper", daemon=True)

    def start(self) -> None:
        self.recover_batches()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def sweep_once(self, *, delays: bool = True, retention: bool = False) -> dict[str, int]:
        if self.keepalive is not None:
            self.keepalive()
        retried = self.retry_due()
        stopped = self.store.orders.to_stop()
        for order_pk in stopped:
            self.start_stop(order_pk)
        fired = 0
        while True:
            batch_id = keys.timer_batch_workflow_id(str(uuid.uuid4()))
            due = self.store.timers.claim_due(batch_id, self.clock())
            if not due:
                break
            self.start_timers(batch_id, due)
            fired += len(due)
        if delays:  # as rarely as the delay sweep: it asks the engine about every open batch
            self.recover_batches()
        delayed = self.sweep_delays() if delays else 0
        privacy = self.privacy() if self.privacy is not None else 0
        purged = sum(self.retention().values()) if retention and self.retention else 0
        return {"stopping": len(stopped), "timers": fired, "delays": delayed,
                "retried": retried, "privacy_requests": privacy, "purged": purged}

    def retry_due(self) -> int:
        """Orders whose push failed for a transient cause, sent through again when due."""
        again = sum(self.store.orders.retry(pk, "automatic retry after a transient failure")
                    is OrderState.PAID for pk in self.store.orders.retries_due(self.clock()))
        if again:
            self.wake_dispatcher()
        return again

    def recover_batches(self) -> None:
        """Batches whose workflow never started or ended without finishing them: their
        orders and timers are given back, or handed to a person, never held."""
        released, stranded = self.store.orders.release_orphans(self.batch_status)
        timers_back, timers_failed = self.store.timers.release_orphans(self.batch_status)
        if released or stranded or timers_back or timers_failed:
            log.warning("unfinished batches: %d orders given back, %d need a person; "
                        "%d timers given back, %d failed", released, stranded, timers_back,
                        timers_failed)

    def sweep_delays(self) -> int:
        now = self.clock()
        policy = self.delay_policy()
        count = 0
        for stored in self.store.shipments.undelivered():
            notice = detect_delay(stored.progress, now, policy, since=stored.created_at)
            if notice is not None:
                self.start_delay(stored.shipment.shipment_id, notice)
                count += 1
        return count

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                due = time.monotonic() - self._last_delay_sweep >= self.delay_interval
                if due:
                    self._last_delay_sweep = time.monotonic()
                purge = time.monotonic() - self._last_retention >= self.retention_interval
                if purge:
                    self._last_retention = time.monotonic()
                self.sweep_once(delays=due, retention=purge)
                if self.reconcile is not None:
                    self.reconcile()
            except Exception:  # a database hiccup must not kill the thread; the next tick retries
                log.exception("lifecycle sweep failed; retrying")

