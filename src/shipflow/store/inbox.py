"""The webhook inbox: every delivery as received, accepted or rejected, unique on the
provider's delivery id (that is how a duplicate webhook is recognised). An order delivery
stores its order in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import sqlalchemy as sa

from shipflow.domain.order import Order
from shipflow.store.clock import Clock
from shipflow.store.db import Database
from shipflow.store.orders import Orders
from shipflow.store.sql import insert_ignore
from shipflow.store.tables import webhook_inbox


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


class Inbox:
    def __init__(self, db: Database, clock: Clock, orders: Orders) -> None:
        self.db = db
        self.clock = clock
        self.orders = orders

    def _row(self, delivery: Delivery, dispatched: bool) -> dict[str, Any]:
        now = self.clock()
        return {
            "provider": delivery.provider, "delivery_id": delivery.delivery_id,
            "topic": delivery.topic, "shop_domain": delivery.shop_domain, "status": "accepted",
            "reason": None, "http_status": 200, "headers": dict(delivery.headers),
            "body": delivery.body, "body_size": delivery.body_size, "received_at": now,
            "dispatched_at": now if dispatched else None,
        }

    def accept(self, delivery: Delivery, order: Order | None,
               dispatched: bool = False) -> tuple[bool, int | None]:
        """Insert the delivery and, for an order topic, upsert the order.

        Returns (new, inbox id). A delivery id seen before changes nothing. An order snapshot
        older than the stored one is kept here but does not overwrite the order (Shopify does
        not deliver in order). `dispatched=True` when storing is all the delivery needs: a paid
        order waits in `orders` for the dispatcher, so the delivery has nothing left to start.
        """
        with self.db.engine.begin() as conn:
            inbox_id = conn.execute(insert_ignore(
                self.db.dialect, webhook_inbox, self._row(delivery, dispatched),
                "provider", "delivery_id").returning(webhook_inbox.c.id)).scalar_one_or_none()
            if inbox_id is None:
                return False, None
            if order is not None:
                self.orders.upsert(conn, [(order, delivery.topic or "")])
        return True, int(inbox_id)

    def accept_many(self, items: Sequence[tuple[Delivery, Order | None, bool]]
                    ) -> list[tuple[bool, int | None]]:
        """`accept` for many deliveries in one transaction (group commit), with set-wise
        statements: one look-up of known delivery ids, one multi-row insert, one look-up of
        known orders. Returns (new, None) per delivery: inbox ids are not needed by the callers
        that batch."""
        if not items:
            return []
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
                rows.append(self._row(delivery, dispatched))
                if order is not None:
                    okey = (order.shop_domain, order.shopify_order_id)
                    known = latest.get(okey)
                    if known is None or order.updated_at >= known[0].updated_at:
                        latest[okey] = (order, delivery.topic or "")
            if rows:
                conn.execute(insert_ignore(self.db.dialect, webhook_inbox, rows,
                                           "provider", "delivery_id"))
            if latest:
                self.orders.upsert(conn, list(latest.values()))
        return results

    def reject(self, delivery: Delivery, http_status: int, reason: str) -> None:
        """Keep a rejected delivery for inspection; it never starts anything."""
        with self.db.engine.begin() as conn:
            conn.execute(insert_ignore(self.db.dialect, webhook_inbox, {
                **self._row(delivery, False), "status": "rejected", "reason": reason[:1024],
                "http_status": http_status}, "provider", "delivery_id"))

    def mark_dispatched(self, inbox_id: int, workflow_id: str | None) -> None:
        with self.db.engine.begin() as conn:
            conn.execute(webhook_inbox.update().where(webhook_inbox.c.id == inbox_id).values(
                dispatched_at=self.clock(), workflow_id=workflow_id))

    def undispatched(self, limit: int = 1000) -> list[tuple[int, str, bytes]]:
        """Accepted deliveries whose workflow start was never confirmed (a crash in between)."""
        with self.db.engine.connect() as conn:
            rows = conn.execute(
                sa.select(webhook_inbox.c.id, webhook_inbox.c.provider, webhook_inbox.c.body)
                .where(webhook_inbox.c.status == "accepted",
                       webhook_inbox.c.dispatched_at.is_(None))
                .order_by(webhook_inbox.c.id).limit(limit)
            ).all()
        return [(int(r.id), r.provider, bytes(r.body)) for r in rows]
