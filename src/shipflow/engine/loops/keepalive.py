"""A worker's heartbeat, and the adoption of a dead worker's work.

A worker that dies for good leaves its in-flight workflows behind; only a restart under the same
`--id` would resume them. So each worker beats on every sweep, and the first live worker to see
another's heartbeat expired claims it (a row update only one wins) and has the engine adopt its
pending workflows, once per death.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Callable

from shipflow.store.executors import Executors

log = logging.getLogger("shipflow.sweeper")


def keep_alive(executors: Executors, me: str, ttl: timedelta,
               adopt: Callable[[list[str]], int]) -> list[str]:
    """Beat for `me`; adopt the workflows of executors silent for longer than `ttl`. Returns
    the executors adopted."""
    executors.beat(me)
    dead = executors.claim_dead(me, ttl)
    if dead:
        log.warning("adopted %d workflows of dead worker(s) %s", adopt(dead), ", ".join(dead))
    return dead
