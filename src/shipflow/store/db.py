"""Engines for SQLite (the embedded default) and PostgreSQL, configured for many writers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event


def driver_url(url: str) -> str:
    """`postgresql://` means psycopg 3 here (the only PostgreSQL driver shipflow installs)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def tune_sqlite(engine: sa.Engine, *, immediate: bool = False) -> None:
    """WAL lets readers run beside the one writer; NORMAL syncs at checkpoints, not every commit
    (safe in WAL: a power cut can lose the last transactions, never corrupt the file)."""

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        if immediate:
            dbapi_conn.isolation_level = "IMMEDIATE"
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def make_engine(url: str, *, immediate: bool = False, pool_size: int = 10) -> sa.Engine:
    url = driver_url(url)
    if is_sqlite(url):
        engine = sa.create_engine(url, pool_size=pool_size, max_overflow=pool_size)
        tune_sqlite(engine, immediate=immediate)
        return engine
    return sa.create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


@dataclass
class Database:
    """shipflow's own tables, on one engine."""

    url: str
    engine: sa.Engine

    @classmethod
    def connect(cls, url: str, *, pool_size: int = 10) -> "Database":
        # IMMEDIATE takes SQLite's write lock at BEGIN, so two writers queue on busy_timeout
        # instead of one failing with "database is locked" when it upgrades a read lock.
        return cls(url=url, engine=make_engine(url, immediate=True, pool_size=pool_size))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def dispose(self) -> None:
        self.engine.dispose()
