"""Parts: the ShipStation orders shipflow made for a Shopify order (one, or several when a
backorder split it), with what the rules decided for them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

import sqlalchemy as sa

from shipflow.domain.fulfilment import FulfilmentPlan, PartStatus, part_order_key
from shipflow.domain.routing import Decision, RoutingPlan
from shipflow.store.clock import Clock
from shipflow.store.db import Database
from shipflow.store.orders import STOPPED, Orders
from shipflow.store.sql import insert_ignore
from shipflow.store.tables import orders, shipstation_orders
from shipflow.store.timeline import Timeline


@dataclass(frozen=True)
class StoredPart:
    order_pk: int
    order_key: str
    part: int
    items: list[dict[str, Any]]
    status: PartStatus
    hold_reason: str | None
    backordered: dict[str, int]
    shipstation_order_id: int | None
    confirmation: str | None = None
    carrier_code: str | None = None
    service_code: str | None = None


@dataclass(frozen=True)
class RoutedOrder:
    """What routing decided for one order, as it is recorded."""

    order_pk: int
    shopify_order_id: int
    decisions: Sequence[Decision]
    errors: Sequence[str]
    fulfilment: FulfilmentPlan
    plan: RoutingPlan
    missing: Mapping[int, int] = field(default_factory=dict)  # units without stock, by line id
    stock_read: bool = True  # False: the rules file was empty, stock was not looked at


def _part(row: Any) -> StoredPart:
    return StoredPart(int(row.order_id), row.order_key, int(row.part), list(row.items),
                      PartStatus(row.status), row.hold_reason, dict(row.backordered or {}),
                      int(row.shipstation_order_id) if row.shipstation_order_id else None,
                      row.confirmation, row.carrier_code, row.service_code)


def _routing_message(r: RoutedOrder) -> str:
    count = len(r.decisions)
    decided = f"{count} decision{'s' if count != 1 else ''}" if count else "no decision"
    if not r.stock_read:
        return f"Routed: {decided} (stock not read: the rules file is empty)"
    short = sum(r.missing.values())
    stock = f"{short} unit{'s' if short != 1 else ''} without stock" if short else "all in stock"
    return f"Routed: {decided}; {stock}"


class Parts:
    def __init__(self, db: Database, clock: Clock, orders: Orders, timeline: Timeline) -> None:
        self.db = db
        self.clock = clock
        self.orders = orders
        self.timeline = timeline

    def record_routing(self, routed: Sequence[RoutedOrder]) -> None:
        """Each order's parts, its hold, and the decisions (and rule errors) on its timeline."""
        if not routed:
            return
        now = self.clock()
        with self.db.engine.begin() as conn:
            rows = [{"order_id": r.order_pk,
                     "order_key": part_order_key(r.shopify_order_id, p.number),
                     "part": p.number, "status": p.status.value,
                     "items": [{"line_item_id": ln.line_item_id, "sku": ln.sku,
                                "quantity": ln.quantity} for ln in p.lines],
                     "hold_reason": p.hold_reason.value if p.hold_reason else None,
                     "backordered": p.backordered or None,
                     "confirmation": r.plan.confirmation.value if r.plan.confirmation else None,
                     "carrier_code": r.plan.service.carrier_code if r.plan.service else None,
                     "service_code": r.plan.service.service_code if r.plan.service else None,
                     "created_at": now, "updated_at": now}
                    for r in routed for p in r.fulfilment.parts]
            conn.execute(insert_ignore(self.db.dialect, shipstation_orders, rows, "order_key"))
            for r in routed:
                pk = r.order_pk
                if r.fulfilment.shopify_hold is not None:
                    self.orders.set_hold(conn, pk, r.fulfilment.shopify_hold)
                for d in r.decisions:
                    self.timeline.add(conn, pk, "decision", f"{d.rule}: {d.detail}",
                                      {"rule": d.rule, "action": d.action},
                                      dedupe_key=f"decision:{pk}:{d.rule}:{d.action}")
                # The stock picture the rules saw, so `shipflow replay` can route the order
                # again under another rules file exactly as intake would have.
                self.timeline.add(conn, pk, "routing", _routing_message(r),
                                  {"decisions": len(r.decisions), "stock_read": r.stock_read,
                                   "missing": {str(k): v for k, v in sorted(r.missing.items())}},
                                  dedupe_key=f"routing:{pk}")
                for i, error in enumerate(r.errors):
                    self.timeline.add(conn, pk, "rule_error", error, {},
                                      dedupe_key=f"rule-error:{pk}:{i}")

    def of(self, order_pks: Iterable[int]) -> dict[int, list[StoredPart]]:
        wanted = list(set(order_pks))
        out: dict[int, list[StoredPart]] = {pk: [] for pk in wanted}
        if not wanted:
            return out
        with self.db.engine.connect() as conn:
            for row in conn.execute(sa.select(shipstation_orders).where(
                    shipstation_orders.c.order_id.in_(wanted))
                    .order_by(shipstation_orders.c.part)):
                out[int(row.order_id)].append(_part(row))
        return out

    def get(self, order_key: str) -> StoredPart | None:
        with self.db.engine.connect() as conn:
            row = conn.execute(sa.select(shipstation_orders).where(
                shipstation_orders.c.order_key == order_key)).first()
        return None if row is None else _part(row)

    def keys_of_platform_orders(self, platform_order_ids: Iterable[int]) -> dict[int, str]:
        """The part keys of ShipStation order ids (`store_import`: an import whose own orderKey
        is not the part's)."""
        wanted = list(set(platform_order_ids))
        if not wanted:
            return {}
        with self.db.engine.connect() as conn:
            rows = conn.execute(sa.select(shipstation_orders.c.shipstation_order_id,
                                          shipstation_orders.c.order_key).where(
                shipstation_orders.c.shipstation_order_id.in_(wanted))).all()
        return {int(row.shipstation_order_id): str(row.order_key) for row in rows}

    def set(self, updates: Sequence[tuple[str, dict[str, Any]]]) -> None:
        """(order key, column values) for ShipStation order parts."""
        if not updates:
            return
        now = self.clock()
        with self.db.engine.begin() as conn:
            for key, values in updates:
                conn.execute(shipstation_orders.update()
                             .where(shipstation_orders.c.order_key == key)
                             .values(**values, updated_at=now))

    def backordered(self, skus: Iterable[str]) -> list[StoredPart]:
        """Parts not shipped yet that wait for one of these SKUs, oldest order first (a part
        that shipped anyway, under the `notify` policy, has nothing left to resume)."""
        wanted = set(skus)
        with self.db.engine.connect() as conn:
            rows = conn.execute(sa.select(shipstation_orders)
                                .join(orders, orders.c.id == shipstation_orders.c.order_id)
                                .where(shipstation_orders.c.backordered.is_not(None),
                                       shipstation_orders.c.status.in_(
                                           [PartStatus.AWAITING_SHIPMENT.value,
                                            PartStatus.ON_HOLD.value]),
                                       orders.c.state.not_in(STOPPED))
                                .order_by(shipstation_orders.c.order_id,
                                          shipstation_orders.c.part)).all()
        parts = [_part(r) for r in rows]
        return [p for p in parts if wanted & set(p.backordered)]
