"""Read models for `shipflow doctor`: the workers' heartbeats and the last delivery per topic.
Grouped scans, fine for a diagnostic run by hand, not for a hot path."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from shipflow.store.db import Database
from shipflow.store.tables import executors, webhook_inbox


@dataclass(frozen=True)
class Heartbeat:
    executor_id: str
    heartbeat_at: datetime
    adopted_by: str | None
    adopted_at: datetime | None

    @property
    def adopted(self) -> bool:
        """A live worker took over this one's workflows after its last beat."""
        return self.adopted_at is not None and self.adopted_at >= self.heartbeat_at


def heartbeats(db: Database) -> list[Heartbeat]:
    """Every executor's last beat and whether a live one adopted its work since."""
    with db.engine.connect() as conn:
        return [Heartbeat(r.executor_id, r.heartbeat_at, r.adopted_by, r.adopted_at)
                for r in conn.execute(sa.select(executors).order_by(executors.c.executor_id))]


def last_deliveries(db: Database) -> list[tuple[str, str | None, datetime, int]]:
    """(provider, topic, when the last accepted delivery arrived, how many were accepted) per
    topic."""
    query = (sa.select(webhook_inbox.c.provider, webhook_inbox.c.topic,
                       sa.func.max(webhook_inbox.c.received_at),
                       sa.func.count(webhook_inbox.c.id))
             .where(webhook_inbox.c.status == "accepted")
             .group_by(webhook_inbox.c.provider, webhook_inbox.c.topic)
             .order_by(webhook_inbox.c.provider, webhook_inbox.c.topic))
    with db.engine.connect() as conn:
        return [(row[0], row[1], row[2], int(row[3])) for row in conn.execute(query)]
