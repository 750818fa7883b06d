"""The webhook inbox: every delivery as received, accepted or rejected, unique on the
provider's delivery id, and for Shopify also on (topic, event id) and on a hash of topic + body
(that is how a duplicate webhook is recognised, even one replayed under a new webhook id). An
order delivery stores its order in the same transaction.

Rejections made before the sender was authenticated keep metadata only (headers, body hash and
size) and at most a configured number of rows; past that they are only counted
(`intake_counters`), so forged requests cannot fill the disk."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping, Sequence, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from shipflow.domain.order import Order
from shipflow.domain.privacy import PersonalData, mentions, scrub_bytes
from shipflow.store.clock import Clock
from shipflow.store.db import Database
from shipflow.store.orders import Orders
from shipflow.store.tables import intake_counters, webhook_inbox

NOT_STORED_PREFIX = "not_stored:"


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
    event_key: str | None = None  # Shopify: "<topic> <X-Shopify-Event-Id>"
    content_key: str | None = None  # sha256 of topic + body (hex)
    authenticated: bool = True  # False: refused before the sender was authenticated
    body_sha256: str | None = None  # when `body` is not the whole body received


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
            "body_sha256": delivery.body_sha256 or hashlib.sha256(delivery.body).hexdigest(),
            "event_key": delivery.event_key, "content_key": delivery.content_key,
            "authenticated": delivery.authenticated,
        }

    def _insert_new(self, rows: dict[str, Any] | list[dict[str, Any]]) -> sa.Insert:
        """INSERT ... ON CONFLICT DO NOTHING on any of the inbox's unique keys."""
        module = postgresql if self.db.dialect == "postgresql" else sqlite
        stmt = module.insert(webhook_inbox)
        stmt = stmt.values(rows) if isinstance(rows, list) else stmt.values(**rows)
        return cast(sa.Insert, stmt.on_conflict_do_nothing())

    @staticmethod
    def _keys(delivery: Delivery) -> list[tuple[str, str]]:
        keys = [("delivery_id", delivery.delivery_id)]
        if delivery.event_key:
            keys.append(("event_key", delivery.event_key))
        if delivery.content_key:
            keys.append(("content_key", delivery.content_key))
        return keys

    def accept(self, delivery: Delivery, order: Order | None,
               dispatched: bool = False) -> tuple[bool, int | None]:
        """Insert the delivery and, for an order topic, upsert the order.

        Returns (new, inbox id). A delivery id seen before changes nothing. An order snapshot
        older than the stored one is kept here but does not overwrite the order (Shopify does
        not deliver in order). `dispatched=True` when storing is all the delivery needs: a paid
        order waits in `orders` for the dispatcher, so the delivery has nothing left to start.
        """
        with self.db.engine.begin() as conn:
            inbox_id = conn.execute(self._insert_new(self._row(delivery, dispatched))
                                    .returning(webhook_inbox.c.id)).scalar_one_or_none()
            if inbox_id is None:
                return False, None
            if order is not None:
                self.orders.upsert(conn, [(order, delivery.topic or "")])
        return True, int(inbox_id)

    def accept_many(self, items: Sequence[tuple[Delivery, Order | None, bool]]
                    ) -> list[tuple[bool, int | None]]:
        """`accept` for many deliveries in one transaction (group commit), with set-wise
        statements: a look-up of known keys (delivery id, event key, content key), one
        multi-row insert, one look-up of known orders. Returns (new, None) per delivery: inbox
        ids are not needed by the callers that batch."""
        if not items:
            return []
        with self.db.engine.begin() as conn:
            seen: set[tuple[str, str, str]] = set()
            for column in ("delivery_id", "event_key", "content_key"):
                wanted = {(d.provider, value) for d, _, _ in items
                          for name, value in self._keys(d) if name == column}
                if not wanted:
                    continue
                col = webhook_inbox.c[column]
                seen |= {(column, r.provider, r.key) for r in conn.execute(
                    sa.select(webhook_inbox.c.provider, col.label("key")).where(
                        sa.tuple_(webhook_inbox.c.provider, col).in_(sorted(wanted))))}
            candidates: dict[int, tuple[Delivery, Order | None]] = {}  # by position in items
            rows: list[dict[str, Any]] = []
            for index, (delivery, order, dispatched) in enumerate(items):
                keys = {(name, delivery.provider, value) for name, value in self._keys(delivery)}
                if keys & seen:
                    continue
                seen |= keys
                candidates[index] = (delivery, order)
                rows.append(self._row(delivery, dispatched))
            inserted: set[tuple[str, str]] = set()
            if rows:
                # Another process may store the same delivery in between: RETURNING names the
                # rows this statement inserted; the others are duplicates.
                inserted = {(r.provider, r.delivery_id) for r in conn.execute(
                    self._insert_new(rows).returning(webhook_inbox.c.provider,
                                                     webhook_inbox.c.delivery_id))}
            latest: dict[tuple[str, int], tuple[Order, str]] = {}
            for delivery, order in candidates.values():
                if order is None or (delivery.provider, delivery.delivery_id) not in inserted:
                    continue
                okey = (order.shop_domain, order.shopify_order_id)
                known = latest.get(okey)
                if known is None or order.updated_at >= known[0].updated_at:
                    latest[okey] = (order, delivery.topic or "")
            if latest:
                self.orders.upsert(conn, list(latest.values()))
        return [(index in candidates and (d.provider, d.delivery_id) in inserted, None)
                for index, (d, _, _) in enumerate(items)]

    def reject(self, delivery: Delivery, http_status: int, reason: str,
               keep_at_most: int | None = None) -> bool:
        """Keep a rejected delivery for inspection; it never starts anything.

        An unauthenticated one (`delivery.authenticated` False) is kept only while fewer than
        `keep_at_most` such rows exist; otherwise it is counted under
        `not_stored:<provider>` and False is returned."""
        with self.db.engine.begin() as conn:
            if not delivery.authenticated and keep_at_most is not None:
                kept = conn.execute(sa.select(sa.func.count()).select_from(webhook_inbox).where(
                    webhook_inbox.c.authenticated.is_(False))).scalar_one()
                if kept >= keep_at_most:
                    self._count(conn, f"{NOT_STORED_PREFIX}{delivery.provider}")
                    return False
            conn.execute(self._insert_new({
                **self._row(delivery, False), "status": "rejected", "reason": reason[:1024],
                "http_status": http_status}))
        return True

    def _count(self, conn: sa.Connection, name: str) -> None:
        module = postgresql if self.db.dialect == "postgresql" else sqlite
        stmt = module.insert(intake_counters).values(name=name, count=1, updated_at=self.clock())
        conn.execute(stmt.on_conflict_do_update(
            index_elements=["name"],
            set_={"count": intake_counters.c.count + 1, "updated_at": self.clock()}))

    def not_stored(self) -> dict[str, int]:
        """Rejections counted but not stored, by provider."""
        with self.db.engine.connect() as conn:
            rows = conn.execute(sa.select(intake_counters.c.name, intake_counters.c.count).where(
                intake_counters.c.name.startswith(NOT_STORED_PREFIX))).all()
        return {str(name).removeprefix(NOT_STORED_PREFIX): int(count) for name, count in rows}

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

    # -- personal data ---------------------------------------------------------------------------
    def insert(self, conn: sa.Connection, delivery: Delivery, dispatched: bool) -> int | None:
        """Insert one accepted delivery inside the caller's transaction; None if it is known."""
        found = conn.execute(self._insert_new(self._row(delivery, dispatched))
                             .returning(webhook_inbox.c.id)).scalar_one_or_none()
        return None if found is None else int(found)

    def forget(self, data: PersonalData, *, page: int = 500) -> int:
        """Scrub one customer from every stored body that names them (a scan of the bodies
        still held, page by page; bodies past retention are gone already). The hashes the
        body is recognised by stay, so a replay of it is still a duplicate."""
        if not data.strong:
            return 0
        changed, after = 0, 0
        while True:
            with self.db.engine.connect() as conn:
                rows = conn.execute(
                    sa.select(webhook_inbox.c.id, webhook_inbox.c.body)
                    .where(webhook_inbox.c.id > after, webhook_inbox.c.body_size > 0)
                    .order_by(webhook_inbox.c.id).limit(page)).all()
            if not rows:
                return changed
            after = int(rows[-1].id)
            hits = [(int(r.id), bytes(r.body)) for r in rows if mentions(bytes(r.body), data)]
            if hits:
                now = self.clock()
                with self.db.engine.begin() as conn:
                    for inbox_id, body in hits:
                        conn.execute(webhook_inbox.update().where(webhook_inbox.c.id == inbox_id)
                                     .values(body=scrub_bytes(body, data),
                                             personal_data_removed_at=now))
                changed += len(hits)

    def expire(self, cutoff: datetime, limit: int) -> int:
        """Drop the bodies of deliveries received before `cutoff` (metadata, hash and size
        stay); deliveries whose work was never started keep theirs until it is."""
        now = self.clock()
        with self.db.engine.begin() as conn:
            ids = [int(i) for i in conn.execute(
                sa.select(webhook_inbox.c.id)
                .where(webhook_inbox.c.personal_data_removed_at.is_(None),
                       webhook_inbox.c.received_at < cutoff,
                       sa.or_(webhook_inbox.c.status != "accepted",
                              webhook_inbox.c.dispatched_at.is_not(None)))
                .order_by(webhook_inbox.c.id).limit(limit)).scalars()]
            if ids:
                conn.execute(webhook_inbox.update().where(webhook_inbox.c.id.in_(ids)).values(
                    body=b"", personal_data_removed_at=now))
        return len(ids)

    def of_shop(self, shop_domain: str, keep_delivery: str | None = None) -> int:
        """Delete every delivery a shop sent (but `keep_delivery`, the request to do so)."""
        with self.db.engine.begin() as conn:
            query = webhook_inbox.delete().where(webhook_inbox.c.shop_domain == shop_domain)
            if keep_delivery is not None:
                query = query.where(webhook_inbox.c.delivery_id != keep_delivery)
            return int(conn.execute(query).rowcount or 0)

    def delete_provider(self, provider: str) -> int:
        with self.db.engine.begin() as conn:
            return int(conn.execute(webhook_inbox.delete().where(
                webhook_inbox.c.provider == provider)).rowcount or 0)

    def naming(self, data: PersonalData, *, page: int = 500) -> list[dict[str, Any]]:
        """Every stored delivery whose body names the customer (for a data request's export)."""
        found: list[dict[str, Any]] = []
        after = 0
        while data.strong:
            with self.db.engine.connect() as conn:
                rows = conn.execute(
                    sa.select(webhook_inbox.c.id, webhook_inbox.c.provider,
                              webhook_inbox.c.topic, webhook_inbox.c.delivery_id,
                              webhook_inbox.c.received_at, webhook_inbox.c.body)
                    .where(webhook_inbox.c.id > after, webhook_inbox.c.body_size > 0)
                    .order_by(webhook_inbox.c.id).limit(page)).all()
            if not rows:
                break
            after = int(rows[-1].id)
            for r in rows:
                body = bytes(r.body)
                if not mentions(body, data):
                    continue
                try:
                    content: Any = json.loads(body)
                except (ValueError, RecursionError):
                    content = body.decode("utf-8", "replace")
                found.append({"provider": r.provider, "topic": r.topic,
                              "delivery_id": r.delivery_id,
                              "received_at": r.received_at.isoformat(), "body": content})
        return found
