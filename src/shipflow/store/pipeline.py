"""The store's side of the batched lifecycle: claiming paid orders for a push batch, and the
bulk writes a batch step makes (one transaction for many orders).

Paid orders wait in `orders` with state `paid`; a dispatcher claims up to a batch of them by
moving them to `queued` with the batch's workflow id in one statement, so two dispatchers
(several processes on PostgreSQL) never claim the same order. A batch whose workflow never got
enqueued (the process died in between) is found by `release_orphans` and its orders go back to
`paid`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

import sqlalchemy as sa

from shipflow.domain.order import OrderState
from shipflow.domain.shipment import Shipment, TrackingInfo
from shipflow.store.codec import order_from_json
from shipflow.store.repository import Store, StoredOrder
from shipflow.store.sql import add_timeline, insert_ignore
from shipflow.store.tables import orders, outbound_ledger, shipments


@dataclass(frozen=True)
class Outcome:
    """What happened to one order in a batch step, for the timeline and the ledger."""

    order_pk: int
    ok: bool
    message: str
    ledger_key: str | None = None
    result: dict[str, Any] | None = None
    detail: dict[str, Any] | None = None
    state: OrderState | None = None  # overrides the step's `state_ok` for this order


STOPPED = (OrderState.CANCELLING.value, OrderState.CANCELLED.value)
PUSHED = (OrderState.IN_SHIPSTATION, OrderState.ON_HOLD, OrderState.BACKORDERED)
SHIPPING = (OrderState.PARTIALLY_SHIPPED.value, OrderState.SHIPPED.value,
            OrderState.DELIVERED.value)


def _close_ledger(conn: sa.Connection, o: Outcome, now: Any) -> None:
    if o.ledger_key:
        conn.execute(outbound_ledger.update()
                     .where(outbound_ledger.c.idempotency_key == o.ledger_key)
                     .values(status="done" if o.ok else "failed",
                             result=o.result if o.ok else None,
                             error=None if o.ok else o.message[:1024], updated_at=now))


class Pipeline:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.db = store.db

    # -- claiming ----------------------------------------------------------------------------
    def claim_paid_orders(self, batch_id: str, limit: int) -> list[int]:
        """Move up to `limit` paid orders (oldest first) to `queued` under `batch_id`."""
        with self.db.engine.begin() as conn:
            candidates = (sa.select(orders.c.id).where(orders.c.state == OrderState.PAID.value)
                          .order_by(orders.c.id).limit(limit))
            if self.db.dialect == "postgresql":
                candidates = candidates.with_for_update(skip_locked=True)
            claimed = conn.execute(
                orders.update().where(orders.c.id.in_(candidates.scalar_subquery()))
                .where(orders.c.state == OrderState.PAID.value)
                .values(state=OrderState.QUEUED.value, batch_id=batch_id,
                        updated_at=self.store.clock())
                .returning(orders.c.id)
            ).scalars().all()
        return sorted(int(pk) for pk in claimed)

    def waiting_counts(self) -> tuple[int, int]:
        """(paid orders not yet in a batch, orders in batches not yet sent)."""
        with self.db.engine.connect() as conn:
            rows = conn.execute(sa.select(orders.c.state, sa.func.count()).where(
                orders.c.state.in_([OrderState.PAID.value, OrderState.QUEUED.value]))
                .group_by(orders.c.state)).all()
        counts = {state: int(n) for state, n in rows}
        return counts.get(OrderState.PAID.value, 0), counts.get(OrderState.QUEUED.value, 0)

    def release_orphans(self, batch_exists: Callable[[str], bool]) -> int:
        """Give back orders whose batch workflow does not exist (claimed, never enqueued)."""
        with self.db.engine.connect() as conn:
            batches = conn.execute(sa.select(orders.c.batch_id).distinct().where(
                orders.c.state == OrderState.QUEUED.value)).scalars().all()
        orphans = [b for b in batches if b and not batch_exists(b)]
        if not orphans:
            return 0
        with self.db.engine.begin() as conn:
            result = conn.execute(orders.update().where(
                orders.c.state == OrderState.QUEUED.value, orders.c.batch_id.in_(orphans)
            ).values(state=OrderState.PAID.value, batch_id=None))
        return int(result.rowcount or 0)

    def load_orders(self, order_pks: Sequence[int]) -> list[StoredOrder]:
        with self.db.engine.connect() as conn:
            rows = conn.execute(sa.select(orders.c.id, orders.c.snapshot, orders.c.state)
                                .where(orders.c.id.in_(list(order_pks))).order_by(orders.c.id)).all()
        return [StoredOrder(int(r.id), order_from_json(r.snapshot), OrderState(r.state)) for r in rows]

    # -- ledger, in bulk ---------------------------------------------------------------------
    def done_keys(self, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The finished outbound calls among `keys`, with their recorded results."""
        wanted = list(keys)
        if not wanted:
            return {}
        with self.db.engine.connect() as conn:
            rows = conn.execute(sa.select(outbound_ledger.c.idempotency_key, outbound_ledger.c.result)
                                .where(outbound_ledger.c.idempotency_key.in_(wanted),
                                       outbound_ledger.c.status == "done")).all()
        return {r.idempotency_key: dict(r.result or {}) for r in rows}

    def begin_calls(self, provider: str, operation: str,
                    calls: Sequence[tuple[str, int | None]]) -> dict[str, int]:
        """Record attempts before sending; returns each key's attempt number (1 = first)."""
        if not calls:
            return {}
        now = self.store.clock()
        keys = [k for k, _ in calls]
        with self.db.engine.begin() as conn:
            conn.execute(insert_ignore(self.db.dialect, outbound_ledger, [
                {"idempotency_key": key, "provider": provider, "operation": operation,
                 "order_id": pk, "status": "sending", "attempts": 0, "created_at": now,
                 "updated_at": now} for key, pk in calls
            ], "idempotency_key"))
            conn.execute(outbound_ledger.update().where(outbound_ledger.c.idempotency_key.in_(keys))
                         .values(attempts=outbound_ledger.c.attempts + 1, updated_at=now))
            rows = conn.execute(sa.select(outbound_ledger.c.idempotency_key,
                                          outbound_ledger.c.attempts)
                                .where(outbound_ledger.c.idempotency_key.in_(keys))).all()
        return {r.idempotency_key: int(r.attempts) for r in rows}

    def finish(self, outcomes: Sequence[Outcome], *, state_ok: OrderState | None,
               kind: str, state_failed: OrderState = OrderState.NEEDS_ATTENTION) -> None:
        """Close the ledger entries and move the orders on, all in one transaction."""
        if not outcomes:
            return
        now = self.store.clock()
        dialect = self.db.dialect
        with self.db.engine.begin() as conn:
            for o in outcomes:
                _close_ledger(conn, o, now)
                state = (o.state or state_ok) if o.ok else state_failed
                if state is not None:  # a cancellation that came in meanwhile wins
                    # A fast SHIP_NOTIFY can ship the order before the push step records it.
                    never_back = SHIPPING if state in PUSHED else ()
                    conn.execute(orders.update().where(orders.c.id == o.order_pk,
                                                       orders.c.state.not_in(STOPPED + never_back))
                                 .values(state=state.value, updated_at=now))
                entry_kind = (state.value if state is not None else kind) if o.ok else "attention"
                add_timeline(conn, dialect, now, o.order_pk, entry_kind, o.message, o.detail or {},
                             dedupe_key=f"{kind}:{o.ledger_key or o.order_pk}:{'ok' if o.ok else 'failed'}")

    def close_calls(self, outcomes: Sequence[Outcome]) -> None:
        """Close ledger entries only (no state, no timeline)."""
        now = self.store.clock()
        with self.db.engine.begin() as conn:
            for o in outcomes:
                _close_ledger(conn, o, now)

    # -- labels ------------------------------------------------------------------------------
    def record_labels(self, labels: Sequence[tuple[int, Shipment, TrackingInfo]]) -> None:
        if not labels:
            return
        now = self.store.clock()
        dialect = self.db.dialect
        with self.db.engine.begin() as conn:
            conn.execute(insert_ignore(dialect, shipments, [
                {"order_id": pk, "shipment_id": s.shipment_id, "tracking_number": t.number,
                 "carrier_code": t.carrier_code, "carrier_name": t.company,
                 "service_code": s.service_code, "tracking_url": t.url, "ship_date": s.ship_date,
                 "order_key": s.order_key,
                 "items": [{"sku": i.sku, "name": i.name, "quantity": i.quantity} for i in s.items],
                 "state": "label_printed", "created_at": now, "updated_at": now}
                for pk, s, t in labels
            ], "shipment_id"))
            for pk, s, t in labels:
                add_timeline(conn, dialect, now, pk, "label_printed",
                             f"Label printed: {t.company} {t.number}",
                             {"shipment_id": s.shipment_id, "tracking_url": t.url},
                             dedupe_key=f"label:{s.shipment_id}")

    def order_pks_by_shopify_id(self, shopify_ids: Iterable[int]) -> dict[int, int]:
        wanted = list(set(shopify_ids))
        if not wanted:
            return {}
        with self.db.engine.connect() as conn:
            rows = conn.execute(sa.select(orders.c.shopify_order_id, orders.c.id)
                                .where(orders.c.shopify_order_id.in_(wanted))).all()
        return {int(r.shopify_order_id): int(r.id) for r in rows}

    def set_fulfilled(self, fulfilled: Sequence[tuple[str, str]]) -> None:
        """(shipment id, Shopify fulfillment gid) pairs."""
        if not fulfilled:
            return
        now = self.store.clock()
        with self.db.engine.begin() as conn:
            for shipment_id, fulfillment_id in fulfilled:
                conn.execute(shipments.update().where(shipments.c.shipment_id == shipment_id)
                             .values(state="fulfilled", shopify_fulfillment_id=fulfillment_id,
                                     updated_at=now))
