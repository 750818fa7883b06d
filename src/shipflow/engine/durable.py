"""The only module that imports DBOS: configuration, queues and the few primitives we use.

Everything else in shipflow talks to `Engine` (engine.py) or decorates with `workflow`/`step`
from here, so the durable-execution library can be swapped by editing one package.
"""

from __future__ import annotations

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
              notification_poll: float = 0.1) -> None:
    """Create the DBOS instance. `listen=False` makes a web-only process that enqueues work
    but never runs it (the PostgreSQL deployment with separate `shipflow worker`s).
    `notification_poll`: DBOS's notification poller sleeps this long between polls on SQLite,
    and shutting down waits for it: DBOS's 1 s default made every stop take a second.
    shipflow sends no DBOS notifications, so a poll finds nothing and costs nothing."""
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
        config["sys_db_pool_size"] = 20
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
