"""A provider's request budget shared by every process of a deployment, kept in the database.

ShipStation v1 allows 40 requests a minute per API key (shipstation.md §1.2), however many
workers send them. Each process asks this budget before a request; the budget lets a request
through only while fewer than `limit` went through in the last `period` seconds (a sliding
window: never more than a fixed-window server allows). The provider's own headers have the last
word: `X-Rate-Limit-Remaining: 0` or a 429 (another app on the same key, a limit lowered by the
provider) blocks everyone until the provider's `X-Rate-Limit-Reset`.

It implements `shipflow.providers.http.RateBudget` (`acquire`, `observe`).
"""

from __future__ import annotations

import logging
import time
from typing import Callable

import httpx
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from shipflow.providers.http import header_float, parse_retry_after
from shipflow.store.db import Database
from shipflow.store.tables import rate_budgets, rate_log

log = logging.getLogger("shipflow.ratebudget")


class SharedRateBudget:
    def __init__(
        self, db: Database, name: str, *, limit: int, period: float,
        remaining_header: str, reset_header: str,
        wall: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.db = db
        self.name = name
        self.limit = limit
        self.period = period
        self.remaining_header = remaining_header
        self.reset_header = reset_header
        self.wall = wall
        self.sleep = sleep
        # We count a request when we let it go, the provider when it arrives; under load the two
        # differ by up to a few hundred ms, enough to put a 41st arrival in the provider's
        # window (measured: one 429 in a 10,000-order drain). The window is kept that much wider.
        self.window = period + max(0.25, 0.01 * period)

    def acquire(self) -> None:
        while True:
            wait = self._try_take()
            if wait <= 0:
                return
            self.sleep(min(wait, 1.0))  # re-check: another process may have been told more

    def _try_take(self) -> float:
        """Take one request's place in the window; or return how long to wait before retrying."""
        with self.db.engine.begin() as conn:
            # The insert comes first: on SQLite the first write of a transaction takes the database
            # write lock (BEGIN IMMEDIATE), so the reads below are serialized; PostgreSQL locks the
            # row with FOR UPDATE. Either way one acquirer at a time.
            dialect = postgresql if self.db.dialect == "postgresql" else sqlite
            conn.execute(dialect.insert(rate_budgets).values(name=self.name, blocked_until=0.0)
                         .on_conflict_do_nothing(index_elements=["name"]))
            locked = sa.select(rate_budgets.c.blocked_until).where(rate_budgets.c.name == self.name)
            if self.db.dialect == "postgresql":
                locked = locked.with_for_update()
            blocked_until = conn.execute(locked).scalar_one()
            now = self.wall()
            if blocked_until > now:
                return float(blocked_until - now)
            since = now - self.window
            conn.execute(sa.delete(rate_log).where(rate_log.c.name == self.name,
                                                   rate_log.c.at <= since))
            recent = conn.execute(
                sa.select(rate_log.c.at).where(rate_log.c.name == self.name)
                .order_by(rate_log.c.at.desc()).limit(self.limit)
            ).scalars().all()
            if len(recent) < self.limit:
                conn.execute(sa.insert(rate_log).values(name=self.name, at=now))
                return 0.0
            return float(min(recent) + self.window - now)

    def observe(self, response: httpx.Response) -> None:
        remaining = header_float(response.headers, self.remaining_header)
        if response.status_code != 429 and (remaining is None or remaining > 0):
            return
        reset = header_float(response.headers, self.reset_header)
        if reset is None:
            reset = parse_retry_after(response.headers.get("retry-after"))
        until = self.wall() + (reset if reset is not None else self.period)
        with self.db.engine.begin() as conn:
            conn.execute(sa.update(rate_budgets).where(rate_budgets.c.name == self.name)
                         .where(rate_budgets.c.blocked_until < until).values(blocked_until=until))
        log.info("%s budget spent according to the provider; pausing %.1fs", self.name,
                 until - self.wall())
