"""One order as a person sees it: its state, shipments, timeline and the writes made for it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from shipflow.store.db import Database
from shipflow.store.tables import orders, outbound_ledger, shipments, timeline


@dataclass(frozen=True)
class ShipmentView:
    shipment_id: str
    state: str
    tracking_number: str
    carrier: str
    carrier_code: str
    service_code: str | None
    tracking_url: str
    ship_date: str | None
    shopify_fulfillment_id: str | None
    milestone: str | None
    exception: str | None
    estimated_delivery: str | None
    delivered_at: str | None


@dataclass(frozen=True)
class TimelineEntry:
    at: str
    kind: str
    message: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class OutboundCall:
    """One write made (or, in record-only mode, recorded) for the order."""

    provider: str
    operation: str
    status: str
    attempts: int
    error: str | None


@dataclass(frozen=True)
class OrderView:
    shopify_order_id: str  # a string: JavaScript cannot hold Shopify's 64-bit ids
    shop_domain: str
    name: str
    state: str
    financial_status: str
    total_price: str
    currency: str
    shipments: list[ShipmentView]
    timeline: list[TimelineEntry]
    outbound_calls: list[OutboundCall]


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def order_view(db: Database, shopify_order_id: int) -> OrderView | None:
    with db.engine.connect() as conn:
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
    return OrderView(
        shopify_order_id=str(row.shopify_order_id), shop_domain=row.shop_domain, name=row.name,
        state=row.state, financial_status=row.financial_status,
        total_price=str(row.total_price), currency=row.currency,
        shipments=[ShipmentView(
            s.shipment_id, s.state, s.tracking_number, s.carrier_name, s.carrier_code,
            s.service_code, s.tracking_url, _iso(s.ship_date), s.shopify_fulfillment_id,
            s.milestone, s.exception, _iso(s.estimated_delivery), _iso(s.delivered_at))
            for s in ships],
        timeline=[TimelineEntry(e.at.isoformat(), e.kind, e.message, e.detail) for e in events],
        outbound_calls=[OutboundCall(c.provider, c.operation, c.status, c.attempts, c.error)
                        for c in calls],
    )
