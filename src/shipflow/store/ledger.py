"""The outbound ledger: one row per write shipflow makes (or, in record-only mode, would make),
keyed by `domain/keys.py`. The outbox (`engine/outbox.py`) is its only writer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Sequence

import sqlalchemy as sa

from shipflow.domain.privacy import PersonalData, forget, mentions, scrub_text
from shipflow.store.clock import Clock
from shipflow.store.db import Database
from shipflow.store.sql import insert_ignore
from shipflow.store.tables import outbound_ledger

SETTLED = ("done", "recorded")  # a write that must not be made again


@dataclass(frozen=True, slots=True)
class Entry:
    """One write about to be made (or recorded)."""

    key: str
    provider: str
    operation: str
    effect: str
    order_pk: int | None
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Closed:
    key: str
    ok: bool
    result: dict[str, Any] | None
    error: str | None


@dataclass(frozen=True, slots=True)
class LedgerRow:
    key: str
    provider: str
    operation: str
    effect: str | None
    order_pk: int | None
    status: str
    attempts: int
    payload: dict[str, Any] | None
    result: dict[str, Any] | None
    error: str | None


class Ledger:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def settled(self, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The writes among `keys` already made (or recorded), with their recorded results."""
        wanted = list(keys)
        if not wanted:
            return {}
        with self.db.engine.connect() as conn:
            rows = conn.execute(sa.select(outbound_ledger.c.idempotency_key,
                                          outbound_ledger.c.result)
                                .where(outbound_ledger.c.idempotency_key.in_(wanted),
                                       outbound_ledger.c.status.in_(SETTLED))).all()
        return {r.idempotency_key: dict(r.result or {}) for r in rows}

    def begin(self, entries: Sequence[Entry], *, status: str = "sending") -> dict[str, int]:
        """Record attempts before sending (`status="recorded"`: instead of sending); returns
        each key's attempt number (1 = first)."""
        if not entries:
            return {}
        now = self.clock()
        keys = [e.key for e in entries]
        with self.db.engine.begin() as conn:
            conn.execute(insert_ignore(self.db.dialect, outbound_ledger, [
                {"idempotency_key": e.key, "provider": e.provider, "operation": e.operation,
                 "effect": e.effect, "payload": e.payload, "order_id": e.order_pk,
                 "status": status, "attempts": 0, "created_at": now, "updated_at": now}
                for e in entries], "idempotency_key"))
            conn.execute(outbound_ledger.update()
                         .where(outbound_ledger.c.idempotency_key.in_(keys))
                         .values(attempts=outbound_ledger.c.attempts + 1, updated_at=now))
            rows = conn.execute(sa.select(outbound_ledger.c.idempotency_key,
                                          outbound_ledger.c.attempts)
                                .where(outbound_ledger.c.idempotency_key.in_(keys))).all()
        return {r.idempotency_key: int(r.attempts) for r in rows}

    def close(self, closed: Sequence[Closed]) -> None:
        if not closed:
            return
        now = self.clock()
        with self.db.engine.begin() as conn:
            for c in closed:
                conn.execute(outbound_ledger.update()
                             .where(outbound_ledger.c.idempotency_key == c.key)
                             .values(status="done" if c.ok else "failed",
                                     result=c.result if c.ok else None,
                                     error=None if c.ok else (c.error or "")[:1024],
                                     updated_at=now))

    def rows(self, *, order_pk: int | None = None) -> list[LedgerRow]:
        """Every entry (of one order), oldest first."""
        query = sa.select(outbound_ledger).order_by(outbound_ledger.c.id)
        if order_pk is not None:
            query = query.where(outbound_ledger.c.order_id == order_pk)
        with self.db.engine.connect() as conn:
            found = conn.execute(query).all()
        return [LedgerRow(r.idempotency_key, r.provider, r.operation, r.effect,
                          int(r.order_id) if r.order_id is not None else None, r.status,
                          int(r.attempts), r.payload, r.result, r.error) for r in found]

    # -- personal data ---------------------------------------------------------------------------
    def forget(self, order_pks: Sequence[int], data: PersonalData, *, loose: bool = True) -> int:
        """Remove a customer from what was sent about their orders (and from unattached entries
        that name them): personal fields masked, their values scrubbed from the rest. The key,
        provider, operation, status and attempts stay: a write is still never made twice."""
        now = self.clock()
        changed = 0
        with self.db.engine.begin() as conn:
            if order_pks:
                rows = conn.execute(sa.select(outbound_ledger.c.id, outbound_ledger.c.payload,
                                              outbound_ledger.c.result, outbound_ledger.c.error)
                                    .where(outbound_ledger.c.order_id.in_(list(order_pks)))).all()
                for row in rows:
                    self._rewrite(conn, row, data, now)
                    changed += 1
            if loose and data.strong:
                unattached = conn.execute(sa.select(outbound_ledger.c.id, outbound_ledger.c.payload,
                                               outbound_ledger.c.result, outbound_ledger.c.error)
                                     .where(outbound_ledger.c.order_id.is_(None))).all()
                for row in unattached:
                    if mentions([row.payload, row.result, row.error], data):
                        self._rewrite(conn, row, data, now)
                        changed += 1
        return changed

    @staticmethod
    def _rewrite(conn: sa.Connection, row: Any, data: PersonalData, now: Any) -> None:
        conn.execute(outbound_ledger.update().where(outbound_ledger.c.id == row.id).values(
            payload=forget(row.payload, data) if row.payload is not None else None,
            result=forget(row.result, data) if row.result is not None else None,
            error=scrub_text(row.error, data) if row.error else row.error,
            personal_data_removed_at=now))

    def expire_unattached(self, cutoff: Any, limit: int) -> int:
        """Entries of no order, made before `cutoff`: their personal fields masked."""
        now = self.clock()
        with self.db.engine.begin() as conn:
            rows = conn.execute(sa.select(outbound_ledger.c.id, outbound_ledger.c.payload,
                                          outbound_ledger.c.result, outbound_ledger.c.error)
                                .where(outbound_ledger.c.order_id.is_(None),
                                       outbound_ledger.c.created_at < cutoff,
                                       outbound_ledger.c.personal_data_removed_at.is_(None))
                                .order_by(outbound_ledger.c.id).limit(limit)).all()
            for row in rows:
                self._rewrite(conn, row, PersonalData(), now)
        return len(rows)

    def delete_for_orders(self, order_pks: Sequence[int]) -> int:
        if not order_pks:
            return 0
        with self.db.engine.begin() as conn:
            return int(conn.execute(outbound_ledger.delete().where(
                outbound_ledger.c.order_id.in_(list(order_pks)))).rowcount or 0)

    def delete_unattached(self) -> int:
        with self.db.engine.begin() as conn:
            return int(conn.execute(outbound_ledger.delete().where(
                outbound_ledger.c.order_id.is_(None))).rowcount or 0)
