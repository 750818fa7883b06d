"""Forms push batches: claims paid orders from the store and starts one workflow per batch.

Runs as a thread in every process that has the engine. Several dispatchers (several processes on
PostgreSQL) claim disjoint batches. A wake-up from the web handler in the same process makes a
fresh order start at once; otherwise the store is polled every `poll_interval` seconds.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from typing import Callable

from shipflow.domain import keys
from shipflow.store.orders import Orders

log = logging.getLogger("shipflow.dispatcher")

class Dispatcher:
    def __init__(self, orders: Orders, start_batch: Callable[[str, list[int]], None],
                 batch_status: Callable[[str], str | None], *, batch_size: int,
                 poll_interval: float = 0.25,
                 gather: float = 0.02, max_hold: float = 5.0, quiet: float = 0.5) -> None:
        self.batch_size = batch_size  # one bulk push to the label platform per batch
        self.max_hold = max_hold  # the longest a partial batch waits for more orders
        self.quiet = quiet  # orders stopped arriving when none came for this long
        self._partial_since: float | None = None
        self._partial_size = 0
        self._last_growth = 0.0
        self.orders = orders
        self.start_batch = start_batch
        self.batch_status = batch_status  # a batch workflow's status; None: never enqueued
        self.poll_interval = poll_interval
        self.gather = gather  # wait this long after a wake-up so a burst lands in one batch
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="shipflow-dispatcher", daemon=True)

    def start(self) -> None:
        released, stranded = self.orders.release_orphans(self.batch_status)
        if released or stranded:
            log.info("orders of unfinished batches: %d given back, %d need a person",
                     released, stranded)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=10)

    def dispatch_once(self) -> int:
        """Claim and start batches until no paid order is left; returns how many orders."""
        total = 0
        while not self._stop.is_set():
            paid, in_flight = self.orders.waiting_counts()
            if paid == 0:
                self._partial_since, self._partial_size = None, 0
                return total
            if paid < self.batch_size:
                # A partial batch waits while orders are still arriving or an earlier batch is
                # still on its way (it would queue behind it for the same rate budget), at
                # most `max_hold` seconds: a sale goes out in full batches of 100.
                now = time.monotonic()
                if self._partial_since is None:
                    self._partial_since = self._last_growth = now
                if paid > self._partial_size:
                    self._partial_size, self._last_growth = paid, now
                arriving = now - self._last_growth < self.quiet
                if (arriving or in_flight > 0) and now - self._partial_since < self.max_hold:
                    return total
            self._partial_since, self._partial_size = None, 0
            batch_id = keys.push_batch_workflow_id(str(uuid.uuid4()))
            claimed = self.orders.claim_paid(batch_id, self.batch_size)
            if not claimed:
                return total
            self.start_batch(batch_id, claimed)
            total += len(claimed)
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            woken = self._wake.wait(self.poll_interval)
            if self._stop.is_set():
                return
            if woken:
                self._stop.wait(self.gather)
                self._wake.clear()
            try:
                self.dispatch_once()
            except Exception:  # a database hiccup must not kill the thread; the next poll retries
                log.exception("dispatching paid orders failed; retrying")
