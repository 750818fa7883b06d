"""Orders: intake's snapshots, push batches, and every state change through the lifecycle.

Every change of an order's state goes through `apply`, which locks the rows, runs the pure
`domain/lifecycle.advance` and writes what changed, in one transaction (the shape of
`Shipments.apply_tracking`). Paid orders wait here with state `paid`; a dispatcher claims up to
a batch of them by moving them to `queued` with the batch's workflow id in one statement, so two
dispatchers (several processes on PostgreSQL) never claim the same order; a batch whose workflow
never got enqueued is given back by `release_orphans`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable, Mapping, Sequence

import sqlalchemy as sa

from shipflow.domain.fulfilment import PartStatus
from shipflow.domain.lifecycle import (
    CancelTimers,
    Claimed,
    Failed,
    OrderEvent,
    Released,
    Retried,
    Shipped,
    Snapshot,
    Stopped,
    Transition,
    Unclaimed,
    advance,
)
from shipflow.domain.order import Order, OrderState
from shipflow.domain.policy import ShippingPolicy, why_not_shipped
from shipflow.domain.privacy import mask_order_snapshot
from shipflow.domain.routing import Hold
from shipflow.store.clock import Clock
from shipflow.store.codec import order_from_json, order_to_json
from shipflow.store.db import Database
from shipflow.store.sql import aware, insert_ignore, once, utc
from shipflow.store.tables import line_items, orders, shipstation_orders, timeline, timers
from shipflow.store.timeline import Timeline
from shipflow.store.timers import DEAD_WORKFLOW, cancel_pending

# Orders whose units Shopify still counts as committed (not shipped, not stopped).
WAITING = (OrderState.PAID, OrderState.QUEUED, OrderState.IN_SHIPSTATION, OrderState.ON_HOLD,
           OrderState.BACKORDERED, OrderState.PARTIALLY_SHIPPED)
STOPPED = (OrderState.CANCELLING.value, OrderState.CANCELLED.value)
# Nothing more will happen to these: their customer's personal data can go after retention.
FINISHED = (OrderState.DELIVERED, OrderState.CANCELLED, OrderState.NOTHING_TO_SHIP)
# How long an order whose push failed for a transient cause waits before each automatic retry;
# after the last one it waits for a person (POST /api/orders/{id}/retry).
RETRY_BACKOFF = (timedelta(minutes=10), timedelta(minutes=30), timedelta(hours=1),
                 timedelta(hours=3), timedelta(hours=6))


@dataclass(frozen=True)
class StoredOrder:
    pk: int
    order: Order
    state: OrderState


@dataclass(frozen=True)
class Outcome:
    """What happened to one order in a batch step, for its state and timeline."""

    order_pk: int
    ok: bool
    message: str
    key: str | None = None  # the write it reports on (ledger key): one timeline entry each
    detail: dict[str, Any] | None = None
    event: OrderEvent | None = None  # overrides the step's `on_ok` for this order
    entry: str | None = None  # the timeline kind, when not the step's
    transient: bool = False  # a failure that may pass: retried automatically, with backoff


def refund_key(refund_id: int) -> str:
    """A refund's timeline entry, which also marks it applied (one refund id, once)."""
    return f"refund:{refund_id}"


def _stops(order: Order) -> bool:
    """Cancelled, or refunded in full: nothing more may ship or be sent for it."""
    return order.cancelled_at is not None or order.fully_refunded


class Orders:
    def __init__(self, db: Database, clock: Clock, timeline: Timeline,
                 shipping: ShippingPolicy, handled_by: str = "shipflow") -> None:
        self.db = db
        self.clock = clock
        self.timeline = timeline
        self.shipping = shipping  # when an order may ship (the rules file's policy)
        self.handled_by = handled_by  # who handles orders first seen now (policy.mode)

    def _snapshot(self, order: Order, topic: str | None) -> tuple[Snapshot, str | None]:
        """The lifecycle's view of a snapshot, and why it may not ship (None: it may)."""
        reason = why_not_shipped(order, self.shipping, topic)
        return Snapshot(paid=reason is None, stops=_stops(order)), reason

    def _not_shipped(self, conn: sa.Connection, order_pk: int, state: OrderState,
                     reason: str | None) -> None:
        """A deliberate decision not to ship (yet) goes on the timeline, with its reason."""
        if reason is not None and state in (OrderState.RECEIVED, OrderState.CANCELLED):
            self.timeline.add(conn, order_pk, "not_shipped", f"Not shipped: {reason}", {},
                              dedupe_key=f"not-shipped:{order_pk}:{reason}"[:255])

    # -- the lifecycle -------------------------------------------------------------------------
    def apply(self, events: Sequence[tuple[int, OrderEvent]],
              conn: sa.Connection | None = None) -> dict[int, Transition]:
        """Run each order's events through the lifecycle, in order, with the rows locked;
        returns each order's last transition."""
        if not events:
            return {}
        if conn is None:
            with self.db.engine.begin() as own:
                return self.apply(events, own)
        pks = sorted({pk for pk, _ in events})
        # Take the write lock first (SQLite) or lock the rows (PostgreSQL): two steps changing
        # one order never both read the old state.
        conn.execute(orders.update().where(orders.c.id.in_(pks))
                     .values(updated_at=orders.c.updated_at))
        query = sa.select(orders.c.id, orders.c.state).where(orders.c.id.in_(pks))
        if self.db.dialect == "postgresql":
            query = query.with_for_update()
        states = {int(r.id): OrderState(r.state) for r in conn.execute(query)}
        before = dict(states)
        out: dict[int, Transition] = {}
        now = self.clock()
        for pk, event in events:
            if pk not in states:
                continue
            transition = advance(states[pk], event)
            states[pk] = transition.state
            out[pk] = transition
            for effect in transition.effects:
                if isinstance(effect, CancelTimers):
                    cancel_pending(conn, pk, now)
        for pk, state in states.items():
            if state is not before[pk]:
                conn.execute(orders.update().where(orders.c.id == pk)
                             .values(state=state.value, updated_at=now))
        return out

    def settle(self, outcomes: Sequence[Outcome], *, kind: str,
               on_ok: OrderEvent | None = None) -> None:
        """A batch step's outcomes: each order moved on (a failure needs a person) and noted on
        its timeline, in one transaction."""
        if not outcomes:
            return
        with self.db.engine.begin() as conn:
            events = [(o.order_pk, (o.event or on_ok) if o.ok else Failed(o.message))
                      for o in outcomes]
            moved = self.apply([(pk, e) for pk, e in events if e is not None], conn)
            self._plan_retries(conn, [o.order_pk for o in outcomes if not o.ok and o.transient
                                      and (t := moved.get(o.order_pk)) is not None
                                      and t.state is OrderState.NEEDS_ATTENTION])
            for o in outcomes:
                entry = (o.entry or kind) if o.ok else "attention"
                self.timeline.add(conn, o.order_pk, entry, o.message, o.detail or {},
                                  dedupe_key=f"{kind}:{o.key or o.order_pk}:"
                                             f"{'ok' if o.ok else 'failed'}")

    def _plan_retries(self, conn: sa.Connection, order_pks: list[int]) -> None:
        """Transient failures come back on their own, later each time, a few times."""
        now = self.clock()
        for pk in order_pks:
            retries = int(conn.execute(sa.select(orders.c.retries)
                                       .where(orders.c.id == pk)).scalar_one())
            if retries < len(RETRY_BACKOFF):
                due = now + RETRY_BACKOFF[retries]
                conn.execute(orders.update().where(orders.c.id == pk)
                             .values(retry_at=due, retries=retries + 1))
                self.timeline.add(conn, pk, "retry_planned",
                                  f"Retried automatically at {due.isoformat(timespec='minutes')}"
                                  f" (attempt {retries + 1} of {len(RETRY_BACKOFF)})", {},
                                  dedupe_key=f"retry-planned:{pk}:{retries}")

    def retry(self, order_pk: int, why: str) -> OrderState | None:
        """Send a failed order through again (`why`: who or what asked); returns its state.
        Only an order ShipStation never took goes back to the dispatcher."""
        with self.db.engine.begin() as conn:
            pushed = conn.execute(sa.select(shipstation_orders.c.id).where(
                shipstation_orders.c.order_id == order_pk,
                shipstation_orders.c.shipstation_order_id.is_not(None)).limit(1)).first()
            moved = self.apply([(order_pk, Retried(pushed is not None))], conn).get(order_pk)
            if moved is None:
                return None
            conn.execute(orders.update().where(orders.c.id == order_pk).values(retry_at=None))
            if moved.state is OrderState.PAID:
                self.timeline.add(conn, order_pk, "retried", f"Sent through again: {why}", {},
                                  dedupe_key=f"retried:{order_pk}:{self.clock().isoformat()}")
            return moved.state

    def retries_due(self, now: datetime) -> list[int]:
        with self.db.engine.connect() as conn:
            return [int(pk) for pk in conn.execute(sa.select(orders.c.id).where(
                orders.c.state == OrderState.NEEDS_ATTENTION.value,
                orders.c.retry_at.is_not(None), orders.c.retry_at <= now)
                .order_by(orders.c.id).limit(100)).scalars()]

    def labels_out(self, parts: Mapping[int, Sequence[PartStatus]]) -> None:
        """After labels: shipped when no part waits any more, partially shipped otherwise."""
        with self.db.engine.begin() as conn:
            shipped = {pk: sum(1 for s in ps if s is PartStatus.SHIPPED)
                       for pk, ps in parts.items()}
            partially = {pk: any(s in (PartStatus.AWAITING_SHIPMENT, PartStatus.ON_HOLD)
                                 for s in ps) for pk, ps in parts.items()}
            self.apply([(pk, Shipped(partially[pk])) for pk in parts], conn)
            for pk in parts:
                state = OrderState.PARTIALLY_SHIPPED if partially[pk] else OrderState.SHIPPED
                message = ("Shipped: every parcel is on its way" if not partially[pk]
                           else f"Partially shipped: {shipped[pk]} of {len(parts[pk])} parts")
                self.timeline.add(conn, pk, state.value, message,
                                  {"parts_shipped": shipped[pk]},
                                  dedupe_key=f"{state.value}:{pk}:{shipped[pk]}")

    def stop(self, order_pk: int, message: str, detail: dict[str, Any]) -> int:
        """Mark the order cancelled, its pending timers with it; returns timers cancelled."""
        with self.db.engine.begin() as conn:
            cancelled = cancel_pending(conn, order_pk, self.clock())
            self.apply([(order_pk, Stopped())], conn)
            self.timeline.add(conn, order_pk, "cancelled",
                              f"{message}; {cancelled} timer(s) cancelled",
                              {**detail, "timers_cancelled": cancelled},
                              dedupe_key=f"stopped:{order_pk}")
        return cancelled

    def unhold(self, order_pk: int) -> None:
        """Its hold was lifted on both sides: it waits for its label again."""
        with self.db.engine.begin() as conn:
            moved = self.apply([(order_pk, Released())], conn).get(order_pk)
            if moved is not None and moved.state is OrderState.IN_SHIPSTATION:
                self.set_hold(conn, order_pk, None)  # a stopped order keeps its record

    def to_stop(self, limit: int = 100) -> list[int]:
        with self.db.engine.connect() as conn:
            return [int(pk) for pk in conn.execute(
                sa.select(orders.c.id).where(orders.c.state == OrderState.CANCELLING.value)
                .order_by(orders.c.id).limit(limit)).scalars()]

    def set_hold(self, conn: sa.Connection, order_pk: int, hold: Hold | None) -> None:
        """Why the order is held (shown and released from the API), or no hold any more."""
        conn.execute(orders.update().where(orders.c.id == order_pk).values(
            hold_reason=hold.reason.value if hold else None,
            hold_note=hold.note[:512] if hold else None))

    # -- push batches --------------------------------------------------------------------------
    def claim_paid(self, batch_id: str, limit: int) -> list[int]:
        """Move up to `limit` paid orders (oldest first) to `queued` under `batch_id`: the
        lifecycle's `Claimed`, set-wise (one statement for the whole batch)."""
        queued = advance(OrderState.PAID, Claimed()).state
        with self.db.engine.begin() as conn:
            candidates = (sa.select(orders.c.id).where(orders.c.state == OrderState.PAID.value)
                          .order_by(orders.c.id).limit(limit))
            if self.db.dialect == "postgresql":
                candidates = candidates.with_for_update(skip_locked=True)
            claimed = conn.execute(
                orders.update().where(orders.c.id.in_(once(candidates)))
                .where(orders.c.state == OrderState.PAID.value)
                .values(state=queued.value, batch_id=batch_id, updated_at=self.clock())
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

    def release_orphans(self, batch_status: Callable[[str], str | None]) -> tuple[int, int]:
        """Orders whose push batch will never finish them: a batch whose workflow was never
        enqueued (claimed, then a crash) gives its orders back (`Unclaimed`, set-wise); one whose
        workflow ended without finishing them (an error nothing retries) hands them to a person.
        Returns (given back, needing a person)."""
        paid = advance(OrderState.QUEUED, Unclaimed()).state
        with self.db.engine.connect() as conn:
            batches = conn.execute(sa.select(orders.c.batch_id).distinct().where(
                orders.c.state == OrderState.QUEUED.value)).scalars().all()
        status = {b: batch_status(b) for b in batches if b}
        orphans = [b for b, s in status.items() if s is None]
        dead = [b for b, s in status.items() if s in DEAD_WORKFLOW]
        released = 0
        if orphans:
            with self.db.engine.begin() as conn:
                released = int(conn.execute(orders.update().where(
                    orders.c.state == OrderState.QUEUED.value, orders.c.batch_id.in_(orphans)
                ).values(state=paid.value, batch_id=None)).rowcount or 0)
        stranded: list[Outcome] = []
        if dead:
            with self.db.engine.connect() as conn:
                stranded = [Outcome(int(pk), False, f"The push batch {batch} ended with "
                                    f"{status[batch]} before this order was sent; retry it",
                                    f"dead-batch:{batch}")
                            for pk, batch in conn.execute(
                                sa.select(orders.c.id, orders.c.batch_id).where(
                                    orders.c.state == OrderState.QUEUED.value,
                                    orders.c.batch_id.in_(dead)))]
            self.settle(stranded, kind="push")
        return released, len(stranded)

    # -- reads ---------------------------------------------------------------------------------
    def load(self, order_pks: Sequence[int]) -> list[StoredOrder]:
        with self.db.engine.connect() as conn:
            rows = conn.execute(sa.select(orders.c.id, orders.c.snapshot, orders.c.state)
                                .where(orders.c.id.in_(list(order_pks)))
                                .order_by(orders.c.id)).all()
        return [StoredOrder(int(r.id), order_from_json(r.snapshot), OrderState(r.state))
                for r in rows]

    def handled_manually(self, order_pks: Iterable[int]) -> set[int]:
        """The orders among `order_pks` that the merchant's old process handles (first seen in
        shadow mode): shipflow makes no write for them, in shadow or live."""
        wanted = sorted(set(order_pks))
        if not wanted:
            return set()
        with self.db.engine.connect() as conn:
            return {int(r.id) for r in conn.execute(
                sa.select(orders.c.id).where(orders.c.id.in_(wanted),
                                             orders.c.handled_by == "manual"))}

    def note(self, order_pk: int, kind: str, message: str, dedupe_key: str) -> None:
        """One timeline entry about the order, once per `dedupe_key`."""
        with self.db.engine.begin() as conn:
            self.timeline.add(conn, order_pk, kind, message, {}, dedupe_key=dedupe_key)

    def any(self) -> bool:
        """Whether any order is stored (a first start has none)."""
        with self.db.engine.connect() as conn:
            return conn.execute(sa.select(orders.c.id).limit(1)).first() is not None

    def pks_by_shopify_id(self, shopify_ids: Iterable[int]) -> dict[int, int]:
        wanted = list(set(shopify_ids))
        if not wanted:
            return {}
        with self.db.engine.connect() as conn:
            rows = conn.execute(sa.select(orders.c.shopify_order_id, orders.c.id)
                                .where(orders.c.shopify_order_id.in_(wanted))).all()
        return {int(r.shopify_order_id): int(r.id) for r in rows}

    def by_shopify_id(self, shopify_order_id: int) -> tuple[StoredOrder, str | None] | None:
        """The order and its hold reason (None when not held)."""
        return self._with_hold(orders.c.shopify_order_id == shopify_order_id)

    def with_hold(self, order_pk: int) -> tuple[StoredOrder, str | None] | None:
        return self._with_hold(orders.c.id == order_pk)

    def _with_hold(self, where: Any) -> tuple[StoredOrder, str | None] | None:
        with self.db.engine.connect() as conn:
            row = conn.execute(sa.select(orders.c.id, orders.c.snapshot, orders.c.state,
                                         orders.c.hold_reason).where(where)).first()
        if row is None:
            return None
        return (StoredOrder(int(row.id), order_from_json(row.snapshot), OrderState(row.state)),
                row.hold_reason)

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
        return [(int(r.order_id), int(r.shopify_line_item_id), r.sku, int(r.quantity))
                for r in rows]

    # -- intake --------------------------------------------------------------------------------
    def upsert(self, conn: sa.Connection, batch: list[tuple[Order, str]]) -> None:
        """Insert the orders not stored yet in one statement; update the others one by one.
        (Inside the inbox's transaction: the delivery and its order are stored together.)"""
        keys = [(o.shop_domain, o.shopify_order_id) for o, _ in batch]
        stored = {
            (r.shop_domain, int(r.shopify_order_id)) for r in conn.execute(
                sa.select(orders.c.shop_domain, orders.c.shopify_order_id).where(
                    sa.tuple_(orders.c.shop_domain, orders.c.shopify_order_id).in_(keys)))
        }
        fresh = [(o, topic) for o, topic in batch
                 if (o.shop_domain, o.shopify_order_id) not in stored]
        now = self.clock()
        inserted: set[tuple[str, int]] = set()
        if fresh:
            # Another process may insert the same order between the look-up and this insert:
            # RETURNING names only the rows this statement inserted; the others are updates.
            inserted = {
                (r.shop_domain, int(r.shopify_order_id)) for r in conn.execute(
                    insert_ignore(self.db.dialect, orders, [{
                        "shop_domain": o.shop_domain, "shopify_order_id": o.shopify_order_id,
                        "name": o.name, "financial_status": o.financial_status,
                        "total_price": o.total_price, "currency": o.currency,
                        "snapshot": order_to_json(o), "shopify_updated_at": utc(o.updated_at),
                        "state": advance(OrderState.RECEIVED, self._snapshot(o, topic)[0]).state.value,
                        "created_at": now, "updated_at": now, "handled_by": self.handled_by,
                    } for o, topic in fresh], "shop_domain", "shopify_order_id").returning(
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
            for o, topic in new:
                snapshot, reason = self._snapshot(o, topic)
                self._not_shipped(conn, ids[(o.shop_domain, o.shopify_order_id)],
                                  advance(OrderState.RECEIVED, snapshot).state, reason)
        for order, topic in batch:
            if (order.shop_domain, order.shopify_order_id) not in inserted:
                self._update(conn, order, topic)

    def _update(self, conn: sa.Connection, order: Order, topic: str | None) -> None:
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
        current = OrderState(row.state)
        snapshot, reason = self._snapshot(order, topic)
        state = advance(current, snapshot).state
        if order.updated_at == stored_at and state is current:
            return  # the same snapshot again (orders/create then orders/paid)
        self._not_shipped(conn, int(row.id), state, reason)
        conn.execute(orders.update().where(orders.c.id == row.id).values(
            name=order.name, financial_status=order.financial_status,
            total_price=order.total_price, currency=order.currency,
            snapshot=order_to_json(order), shopify_updated_at=utc(order.updated_at),
            state=state.value, updated_at=self.clock()))

    def apply_refund(self, shop_domain: str, shopify_order_id: int, refund_id: int,
                     lines: Sequence[tuple[int, int]]) -> OrderState | None:
        """`refunds/create`: add the refunded units to the order; when every unit to ship is
        refunded, the order stops like a cancelled one. Returns the order's state, or None when
        shipflow does not know the order."""
        with self.db.engine.begin() as conn:
            where = (orders.c.shop_domain == shop_domain,
                     orders.c.shopify_order_id == shopify_order_id)
            conn.execute(orders.update().where(*where)
                         .values(updated_at=orders.c.updated_at))  # lock the row first
            row = conn.execute(sa.select(orders.c.id, orders.c.snapshot, orders.c.state)
                               .where(*where)).first()
            if row is None:
                return None
            current = OrderState(row.state)
            seen = conn.execute(sa.select(timeline.c.id).where(
                timeline.c.dedupe_key == refund_key(refund_id))).first()
            if seen is not None:  # the same refund delivered again: its units count once
                return current
            order = order_from_json(row.snapshot)
            order = replace(order, refunded=order.refunded + tuple(lines))
            state = advance(current, self._snapshot(order, "refunds/create")[0]).state
            conn.execute(orders.update().where(orders.c.id == row.id).values(
                snapshot=order_to_json(order), state=state.value, updated_at=self.clock()))
            units = sum(q for _, q in lines)
            self.timeline.add(conn, row.id, "refunded", f"Refunded in Shopify: {units} unit(s)"
                              + ("; stopping what is pending" if state != current else ""),
                              {"refund_id": refund_id}, dedupe_key=refund_key(refund_id))
        return state

    # -- personal data (customers/redact, shop/redact, retention) -------------------------------
    def of_customer(self, shop_domain: str, customer_id: int | None, emails: Sequence[str],
                    shopify_order_ids: Sequence[int]) -> list[tuple[int, int, dict[str, Any]]]:
        """(pk, Shopify id, snapshot) of one customer's orders: those Shopify listed, and those
        whose snapshot names the customer's id or email (a scan: requests are rare)."""
        # as_integer() casts to a 32-bit INTEGER on PostgreSQL: Shopify's ids need 64 bits.
        customer = sa.cast(orders.c.snapshot[("customer", "customer_id")].as_string(),
                           sa.BigInteger)
        wanted = [e.lower() for e in emails if e]
        matches: list[Any] = []
        if shopify_order_ids:
            matches.append(orders.c.shopify_order_id.in_(list(shopify_order_ids)))
        if customer_id is not None:
            matches.append(customer == customer_id)
        if wanted:
            matches.append(sa.func.lower(orders.c.snapshot["email"].as_string()).in_(wanted))
            matches.append(sa.func.lower(
                orders.c.snapshot[("customer", "email")].as_string()).in_(wanted))
        if not matches:
            return []
        with self.db.engine.connect() as conn:
            rows = conn.execute(sa.select(orders.c.id, orders.c.shopify_order_id,
                                          orders.c.snapshot)
                                .where(orders.c.shop_domain == shop_domain, sa.or_(*matches))
                                .order_by(orders.c.id)).all()
        return [(int(r.id), int(r.shopify_order_id), dict(r.snapshot)) for r in rows]

    def remove_personal_data(self, order_pks: Sequence[int], message: str,
                             dedupe: str) -> int:
        """Mask the customer in each order's snapshot (the order itself, its lines, totals and
        state stay) and say so on its timeline, without personal data. Idempotent."""
        if not order_pks:
            return 0
        now = self.clock()
        with self.db.engine.begin() as conn:
            rows = conn.execute(sa.select(orders.c.id, orders.c.snapshot)
                                .where(orders.c.id.in_(list(order_pks)))).all()
            for row in rows:
                conn.execute(orders.update().where(orders.c.id == row.id).values(
                    snapshot=mask_order_snapshot(dict(row.snapshot)),
                    personal_data_removed_at=now))
                self.timeline.add(conn, int(row.id), "privacy", message, {},
                                  dedupe_key=f"{row.id}:privacy:{dedupe}")
        return len(rows)

    def finished_before(self, cutoff: datetime, limit: int
                        ) -> list[tuple[int, dict[str, Any]]]:
        """Orders shipflow is done with (delivered, cancelled, nothing to ship; no timer
        pending) and has not touched since `cutoff`, whose personal data is still there."""
        pending = sa.select(timers.c.id).where(timers.c.order_id == orders.c.id,
                                               timers.c.state.in_(("pending", "firing")))
        with self.db.engine.connect() as conn:
            rows = conn.execute(
                sa.select(orders.c.id, orders.c.snapshot)
                .where(orders.c.state.in_([s.value for s in FINISHED]),
                       orders.c.updated_at < cutoff,
                       orders.c.personal_data_removed_at.is_(None),
                       ~sa.exists(pending))
                .order_by(orders.c.id).limit(limit)).all()
        return [(int(r.id), dict(r.snapshot)) for r in rows]

    def of_shop(self, shop_domain: str) -> list[int]:
        with self.db.engine.connect() as conn:
            return [int(pk) for pk in conn.execute(
                sa.select(orders.c.id).where(orders.c.shop_domain == shop_domain)).scalars()]

    def delete(self, order_pks: Sequence[int]) -> int:
        """Remove orders with everything that hangs off them (lines, parts, shipments, timers,
        timeline)."""
        if not order_pks:
            return 0
        with self.db.engine.begin() as conn:
            return int(conn.execute(orders.delete().where(
                orders.c.id.in_(list(order_pks)))).rowcount or 0)
