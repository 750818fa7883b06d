"""The order's timeline: what happened to it, in words, each entry once (a step re-run after a
crash writes the same dedupe key and changes nothing)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from shipflow.store.clock import Clock
from shipflow.store.db import Database
from shipflow.store.sql import add_timeline


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
