"""Runs the Alembic migrations in code, so `shipflow serve` needs no alembic.ini."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from shipflow.store.db import driver_url, is_sqlite, make_engine

MIGRATIONS = Path(__file__).with_name("migrations")
_PG_LOCK = 0x5F1F10  # an arbitrary advisory-lock id: two processes never migrate at once


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", driver_url(url).replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database to `revision`; safe when several processes start together."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            if is_sqlite(url):
                conn.exec_driver_sql("BEGIN IMMEDIATE")  # held until the migration commits
            else:
                conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": _PG_LOCK})
            config = alembic_config(url)
            config.attributes["connection"] = conn
            command.upgrade(config, revision)
            conn.commit()  # before the unlock: the next process must see the migrated schema
            if not is_sqlite(url):
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_LOCK})
                conn.commit()
    finally:
        engine.dispose()


def pending(url: str) -> list[str]:
    """The revisions not yet applied to the database at `url`, oldest first (empty when it is
    at head). Read-only: nothing is migrated. Raises what SQLAlchemy raises when the database
    cannot be reached."""
    script = ScriptDirectory.from_config(alembic_config(url))
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_heads()
    finally:
        engine.dispose()
    applied: set[str] = set()
    for rev in current:
        applied.update(r.revision for r in script.iterate_revisions(rev, "base"))
    every = [r.revision for r in script.walk_revisions()]  # newest first
    return [rev for rev in reversed(every) if rev not in applied]
