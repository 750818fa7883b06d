"""Counts across the store: orders by state, customer events by metric, webhooks, shipments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import sqlalchemy as sa

from shipflow.domain.effects import EVENT_OPERATION
from shipflow.store.db import Database
from shipflow.store.tables import orders, outbound_ledger, shipments, webhook_inbox


@dataclass(frozen=True)
class Summary:
    orders: int
    orders_by_state: dict[str, int]
    events_by_metric: dict[str, int]  # customer events sent, by metric name
    webhooks: dict[str, int]  # deliveries by status (accepted, rejected)
    shipments: int
    fulfilled_shipments: int
    outbound_done: dict[str, int]  # writes made, by operation


def _pairs(rows: Sequence[Any]) -> dict[str, int]:
    return {str(key): int(n) for key, n in rows}


def summary(db: Database) -> Summary:
    with db.engine.connect() as conn:
        by_state = _pairs(list(conn.execute(
            sa.select(orders.c.state, sa.func.count()).group_by(orders.c.state)).all()))
        inbox = _pairs(list(conn.execute(
            sa.select(webhook_inbox.c.status, sa.func.count())
            .group_by(webhook_inbox.c.status)).all()))
        ships = conn.execute(sa.select(sa.func.count()).select_from(shipments)).scalar_one()
        fulfilled = conn.execute(sa.select(sa.func.count()).select_from(shipments).where(
            shipments.c.shopify_fulfillment_id.is_not(None))).scalar_one()
        calls = _pairs(list(conn.execute(
            sa.select(outbound_ledger.c.operation, sa.func.count())
            .where(outbound_ledger.c.status == "done")
            .group_by(outbound_ledger.c.operation)).all()))
    events = {op.removeprefix(EVENT_OPERATION): n for op, n in calls.items()
              if op.startswith(EVENT_OPERATION)}
    return Summary(orders=sum(by_state.values()), orders_by_state=by_state,
                   events_by_metric=events, webhooks=inbox, shipments=int(ships),
                   fulfilled_shipments=int(fulfilled), outbound_done=calls)
