"""The only module that imports DBOS: configuration, queues and the few primitives we use.

Everything else in shipflow talks to `Engine` (engine.py) or decorates with `workflow`/`step`
from here, so the durable-execution library can be swapped by editing one package.
"""

from __future__ import annotations

import base64
import binascii
import json
import pickle
from pathlib import Path
from typing import Any, Callable, TypeVar, cast

import sqlalchemy as sa
from dbos import DBOS, DBOSConfig, SetWorkflowID

from shipflow import __version__
from shipflow.store.db import driver_url, is_sqlite, tune_sqlite

F = TypeVar("F", bound=Callable[..., Any])

APP_NAME = "shipflow"
ORDERS_QUEUE = "orders"
SHIPMENTS_QUEUE = "shipments"
QUEUES = (ORDERS_QUEUE, SHIPMENTS_QUEUE)


def workflow(name: str) -> Callable[[F], F]:
    return cast(Callable[[F], F], DBOS.workflow(name=name))


def step(name: str) -> Callable[[F], F]:
    return cast(Callable[[F], F], DBOS.step(name=name))


def sleep(seconds: float) -> None:
    """A durable sleep: a restarted worker resumes it instead of starting over."""
    DBOS.sleep(seconds)


def engine_database_url(url: str) -> str:
    """DBOS's tables: schema `dbos` of the same PostgreSQL database, or a sibling SQLite file
    (`shipflow.db` -> `shipflow.engine.db`) so the two never wait on one SQLite write lock."""
    if not is_sqlite(url):
        return driver_url(url)
    prefix, _, path = url.partition(":///")
    p = Path(path)
    return f"{prefix}:///{p.with_name(p.stem + '.engine' + (p.suffix or '.db'))}"


def _sqlite_engine(url: str) -> sa.Engine:
    # DBOS's own SQLite engine sets IMMEDIATE and busy_timeout; we add WAL and synchronous=NORMAL
    # (DESIGN.md: an order-shaped workflow went from 14 to 60 orders/s with them).
    engine = sa.create_engine(url, pool_size=20, max_overflow=20)
    tune_sqlite(engine, immediate=True)
    return engine


def configure(database_url: str, *, executor_id: str | None, listen: bool, log_level: str,
              notification_poll: float = 0.1, pool_size: int = 20) -> None:
    """Create the DBOS instance. `listen=False` makes a web-only process that enqueues work
    but never runs it (the PostgreSQL deployment with separate `shipflow worker`s).
    `notification_poll`: DBOS's notification poller sleeps this long between polls on SQLite,
    and shutting down waits for it: DBOS's 1 s default made every stop take a second.
    shipflow sends no DBOS notifications, so a poll finds nothing and costs nothing.
    `pool_size`: DBOS's connections to its system database on PostgreSQL."""
    url = engine_database_url(database_url)
    config: DBOSConfig = {
        "name": APP_NAME,
        "system_database_url": url,
        "application_version": __version__,
        "log_level": log_level,
        "notification_listener_polling_interval_sec": notification_poll,
    }
    if executor_id:
        config["executor_id"] = executor_id
    if is_sqlite(url):
        config["system_database_engine"] = _sqlite_engine(url)
    else:
        config["sys_db_pool_size"] = pool_size
    DBOS(config=config)
    DBOS.listen_queues(list(QUEUES) if listen else [])


def launch(worker_concurrency: int) -> None:
    DBOS.launch()
    for name in QUEUES:
        DBOS.register_queue(
            name, worker_concurrency=worker_concurrency, polling_interval_sec=0.1,
            on_conflict="always_update",
        )


def destroy() -> None:
    DBOS.destroy(destroy_registry=False)


def enqueue(queue: str, workflow_id: str, func: Callable[..., Any], *args: Any) -> None:
    """Start `func` once per `workflow_id`: a second enqueue with the same id is a no-op."""
    with SetWorkflowID(workflow_id):
        DBOS.enqueue_workflow(queue, func, *args)


def adopt(executor_ids: list[str]) -> int:
    """Take over the pending workflows of executors that died for good (DBOS re-enqueues each
    one; its queue's atomic dequeue admits exactly one runner). Returns how many."""
    return len(DBOS._recover_pending_workflows(executor_ids))


def workflow_status(workflow_id: str) -> str | None:
    status = DBOS.get_workflow_status(workflow_id)
    return None if status is None else str(status.status)


def run(workflow_id: str, func: Callable[..., Any], *args: Any) -> Any:
    """Run `func` now, in this thread, once per `workflow_id` (a second run returns the first
    one's result): what tests use to drive one flow."""
    with SetWorkflowID(workflow_id):
        return func(*args)


# -- personal data in the engine's checkpoints -------------------------------------------------
# DBOS keeps every workflow's inputs, output and error, and every step's output, serialized
# (pickle in base64 by default, JSON for "portable" rows). Those hold customers' data (the
# orders a step read, the shipments ShipStation returned). A finished workflow's records are
# read again only when its id is started again, and then only its status and output: so its
# values can be replaced by empty ones (no arguments, no output, a redacted error) while its
# id and status stay, and nothing it did is ever done twice. A running workflow's are left
# alone (it still needs them); the caller tries again once it has finished.
FINISHED = ("SUCCESS", "ERROR", "CANCELLED", "MAX_RECOVERY_ATTEMPTS_EXCEEDED")
_SERIALIZED = ("inputs", "output", "error", "message", "value")
_WORKFLOW_COLUMNS = ("workflow_uuid", "destination_uuid", "workflow_id")


def _pickled(value: Any) -> str:
    return base64.b64encode(pickle.dumps(value)).decode()


_EMPTY = {
    "py_pickle": {"inputs": _pickled({"args": (), "kwargs": {}}), "output": _pickled(None),
                  "error": _pickled(Exception("[redacted]")), "message": _pickled(None),
                  "value": _pickled(None)},
    "portable": {"inputs": json.dumps({"positionalArgs": [], "namedArgs": {}}),
                 "output": "null", "error": json.dumps({"name": "Error",
                                                        "message": "[redacted]"}),
                 "message": "null", "value": "null"},
}


def decoded_forms(value: str) -> list[bytes]:
    """A serialized value as stored and as its decoded bytes (what a search must look in)."""
    forms = [value.encode()]
    try:
        forms.append(base64.b64decode(value, validate=True))
    except (binascii.Error, ValueError):
        pass
    return forms


class EngineRecords:
    """The engine's own tables as far as personal data goes (schema `dbos` on PostgreSQL, the
    sibling `.engine.db` file on SQLite)."""

    def __init__(self, database_url: str) -> None:
        url = engine_database_url(database_url)
        self.engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        if is_sqlite(url):
            tune_sqlite(self.engine, immediate=True)
        self.schema = None if is_sqlite(url) else "dbos"
        self._tables: list[tuple[sa.Table, list[str], str]] | None = None

    def close(self) -> None:
        self.engine.dispose()

    def _serialized_tables(self) -> list[tuple[sa.Table, list[str], str]]:
        """(table, its serialized columns, its workflow id column), read from the database so
        a DBOS upgrade that adds a table is covered too."""
        if self._tables is None:
            metadata = sa.MetaData()
            metadata.reflect(self.engine, schema=self.schema)
            found = []
            for table in metadata.tables.values():
                columns = [c for c in _SERIALIZED if c in table.c]
                workflow = next((c for c in _WORKFLOW_COLUMNS if c in table.c), None)
                if columns and workflow and len(table.primary_key.columns) > 0:
                    found.append((table, columns, workflow))
            if not found:
                return []  # the engine has not made its tables yet
            self._tables = found
        return self._tables

    def _status(self, conn: sa.Connection, workflow_ids: set[str]) -> dict[str, str]:
        status = next((t for t, _, _ in self._serialized_tables()
                       if t.name == "workflow_status"), None)
        if status is None or not workflow_ids:
            return {}
        rows = conn.execute(sa.select(status.c.workflow_uuid, status.c.status)
                            .where(status.c.workflow_uuid.in_(sorted(workflow_ids)))).all()
        return {r.workflow_uuid: r.status for r in rows}

    @staticmethod
    def _empty(table: sa.Table, row: Any, columns: list[str]) -> dict[str, Any]:
        form = "portable" if getattr(row, "serialization", None) == "portable" else "py_pickle"
        return {c: (_EMPTY[form][c] if getattr(row, c) is not None else None) for c in columns}

    def forget(self, matches: Callable[[bytes], bool], page: int = 500) -> tuple[int, int]:
        """Empty the records of finished workflows that `matches` (given each serialized
        value as stored and decoded); returns (records emptied, records of running workflows
        that match and were left)."""
        emptied = running = 0
        for table, columns, workflow in self._serialized_tables():
            key = list(table.primary_key.columns)
            extra = [table.c.serialization] if "serialization" in table.c else []
            after: tuple[Any, ...] | None = None
            while True:  # page by the primary key (an OFFSET would rescan what it skips)
                query = sa.select(*key, table.c[workflow], *extra,
                                  *[table.c[c] for c in columns]).order_by(*key).limit(page)
                if after is not None:
                    query = query.where(sa.tuple_(*key) > sa.tuple_(*after))
                with self.engine.connect() as conn:
                    rows = conn.execute(query).all()
                if not rows:
                    break
                after = tuple(getattr(rows[-1], k.name) for k in key)
                hits = [r for r in rows if any(
                    v is not None and any(matches(f) for f in decoded_forms(str(v)))
                    for v in (getattr(r, c) for c in columns))]
                if not hits:
                    continue
                with self.engine.begin() as conn:
                    status = self._status(conn, {getattr(r, workflow) for r in hits})
                    for r in hits:
                        if status.get(getattr(r, workflow)) not in FINISHED:
                            running += 1
                            continue
                        conn.execute(table.update()
                                     .where(*[k == getattr(r, k.name) for k in key])
                                     .values(**self._empty(table, r, columns)))
                        emptied += 1
        return emptied, running

    def expire(self, before_epoch_ms: int, limit: int = 500) -> int:
        """Empty the records of workflows that finished before the cutoff (at most `limit`
        records per table a call); returns how many were emptied."""
        tables = self._serialized_tables()
        status = next((t for t, _, _ in tables if t.name == "workflow_status"), None)
        if status is None:
            return 0
        emptied = 0
        for table, columns, workflow in tables:
            key = list(table.primary_key.columns)
            extra = [table.c.serialization] if "serialization" in table.c else []
            markers = {m[c] for m in _EMPTY.values() for c in columns}
            not_empty = sa.or_(*[sa.and_(table.c[c].is_not(None), table.c[c].not_in(markers))
                                 for c in columns])
            finished = sa.select(status.c.workflow_uuid).where(
                status.c.status.in_(FINISHED), status.c.updated_at < before_epoch_ms)
            with self.engine.begin() as conn:
                rows = conn.execute(sa.select(*key, *extra, *[table.c[c] for c in columns])
                                    .where(table.c[workflow].in_(finished), not_empty)
                                    .limit(limit)).all()
                for r in rows:
                    conn.execute(table.update().where(*[k == getattr(r, k.name) for k in key])
                                 .values(**self._empty(table, r, columns)))
            emptied += len(rows)
        return emptied
