"""Shipments: the labels printed or bought for shipflow's orders, their Shopify fulfillments,
relabels, and the carrier's progress (which only ever moves forward)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Sequence

import sqlalchemy as sa

from shipflow.domain.parcel import (
    ExceptionRaised,
    MilestoneReached,
    ParcelEvent,
    ParcelProgress,
    advance,
)
from shipflow.domain.privacy import PersonalData, forget
from shipflow.domain.shipment import Shipment, ShipmentItem, TrackingInfo
from shipflow.domain.tracking_events import ExceptionType, TrackingMilestone, TrackingUpdate
from shipflow.store.clock import Clock
from shipflow.store.codec import tracking_update_from_json, tracking_update_to_json
from shipflow.store.db import Database
from shipflow.store.orders import STOPPED
from shipflow.store.sql import aware, insert_ignore, utc
from shipflow.store.tables import early_tracking, orders, shipments
from shipflow.store.timeline import Timeline


@dataclass(frozen=True)
class StoredShipment:
    order_pk: int
    shipment: Shipment
    progress: ParcelProgress
    fulfillment_id: str | None
    created_at: datetime


@dataclass(frozen=True)
class TrackingApplied:
    order_pk: int
    shipment_id: str
    progress: ParcelProgress
    events: tuple[ParcelEvent, ...]


def _utc_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else utc(value)


def _progress(row: Any) -> ParcelProgress:
    return ParcelProgress(
        milestone=TrackingMilestone(row.milestone) if row.milestone else None,
        last_scan_at=aware(row.last_scan_at),
        estimated_delivery=aware(row.estimated_delivery),
        delivered_at=aware(row.delivered_at),
        exception=ExceptionType(row.exception) if row.exception else None,
        exception_at=aware(row.exception_at))


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


class Shipments:
    def __init__(self, db: Database, clock: Clock, timeline: Timeline) -> None:
        self.db = db
        self.clock = clock
        self.timeline = timeline

    def _stored(self, row: Any) -> StoredShipment:
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
            progress=_progress(row),
            fulfillment_id=row.shopify_fulfillment_id,
            created_at=aware(row.created_at) or self.clock(),
        )

    # -- labels --------------------------------------------------------------------------------
    def record_labels(self, labels: Sequence[tuple[int, Shipment, TrackingInfo]]) -> None:
        if not labels:
            return
        now = self.clock()
        with self.db.engine.begin() as conn:
            conn.execute(insert_ignore(self.db.dialect, shipments, [
                {"order_id": pk, "shipment_id": s.shipment_id, "tracking_number": t.number,
                 "carrier_code": t.carrier_code, "carrier_name": t.company,
                 "service_code": s.service_code, "tracking_url": t.url, "ship_date": s.ship_date,
                 "order_key": s.order_key,
                 "items": [{"sku": i.sku, "name": i.name, "quantity": i.quantity} for i in s.items],
                 "state": "label_printed", "created_at": now, "updated_at": now}
                for pk, s, t in labels
            ], "shipment_id"))
            for pk, s, t in labels:
                self.timeline.add(conn, pk, "label_printed", f"Label printed: {t.company} {t.number}",
                                  {"shipment_id": s.shipment_id, "tracking_url": t.url},
                                  dedupe_key=f"label:{s.shipment_id}")

    def set_fulfilled(self, fulfilled: Sequence[tuple[str, str | None]]) -> None:
        """(shipment id, Shopify fulfillment gid) pairs; no gid when only recorded."""
        if not fulfilled:
            return
        now = self.clock()
        with self.db.engine.begin() as conn:
            for shipment_id, fulfillment_id in fulfilled:
                conn.execute(shipments.update().where(shipments.c.shipment_id == shipment_id)
                             .values(state="fulfilled", shopify_fulfillment_id=fulfillment_id,
                                     updated_at=now))

    def void(self, shipment_id: str) -> None:
        now = self.clock()
        with self.db.engine.begin() as conn:
            conn.execute(shipments.update().where(shipments.c.shipment_id == shipment_id)
                         .values(voided_at=now, state="voided", updated_at=now))

    # -- reads ---------------------------------------------------------------------------------
    def get(self, shipment_id: str) -> StoredShipment | None:
        with self.db.engine.connect() as conn:
            row = conn.execute(sa.select(shipments).where(
                shipments.c.shipment_id == shipment_id)).first()
        return None if row is None else self._stored(row)

    def live_of(self, order_keys: Iterable[str]) -> dict[str, list[StoredShipment]]:
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
            out[row.order_key].append(self._stored(row))
        return out

    def undelivered(self, limit: int = 5000) -> list[StoredShipment]:
        """Shipments on their way (fulfilled, not delivered, not void) of orders not stopped."""
        with self.db.engine.connect() as conn:
            rows = conn.execute(sa.select(shipments)
                                .join(orders, orders.c.id == shipments.c.order_id)
                                .where(shipments.c.delivered_at.is_(None),
                                       shipments.c.voided_at.is_(None),
                                       shipments.c.shopify_fulfillment_id.is_not(None),
                                       orders.c.state.not_in(STOPPED))
                                .order_by(shipments.c.id).limit(limit)).all()
        return [self._stored(r) for r in rows]

    def all_delivered(self, order_pk: int) -> bool:
        """Every live shipment of the order is delivered (and it has one)."""
        with self.db.engine.connect() as conn:
            rows = conn.execute(sa.select(shipments.c.delivered_at).where(
                shipments.c.order_id == order_pk, shipments.c.voided_at.is_(None))).all()
        return bool(rows) and all(r.delivered_at is not None for r in rows)

    # -- carrier tracking ----------------------------------------------------------------------
    def apply_tracking(self, update: TrackingUpdate) -> TrackingApplied | None:
        """Move the shipment with this tracking number forward; return what was new, once.

        The read-compute-write runs in one transaction that starts with a write (SQLite's write
        lock) or locks the row (PostgreSQL), so two webhooks for one parcel cannot both report
        the same milestone.
        """
        with self.db.engine.begin() as conn:
            number = shipments.c.tracking_number == update.tracking_number
            conn.execute(shipments.update().where(number)
                         .values(updated_at=shipments.c.updated_at))  # takes the lock first
            query = sa.select(shipments).where(number)
            if self.db.dialect == "postgresql":
                query = query.with_for_update()
            row = conn.execute(query.order_by(shipments.c.id.desc()).limit(1)).first()
            if row is None:
                return None
            before = _progress(row)
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
                self.timeline.add(conn, row.order_id, kind, message,
                                  {"shipment_id": row.shipment_id,
                                   "tracking_number": update.tracking_number},
                                  dedupe_key=f"track:{row.shipment_id}:{kind}:{scan_key}")
        return TrackingApplied(order_pk=int(row.order_id), shipment_id=row.shipment_id,
                               progress=after, events=tuple(events))

    # -- tracking that came before its label ---------------------------------------------------
    def park(self, update_key: str, update: TrackingUpdate) -> None:
        """Keep an update for a tracking number no label has yet (its SHIP_NOTIFY is late)."""
        with self.db.engine.begin() as conn:
            conn.execute(insert_ignore(self.db.dialect, early_tracking, {
                "update_key": update_key[:255], "tracking_number": update.tracking_number,
                "update": tracking_update_to_json(update), "received_at": self.clock()},
                "update_key"))

    def parked_for(self, tracking_numbers: Iterable[str]) -> list[tuple[int, TrackingUpdate]]:
        """Updates kept for these tracking numbers and not applied yet, oldest first."""
        wanted = sorted(set(tracking_numbers))
        if not wanted:
            return []
        with self.db.engine.connect() as conn:
            rows = conn.execute(sa.select(early_tracking.c.id, early_tracking.c.update).where(
                early_tracking.c.tracking_number.in_(wanted),
                early_tracking.c.applied_at.is_(None)).order_by(early_tracking.c.id)).all()
        return [(int(r.id), tracking_update_from_json(r.update)) for r in rows]

    def unpark(self, ids: Sequence[int]) -> None:
        if not ids:
            return
        with self.db.engine.begin() as conn:
            conn.execute(early_tracking.update().where(early_tracking.c.id.in_(list(ids)))
                         .values(applied_at=self.clock()))

    # -- personal data ---------------------------------------------------------------------------
    def tracking_numbers_of(self, order_pks: Sequence[int]) -> list[str]:
        if not order_pks:
            return []
        with self.db.engine.connect() as conn:
            return sorted({str(n) for n in conn.execute(
                sa.select(shipments.c.tracking_number)
                .where(shipments.c.order_id.in_(list(order_pks)))).scalars()})

    def forget_parked(self, tracking_numbers: Sequence[str], data: PersonalData) -> int:
        """Remove a customer (the signer, where it was delivered) from tracking kept for their
        parcels."""
        if not tracking_numbers:
            return 0
        with self.db.engine.begin() as conn:
            rows = conn.execute(sa.select(early_tracking.c.id, early_tracking.c.update).where(
                early_tracking.c.tracking_number.in_(list(tracking_numbers)))).all()
            for row in rows:
                conn.execute(early_tracking.update().where(early_tracking.c.id == row.id)
                             .values(update=forget(row.update, data)))
        return len(rows)

    def expire_parked(self, cutoff: datetime, limit: int) -> int:
        """Tracking kept since before `cutoff` is deleted (at most `limit` rows): applied long
        ago, or for a label that never came."""
        with self.db.engine.begin() as conn:
            ids = list(conn.execute(sa.select(early_tracking.c.id)
                                    .where(early_tracking.c.received_at < cutoff)
                                    .order_by(early_tracking.c.id).limit(limit)).scalars())
            if ids:
                conn.execute(early_tracking.delete().where(early_tracking.c.id.in_(ids)))
        return len(ids)

    def delete_parked(self) -> int:
        with self.db.engine.begin() as conn:
            return int(conn.execute(early_tracking.delete()).rowcount or 0)
