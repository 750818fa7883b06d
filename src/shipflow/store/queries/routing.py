"""What routing decided for each stored order, as recorded: the order's snapshot, the decisions
on its timeline, the stock picture the rules saw and the parts it became. `shipflow replay`
reads this (and nothing else), in one read-only pass."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from shipflow.domain.order import Order, OrderState
from shipflow.domain.routing import Decision
from shipflow.store.codec import order_from_json
from shipflow.store.db import Database
from shipflow.store.sql import aware, utc
from shipflow.store.tables import orders, shipstation_orders, timeline

CHUNK = 500  # orders per read (bounded IN lists)


@dataclass(frozen=True)
class RecordedPart:
    number: int
    hold_reason: str | None  # set at routing when the part went on hold
    backordered: dict[str, int]  # SKU (or line item id) -> units without stock at routing


@dataclass(frozen=True)
class RecordedStock:
    """The stock picture routing used: units without stock by line item id. `read` is False
    when the rules file was empty and stock was never looked at."""

    missing: dict[int, int]
    read: bool = True


@dataclass(frozen=True)
class RecordedRouting:
    pk: int
    order: Order
    state: OrderState
    received_at: datetime
    routed: bool  # routing ran for it (it has parts or a routing entry)
    decisions: tuple[Decision, ...]
    errors: tuple[str, ...]
    stock: RecordedStock | None  # None: routed before the picture was recorded
    parts: tuple[RecordedPart, ...]


def recorded_routing(db: Database, since: datetime) -> list[RecordedRouting]:
    """Every order shipflow received at or after `since`, oldest first."""
    with db.engine.connect() as conn:
        rows = conn.execute(sa.select(orders.c.id, orders.c.snapshot, orders.c.state,
                                      orders.c.created_at)
                            .where(orders.c.created_at >= utc(since))
                            .order_by(orders.c.id)).all()
        out: list[RecordedRouting] = []
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start:start + CHUNK]
            pks = [int(r.id) for r in chunk]
            entries: dict[int, list[Any]] = {
                pk: [] for pk in pks}
            for e in conn.execute(sa.select(timeline.c.order_id, timeline.c.kind,
                                            timeline.c.message, timeline.c.detail)
                                  .where(timeline.c.order_id.in_(pks),
                                         timeline.c.kind.in_(("decision", "routing",
                                                              "rule_error")))
                                  .order_by(timeline.c.id)):
                entries[int(e.order_id)].append(e)
            parts: dict[int, list[RecordedPart]] = {pk: [] for pk in pks}
            for p in conn.execute(sa.select(shipstation_orders.c.order_id,
                                            shipstation_orders.c.part,
                                            shipstation_orders.c.hold_reason,
                                            shipstation_orders.c.backordered)
                                  .where(shipstation_orders.c.order_id.in_(pks))
                                  .order_by(shipstation_orders.c.order_id,
                                            shipstation_orders.c.part)):
                parts[int(p.order_id)].append(RecordedPart(
                    int(p.part), p.hold_reason,
                    {str(k): int(v) for k, v in dict(p.backordered or {}).items()}))
            for r in chunk:
                pk = int(r.id)
                out.append(_recorded(pk, r, entries[pk], tuple(parts[pk])))
    return out


def _recorded(pk: int, row: Any,
              entries: list[Any],
              parts: tuple[RecordedPart, ...]) -> RecordedRouting:
    decisions: list[Decision] = []
    errors: list[str] = []
    stock: RecordedStock | None = None
    for e in entries:
        detail = dict(e.detail or {})
        if e.kind == "decision":
            rule, action = str(detail.get("rule", "")), str(detail.get("action", ""))
            prefix = f"{rule}: "
            text = e.message[len(prefix):] if e.message.startswith(prefix) else e.message
            decisions.append(Decision(rule, action, text))
        elif e.kind == "rule_error":
            errors.append(e.message)
        elif e.kind == "routing":
            missing = detail.get("missing")
            stock = RecordedStock(
                {int(k): int(v) for k, v in dict(missing).items()}
                if isinstance(missing, dict) else {}, bool(detail.get("stock_read", True)))
    received = aware(row.created_at)
    assert received is not None
    return RecordedRouting(pk, order_from_json(row.snapshot), OrderState(row.state), received,
                           bool(parts) or stock is not None, tuple(decisions), tuple(errors),
                           stock, parts)
