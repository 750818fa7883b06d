"""Small SQL helpers shared by the store's modules (dialect differences live here)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from shipflow.store.tables import timeline


def insert_ignore(dialect: str, table: sa.Table, values: dict[str, Any] | list[dict[str, Any]],
                  *keys: str) -> sa.Insert:
    """INSERT ... ON CONFLICT (keys) DO NOTHING, on SQLite and PostgreSQL."""
    module = postgresql if dialect == "postgresql" else sqlite
    stmt = module.insert(table)
    stmt = stmt.values(values) if isinstance(values, list) else stmt.values(**values)
    return cast(sa.Insert, stmt.on_conflict_do_nothing(index_elements=list(keys)))


def add_timeline(conn: sa.Connection, dialect: str, at: datetime, order_pk: int, kind: str,
                 message: str, detail: dict[str, Any] | None = None,
                 dedupe_key: str | None = None) -> None:
    """One timeline entry; a step re-run after a crash writes the same key and changes nothing."""
    key = dedupe_key or f"{order_pk}:{kind}:{at.isoformat()}"
    conn.execute(insert_ignore(dialect, timeline, {
        "order_id": order_pk, "at": at, "kind": kind, "message": message[:1024],
        "detail": detail or {}, "dedupe_key": key[:255],
    }, "dedupe_key"))


def once(candidates: sa.Select[Any]) -> sa.Select[Any]:
    """The ids a claim takes, chosen once. PostgreSQL may run a `LIMIT ... FOR UPDATE SKIP
    LOCKED` subquery inside `IN (...)` again for each row it updates, claiming more than the
    limit (seen: a batch of 1 took 3 orders); a CTE with a locking clause is evaluated once."""
    picked = candidates.cte("picked")
    return sa.select(picked.c[candidates.selected_columns[0].name])


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands timezone-aware columns back naive; they were stored in UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


def utc(value: datetime) -> datetime:
    """Shopify's times carry the shop's offset (`-05:00`); SQLite keeps a datetime's wall time and
    drops the offset, so every time is stored in UTC for comparisons to hold on both databases."""
    return value.astimezone(timezone.utc) if value.tzinfo is not None else value
