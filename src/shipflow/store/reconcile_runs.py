"""Stored reconciliation reports, and the lease that keeps sweeps to one process at a time.

The lease is one row taken by a conditional UPDATE (free, expired, or already ours), which
works the same on SQLite and PostgreSQL; a holder that dies leaves it to expire."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from shipflow.store.clock import Clock, utcnow
from shipflow.store.db import Database
from shipflow.store.sql import aware, insert_ignore
from shipflow.store.tables import reconcile_lease, reconcile_runs

LEASE = "reconcile"


@dataclass(frozen=True)
class StoredRun:
    id: int
    trigger: str
    dry_run: bool
    since: datetime
    started_at: datetime
    finished_at: datetime | None
    status: str
    counts: dict[str, dict[str, int]]
    items: list[dict[str, Any]]
    error: str | None

    def to_json(self, *, with_items: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id, "trigger": self.trigger, "dry_run": self.dry_run,
            "since": self.since.isoformat(), "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "status": self.status, "counts": self.counts, "error": self.error,
        }
        if with_items:
            out["items"] = self.items
        return out


def _at(value: datetime) -> datetime:
    moment = aware(value)
    assert moment is not None
    return moment


def _stored(row: Any) -> StoredRun:
    return StoredRun(
        id=int(row.id), trigger=row.trigger, dry_run=bool(row.dry_run), since=_at(row.since),
        started_at=_at(row.started_at), finished_at=aware(row.finished_at),
        status=row.status, counts=dict(row.counts or {}), items=list(row.items or []),
        error=row.error)


class ReconcileRuns:
    def __init__(self, db: Database, clock: Clock) -> None:
        """`clock`: the lifecycle's calendar (what `since` and the settle window are read in)."""
        self.db = db
        self.clock = clock

    # -- reports -------------------------------------------------------------------------------
    def begin(self, trigger: str, since: datetime, *, dry_run: bool = False) -> int:
        with self.db.engine.begin() as conn:
            return int(conn.execute(reconcile_runs.insert().values(
                trigger=trigger, dry_run=dry_run, since=since, started_at=self.clock(),
                status="running", counts={}, items=[]).returning(reconcile_runs.c.id)
            ).scalar_one())

    def finish(self, run_id: int, counts: dict[str, dict[str, int]],
               items: list[dict[str, Any]], error: str | None = None) -> None:
        with self.db.engine.begin() as conn:
            conn.execute(reconcile_runs.update().where(reconcile_runs.c.id == run_id).values(
                finished_at=self.clock(), status="failed" if error else "done", counts=counts,
                items=items, error=error[:500] if error else None))

    def get(self, run_id: int) -> StoredRun | None:
        with self.db.engine.connect() as conn:
            row = conn.execute(sa.select(reconcile_runs)
                               .where(reconcile_runs.c.id == run_id)).first()
        return _stored(row) if row is not None else None

    def latest(self, limit: int = 20, before_id: int | None = None) -> list[StoredRun]:
        query = sa.select(reconcile_runs).order_by(reconcile_runs.c.id.desc()).limit(limit)
        if before_id is not None:
            query = query.where(reconcile_runs.c.id < before_id)
        with self.db.engine.connect() as conn:
            return [_stored(row) for row in conn.execute(query)]

    def any_stored(self) -> bool:
        with self.db.engine.connect() as conn:
            return conn.execute(sa.select(reconcile_runs.c.id).limit(1)).first() is not None

    def last_started(self, trigger: str | None = None) -> datetime | None:
        query = sa.select(sa.func.max(reconcile_runs.c.started_at))
        if trigger is not None:
            query = query.where(reconcile_runs.c.trigger == trigger)
        with self.db.engine.connect() as conn:
            value = conn.execute(query).scalar_one_or_none()
        return aware(value)

    # -- the lease -----------------------------------------------------------------------------
    def take_lease(self, holder: str, ttl: timedelta) -> bool:
        """Take (or extend) the sweep lease; False when another live holder has it. Leases run
        on the wall clock, whatever calendar the lifecycle runs on."""
        now = utcnow()
        with self.db.engine.begin() as conn:
            conn.execute(insert_ignore(self.db.dialect, reconcile_lease,
                                       {"name": LEASE, "holder": None, "expires_at": None},
                                       "name"))
            taken = conn.execute(reconcile_lease.update().where(
                reconcile_lease.c.name == LEASE,
                sa.or_(reconcile_lease.c.holder.is_(None), reconcile_lease.c.holder == holder,
                       reconcile_lease.c.expires_at < now),
            ).values(holder=holder, expires_at=now + ttl)).rowcount
        return bool(taken)

    def drop_lease(self, holder: str) -> None:
        with self.db.engine.begin() as conn:
            conn.execute(reconcile_lease.update().where(
                reconcile_lease.c.name == LEASE, reconcile_lease.c.holder == holder,
            ).values(holder=None, expires_at=None))
