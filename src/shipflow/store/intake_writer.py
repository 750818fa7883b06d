"""Group commit for webhook intake: many deliveries, one transaction.

Under a flash sale hundreds of webhooks arrive each second. Each needs its own durable insert
before it is answered, but not its own transaction: a single writer thread takes whatever
deliveries are waiting, stores them together and then answers all of them. One commit (and on
SQLite one write-lock hand-off) per batch instead of per webhook; a lone webhook still goes
alone, at once.
"""

from __future__ import annotations

import logging
import queue
import threading
from concurrent.futures import Future

from shipflow.domain.order import Order
from shipflow.store.inbox import Delivery
from shipflow.store.store import Store

log = logging.getLogger("shipflow.intake")

Item = tuple[Delivery, Order | None, bool, "Future[tuple[bool, int | None]]"]
MAX_BATCH = 256


class IntakeWriter:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._queue: queue.Queue[Item | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="shipflow-intake-writer",
                                        daemon=True)
        self._started = False

    def start(self) -> None:
        if not self._started:
            self._started = True
            self._thread.start()

    def stop(self) -> None:
        if self._started:
            self._queue.put(None)
            self._thread.join(timeout=10)
            self._started = False

    def accept(self, delivery: Delivery, order: Order | None,
               dispatched: bool) -> Future[tuple[bool, int | None]]:
        """Queue a delivery; the future resolves once it is committed (or fails)."""
        future: Future[tuple[bool, int | None]] = Future()
        if not self._started:
            future.set_exception(RuntimeError("the intake writer is not running"))
            return future
        self._queue.put((delivery, order, dispatched, future))
        return future

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            stop = False
            while len(batch) < MAX_BATCH:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                batch.append(item)
            self._write(batch)
            if stop:
                return

    def _write(self, batch: list[Item]) -> None:
        try:
            results = self.store.inbox.accept_many([(d, o, dispatched) for d, o, dispatched, _ in batch])
        except Exception:
            if len(batch) == 1:
                log.exception("storing a webhook delivery failed")
                batch[0][3].set_exception(RuntimeError("the delivery could not be stored"))
                return
            for item in batch:  # one bad delivery must not fail the others: go one by one
                self._write([item])
            return
        for (_, _, _, future), result in zip(batch, results, strict=True):
            future.set_result(result)
