"""What shipflow would have done for the orders of a shadow run: each order the merchant's old
process handles (`orders.handled_by = 'manual'`, first seen while `policy.mode` was shadow) with
the writes recorded for it in the outbound ledger (status `recorded`: never sent). The shadow
report (`ops/shadow.py`) compares them with what the old process did."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from shipflow.store.db import Database
from shipflow.store.sql import aware, utc
from shipflow.store.tables import orders, outbound_ledger

CHUNK = 500  # orders per ledger read (bounded IN lists)


@dataclass(frozen=True)
class RecordedWrite:
    """One write shipflow would have made (an `Effect.describe()` payload), and when."""

    operation: str  # the ledger's operation: createorders, fulfillmentCreate, event:<metric>...
    effect: str | None  # domain.effects.EffectKind
    payload: dict[str, Any]
    at: datetime


@dataclass(frozen=True)
class ShadowOrder:
    pk: int
    shopify_order_id: int
    name: str
    received_at: datetime
    writes: tuple[RecordedWrite, ...]  # oldest first


def shadow_orders(db: Database, since: datetime) -> list[ShadowOrder]:
    """Every order handled by the old process that shipflow received at or after `since`,
    oldest first, with its recorded writes."""
    with db.engine.connect() as conn:
        rows = conn.execute(sa.select(orders.c.id, orders.c.shopify_order_id, orders.c.name,
                                      orders.c.created_at)
                            .where(orders.c.handled_by == "manual",
                                   orders.c.created_at >= utc(since))
                            .order_by(orders.c.id)).all()
        writes: dict[int, list[RecordedWrite]] = {}
        for start in range(0, len(rows), CHUNK):
            pks = [int(r.id) for r in rows[start:start + CHUNK]]
            for w in conn.execute(sa.select(outbound_ledger.c.order_id,
                                            outbound_ledger.c.operation,
                                            outbound_ledger.c.effect, outbound_ledger.c.payload,
                                            outbound_ledger.c.created_at)
                                  .where(outbound_ledger.c.order_id.in_(pks),
                                         outbound_ledger.c.status == "recorded")
                                  .order_by(outbound_ledger.c.id)):
                writes.setdefault(int(w.order_id), []).append(RecordedWrite(
                    str(w.operation), w.effect, dict(w.payload or {}),
                    aware(w.created_at) or w.created_at))
    return [ShadowOrder(int(r.id), int(r.shopify_order_id), str(r.name),
                        aware(r.created_at) or r.created_at, tuple(writes.get(int(r.id), ())))
            for r in rows]


def live_writes(db: Database, order_pks: list[int]) -> int:
    """How many writes were actually made (`done`, `sending` or `failed`) for these orders: zero
    for every order the old process handles, in shadow and after the switch to live."""
    if not order_pks:
        return 0
    with db.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(outbound_ledger)
                                .where(outbound_ledger.c.order_id.in_(order_pks),
                                       outbound_ledger.c.status != "recorded")).scalar_one())
