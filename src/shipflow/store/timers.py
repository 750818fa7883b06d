"""Customer messages due later (review request, reorder reminder): planned at delivery,
claimed by the sweeper when due, cancelled when the order stops. In the database, so they
survive restarts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Sequence

import sqlalchemy as sa

from shipflow.domain.timers import PlannedTimer
from shipflow.store.clock import Clock
from shipflow.store.db import Database
from shipflow.store.sql import aware, insert_ignore, once
from shipflow.store.tables import timers
from shipflow.store.timeline import Timeline

# Workflow outcomes after which nothing will run a batch again (DBOS statuses).
DEAD_WORKFLOW = frozenset({"ERROR", "CANCELLED", "MAX_RECOVERY_ATTEMPTS_EXCEEDED"})


@dataclass(frozen=True)
class DueTimer:
    timer_key: str
    kind: str
    order_pk: int
    shipment_id: str | None
    sku: str | None
    days: float
    due_at: datetime


def cancel_pending(conn: sa.Connection, order_pk: int, now: datetime) -> int:
    """Cancel the order's pending timers inside the caller's transaction; returns how many."""
    return int(conn.execute(timers.update().where(
        timers.c.order_id == order_pk, timers.c.state == "pending")
        .values(state="cancelled", updated_at=now)).rowcount or 0)


class Timers:
    def __init__(self, db: Database, clock: Clock, timeline: Timeline) -> None:
        self.db = db
        self.clock = clock
        self.timeline = timeline

    def add(self, order_pk: int, planned: Sequence[PlannedTimer]) -> int:
        if not planned:
            return 0
        now = self.clock()
        with self.db.engine.begin() as conn:
            result = conn.execute(insert_ignore(self.db.dialect, timers, [
                {"timer_key": t.key, "kind": t.kind.value, "order_id": order_pk,
                 "shipment_id": t.shipment_id, "sku": t.sku, "days": t.days, "due_at": t.due_at,
                 "state": "pending", "created_at": now, "updated_at": now} for t in planned
            ], "timer_key"))
            for t in planned:
                self.timeline.add(conn, order_pk, "timer_set",
                                  f"{t.kind.value} due {t.due_at.isoformat()}",
                                  {"timer_key": t.key}, dedupe_key=f"timer-set:{t.key}")
        return int(result.rowcount or 0)

    def cancel_for(self, order_pk: int, reason: str) -> int:
        with self.db.engine.begin() as conn:
            count = cancel_pending(conn, order_pk, self.clock())
            if count:
                self.timeline.add(conn, order_pk, "timers_cancelled",
                                  f"{count} timer(s) cancelled: {reason}", {},
                                  dedupe_key=f"timers-cancelled:{order_pk}:{reason}")
        return count

    def claim_due(self, batch_id: str, now: datetime, limit: int = 1000) -> list[str]:
        with self.db.engine.begin() as conn:
            candidates = (sa.select(timers.c.id).where(timers.c.state == "pending",
                                                       timers.c.due_at <= now)
                          .order_by(timers.c.due_at).limit(limit))
            if self.db.dialect == "postgresql":
                candidates = candidates.with_for_update(skip_locked=True)
            keys = conn.execute(timers.update().where(timers.c.id.in_(once(candidates)))
                                .where(timers.c.state == "pending")
                                .values(state="firing", batch_id=batch_id, updated_at=now)
                                .returning(timers.c.timer_key)).scalars().all()
        return sorted(keys)

    def release_orphans(self, batch_status: Callable[[str], str | None]) -> tuple[int, int]:
        """Timers claimed by a batch that never started go back to `pending`; those of a batch
        that ended in error are `failed` (firing them again would fail again). Returns (given
        back, failed)."""
        with self.db.engine.connect() as conn:
            batches = conn.execute(sa.select(timers.c.batch_id).distinct().where(
                timers.c.state == "firing")).scalars().all()
        status = {b: batch_status(b) for b in batches if b}
        counts = []
        for wanted, values in (([b for b, s in status.items() if s is None],
                                {"state": "pending", "batch_id": None}),
                               ([b for b, s in status.items() if s in DEAD_WORKFLOW],
                                {"state": "failed"})):
            if not wanted:
                counts.append(0)
                continue
            with self.db.engine.begin() as conn:
                counts.append(int(conn.execute(timers.update().where(
                    timers.c.state == "firing", timers.c.batch_id.in_(wanted))
                    .values(**values, updated_at=self.clock())).rowcount or 0))
        return counts[0], counts[1]

    def by_key(self, keys: Sequence[str]) -> list[DueTimer]:
        with self.db.engine.connect() as conn:
            rows = conn.execute(sa.select(timers).where(timers.c.timer_key.in_(list(keys)),
                                                        timers.c.state == "firing")).all()
        return [DueTimer(r.timer_key, r.kind, int(r.order_id), r.shipment_id, r.sku,
                         float(r.days), aware(r.due_at) or self.clock()) for r in rows]

    def finish(self, keys: Sequence[str]) -> None:
        if not keys:
            return
        now = self.clock()
        with self.db.engine.begin() as conn:
            conn.execute(timers.update().where(timers.c.timer_key.in_(list(keys)),
                                               timers.c.state == "firing")
                         .values(state="sent", updated_at=now))

    def counts(self) -> dict[str, int]:
        with self.db.engine.connect() as conn:
            return {f"{k}:{s}": int(n) for k, s, n in conn.execute(
                sa.select(timers.c.kind, timers.c.state, sa.func.count())
                .group_by(timers.c.kind, timers.c.state)).all()}
