"""The order's timeline: what happened to it, in words, each entry once (a step re-run after a
crash writes the same dedupe key and changes nothing)."""

from __future__ import annotations

from typing import Any, Sequence

import sqlalchemy as sa

from shipflow.domain.privacy import PersonalData, forget, scrub_text
from shipflow.store.clock import Clock
from shipflow.store.db import Database
from shipflow.store.sql import add_timeline
from shipflow.store.tables import timeline


class Timeline:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def add(self, conn: sa.Connection, order_pk: int, kind: str, message: str,
            detail: dict[str, Any] | None = None, dedupe_key: str | None = None) -> None:
        """One entry inside the caller's transaction."""
        add_timeline(conn, self.db.dialect, self.clock(), order_pk, kind, message, detail,
                     dedupe_key)

    def note(self, order_pk: int, kind: str, message: str, detail: dict[str, Any] | None,
             dedupe_key: str) -> None:
        """One entry in its own transaction."""
        with self.db.engine.begin() as conn:
            self.add(conn, order_pk, kind, message, detail or {}, dedupe_key)

    def forget(self, order_pks: Sequence[int], data: PersonalData) -> int:
        """Remove one customer's values from their orders' entries (messages and details);
        returns the entries changed."""
        if not order_pks or not data:
            return 0
        changed = 0
        with self.db.engine.begin() as conn:
            rows = conn.execute(sa.select(timeline.c.id, timeline.c.message, timeline.c.detail)
                                .where(timeline.c.order_id.in_(list(order_pks)))).all()
            for row in rows:
                message = scrub_text(row.message, data)
                detail = forget(row.detail or {}, data)
                if message != row.message or detail != (row.detail or {}):
                    conn.execute(timeline.update().where(timeline.c.id == row.id)
                                 .values(message=message[:1024], detail=detail))
                    changed += 1
        return changed
