"""Durable retries around a step: the slow retries across a longer outage.

Provider clients already retry quickly inside one step; these sleeps are durable, so a restarted
worker resumes the wait instead of starting over.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, TypeVar

from shipflow.engine import durable
from shipflow.engine.runtime import current
from shipflow.providers.errors import RateLimited, TransientError

log = logging.getLogger("shipflow.engine")
T = TypeVar("T")

def with_durable_retries(step_fn: Callable[..., T], *args: Any) -> T:
    """Run a step; on a transient failure or a rate limit, sleep durably and run it again
    (after each of the runtime's `retry_delays`, then give up with the last error)."""
    for delay in (*current().retry_delays, None):
        try:
            return step_fn(*args)
        except (TransientError, RateLimited) as exc:
            if delay is None:
                raise
            wait = max(delay, getattr(exc, "retry_after", 0.0) or 0.0)
            log.warning("%s failed transiently (%s); retrying in %.0fs", step_fn.__name__,
                        type(exc).__name__, wait)
            durable.sleep(wait)
    raise AssertionError("unreachable")
