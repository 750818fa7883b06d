"""The dispatcher sends a sale in full batches of 100, without holding a lone order long."""

from __future__ import annotations

import time

from shipflow.engine.loops.dispatcher import Dispatcher

BATCH_SIZE = 100


class FakeOrders:
    def __init__(self) -> None:
        self.paid = 0
        self.queued = 0
        self.batches: list[int] = []

    def waiting_counts(self) -> tuple[int, int]:
        return self.paid, self.queued

    def claim_paid(self, batch_id: str, limit: int) -> list[int]:
        taken = min(limit, self.paid)
        self.paid -= taken
        return list(range(taken))

    def release_orphans(self, status: object) -> tuple[int, int]:
        return 0, 0


def dispatcher(pipeline: FakeOrders, **kw: float) -> Dispatcher:
    return Dispatcher(pipeline, lambda _id, pks: pipeline.batches.append(len(pks)),  # type: ignore[arg-type]
                      lambda _id: True, batch_size=BATCH_SIZE, **kw)


def test_full_batches_go_at_once_and_a_partial_one_waits_while_orders_arrive() -> None:
    pipeline = FakeOrders()
    d = dispatcher(pipeline, quiet=0.2, max_hold=5.0)
    pipeline.paid = 250
    d.dispatch_once()
    assert pipeline.batches == [BATCH_SIZE, BATCH_SIZE]  # 50 left: still arriving, held
    pipeline.paid += 30
    d.dispatch_once()
    assert pipeline.batches == [BATCH_SIZE, BATCH_SIZE]
    time.sleep(0.25)  # nothing new for `quiet`: the partial batch goes
    d.dispatch_once()
    assert pipeline.batches == [BATCH_SIZE, BATCH_SIZE, 80]


def test_a_partial_batch_waits_for_the_one_in_flight_but_never_longer_than_max_hold() -> None:
    pipeline = FakeOrders()
    d = dispatcher(pipeline, quiet=0.05, max_hold=0.3)
    pipeline.paid, pipeline.queued = 10, 100
    d.dispatch_once()
    time.sleep(0.1)
    d.dispatch_once()
    assert pipeline.batches == []  # an earlier batch is still being sent
    time.sleep(0.25)
    d.dispatch_once()
    assert pipeline.batches == [10]
