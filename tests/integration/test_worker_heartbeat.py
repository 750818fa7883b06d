"""A worker beats its first heartbeat as it launches, on SQLite and PostgreSQL: before DBOS can
hand it a workflow, so a worker that dies before its first sweep can still be adopted."""

from __future__ import annotations

from pathlib import Path

from shipflow.config import Settings
from shipflow.engine import Engine
from shipflow.rules import RuleSet
from shipflow.store import Store
from tests.unit.engine.conftest import EMPTY


def test_a_worker_is_known_alive_from_its_launch(store: Store, database_url: str,
                                                  tmp_path: Path) -> None:
    # No sweep comes during the test: only the launch can have beaten.
    settings = Settings(database_url=database_url, executor_id="w-launch",
                        sweep_interval=3600.0, shopify_shop_url="http://127.0.0.1:9/shopify")
    rules: RuleSet = EMPTY
    engine = Engine(settings, store, role="worker", rules=rules)
    assert store.executors.last_beats() == {}
    engine.launch()
    try:
        assert set(store.executors.last_beats()) == {"w-launch"}
    finally:
        engine.shutdown()


def test_a_web_process_beats_no_heartbeat(store: Store, database_url: str) -> None:
    settings = Settings(database_url=database_url, executor_id="web-1", sweep_interval=3600.0)
    engine = Engine(settings, store, role="web", rules=EMPTY)
    engine.launch()
    try:
        assert store.executors.last_beats() == {}
    finally:
        engine.shutdown()
