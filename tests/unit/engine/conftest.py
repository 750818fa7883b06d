from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator

import pytest

from shipflow.rules import RuleSet

from ..rules.helpers import rules
from .harness import Harness, start, stop

EMPTY = rules("version: 1\nrules: []\n")


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Callable[..., Harness]]:
    """`engine(rules=..., record_only=...)` starts one; it is stopped after the test."""
    started: list[Harness] = []

    def make(ruleset: RuleSet = EMPTY, *, record_only: bool = False,
             same_database: bool = False, executor_id: str | None = None) -> Harness:
        """A second engine in one test stops the first (DBOS is one per process); with
        `same_database` it is a restart, and DBOS recovers what the first left pending."""
        while started:
            stop(started.pop())
        count = len(list(tmp_path.iterdir()))
        folder = tmp_path / str(count - 1 if same_database else count)
        h = start(folder, ruleset, record_only=record_only, listen=same_database,
                  executor_id=executor_id)
        started.append(h)
        return h

    yield make
    for h in started:
        stop(h)
