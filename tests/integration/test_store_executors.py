"""Worker heartbeats and the claim on a dead worker's work, on SQLite and PostgreSQL: a silent
worker is claimed by one live worker, once per death; on PostgreSQL a worker whose machine's
clock runs ahead never takes a live worker for dead."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest

from shipflow.store import Store
from shipflow.store.clock import utcnow
from shipflow.store.executors import Executors
from shipflow.store.tables import executors

TTL = timedelta(seconds=60)


def silence(store: Store, executor_id: str, for_: timedelta) -> None:
    """Make `executor_id`'s last heartbeat `for_` old (as if it died then), and an adoption
    of an earlier death older still."""
    with store.db.engine.begin() as conn:
        conn.execute(executors.update().where(executors.c.executor_id == executor_id)
                     .values(heartbeat_at=utcnow() - for_))
        conn.execute(executors.update().where(executors.c.executor_id == executor_id,
                                              executors.c.adopted_at.is_not(None))
                     .values(adopted_at=utcnow() - for_ * 2))


def test_a_silent_worker_is_claimed_once_per_death(store: Store) -> None:
    store.executors.beat("w1")
    store.executors.beat("w2")
    assert store.executors.claim_dead("w2", TTL) == []
    silence(store, "w1", TTL * 2)
    assert store.executors.claim_dead("w2", TTL) == ["w1"]
    assert store.executors.claim_dead("w2", TTL) == []
    assert store.executors.claim_dead("w3", TTL) == []
    store.executors.beat("w1")  # restarted under the same id, then dies again
    silence(store, "w1", TTL * 2)
    assert store.executors.claim_dead("w3", TTL) == ["w1"]


def test_several_live_workers_claim_a_dead_one_once(store: Store) -> None:
    store.executors.beat("dead")
    silence(store, "dead", TTL * 2)
    with ThreadPoolExecutor(4) as pool:
        claims = list(pool.map(lambda me: store.executors.claim_dead(me, TTL),
                               [f"live-{i}" for i in range(8)]))
    assert sorted(c for claim in claims for c in claim) == ["dead"]


@pytest.mark.parametrize("skew", [timedelta(minutes=5), timedelta(minutes=-5)])
def test_a_worker_with_a_skewed_clock_sees_live_workers_alive(store: Store,
                                                              skew: timedelta) -> None:
    if store.db.dialect != "postgresql":
        pytest.skip("SQLite is one process on one machine")

    def skewed() -> datetime:
        return utcnow() + skew

    fast = Executors(store.db, skewed)
    store.executors.beat("w1")
    fast.beat("w2")
    assert fast.claim_dead("w2", TTL) == []  # w1 beat just now, whatever w2's clock says
    assert store.executors.claim_dead("w1", TTL) == []
    silence(store, "w1", TTL * 2)
    assert fast.claim_dead("w2", TTL) == ["w1"]
