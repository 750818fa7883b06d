"""The engine's executors (worker processes) and their heartbeats: a worker that dies for good
leaves its in-flight workflows to whoever notices its heartbeat expired, exactly once.

On PostgreSQL the workers may run on several machines, so a heartbeat and the cutoff it is
judged by are both read from the database server's clock: a machine whose clock runs ahead by
more than the TTL would otherwise see every other worker as dead and adopt workflows that are
still running. SQLite is one process on one machine; it uses the store's clock."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from shipflow.store.clock import Clock
from shipflow.store.db import Database
from shipflow.store.sql import insert_ignore
from shipflow.store.tables import executors


class Executors:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def _now(self, conn: sa.Connection) -> datetime:
        if self.db.dialect == "postgresql":
            now: datetime = conn.execute(sa.select(sa.func.now())).scalar_one()
            return now
        return self.clock()

    def beat(self, executor_id: str) -> None:
        with self.db.engine.begin() as conn:
            now = self._now(conn)
            conn.execute(insert_ignore(self.db.dialect, executors, {
                "executor_id": executor_id, "heartbeat_at": now}, "executor_id"))
            conn.execute(executors.update().where(executors.c.executor_id == executor_id)
                         .values(heartbeat_at=now))

    def claim_dead(self, me: str, ttl: timedelta) -> list[str]:
        """Executors silent for longer than `ttl`, claimed for adoption by `me`: each dead
        executor is claimed by one live one, once per death (a claim after its last beat)."""
        claimed = []
        with self.db.engine.connect() as conn:
            now = self._now(conn)
            cutoff = now - ttl
            silent = conn.execute(sa.select(executors.c.executor_id).where(
                executors.c.executor_id != me, executors.c.heartbeat_at < cutoff,
                sa.or_(executors.c.adopted_at.is_(None),
                       executors.c.adopted_at < executors.c.heartbeat_at))).scalars().all()
        for executor_id in silent:
            with self.db.engine.begin() as conn:
                won = conn.execute(executors.update().where(
                    executors.c.executor_id == executor_id, executors.c.heartbeat_at < cutoff,
                    sa.or_(executors.c.adopted_at.is_(None),
                           executors.c.adopted_at < executors.c.heartbeat_at))
                    .values(adopted_by=me, adopted_at=now)).rowcount
            if won:
                claimed.append(executor_id)
        return claimed

    def last_beats(self) -> dict[str, datetime]:
        with self.db.engine.connect() as conn:
            return {r.executor_id: r.heartbeat_at for r in conn.execute(
                sa.select(executors.c.executor_id, executors.c.heartbeat_at))}
