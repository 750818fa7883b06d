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
from shipflow.store.tables import orders, shipments


@dataclass(frozen=True)
class Outcome:
    """What happened to one order in a batch step, for its state and timeline."""

    order_pk: int
    ok: bool
    message: str
    key: str | None = None  # the write it reports on (ledger key): one timeline entry each
    detail: dict[str, Any] | None = None
    state: OrderState | None = None  # overrides the step's `state_ok` for this order


STOPPED = (OrderState.CANCELLING.value, OrderState.CANCELLED.value)
PUSHED = (OrderState.IN_SHIPSTATION, OrderState.ON_HOLD, OrderState.BACKORDERED)
SHIPPING = (OrderState.PARTIALLY_SHIPPED.value, OrderState.SHIPPED.value,
            OrderState.DELIVERED.value)


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

    # -- outcomes ----------------------------------------------------------------------------
    def finish(self, outcomes: Sequence[Outcome], *, state_ok: OrderState | None,
               kind: str, state_failed: OrderState = OrderState.NEEDS_ATTENTION) -> None:
        """Move the orders on and note each outcome on their timelines, in one transaction."""
        if not outcomes:
            return
        now = self.store.clock()
        dialect = self.db.dialect
        with self.db.engine.begin() as conn:
            for o in outcomes:
                state = (o.state or state_ok) if o.ok else state_failed
                if state is not None:  # a cancellation that came in meanwhile wins
                    # A fast SHIP_NOTIFY can ship the order before the push step records it.
                    never_back = SHIPPING if state in PUSHED else ()
                    conn.execute(orders.update().where(orders.c.id == o.order_pk,
                                                       orders.c.state.not_in(STOPPED + never_back))
                                 .values(state=state.value, updated_at=now))
                entry_kind = (state.value if state is not None else kind) if o.ok else "attention"
                add_timeline(conn, dialect, now, o.order_pk, entry_kind, o.message, o.detail or {},
                             dedupe_key=f"{kind}:{o.key or o.order_pk}:{'ok' if o.ok else 'failed'}")

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

    def set_fulfilled(self, fulfilled: Sequence[tuple[str, str | None]]) -> None:
        """(shipment id, Shopify fulfillment gid) pairs; no gid when only recorded."""
        if not fulfilled:
            return
        now = self.store.clock()
        with self.db.engine.begin() as conn:
            for shipment_id, fulfillment_id in fulfilled:
                conn.execute(shipments.update().where(shipments.c.shipment_id == shipment_id)
                             .values(state="fulfilled", shopify_fulfillment_id=fulfillment_id,
                                     updated_at=now))
