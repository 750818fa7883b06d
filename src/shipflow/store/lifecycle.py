"""The store's side of the lifecycle after routing: decisions, ShipStation order parts, holds,
backorders, relabels, cancellations and timers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Sequence

import sqlalchemy as sa

from shipflow.domain.fulfilment import FulfilmentPlan, PartStatus, part_order_key
from shipflow.domain.order import OrderState
from shipflow.domain.parcel import ParcelProgress
from shipflow.domain.routing import Decision, RoutingPlan
from shipflow.domain.shipment import Shipment, ShipmentItem
from shipflow.domain.timers import PlannedTimer
from shipflow.domain.tracking_events import ExceptionType, TrackingMilestone
from shipflow.store.codec import order_from_json
from shipflow.store.pipeline import STOPPED
from shipflow.store.repository import Store, StoredOrder
from shipflow.store.sql import add_timeline, aware, insert_ignore
from shipflow.store.tables import line_items, orders, shipments, shipstation_orders, timers

# Orders whose units Shopify still counts as committed (not shipped, not stopped).
WAITING = (OrderState.PAID, OrderState.QUEUED, OrderState.IN_SHIPSTATION, OrderState.ON_HOLD,
           OrderState.BACKORDERED, OrderState.PARTIALLY_SHIPPED)


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
class StoredShipment:
    order_pk: int
    shipment: Shipment
    progress: ParcelProgress
    fulfillment_id: str | None
    created_at: datetime


@dataclass(frozen=True)
class DueTimer:
    timer_key: str
    kind: str
    order_pk: int
    shipment_id: str | None
    sku: str | None
    days: float
    due_at: datetime


def _part(row: Any) -> StoredPart:
    return StoredPart(int(row.order_id), row.order_key, int(row.part), list(row.items),
                      PartStatus(row.status), row.hold_reason, dict(row.backordered or {}),
                      int(row.shipstation_order_id) if row.shipstation_order_id else None,
                      row.confirmation, row.carrier_code, row.service_code)


class Lifecycle:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.db = store.db

    # -- routing -----------------------------------------------------------------------------
    def waiting_lines(self, skus: Iterable[str]) -> list[tuple[int, int, str, int]]:
        """(order pk, line item id, sku, quantity) of every order still to ship holding a SKU."""
        wanted = sorted(set(skus))
        if not wanted:
            return []
        with self.db.engine.connect() as conn:
            rows = conn.execute(
                sa.select(line_items.c.order_id, line_items.c.shopify_line_item_id,
                          line_items.c.sku, line_items.c.quantity)
                .join(orders, orders.c.id == line_items.c.order_id)
                .where(line_items.c.sku.in_(wanted),
                       orders.c.state.in_([s.value for s in WAITING]))).all()
        return [(int(r.order_id), int(r.shopify_line_item_id), r.sku, int(r.quantity)) for r in rows]

    def record_routing(self, routed: Sequence[tuple[int, int, Sequence[Decision], Sequence[str],
                                                     FulfilmentPlan, RoutingPlan]]) -> None:
        """(order pk, Shopify order id, decisions, rule errors, parts, rules' plan): the parts
        and the timeline."""
        if not routed:
            return
        now = self.store.clock()
        dialect = self.db.dialect
        with self.db.engine.begin() as conn:
            rows = [{"order_id": pk, "order_key": part_order_key(shopify_id, p.number),
                     "part": p.number, "status": p.status.value,
                     "items": [{"line_item_id": ln.line_item_id, "sku": ln.sku,
                                "quantity": ln.quantity} for ln in p.lines],
                     "hold_reason": p.hold_reason.value if p.hold_reason else None,
                     "backordered": p.backordered or None,
                     "confirmation": rp.confirmation.value if rp.confirmation else None,
                     "carrier_code": rp.service.carrier_code if rp.service else None,
                     "service_code": rp.service.service_code if rp.service else None,
                     "created_at": now, "updated_at": now}
                    for pk, shopify_id, _, _, plan, rp in routed for p in plan.parts]
            conn.execute(insert_ignore(dialect, shipstation_orders, rows, "order_key"))
            for pk, _, decisions, errors, plan, _ in routed:
                if plan.shopify_hold is not None:
                    conn.execute(orders.update().where(orders.c.id == pk).values(
                        hold_reason=plan.shopify_hold.reason.value,
                        hold_note=plan.shopify_hold.note[:512]))
                for d in decisions:
                    add_timeline(conn, dialect, now, pk, "decision", f"{d.rule}: {d.detail}",
                                 {"rule": d.rule, "action": d.action},
                                 dedupe_key=f"decision:{pk}:{d.rule}:{d.action}")
                for i, error in enumerate(errors):
                    add_timeline(conn, dialect, now, pk, "rule_error", error, {},
                                 dedupe_key=f"rule-error:{pk}:{i}")

    def parts_of(self, order_pks: Iterable[int]) -> dict[int, list[StoredPart]]:
        wanted = list(set(order_pks))
        out: dict[int, list[StoredPart]] = {pk: [] for pk in wanted}
        if not wanted:
            return out
        with self.db.engine.connect() as conn:
            for row in conn.execute(sa.select(shipstation_orders).where(
                    shipstation_orders.c.order_id.in_(wanted)).order_by(shipstation_orders.c.part)):
                out[int(row.order_id)].append(_part(row))
        return out

    def part(self, order_key: str) -> StoredPart | None:
        with self.db.engine.connect() as conn:
            row = conn.execute(sa.select(shipstation_orders).where(
                shipstation_orders.c.order_key == order_key)).first()
        return None if row is None else _part(row)

    def set_parts(self, updates: Sequence[tuple[str, dict[str, Any]]]) -> None:
        """(order key, column values) for ShipStation order parts."""
        if not updates:
            return
        now = self.store.clock()
        with self.db.engine.begin() as conn:
            for key, values in updates:
                conn.execute(shipstation_orders.update()
                             .where(shipstation_orders.c.order_key == key)
                             .values(**values, updated_at=now))

    def set_states(self, states: dict[int, OrderState], *, clear_hold: bool = False) -> None:
        if not states:
            return
        now = self.store.clock()
        extra: dict[str, Any] = {"hold_reason": None, "hold_note": None} if clear_hold else {}
        with self.db.engine.begin() as conn:
            for pk, state in states.items():
                conn.execute(orders.update().where(orders.c.id == pk,
                                                   orders.c.state.not_in(STOPPED))
                             .values(state=state.value, updated_at=now, **extra))

    def refresh_ship_states(self, order_pks: Iterable[int]) -> dict[int, OrderState]:
        """After labels: shipped when no part waits any more, partially shipped otherwise."""
        parts = self.parts_of(order_pks)
        states = {pk: (OrderState.PARTIALLY_SHIPPED
                       if any(p.status in (PartStatus.AWAITING_SHIPMENT, PartStatus.ON_HOLD)
                              for p in ps) else OrderState.SHIPPED)
                  for pk, ps in parts.items()}
        self.set_states(states)
        now = self.store.clock()
        with self.db.engine.begin() as conn:
            for pk, state in states.items():
                shipped = sum(1 for p in parts[pk] if p.status is PartStatus.SHIPPED)
                message = ("Shipped: every parcel is on its way" if state is OrderState.SHIPPED
                           else f"Partially shipped: {shipped} of {len(parts[pk])} parts")
                add_timeline(conn, self.db.dialect, now, pk, state.value, message,
                             {"parts_shipped": shipped},
                             dedupe_key=f"{state.value}:{pk}:{shipped}")
        return states

    def note(self, order_pk: int, kind: str, message: str, detail: dict[str, Any] | None,
             dedupe_key: str) -> None:
        with self.db.engine.begin() as conn:
            add_timeline(conn, self.db.dialect, self.store.clock(), order_pk, kind, message,
                         detail or {}, dedupe_key=dedupe_key)

    # -- holds and backorders ----------------------------------------------------------------
    def order_by_shopify_id(self, shopify_order_id: int) -> tuple[StoredOrder, str | None] | None:
        """The order and its hold reason (None when not held)."""
        return self._order_with_hold(orders.c.shopify_order_id == shopify_order_id)

    def order_with_hold(self, order_pk: int) -> tuple[StoredOrder, str | None] | None:
        return self._order_with_hold(orders.c.id == order_pk)

    def _order_with_hold(self, where: Any) -> tuple[StoredOrder, str | None] | None:
        with self.db.engine.connect() as conn:
            row = conn.execute(sa.select(orders.c.id, orders.c.snapshot, orders.c.state,
                                         orders.c.hold_reason).where(where)).first()
        if row is None:
            return None
        return (StoredOrder(int(row.id), order_from_json(row.snapshot), OrderState(row.state)),
                row.hold_reason)

    def backordered_parts(self, skus: Iterable[str]) -> list[StoredPart]:
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

    # -- shipments ---------------------------------------------------------------------------
    def _shipment(self, row: Any) -> StoredShipment:
        return StoredShipment(
            order_pk=int(row.order_id),
            shipment=Shipment(
                shipment_id=row.shipment_id, order_key=row.order_key or "",
                order_number="", tracking_number=row.tracking_number,
                carrier_code=row.carrier_code, service_code=row.service_code,
                ship_date=row.ship_date,
                items=tuple(ShipmentItem(i.get("sku"), i.get("name", ""), int(i["quantity"]))
                            for i in (row.items or [])),
            ),
            progress=ParcelProgress(
                milestone=TrackingMilestone(row.milestone) if row.milestone else None,
                last_scan_at=aware(row.last_scan_at),
                estimated_delivery=aware(row.estimated_delivery),
                delivered_at=aware(row.delivered_at),
                exception=ExceptionType(row.exception) if row.exception else None,
                exception_at=aware(row.exception_at)),
            fulfillment_id=row.shopify_fulfillment_id,
            created_at=aware(row.created_at) or self.store.clock(),
        )

    def shipment(self, shipment_id: str) -> StoredShipment | None:
        with self.db.engine.connect() as conn:
            row = conn.execute(sa.select(shipments).where(
                shipments.c.shipment_id == shipment_id)).first()
        return None if row is None else self._shipment(row)

    def live_shipments_of(self, order_keys: Iterable[str]) -> dict[str, list[StoredShipment]]:
        """The labels of these order parts that are not void, oldest first, in one query."""
        wanted = sorted(set(order_keys))
        out: dict[str, list[StoredShipment]] = {key: [] for key in wanted}
        if not wanted:
            return out
        with self.db.engine.connect() as conn:
            rows = conn.execute(sa.select(shipments).where(
                shipments.c.order_key.in_(wanted), shipments.c.voided_at.is_(None))
                .order_by(shipments.c.id)).all()
        for row in rows:
            out[row.order_key].append(self._shipment(row))
        return out

    def void_shipment(self, shipment_id: str) -> None:
        now = self.store.clock()
        with self.db.engine.begin() as conn:
            conn.execute(shipments.update().where(shipments.c.shipment_id == shipment_id)
                         .values(voided_at=now, state="voided", updated_at=now))

    def undelivered_shipments(self, limit: int = 5000) -> list[StoredShipment]:
        """Shipments on their way (fulfilled, not delivered, not void) of orders not stopped."""
        with self.db.engine.connect() as conn:
            rows = conn.execute(sa.select(shipments)
                                .join(orders, orders.c.id == shipments.c.order_id)
                                .where(shipments.c.delivered_at.is_(None),
                                       shipments.c.voided_at.is_(None),
                                       shipments.c.shopify_fulfillment_id.is_not(None),
                                       orders.c.state.not_in(STOPPED))
                                .order_by(shipments.c.id).limit(limit)).all()
        return [self._shipment(r) for r in rows]

    def refresh_delivered(self, order_pk: int) -> bool:
        """The order is delivered when it is shipped and every live shipment is delivered."""
        with self.db.engine.begin() as conn:
            rows = conn.execute(sa.select(shipments.c.delivered_at).where(
                shipments.c.order_id == order_pk, shipments.c.voided_at.is_(None))).all()
            if not rows or any(r.delivered_at is None for r in rows):
                return False
            result = conn.execute(orders.update().where(
                orders.c.id == order_pk, orders.c.state == OrderState.SHIPPED.value)
                .values(state=OrderState.DELIVERED.value, updated_at=self.store.clock()))
        return bool(result.rowcount)

    # -- cancellations -----------------------------------------------------------------------
    def orders_to_stop(self, limit: int = 100) -> list[int]:
        with self.db.engine.connect() as conn:
            return [int(pk) for pk in conn.execute(
                sa.select(orders.c.id).where(orders.c.state == OrderState.CANCELLING.value)
                .order_by(orders.c.id).limit(limit)).scalars()]

    def finish_stop(self, order_pk: int, message: str, detail: dict[str, Any]) -> int:
        """Cancel the order's pending timers and mark it cancelled; returns timers cancelled."""
        now = self.store.clock()
        with self.db.engine.begin() as conn:
            cancelled = conn.execute(timers.update().where(
                timers.c.order_id == order_pk, timers.c.state == "pending")
                .values(state="cancelled", updated_at=now)).rowcount or 0
            conn.execute(orders.update().where(orders.c.id == order_pk).values(
                state=OrderState.CANCELLED.value, updated_at=now))
            add_timeline(conn, self.db.dialect, now, order_pk, "cancelled",
                         f"{message}; {cancelled} timer(s) cancelled",
                         {**detail, "timers_cancelled": int(cancelled)},
                         dedupe_key=f"stopped:{order_pk}")
        return int(cancelled)

    # -- timers ------------------------------------------------------------------------------
    def add_timers(self, order_pk: int, planned: Sequence[PlannedTimer]) -> int:
        if not planned:
            return 0
        now = self.store.clock()
        with self.db.engine.begin() as conn:
            result = conn.execute(insert_ignore(self.db.dialect, timers, [
                {"timer_key": t.key, "kind": t.kind.value, "order_id": order_pk,
                 "shipment_id": t.shipment_id, "sku": t.sku, "days": t.days, "due_at": t.due_at,
                 "state": "pending", "created_at": now, "updated_at": now} for t in planned
            ], "timer_key"))
            for t in planned:
                add_timeline(conn, self.db.dialect, now, order_pk, "timer_set",
                             f"{t.kind.value} due {t.due_at.isoformat()}",
                             {"timer_key": t.key}, dedupe_key=f"timer-set:{t.key}")
        return int(result.rowcount or 0)

    def cancel_timers(self, order_pk: int, reason: str) -> int:
        now = self.store.clock()
        with self.db.engine.begin() as conn:
            count = conn.execute(timers.update().where(
                timers.c.order_id == order_pk, timers.c.state == "pending")
                .values(state="cancelled", updated_at=now)).rowcount or 0
            if count:
                add_timeline(conn, self.db.dialect, now, order_pk, "timers_cancelled",
                             f"{count} timer(s) cancelled: {reason}", {},
                             dedupe_key=f"timers-cancelled:{order_pk}:{reason}")
        return int(count)

    def claim_due_timers(self, batch_id: str, now: datetime, limit: int = 1000) -> list[str]:
        with self.db.engine.begin() as conn:
            candidates = (sa.select(timers.c.id).where(timers.c.state == "pending",
                                                       timers.c.due_at <= now)
                          .order_by(timers.c.due_at).limit(limit))
            if self.db.dialect == "postgresql":
                candidates = candidates.with_for_update(skip_locked=True)
            keys = conn.execute(timers.update().where(timers.c.id.in_(candidates.scalar_subquery()))
                                .where(timers.c.state == "pending")
                                .values(state="firing", batch_id=batch_id, updated_at=now)
                                .returning(timers.c.timer_key)).scalars().all()
        return sorted(keys)

    def release_orphan_timers(self, batch_exists: Any) -> int:
        with self.db.engine.connect() as conn:
            batches = conn.execute(sa.select(timers.c.batch_id).distinct().where(
                timers.c.state == "firing")).scalars().all()
        orphans = [b for b in batches if b and not batch_exists(b)]
        if not orphans:
            return 0
        with self.db.engine.begin() as conn:
            return int(conn.execute(timers.update().where(
                timers.c.state == "firing", timers.c.batch_id.in_(orphans))
                .values(state="pending", batch_id=None)).rowcount or 0)

    def timers_by_key(self, keys: Sequence[str]) -> list[DueTimer]:
        with self.db.engine.connect() as conn:
            rows = conn.execute(sa.select(timers).where(timers.c.timer_key.in_(list(keys)),
                                                        timers.c.state == "firing")).all()
        return [DueTimer(r.timer_key, r.kind, int(r.order_id), r.shipment_id, r.sku,
                         float(r.days), aware(r.due_at) or self.store.clock()) for r in rows]

    def finish_timers(self, keys: Sequence[str]) -> None:
        if not keys:
            return
        now = self.store.clock()
        with self.db.engine.begin() as conn:
            conn.execute(timers.update().where(timers.c.timer_key.in_(list(keys)),
                                               timers.c.state == "firing")
                         .values(state="sent", updated_at=now))

    def timer_counts(self) -> dict[str, int]:
        with self.db.engine.connect() as conn:
            return {f"{k}:{s}": int(n) for k, s, n in conn.execute(
                sa.select(timers.c.kind, timers.c.state, sa.func.count())
                .group_by(timers.c.kind, timers.c.state)).all()}
