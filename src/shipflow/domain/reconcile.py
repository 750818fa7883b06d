"""Reconciliation's comparisons: what the providers show against what shipflow recorded.

Pure: the flow (`engine/flows/reconcile.py`) reads both sides and repairs what these return.
Anything younger than the settle window is left alone, since its webhook may still be in
flight. A finding's `key` is what makes its repair happen once (a workflow id or ledger key
derives from it), so two sweeps that find the same gap repair it once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, Iterable, Mapping, Sequence

from shipflow.domain import keys
from shipflow.domain.order import Order
from shipflow.domain.parcel import MilestoneReached, ParcelProgress, advance
from shipflow.domain.tracking_events import TrackingUpdate


class Check(StrEnum):
    MISSED_ORDERS = "missed_orders"  # paid in Shopify, never received (or paid before connect)
    MISSING_IN_SHIPSTATION = "missing_in_shipstation"  # pushed, but ShipStation lacks it
    UNFULFILLED_LABELS = "unfulfilled_labels"  # a ShipStation label shipflow never recorded
    RELABELS = "relabels"  # a live label whose tracking the Shopify fulfillment lacks
    MILESTONES = "milestones"  # a parcel's milestone reached but never sent
    TIMERS = "timers"  # due timers that never fired


CHECKS = tuple(Check)


@dataclass(frozen=True, slots=True)
class PaidOrderSeen:
    """A paid order as Shopify shows it now, with its fulfillments' tracking numbers."""

    order: Order
    tracking_numbers: tuple[str, ...] = ()
    # Each active fulfillment: (its id, its tracking numbers).
    fulfillments: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True, slots=True)
class LabelSeen:
    """A ShipStation v1 label (shipment) as listed by date range."""

    shipment_id: str
    order_key: str
    order_number: str
    tracking_number: str
    created_at: datetime
    voided: bool

    @property
    def shopify_order_id(self) -> int | None:
        head = self.order_key.split(":")[-1].split("-")[0]
        return int(head) if head.isdigit() else None


@dataclass(frozen=True, slots=True)
class Finding:
    check: Check
    key: str  # what the repair is keyed on (order id, shipment id, timer key...)
    order_id: int | None = None  # Shopify's order id
    order_number: str | None = None
    detail: str = ""

    def to_json(self, fixed: bool) -> dict[str, Any]:
        return {"check": self.check.value, "key": self.key, "order_id": self.order_id,
                "order_number": self.order_number, "detail": self.detail, "fixed": fixed}


def missed_orders(paid: Iterable[PaidOrderSeen], known: set[int],
                  settled_before: datetime) -> list[Finding]:
    """Paid, uncancelled orders shipflow has no row for, last changed before the window."""
    return [Finding(Check.MISSED_ORDERS, str(p.order.shopify_order_id), p.order.shopify_order_id,
                    p.order.name, "paid in Shopify, never received")
            for p in paid
            if p.order.shopify_order_id not in known and p.order.cancelled_at is None
            and p.order.updated_at < settled_before]


def missing_in_shipstation(pushed: Mapping[str, tuple[int, str, datetime]],
                           present: set[str], settled_before: datetime) -> list[Finding]:
    """Parts shipflow pushed (order key -> Shopify id, number, when pushed) that ShipStation
    does not list."""
    return [Finding(Check.MISSING_IN_SHIPSTATION, key, order_id, number,
                    "pushed, absent from ShipStation")
            for key, (order_id, number, at) in sorted(pushed.items())
            if key not in present and at < settled_before]


def times_pushed(ledger_keys: Iterable[str], order_key: str) -> int:
    """How many pushes of a part the ledger keys show (the first and every re-push)."""
    return times_sent(ledger_keys, keys.push_part_key(order_key))


def unrecorded_labels(labels: Sequence[LabelSeen], recorded: set[str], ours: set[str],
                      fulfilled: Mapping[int, Sequence[str]],
                      settled_before: datetime) -> list[Finding]:
    """Live labels of shipflow's parts (`ours`: order keys) that shipflow never recorded.

    One whose order already has a Shopify fulfillment with other tracking is a relabel made
    outside shipflow (ShipStation's own sync does not send it, and a relabel control may skip
    SHIP_NOTIFY); the rest were never fulfilled. Both are repaired by the ship flow, which
    updates the replaced fulfillment's tracking for a relabel."""
    found: list[Finding] = []
    for label in sorted(labels, key=lambda lb: lb.shipment_id):
        if label.voided or label.shipment_id in recorded or label.order_key not in ours:
            continue
        if label.created_at >= settled_before:
            continue
        order_id = label.shopify_order_id
        numbers = fulfilled.get(order_id, ()) if order_id is not None else ()
        if label.tracking_number in numbers:
            continue  # fulfilled with this tracking by someone else: nothing to tell Shopify
        check = Check.RELABELS if numbers else Check.UNFULFILLED_LABELS
        found.append(Finding(check, label.shipment_id, order_id, label.order_number,
                             "live label, tracking not in Shopify" if numbers
                             else "label printed, never recorded"))
    return found


@dataclass(frozen=True, slots=True)
class ParcelSeen:
    """A parcel shipflow fulfilled and believes undelivered, with what it recorded of it."""

    shipment_id: str
    order_id: int | None
    order_number: str
    progress: ParcelProgress
    created_at: datetime


def untold_milestones(parcels: Sequence[ParcelSeen], carrier: Mapping[str, TrackingUpdate],
                      settled_before: datetime) -> list[Finding]:
    """Parcels whose carrier picture (`carrier`, by shipment id) reaches a milestone shipflow
    never applied (a lost tracking webhook): the milestone flow would send it. Scans younger
    than the settle window are not counted yet."""
    found: list[Finding] = []
    for parcel in sorted(parcels, key=lambda p: p.shipment_id):
        update = carrier.get(parcel.shipment_id)
        if update is None:
            continue
        settled = tuple(s for s in update.scans if s.occurred_at < settled_before)
        _, events = advance(parcel.progress, replace(update, scans=settled))
        reached = [e.milestone.value for e in events if isinstance(e, MilestoneReached)]
        if reached:
            found.append(Finding(Check.MILESTONES, parcel.shipment_id, parcel.order_id,
                                 parcel.order_number, "carrier scans not applied: "
                                 + ", ".join(reached)))
    return found


def overdue_timers(due: Sequence[tuple[str, int | None, datetime]],
                   settled_before: datetime) -> list[Finding]:
    """Pending timers (key, Shopify order id, due at) due before the settle window."""
    return [Finding(Check.TIMERS, key, order_id, None, f"due {at.isoformat()}")
            for key, order_id, at in sorted(due) if at < settled_before]


@dataclass(frozen=True, slots=True)
class FulfilledLabel:
    """A live label shipflow recorded and fulfilled in Shopify."""

    shipment_id: str
    order_id: int
    order_number: str
    fulfillment_id: str
    tracking_number: str
    created_at: datetime


def tracking_drift(labels: Sequence[FulfilledLabel], paid: Iterable[PaidOrderSeen],
                   settled_before: datetime) -> list[Finding]:
    """Fulfillments whose tracking in Shopify is not the live label's (changed in Shopify's
    admin, or a tracking update lost): the label is the truth, its tracking goes back."""
    shopify = {p.order.shopify_order_id: dict(p.fulfillments) for p in paid}
    found: list[Finding] = []
    for label in sorted(labels, key=lambda lb: lb.shipment_id):
        numbers = shopify.get(label.order_id, {}).get(label.fulfillment_id)
        if numbers is None or label.tracking_number in numbers:
            continue  # not read (outside the window, or cancelled), or as it should be
        if label.created_at >= settled_before:
            continue
        found.append(Finding(Check.RELABELS, label.shipment_id, label.order_id,
                             label.order_number, "Shopify's tracking is not the live label's"))
    return found


def times_sent(ledger_keys: Iterable[str], base: str) -> int:
    """How many times an effect keyed `base` (and its `:again-n` repeats) was made."""
    return sum(1 for key in ledger_keys if key == base or key.startswith(base + ":again-"))


def counts(found: Sequence[Finding], fixed: set[str]) -> dict[str, dict[str, int]]:
    """Found and fixed per check (every check listed, zeros included)."""
    out = {check.value: {"found": 0, "fixed": 0} for check in CHECKS}
    for finding in found:
        out[finding.check.value]["found"] += 1
        if f"{finding.check.value}:{finding.key}" in fixed:
            out[finding.check.value]["fixed"] += 1
    return out
