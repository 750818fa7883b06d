"""Read models for reconciliation: which of the providers' orders and labels shipflow already
holds, and which parts it pushed. Batched by id lists; run by the sweep, not on a hot path."""

from __future__ import annotations

from datetime import datetime
from typing import Iterable

import sqlalchemy as sa

from shipflow.domain.order import OrderState
from shipflow.domain.reconcile import FulfilledLabel
from shipflow.store.db import Database
from shipflow.store.sql import aware
from shipflow.store.tables import orders, shipments, shipstation_orders, timers

CHUNK = 500


def _chunks(values: Iterable[object]) -> Iterable[list[object]]:
    items = list(dict.fromkeys(values))
    for start in range(0, len(items), CHUNK):
        yield items[start:start + CHUNK]


def known_orders(db: Database, shop_domain: str, shopify_ids: Iterable[int]) -> set[int]:
    found: set[int] = set()
    with db.engine.connect() as conn:
        for chunk in _chunks(shopify_ids):
            found.update(int(r[0]) for r in conn.execute(
                sa.select(orders.c.shopify_order_id).where(
                    orders.c.shop_domain == shop_domain,
                    orders.c.shopify_order_id.in_(chunk))))
    return found


def recorded_shipments(db: Database, shipment_ids: Iterable[str]) -> set[str]:
    found: set[str] = set()
    with db.engine.connect() as conn:
        for chunk in _chunks(shipment_ids):
            found.update(str(r[0]) for r in conn.execute(
                sa.select(shipments.c.shipment_id).where(shipments.c.shipment_id.in_(chunk))))
    return found


def our_order_keys(db: Database, order_keys: Iterable[str]) -> set[str]:
    """The ShipStation order keys that are parts shipflow pushed."""
    found: set[str] = set()
    with db.engine.connect() as conn:
        for chunk in _chunks(order_keys):
            found.update(str(r[0]) for r in conn.execute(
                sa.select(shipstation_orders.c.order_key)
                .where(shipstation_orders.c.order_key.in_(chunk))))
    return found


def pushed_awaiting(db: Database, since: datetime) -> dict[str, tuple[int, str, datetime]]:
    """Parts ShipStation accepted (it answered an order id) and that wait for a label, pushed
    at or after `since`: order key -> (Shopify order id, order number, when pushed)."""
    query = (sa.select(shipstation_orders.c.order_key, orders.c.shopify_order_id, orders.c.name,
                       shipstation_orders.c.updated_at)
             .join(orders, orders.c.id == shipstation_orders.c.order_id)
             .where(orders.c.state == OrderState.IN_SHIPSTATION.value,
                    shipstation_orders.c.status == "awaiting_shipment",
                    shipstation_orders.c.shipstation_order_id.is_not(None),
                    shipstation_orders.c.updated_at >= since))
    out: dict[str, tuple[int, str, datetime]] = {}
    with db.engine.connect() as conn:
        for key, order_id, name, at in conn.execute(query):
            moment = aware(at)
            assert moment is not None
            out[str(key)] = (int(order_id), str(name), moment)
    return out


def pending_timers_due(db: Database, before: datetime, limit: int = 1000
                       ) -> list[tuple[str, int | None, datetime]]:
    """Timers still pending that were due before `before`: (key, Shopify order id, due at)."""
    query = (sa.select(timers.c.timer_key, orders.c.shopify_order_id, timers.c.due_at)
             .join(orders, orders.c.id == timers.c.order_id)
             .where(timers.c.state == "pending", timers.c.due_at < before)
             .order_by(timers.c.due_at).limit(limit))
    out: list[tuple[str, int | None, datetime]] = []
    with db.engine.connect() as conn:
        for key, order_id, at in conn.execute(query):
            moment = aware(at)
            assert moment is not None
            out.append((str(key), int(order_id) if order_id is not None else None, moment))
    return out


def fulfilled_labels(db: Database, shopify_ids: Iterable[int]) -> list[tuple[int, str,
                                                                           FulfilledLabel]]:
    """Live labels fulfilled in Shopify, of these orders: (order pk, carrier code, label)."""
    out: list[tuple[int, str, FulfilledLabel]] = []
    with db.engine.connect() as conn:
        for chunk in _chunks(shopify_ids):
            for row in conn.execute(
                    sa.select(shipments.c.shipment_id, shipments.c.order_id,
                              shipments.c.carrier_code, shipments.c.shopify_fulfillment_id,
                              shipments.c.tracking_number, shipments.c.created_at,
                              orders.c.shopify_order_id, orders.c.name)
                    .join(orders, orders.c.id == shipments.c.order_id)
                    .where(orders.c.shopify_order_id.in_(chunk),
                           shipments.c.voided_at.is_(None),
                           shipments.c.shopify_fulfillment_id.is_not(None))):
                created = aware(row.created_at)
                assert created is not None
                out.append((int(row.order_id), str(row.carrier_code), FulfilledLabel(
                    str(row.shipment_id), int(row.shopify_order_id), str(row.name),
                    str(row.shopify_fulfillment_id), str(row.tracking_number), created)))
    return out
