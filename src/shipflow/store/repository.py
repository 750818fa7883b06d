"""The store's operations, each one transaction. Callers pass domain objects, never rows."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any, Callable, Iterator, Mapping, Sequence

import sqlalchemy as sa

from shipflow.domain.effects import EVENT_OPERATION
from shipflow.domain.order import Order, OrderState
from shipflow.domain.parcel import (
    ExceptionRaised,
    MilestoneReached,
    ParcelEvent,
    ParcelProgress,
    advance,
)
from shipflow.domain.tracking_events import ExceptionType, TrackingMilestone, TrackingUpdate
from shipflow.store.codec import order_from_json, order_to_json
from shipflow.store.db import Database
from shipflow.store.sql import add_timeline, aware, insert_ignore, utc
from shipflow.store.tables import (
    line_items,
    orders,
    outbound_ledger,
    shipments,
    timeline,
    webhook_inbox,
)

Clock = Callable[[], datetime]




def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Delivery:
    """One webhook delivery as received, before or after it was judged."""

    provider: str
    delivery_id: str
    topic: str | None
    shop_domain: str | None
    headers: Mapping[str, str]
    body: bytes
    body_size: int


def _utc_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else utc(value)


def _stops(order: Order) -> bool:
    """Cancelled, or refunded in full: nothing more may ship or be sent for it."""
    return order.cancelled_at is not None or order.fully_refunded


def _initial_state(order: Order) -> OrderState:
    if _stops(order):
        return OrderState.CANCELLED
    return OrderState.PAID if order.is_paid else OrderState.RECEIVED


@dataclass(frozen=True)
class TrackingApplied:
    order_pk: int
    shipment_id: str
    progress: ParcelProgress
    events: tuple[ParcelEvent, ...]


def _describe(event: ParcelEvent) -> tuple[str, str, str]:
    """(timeline kind, message, a key that makes the entry unique) for a parcel event."""
    if isinstance(event, MilestoneReached):
        where = f" ({event.scan.location})" if event.scan.location else ""
        return (f"tracking:{event.milestone.value}",
                f"Carrier: {event.milestone.value.replace('_', ' ')}{where}",
                event.scan.occurred_at.isoformat())
    if isinstance(event, ExceptionRaised):
        detail = event.scan.status_detail_code or event.scan.description or "no detail"
        return (f"exception:{event.exception.value}",
                f"Carrier exception: {event.exception.value.replace('_', ' ')} ({detail})",
                event.scan.occurred_at.isoformat())
    previous = event.previous.date().isoformat() if event.previous else "none"
    return ("tracking:estimate", f"Estimated delivery moved from {previous} to "
            f"{event.estimate.date().isoformat()}", event.estimate.isoformat())


@dataclass(frozen=True)
class StoredOrder:
    pk: int
    order: Order
    state: OrderState


class Store:
    def __init__(self, db: Database, clock: Clock = utcnow) -> None:
        self.db = db
        self.clock = clock

    # -- helpers -----------------------------------------------------------------------------
    def _insert_ignore(self, table: sa.Table, values: dict[str, Any], *keys: str) -> sa.Insert:
        return insert_ignore(self.db.dialect, table, values, *keys)

    def _timeline(
        self, conn: sa.Connection, order_pk: int, kind: str, message: str,
        detail: dict[str, Any] | None = None, dedupe_key: str | None = None,
    ) -> None:
        add_timeline(conn, self.db.dialect, self.clock(), order_pk, kind, message, detail,
                     dedupe_key)

    # -- intake ------------------------------------------------------------------------------
    def accept_delivery(self, delivery: Delivery, order: Order | None,
                        dispatched: bool = False) -> tuple[bool, int | None]:
        """Insert the delivery into the inbox and, for an order topic, upsert the order.

        Returns (new, inbox id). A delivery id seen before changes nothing: that is how a
        duplicate webhook is recognized. An order snapshot older than the stored one is kept in
        the inbox but does not overwrite the order (Shopify does not deliver in order).
        `dispatched=True` when storing is all the delivery needs: a paid order waits in `orders`
        for the dispatcher, so the delivery itself has nothing left to start.
        """
        with self.db.engine.begin() as conn:
            return self._accept(conn, delivery, order, dispatched)

    def accept_many(self, items: Sequence[tuple[Delivery, Order | None, bool]]
                    ) -> list[tuple[bool, int | None]]:
        """`accept_delivery` for many deliveries in one transaction (group commit), with
        set-wise statements: one look-up of known delivery ids, one multi-row insert, one
        look-up of known orders. Returns (new, None) per delivery: inbox ids are not needed
        by the callers that batch."""
        if not items:
            return []
        now = self.clock()
        with self.db.engine.begin() as conn:
            keys = [(d.provider, d.delivery_id) for d, _, _ in items]
            seen = {(r.provider, r.delivery_id) for r in conn.execute(
                sa.select(webhook_inbox.c.provider, webhook_inbox.c.delivery_id).where(
                    sa.tuple_(webhook_inbox.c.provider, webhook_inbox.c.delivery_id).in_(keys)))}
            results: list[tuple[bool, int | None]] = []
            rows: list[dict[str, Any]] = []
            latest: dict[tuple[str, int], tuple[Order, str]] = {}
            for delivery, order, dispatched in items:
                key = (delivery.provider, delivery.delivery_id)
                if key in seen:
                    results.append((False, None))
                    continue
                seen.add(key)
                results.append((True, None))
                rows.append({
                    "provider": delivery.provider, "delivery_id": delivery.delivery_id,
                    "topic": delivery.topic, "shop_domain": delivery.shop_domain,
                    "status": "accepted", "reason": None, "http_status": 200,
                    "headers": dict(delivery.headers), "body": delivery.body,
                    "body_size": delivery.body_size, "received_at": now,
                    "dispatched_at": now if dispatched else None,
                })
                if order is not None:
                    okey = (order.shop_domain, order.shopify_order_id)
                    known = latest.get(okey)
                    if known is None or order.updated_at >= known[0].updated_at:
                        latest[okey] = (order, delivery.topic or "")
            if rows:
                conn.execute(self._insert_ignore_many(webhook_inbox, rows, "provider", "delivery_id"))
            if latest:
                self._upsert_orders(conn, list(latest.values()))
        return results

    def _insert_ignore_many(self, table: sa.Table, rows: list[dict[str, Any]],
                            *keys: str) -> sa.Insert:
        return insert_ignore(self.db.dialect, table, rows, *keys)

    def _upsert_orders(self, conn: sa.Connection, batch: list[tuple[Order, str]]) -> None:
        """Insert the orders not stored yet in one statement; update the others one by one."""
        keys = [(o.shop_domain, o.shopify_order_id) for o, _ in batch]
        stored = {
            (r.shop_domain, int(r.shopify_order_id)) for r in conn.execute(
                sa.select(orders.c.shop_domain, orders.c.shopify_order_id).where(
                    sa.tuple_(orders.c.shop_domain, orders.c.shopify_order_id).in_(keys)))
        }
        fresh = [(o, topic) for o, topic in batch if (o.shop_domain, o.shopify_order_id) not in stored]
        now = self.clock()
        inserted: set[tuple[str, int]] = set()
        if fresh:
            # Another process may insert the same order between the look-up and this insert:
            # RETURNING names only the rows this statement inserted; the others are updates.
            inserted = {
                (r.shop_domain, int(r.shopify_order_id)) for r in conn.execute(
                    self._insert_ignore_many(orders, [{
                        "shop_domain": o.shop_domain, "shopify_order_id": o.shopify_order_id,
                        "name": o.name, "financial_status": o.financial_status,
                        "total_price": o.total_price, "currency": o.currency,
                        "snapshot": order_to_json(o), "shopify_updated_at": utc(o.updated_at),
                        "state": _initial_state(o).value, "created_at": now, "updated_at": now,
                    } for o, _ in fresh], "shop_domain", "shopify_order_id").returning(
                        orders.c.shop_domain, orders.c.shopify_order_id))
            }
        new = [(o, topic) for o, topic in fresh if (o.shop_domain, o.shopify_order_id) in inserted]
        if new:
            ids = {
                (r.shop_domain, int(r.shopify_order_id)): int(r.id) for r in conn.execute(
                    sa.select(orders.c.id, orders.c.shop_domain, orders.c.shopify_order_id).where(
                        sa.tuple_(orders.c.shop_domain, orders.c.shopify_order_id).in_(
                            [(o.shop_domain, o.shopify_order_id) for o, _ in new])))
            }
            conn.execute(insert_ignore(self.db.dialect, line_items, [
                {"order_id": ids[(o.shop_domain, o.shopify_order_id)],
                 "shopify_line_item_id": li.line_item_id, "sku": li.sku, "title": li.name[:512],
                 "quantity": li.quantity, "unit_price": li.unit_price, "grams": li.grams}
                for o, _ in new for li in o.line_items
            ], "order_id", "shopify_line_item_id"))
            conn.execute(insert_ignore(self.db.dialect, timeline, [
                {"order_id": ids[(o.shop_domain, o.shopify_order_id)], "at": now,
                 "kind": "received", "message": f"Order {o.name} received ({topic})",
                 "detail": {"topic": topic, "financial_status": o.financial_status},
                 "dedupe_key": f"received:{o.shop_domain}:{o.shopify_order_id}"}
                for o, topic in new
            ], "dedupe_key"))
        for order, _ in batch:
            if (order.shop_domain, order.shopify_order_id) not in inserted:
                self._update_order(conn, order)

    def _accept(self, conn: sa.Connection, delivery: Delivery, order: Order | None,
                dispatched: bool) -> tuple[bool, int | None]:
        now = self.clock()
        result = conn.execute(self._insert_ignore(webhook_inbox, {
            "provider": delivery.provider, "delivery_id": delivery.delivery_id,
            "topic": delivery.topic, "shop_domain": delivery.shop_domain, "status": "accepted",
            "reason": None, "http_status": 200, "headers": dict(delivery.headers),
            "body": delivery.body, "body_size": delivery.body_size, "received_at": now,
            "dispatched_at": now if dispatched else None,
        }, "provider", "delivery_id").returning(webhook_inbox.c.id))
        inbox_id = result.scalar_one_or_none()
        if inbox_id is None:
            return False, None
        if order is not None:
            self._upsert_orders(conn, [(order, delivery.topic or "")])
        return True, int(inbox_id)

    def _update_order(self, conn: sa.Connection, order: Order) -> None:
        """Apply a newer snapshot of a stored order; an older one is ignored (Shopify does not
        deliver in order)."""
        row = conn.execute(
            sa.select(orders.c.id, orders.c.shopify_updated_at, orders.c.state).where(
                orders.c.shop_domain == order.shop_domain,
                orders.c.shopify_order_id == order.shopify_order_id,
            )
        ).one()
        stored_at = aware(row.shopify_updated_at)
        if stored_at is not None and order.updated_at < stored_at:
            return  # stale snapshot
        values: dict[str, Any] = {
            "name": order.name, "financial_status": order.financial_status,
            "total_price": order.total_price, "currency": order.currency,
            "snapshot": order_to_json(order), "shopify_updated_at": utc(order.updated_at),
            "updated_at": self.clock(),
        }
        current = OrderState(row.state)
        state = _initial_state(order)
        if current in (OrderState.RECEIVED, OrderState.PAID):
            values["state"] = state.value
        elif _stops(order) and not current.is_stopped:
            # Work may be pending for it (a ShipStation order, holds, timers): the stopper
            # (engine/stopping.py) cancels that, then marks the order cancelled.
            values["state"] = OrderState.CANCELLING.value
        if order.updated_at == stored_at and values.get("state", current.value) == current.value:
            return  # the same snapshot again (orders/create then orders/paid)
        conn.execute(orders.update().where(orders.c.id == row.id).values(**values))

    def apply_refund(self, shop_domain: str, shopify_order_id: int, refund_id: int,
                     lines: Sequence[tuple[int, int]]) -> OrderState | None:
        """`refunds/create`: add the refunded units to the order; when every unit to ship is
        refunded, the order stops like a cancelled one. Returns the order's state, or None when
        shipflow does not know the order."""
        with self.db.engine.begin() as conn:
            conn.execute(orders.update().where(orders.c.shop_domain == shop_domain,
                                               orders.c.shopify_order_id == shopify_order_id)
                         .values(updated_at=orders.c.updated_at))  # lock the row first
            row = conn.execute(sa.select(orders.c.id, orders.c.snapshot, orders.c.state).where(
                orders.c.shop_domain == shop_domain,
                orders.c.shopify_order_id == shopify_order_id)).first()
            if row is None:
                return None
            order = order_from_json(row.snapshot)
            order = replace(order, refunded=order.refunded + tuple(lines))
            current = OrderState(row.state)
            state = current
            if _stops(order) and not current.is_stopped:
                state = (OrderState.CANCELLED if current in (OrderState.RECEIVED, OrderState.PAID)
                         else OrderState.CANCELLING)
            conn.execute(orders.update().where(orders.c.id == row.id).values(
                snapshot=order_to_json(order), state=state.value, updated_at=self.clock()))
            units = sum(q for _, q in lines)
            self._timeline(conn, row.id, "refunded", f"Refunded in Shopify: {units} unit(s)"
                           + ("; stopping what is pending" if state != current else ""),
                           {"refund_id": refund_id}, dedupe_key=f"refund:{refund_id}")
        return state

    def reject_delivery(self, delivery: Delivery, http_status: int, reason: str) -> None:
        """Keep a rejected delivery for inspection; it never starts anything."""
        with self.db.engine.begin() as conn:
            conn.execute(self._insert_ignore(webhook_inbox, {
                "provider": delivery.provider, "delivery_id": delivery.delivery_id,
                "topic": delivery.topic, "shop_domain": delivery.shop_domain, "status": "rejected",
                "reason": reason[:1024], "http_status": http_status,
                "headers": dict(delivery.headers), "body": delivery.body,
                "body_size": delivery.body_size, "received_at": self.clock(),
            }, "provider", "delivery_id"))

    def mark_dispatched(self, inbox_id: int, workflow_id: str | None) -> None:
        with self.db.engine.begin() as conn:
            conn.execute(webhook_inbox.update().where(webhook_inbox.c.id == inbox_id).values(
                dispatched_at=self.clock(), workflow_id=workflow_id))

    def undispatched(self, limit: int = 1000) -> list[tuple[int, str, bytes]]:
        """Accepted deliveries whose workflow start was never confirmed (a crash in between)."""
        with self.db.engine.connect() as conn:
            rows = conn.execute(
                sa.select(webhook_inbox.c.id, webhook_inbox.c.provider, webhook_inbox.c.body)
                .where(webhook_inbox.c.status == "accepted", webhook_inbox.c.dispatched_at.is_(None))
                .order_by(webhook_inbox.c.id).limit(limit)
            ).all()
        return [(int(r.id), r.provider, bytes(r.body)) for r in rows]

    # -- shipments ---------------------------------------------------------------------------
    def apply_tracking(self, update: TrackingUpdate) -> TrackingApplied | None:
        """Move the shipment with this tracking number forward; return what was new, once.

        The read-compute-write runs in one transaction that starts with a write (SQLite's write
        lock) or locks the row (PostgreSQL), so two webhooks for one parcel cannot both report
        the same milestone.
        """
        with self.db.engine.begin() as conn:
            conn.execute(shipments.update().where(shipments.c.tracking_number == update.tracking_number)
                         .values(updated_at=shipments.c.updated_at))  # takes the lock first
            query = sa.select(shipments).where(shipments.c.tracking_number == update.tracking_number)
            if self.db.dialect == "postgresql":
                query = query.with_for_update()
            row = conn.execute(query.order_by(shipments.c.id.desc()).limit(1)).first()
            if row is None:
                return None
            before = ParcelProgress(
                milestone=TrackingMilestone(row.milestone) if row.milestone else None,
                last_scan_at=aware(row.last_scan_at),
                estimated_delivery=aware(row.estimated_delivery),
                delivered_at=aware(row.delivered_at),
                exception=ExceptionType(row.exception) if row.exception else None,
                exception_at=aware(row.exception_at),
            )
            after, events = advance(before, update)
            if after != before:
                conn.execute(shipments.update().where(shipments.c.id == row.id).values(
                    milestone=after.milestone.value if after.milestone else None,
                    milestone_rank=after.milestone.rank if after.milestone else -1,
                    last_scan_at=_utc_or_none(after.last_scan_at),
                    estimated_delivery=_utc_or_none(after.estimated_delivery),
                    delivered_at=_utc_or_none(after.delivered_at),
                    exception=after.exception.value if after.exception else None,
                    exception_at=_utc_or_none(after.exception_at), updated_at=self.clock(),
                ))
            for event in events:
                kind, message, scan_key = _describe(event)
                self._timeline(conn, row.order_id, kind, message,
                               {"shipment_id": row.shipment_id,
                                "tracking_number": update.tracking_number},
                               dedupe_key=f"track:{row.shipment_id}:{kind}:{scan_key}")
        return TrackingApplied(order_pk=int(row.order_id), shipment_id=row.shipment_id,
                               progress=after, events=tuple(events))

    # -- read side ---------------------------------------------------------------------------
    def order_view(self, shopify_order_id: int) -> dict[str, Any] | None:
        with self.db.engine.connect() as conn:
            row = conn.execute(sa.select(orders).where(
                orders.c.shopify_order_id == shopify_order_id).limit(1)).first()
            if row is None:
                return None
            ships = conn.execute(sa.select(shipments).where(shipments.c.order_id == row.id)
                                 .order_by(shipments.c.id)).all()
            events = conn.execute(sa.select(timeline).where(timeline.c.order_id == row.id)
                                  .order_by(timeline.c.at, timeline.c.id)).all()
            calls = conn.execute(sa.select(outbound_ledger).where(
                outbound_ledger.c.order_id == row.id).order_by(outbound_ledger.c.id)).all()
        return {
            "shopify_order_id": str(row.shopify_order_id),
            "shop_domain": row.shop_domain,
            "name": row.name,
            "state": row.state,
            "financial_status": row.financial_status,
            "total_price": str(row.total_price),
            "currency": row.currency,
            "shipments": [
                {"shipment_id": s.shipment_id, "state": s.state,
                 "tracking_number": s.tracking_number, "carrier": s.carrier_name,
                 "carrier_code": s.carrier_code, "service_code": s.service_code,
                 "tracking_url": s.tracking_url,
                 "ship_date": s.ship_date.isoformat() if s.ship_date else None,
                 "shopify_fulfillment_id": s.shopify_fulfillment_id,
                 "milestone": s.milestone, "exception": s.exception,
                 "estimated_delivery": s.estimated_delivery.isoformat()
                 if s.estimated_delivery else None,
                 "delivered_at": s.delivered_at.isoformat() if s.delivered_at else None}
                for s in ships
            ],
            "timeline": [
                {"at": e.at.isoformat(), "kind": e.kind, "message": e.message, "detail": e.detail}
                for e in events
            ],
            "outbound_calls": [
                {"provider": c.provider, "operation": c.operation, "status": c.status,
                 "attempts": c.attempts, "error": c.error}
                for c in calls
            ],
        }

    def counts(self) -> dict[str, Any]:
        with self.db.engine.connect() as conn:
            by_state: dict[str, int] = dict(conn.execute(
                sa.select(orders.c.state, sa.func.count()).group_by(orders.c.state)).all())
            inbox: dict[str, int] = dict(conn.execute(
                sa.select(webhook_inbox.c.status, sa.func.count())
                .group_by(webhook_inbox.c.status)).all())
            ships = conn.execute(sa.select(sa.func.count()).select_from(shipments)).scalar_one()
            fulfilled = conn.execute(sa.select(sa.func.count()).select_from(shipments).where(
                shipments.c.shopify_fulfillment_id.is_not(None))).scalar_one()
            calls: dict[str, int] = dict(conn.execute(
                sa.select(outbound_ledger.c.operation, sa.func.count())
                .where(outbound_ledger.c.status == "done").group_by(outbound_ledger.c.operation)
            ).all())
        events = {op.removeprefix(EVENT_OPERATION): n for op, n in calls.items()
                  if op.startswith(EVENT_OPERATION)}  # Klaviyo events sent, by metric name
        return {
            "orders": sum(by_state.values()), "orders_by_state": by_state,
            "events_by_metric": events,
            "webhooks": inbox, "shipments": int(ships), "fulfilled_shipments": int(fulfilled),
            "outbound_done": calls,
        }

    def iter_order_ids(self) -> Iterator[int]:
        with self.db.engine.connect() as conn:
            for (oid,) in conn.execute(sa.select(orders.c.shopify_order_id)):
                yield int(oid)
