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

    def make(ruleset: RuleSet = EMPTY, *, record_only: bool = False) -> Harness:
        """A second engine in one test stops the first (DBOS is one per process)."""
        while started:
            stop(started.pop())
        h = start(tmp_path / str(len(list(tmp_path.iterdir()))), ruleset,
                  record_only=record_only)
        started.append(h)
        return h

    yield make
    for h in started:
        stop(h)
