"""Reconciliation: compare what should have happened with what did, across Shopify,
ShipStation and shipflow's own records, and repair each gap through the normal workflows.

A sweep reads the providers through the ports' read halves, compares with the pure functions of
`domain/reconcile.py`, and repairs:

- a paid order shipflow never received (a lost `orders/paid`, or one paid before shipflow was
  connected: the backfill) goes through intake as a webhook does: stored in the inbox under a
  delivery id made from the order id, so a second sweep (or a racing one) stores nothing new;
- a label printed in ShipStation that shipflow never recorded (a lost SHIP_NOTIFY, a relabel
  made outside shipflow) starts the ship flow on a resource URL listing that label: the
  workflow id comes from the URL, so it runs once, and the flow's ledger keys fulfil once;
- a part pushed but absent from ShipStation is sent back to the dispatcher (the push upserts by
  orderKey, so a part that reappears is not created twice); not in `store_import` mode, where
  ShipStation's store connection creates the orders. Labels never recorded go through the ship
  flow there too, which adopts the connection's Shopify fulfillment instead of making one.

What changed less than the settle window ago is left alone: its webhook may be in flight.
Every sweep is stored (`store/reconcile_runs.py`) with what it found and fixed.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable, Protocol

from shipflow.domain import keys
from shipflow.domain import reconcile as rc
from shipflow.domain.order import Order
from shipflow.domain.tracking_events import TrackingUpdate
from shipflow.providers.errors import ProviderError
from shipflow.providers.ports import LabelPlatformReads, LabelPurchasingReads, OrderSourceReads
from shipflow.store import Store
from shipflow.store.inbox import Delivery
from shipflow.store.queries import reconcile as seen
from shipflow.store.reconcile_runs import StoredRun

log = logging.getLogger("shipflow.reconcile")

LEASE_TTL = timedelta(minutes=30)
MAX_TRACKING_READS = 500
Progress = Callable[[str], None]


class Repairs(Protocol):
    """What a repair starts: the same entry points the webhooks use."""

    def start_order(self, order: Order) -> None: ...

    def start_ship_notify(self, resource_url: str) -> str: ...

    def start_tracking(self, update: TrackingUpdate) -> str: ...

    def start_repush(self, order_pk: int, order_keys: list[str], again: int) -> str: ...

    def start_retrack(self, order_pk: int, shipment_id: str, fulfillment_id: str,
                      carrier_code: str, tracking_number: str, again: int) -> str: ...

    def start_timers(self, batch_id: str, timer_keys: list[str]) -> None: ...


def backfill_delivery_id(shopify_order_id: int) -> str:
    """The inbox key a repaired order is stored under: one per order, ever."""
    return f"reconcile:orders/paid:{shopify_order_id}"


class Busy(Exception):
    """Another process holds the sweep lease."""


@dataclass
class Reconciler:
    store: Store
    shopify: OrderSourceReads
    shipstation: LabelPlatformReads
    repairs: Repairs
    shop_domain: str
    clock: Callable[[], datetime]
    rates: LabelPurchasingReads | None = None  # ShipStation v2: the carriers' tracking
    settle: timedelta = timedelta(minutes=10)
    # `policy.shipstation.source: store_import`: ShipStation's store connection creates the
    # orders, so one absent from ShipStation is never pushed (it would be a second order).
    store_import: bool = False
    progress: Progress = field(default=lambda _message: None)
    holder: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:"
                                                f"{uuid.uuid4().hex[:8]}")

    def run(self, since: datetime, trigger: str, *, dry_run: bool = False,
            until: datetime | None = None) -> StoredRun:
        """One sweep under the lease; raises `Busy` when another process is sweeping. `until`:
        leave alone what changed after it (a first start's backfill takes only what was paid
        before shipflow started; webhooks bring the rest)."""
        runs = self.store.reconcile_runs
        if not runs.take_lease(self.holder, LEASE_TTL):
            raise Busy("another reconciliation is running")
        try:
            run_id = runs.begin(trigger, since, dry_run=dry_run)
            found: list[rc.Finding] = []
            fixed: set[str] = set()
            error: str | None = None
            try:
                self._sweep(since, dry_run, found, fixed, until)
            except ProviderError as exc:
                error = f"{type(exc).__name__}: {exc}"
                log.warning("reconciliation stopped: %s", error)
            items = [f.to_json(f"{f.check.value}:{f.key}" in fixed) for f in found]
            runs.finish(run_id, rc.counts(found, fixed), items, error)
        finally:
            runs.drop_lease(self.holder)
        stored = runs.get(run_id)
        assert stored is not None
        return stored

    def _sweep(self, since: datetime, dry_run: bool, found: list[rc.Finding],
               fixed: set[str], until: datetime | None) -> None:
        # A first start's backfill reads what was paid before shipflow ran: no webhook of it
        # is on its way, so no settle window is needed before `until`.
        settled_before = until if until is not None else self.clock() - self.settle

        def repaired(finding: rc.Finding) -> None:
            fixed.add(f"{finding.check.value}:{finding.key}")

        self.progress("reading paid orders from Shopify")
        paid = self.shopify.paid_orders(since)
        known = seen.known_orders(self.store.db, self.shop_domain,
                                  (p.order.shopify_order_id for p in paid))
        missed = rc.missed_orders(paid, known, settled_before)
        found.extend(missed)
        by_id = {p.order.shopify_order_id: p.order for p in paid}
        for finding in missed:
            if not dry_run and finding.order_id is not None:
                self._take_order(by_id[finding.order_id])
                repaired(finding)
        self.progress(f"{len(paid)} paid orders read, {len(missed)} never received")

        self.progress("reading pushed orders from ShipStation")
        pushed = seen.pushed_awaiting(self.store.db, since) if not self.store_import else {}
        # A day's margin: ShipStation stamps its own (Pacific) clock, shipflow its own.
        present = self.shipstation.order_keys_since(since - timedelta(days=1)) if pushed \
            else set()
        if present is None:
            log.warning("ShipStation's order list is longer than one sweep reads; orders "
                        "absent from ShipStation not checked")
            present = set(pushed)
        absent = rc.missing_in_shipstation(pushed, present, settled_before)
        found.extend(absent)
        if absent and not dry_run:
            self._repush(absent, repaired)

        self.progress("reading labels from ShipStation")
        labels = self.shipstation.labels_between((since - timedelta(days=1)).date(),
                                                 (self.clock() + timedelta(days=1)).date())
        recorded = seen.recorded_shipments(self.store.db, (lb.shipment_id for lb in labels))
        ours = seen.our_order_keys(self.store.db, (lb.order_key for lb in labels))
        fulfilled = {p.order.shopify_order_id: p.tracking_numbers for p in paid}
        unrecorded = rc.unrecorded_labels(labels, recorded, ours, fulfilled, settled_before)
        found.extend(unrecorded)
        for finding in unrecorded:
            label = next(lb for lb in labels if lb.shipment_id == finding.key)
            if not dry_run:
                self.repairs.start_ship_notify(
                    self.shipstation.label_resource_url(label.tracking_number))
                repaired(finding)
        self.progress(f"{len(labels)} labels read, {len(unrecorded)} never recorded")

        self._drift(paid, dry_run, found, repaired, settled_before)
        self._milestones(dry_run, found, repaired, settled_before)

        due = seen.pending_timers_due(self.store.db, settled_before)
        overdue = rc.overdue_timers(due, settled_before)
        found.extend(overdue)
        if overdue and not dry_run:
            # Claimed first, as the sweeper claims them: a timer is fired by one batch only.
            batch_id = keys.timer_batch_workflow_id(f"reconcile-{uuid.uuid4()}")
            claimed = self.store.timers.claim_due(batch_id, settled_before)
            if claimed:
                self.repairs.start_timers(batch_id, claimed)
            for finding in overdue:
                if finding.key in claimed:
                    repaired(finding)

    def _repush(self, absent: list[rc.Finding], repaired: Callable[[rc.Finding], None]) -> None:
        """Each lost part sent again as recorded. `again` counts the pushes the ledger holds,
        so racing sweeps start the same workflow, and a part lost a second time later is
        pushed a third time."""
        pks = self.store.orders.pks_by_shopify_id(
            f.order_id for f in absent if f.order_id is not None)
        by_order: dict[int, list[rc.Finding]] = {}
        for finding in absent:
            if finding.order_id in pks:
                by_order.setdefault(pks[finding.order_id], []).append(finding)
        for pk, findings in sorted(by_order.items()):
            rows = [row.key for row in self.store.ledger.rows(order_pk=pk)]
            keys_ = sorted(f.key for f in findings)
            again = max(rc.times_pushed(rows, key) for key in keys_)
            self.repairs.start_repush(pk, keys_, again)
            for finding in findings:
                repaired(finding)

    def _drift(self, paid: list[rc.PaidOrderSeen], dry_run: bool, found: list[rc.Finding],
               repaired: Callable[[rc.Finding], None], settled_before: datetime) -> None:
        """Recorded live labels whose fulfillment in Shopify shows other tracking."""
        recorded = seen.fulfilled_labels(self.store.db, (p.order.shopify_order_id for p in paid))
        drift = rc.tracking_drift([label for _, _, label in recorded], paid, settled_before)
        found.extend(drift)
        by_shipment = {label.shipment_id: (pk, carrier, label) for pk, carrier, label in recorded}
        for finding in drift:
            if dry_run:
                continue
            pk, carrier, label = by_shipment[finding.key]
            ledger = [row.key for row in self.store.ledger.rows(order_pk=pk)]
            again = rc.times_sent(ledger, keys.tracking_update_key(label.shipment_id)) + 1
            self.repairs.start_retrack(pk, label.shipment_id, label.fulfillment_id, carrier,
                                       label.tracking_number, again)
            repaired(finding)

    def _milestones(self, dry_run: bool, found: list[rc.Finding],
                    repaired: Callable[[rc.Finding], None], settled_before: datetime) -> None:
        """Parcels on their way whose carrier is further on than shipflow recorded. Needs the
        carrier's tracking (ShipStation v2); without a v2 key the check is skipped."""
        if self.rates is None:
            return
        self.progress("reading carrier tracking of parcels on their way")
        # Two v2 reads a parcel: the longest silent first, at most MAX_TRACKING_READS a sweep
        # (the rest wait for the next one).
        parcels = sorted((s for s in self.store.shipments.undelivered()
                          if s.created_at < settled_before),
                         key=lambda s: (s.progress.last_scan_at is not None,
                                        s.progress.last_scan_at or s.created_at))
        parcels = parcels[:MAX_TRACKING_READS]
        numbers = {so.pk: so.order for so in self.store.orders.load(
            sorted({s.order_pk for s in parcels}))}
        carrier: dict[str, TrackingUpdate] = {}
        for stored in parcels:
            update = self.rates.tracking(stored.shipment.tracking_number)
            if update is not None:
                carrier[stored.shipment.shipment_id] = update
        untold = rc.untold_milestones([
            rc.ParcelSeen(s.shipment.shipment_id, numbers[s.order_pk].shopify_order_id
                          if s.order_pk in numbers else None,
                          s.shipment.order_number, s.progress, s.created_at)
            for s in parcels], carrier, settled_before)
        found.extend(untold)
        for finding in untold:
            if not dry_run:
                self.repairs.start_tracking(carrier[finding.key])
                repaired(finding)
        self.progress(f"{len(parcels)} parcels read, {len(untold)} with milestones not sent")

    def _take_order(self, order: Order) -> None:
        """Intake, as for a webhook: inbox (keyed by order id) and order row in one
        transaction, then wake the dispatcher. The stored body names the order only."""
        body = json.dumps({"id": order.shopify_order_id, "source": "reconciliation"}).encode()
        new, _ = self.store.inbox.accept(Delivery(
            provider="shopify", delivery_id=backfill_delivery_id(order.shopify_order_id),
            topic="orders/paid", shop_domain=self.shop_domain, headers={}, body=body,
            body_size=len(body)), order, dispatched=True)
        if new:
            self.repairs.start_order(order)
