"""Shopify's compliance requests as received, and what shipflow did about each.

A request is stored with its delivery (one transaction), answered 200, and done later by the
sweeper (`engine/privacy.py`): `pending` until first tried, `waiting` while something it must
change is still in use (a workflow running), `done` at the end. The customer's email and phone
are kept only while the request is open; a data request's export stays until the merchant has
fetched it and retention removes it."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterator

import sqlalchemy as sa

from shipflow.domain.privacy import PrivacyRequest, PrivacyTopic
from shipflow.store.clock import Clock
from shipflow.store.db import Database
from shipflow.store.inbox import Delivery, Inbox
from shipflow.store.sql import aware
from shipflow.store.tables import privacy_requests

# A request waiting for running workflows is tried again this long after its last attempt (each
# attempt searches every stored body and checkpoint).
RETRY_WAITING = timedelta(seconds=60)
# Advisory lock keys of privacy requests: this constant plus the request id.
LOCK_SPACE = 0x5_0000_0000


@dataclass(frozen=True)
class StoredRequest:
    id: int
    request: PrivacyRequest
    webhook_id: str
    status: str
    attempts: int
    received_at: datetime
    completed_at: datetime | None
    outcome: dict[str, Any] | None
    export: dict[str, Any] | None

    def summary(self) -> dict[str, Any]:
        """The request without personal data (what the API lists)."""
        r = self.request
        return {"id": self.id, "topic": r.topic.value, "shop_domain": r.shop_domain,
                "shop_id": r.shop_id, "shopify_customer_id": r.customer_id,
                "data_request_id": r.data_request_id, "order_ids": list(r.order_ids),
                "status": self.status, "attempts": self.attempts,
                "received_at": self.received_at.isoformat(),
                "completed_at": self.completed_at.isoformat() if self.completed_at else None,
                "outcome": self.outcome, "export_ready": self.export is not None}


class PrivacyRequests:
    def __init__(self, db: Database, clock: Clock, inbox: Inbox) -> None:
        self.db = db
        self.clock = clock
        self.inbox = inbox

    def receive(self, delivery: Delivery, request: PrivacyRequest) -> tuple[bool, int | None]:
        """Store the delivery and its request together; (False, None) for a duplicate."""
        now = self.clock()
        with self.db.engine.begin() as conn:
            if self.inbox.insert(conn, delivery, dispatched=True) is None:
                return False, None
            request_id = conn.execute(privacy_requests.insert().values(
                topic=request.topic.value, shop_domain=request.shop_domain,
                shop_id=request.shop_id, webhook_id=delivery.delivery_id,
                shopify_customer_id=request.customer_id, data_request_id=request.data_request_id,
                order_ids=list(request.order_ids), email=request.email,
                phone=request.phone, status="pending", received_at=now, updated_at=now,
            ).returning(privacy_requests.c.id)).scalar_one()
        return True, int(request_id)

    def open(self, limit: int = 10) -> list[StoredRequest]:
        """Requests to try now, oldest first: new ones, and waiting ones a while after their
        last attempt."""
        again = self.clock() - RETRY_WAITING
        with self.db.engine.connect() as conn:
            rows = conn.execute(sa.select(privacy_requests)
                                .where(sa.or_(privacy_requests.c.status == "pending",
                                              sa.and_(privacy_requests.c.status == "waiting",
                                                      privacy_requests.c.updated_at < again)))
                                .order_by(privacy_requests.c.id).limit(limit)).all()
        return [self._stored(r) for r in rows]

    @contextlib.contextmanager
    def working_on(self, request_id: int) -> Iterator[bool]:
        """Whether this process may work on the request now: on PostgreSQL, several workers'
        sweepers see the same open requests, and one holds a session lock on it while it works
        (released if the process dies). SQLite runs one worker process."""
        if self.db.dialect != "postgresql":
            yield True
            return
        with self.db.engine.connect() as conn:
            key = LOCK_SPACE + request_id
            taken = bool(conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"),
                                      {"k": key}).scalar_one())
            conn.commit()
            try:
                yield taken
            finally:
                if taken:
                    conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                    conn.commit()

    def get(self, request_id: int) -> StoredRequest | None:
        with self.db.engine.connect() as conn:
            row = conn.execute(sa.select(privacy_requests)
                               .where(privacy_requests.c.id == request_id)).first()
        return None if row is None else self._stored(row)

    def all(self, limit: int = 100) -> list[StoredRequest]:
        with self.db.engine.connect() as conn:
            rows = conn.execute(sa.select(privacy_requests)
                                .order_by(privacy_requests.c.id.desc()).limit(limit)).all()
        return [self._stored(r) for r in rows]

    def settle(self, request_id: int, *, done: bool, outcome: dict[str, Any],
               export: dict[str, Any] | None = None) -> None:
        """Record an attempt. Done: the customer's email and phone are dropped from the row."""
        now = self.clock()
        values: dict[str, Any] = {"status": "done" if done else "waiting", "outcome": outcome,
                                  "attempts": privacy_requests.c.attempts + 1,
                                  "updated_at": now}
        if export is not None:
            values["export"] = export
        if done:
            values.update(completed_at=now, email=None, phone=None)
        with self.db.engine.begin() as conn:
            conn.execute(privacy_requests.update()
                         .where(privacy_requests.c.id == request_id).values(**values))

    def forget_exports(self, *, shop_domain: str | None = None, customer_id: int | None = None,
                       before: datetime | None = None) -> int:
        """Drop exports: a customer's (they asked to be erased), a shop's, or every one
        prepared before `before` (retention)."""
        query = privacy_requests.update().where(privacy_requests.c.export.is_not(None))
        if before is not None:
            query = query.where(privacy_requests.c.completed_at < before)
        if shop_domain is not None:
            query = query.where(privacy_requests.c.shop_domain == shop_domain)
            if customer_id is not None:
                query = query.where(privacy_requests.c.shopify_customer_id == customer_id)
        with self.db.engine.begin() as conn:
            return int(conn.execute(query.values(export=None, updated_at=self.clock()))
                       .rowcount or 0)

    def forget_contacts(self, shop_domain: str) -> int:
        """Drop every email and phone a shop's requests carry (shop/redact)."""
        with self.db.engine.begin() as conn:
            return int(conn.execute(privacy_requests.update()
                                    .where(privacy_requests.c.shop_domain == shop_domain)
                                    .values(email=None, phone=None, export=None))
                       .rowcount or 0)

    @staticmethod
    def _stored(row: Any) -> StoredRequest:
        request = PrivacyRequest(
            topic=PrivacyTopic(row.topic), shop_id=row.shop_id, shop_domain=row.shop_domain,
            customer_id=row.shopify_customer_id, email=row.email, phone=row.phone,
            order_ids=tuple(int(i) for i in row.order_ids or ()),
            data_request_id=row.data_request_id)
        received = aware(row.received_at)
        assert received is not None
        return StoredRequest(int(row.id), request, row.webhook_id, row.status, int(row.attempts), received,
                             aware(row.completed_at), row.outcome, row.export)
