"""The audit: today's manual baseline, read from the providers (reads only, nothing written).

`collect` reads, for the window:
- Shopify: the orders created in it, with their fulfillments (when, and with what tracking) and
  the holds open on their fulfillment orders (`ShopifyClient.orders_since`);
- ShipStation v1: the labels shipped in it, voided ones too (`labels_shipped_between`);
- Klaviyo: the events of the shipping-email metric (default `Fulfilled Order`, the metric
  Klaviyo's Shopify integration starts shipping flows with; every metric of that name) since
  the window opened;
- ShipStation v2 (when its key is set): each label's carrier tracking, for exceptions.

Shopify serves only the last 60 days of orders to an app without the `read_all_orders` scope
(the Admin GraphQL reference's note on the `Order` object): a longer window needs that scope.

`baseline` (pure) turns that into the figures below. Definitions:
- A label belongs to the Shopify order whose id its `orderKey` starts with, else whose name its
  `orderNumber` is ("#1001" or "1001"). Labels of orders outside the window are `unmatched`.
- label -> tracking in Shopify: for each live (not voided) label, from its `createDate` to the
  `updatedAt` of the active fulfillment carrying its tracking number (providers/shopify/
  history.py says why `updatedAt`). A live label whose number is on no fulfillment counts in
  `never`.
- label -> shipping email: from the label's `createDate` to the first shipping-email event for
  its order at or after it. An event belongs to an order when its `OrderId` or `$event_id`
  property is the order's id, or its `OrderName`, `OrderNumber` or `Name` is the order's name
  (assumption: the properties Klaviyo's Shopify integration and custom integrations use).
- p50 and p90 are nearest-rank percentiles (a value that occurred), in hours.
- fulfillments with no tracking: active fulfillments of the window's orders with no number.
- relabels never synced: live labels of an order that also has a voided label, whose tracking
  number is on none of the order's fulfillments.
- orders that sat on hold: orders (not cancelled) with a hold open at the end of the window;
  how long, from the fulfillment order's `updatedAt` (when it was held, at the latest) to the
  end of the window. Neither API keeps closed holds, so holds already released are not seen.
- exceptions: a label whose carrier tracking reached the exception status (`EX`); open from
  its first exception scan to the next scan that is not one (else to the end of the window).
- manual touchpoints a day (an estimate, documented so it can be argued with):
  (labels whose tracking was carried to Shopify x 1 + labels whose tracking never reached
  Shopify x 1 + fulfillments without tracking x 1 + relabels never synced x 1 + orders on
  hold x 1 + exceptions x 2) / days in the window. Each is a step a person takes when the
  hand-offs are done by hand: copy a number, chase a missing one, fix a relabel, review and
  release a hold, and for an exception look into it and tell the customer.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from shipflow.domain.tracking_events import TrackingScan, TrackingStatus
from shipflow.ops.table import render
from shipflow.providers.klaviyo.history import PastEvent
from shipflow.providers.shipstation.history import PastLabel
from shipflow.providers.shopify.history import PastFulfillment, PastOrder

DEFAULT_EMAIL_METRIC = "Fulfilled Order"
ORDER_ID_PROPERTIES = ("OrderId", "$event_id")
ORDER_NAME_PROPERTIES = ("OrderName", "OrderNumber", "Name")
TOUCHPOINT_WEIGHTS = {"tracking_copied": 1, "tracking_never_in_shopify": 1,
                      "fulfillments_without_tracking": 1, "relabels_never_synced": 1,
                      "orders_on_hold": 1, "exceptions": 2}


@dataclass(frozen=True)
class History:
    """What the providers say about the window."""

    since: datetime
    until: datetime
    orders: Sequence[PastOrder]
    labels: Sequence[PastLabel]
    emails: Sequence[PastEvent] | None  # None: not measured (see `email_note`)
    email_metric: str = DEFAULT_EMAIL_METRIC
    email_note: str | None = None
    scans: dict[str, Sequence[TrackingScan]] | None = None  # tracking number -> scans; None: not read
    scans_note: str | None = None


# -- figures -----------------------------------------------------------------------------------
def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least p% of the values at or below."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 4)


@dataclass
class Delays:
    seconds: list[float] = field(default_factory=list)
    never: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"count": len(self.seconds), "p50_hours": _hours(percentile(self.seconds, 50)),
                "p90_hours": _hours(percentile(self.seconds, 90)), "never": self.never}


@dataclass
class AuditReport:
    since: datetime
    until: datetime
    orders: int = 0
    live_labels: int = 0
    voided_labels: int = 0
    unmatched_labels: int = 0
    to_tracking: Delays = field(default_factory=Delays)
    to_email: Delays | None = None
    email_metric: str = DEFAULT_EMAIL_METRIC
    email_note: str | None = None
    fulfillments_without_tracking: int = 0
    relabels_never_synced: int = 0
    hold_seconds: list[float] = field(default_factory=list)
    exception_seconds: list[float] | None = None
    exceptions_still_open: int = 0
    exceptions_note: str | None = None

    @property
    def days(self) -> float:
        return (self.until - self.since).total_seconds() / 86400

    def touchpoints(self) -> dict[str, int]:
        counts = {
            "tracking_copied": len(self.to_tracking.seconds),
            "tracking_never_in_shopify": self.to_tracking.never,
            "fulfillments_without_tracking": self.fulfillments_without_tracking,
            "relabels_never_synced": self.relabels_never_synced,
            "orders_on_hold": len(self.hold_seconds),
            "exceptions": len(self.exception_seconds or []),
        }
        return {k: n * TOUCHPOINT_WEIGHTS[k] for k, n in counts.items()}

    def touchpoints_per_day(self) -> float:
        return round(sum(self.touchpoints().values()) / self.days, 2) if self.days > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        email: dict[str, Any] = (
            {"metric": self.email_metric, **self.to_email.to_json()} if self.to_email is not None
            else {"metric": self.email_metric, "not_measured": self.email_note})
        exceptions: dict[str, Any] = (
            {"count": len(self.exception_seconds), "still_open": self.exceptions_still_open,
             "p50_hours_open": _hours(percentile(self.exception_seconds, 50)),
             "p90_hours_open": _hours(percentile(self.exception_seconds, 90))}
            if self.exception_seconds is not None else {"not_measured": self.exceptions_note})
        return {
            "window": {"since": _stamp(self.since), "until": _stamp(self.until),
                       "days": round(self.days, 4)},
            "orders": self.orders,
            "labels": {"live": self.live_labels, "voided": self.voided_labels,
                       "unmatched": self.unmatched_labels},
            "label_to_shopify_tracking": self.to_tracking.to_json(),
            "label_to_shipping_email": email,
            "fulfillments_without_tracking": self.fulfillments_without_tracking,
            "relabels_never_synced": self.relabels_never_synced,
            "orders_on_hold": {"count": len(self.hold_seconds),
                               "p50_hours": _hours(percentile(self.hold_seconds, 50)),
                               "max_hours": _hours(max(self.hold_seconds, default=None))},
            "exceptions": exceptions,
            "manual_touchpoints": {"per_day": self.touchpoints_per_day(),
                                   "by_kind": self.touchpoints(),
                                   "weights": dict(TOUCHPOINT_WEIGHTS)},
        }

    def to_text(self) -> str:
        data = self.to_json()

        def delay(d: dict[str, Any]) -> tuple[str, str, str, str]:
            if "not_measured" in d:
                return ("-", "-", "-", f"not measured: {d['not_measured']}")
            return (str(d["count"]), _h(d["p50_hours"]), _h(d["p90_hours"]),
                    f"{d['never']} never")

        email = data["label_to_shipping_email"]
        exc = data["exceptions"]
        rows: list[tuple[str, ...]] = [
            ("orders placed", str(self.orders), "", "", ""),
            ("labels (live / voided)", f"{self.live_labels} / {self.voided_labels}", "", "",
             f"{self.unmatched_labels} for orders outside the window"),
            ("label -> tracking in Shopify", *delay(data["label_to_shopify_tracking"])),
            (f"label -> '{self.email_metric}' email", *delay(email)),
            ("fulfillments with no tracking", str(self.fulfillments_without_tracking), "", "", ""),
            ("relabels never synced", str(self.relabels_never_synced), "", "", ""),
            ("orders on hold", str(len(self.hold_seconds)),
             _h(data["orders_on_hold"]["p50_hours"]), "",
             f"longest {_h(data['orders_on_hold']['max_hours'])}"),
            ("exceptions (hours open)",
             *(("-", "-", "-", f"not measured: {exc['not_measured']}") if "not_measured" in exc
               else (str(exc["count"]), _h(exc["p50_hours_open"]), _h(exc["p90_hours_open"]),
                     f"{exc['still_open']} still open"))),
            ("manual touchpoints a day", f"{self.touchpoints_per_day()}", "", "",
             "estimate: the steps below over the days"),
        ]
        head = (f"audit of {_stamp(self.since)} .. {_stamp(self.until)} "
                f"({round(self.days, 1)} days)")
        steps = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in self.touchpoints().items())
        return (head + "\n\n" + render(["", "count", "p50", "p90", ""], rows, width=72)
                + f"\n\nmanual steps in the window: {steps}")


def _h(hours: float | None) -> str:
    return "-" if hours is None else f"{hours:g} h"


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


# -- matching ----------------------------------------------------------------------------------
def _label_order(label: PastLabel, by_id: dict[int, PastOrder],
                 by_name: dict[str, PastOrder]) -> PastOrder | None:
    head = label.order_key.split(":")[-1].split("-")[0]
    if head.isdigit() and int(head) in by_id:
        return by_id[int(head)]
    number = label.order_number.strip()
    return by_name.get(number) or by_name.get(number.lstrip("#"))


def _email_order(event: PastEvent, by_id: dict[int, PastOrder],
                 by_name: dict[str, PastOrder]) -> PastOrder | None:
    for key in ORDER_ID_PROPERTIES:
        value = str(event.properties.get(key, "")).strip()
        if value.isdigit() and int(value) in by_id:
            return by_id[int(value)]
    for key in ORDER_NAME_PROPERTIES:
        value = str(event.properties.get(key, "")).strip()
        if value and (value in by_name or value.lstrip("#") in by_name):
            return by_name.get(value) or by_name[value.lstrip("#")]
    return None


def baseline(history: History) -> AuditReport:
    since, until = history.since, history.until
    orders = [o for o in history.orders if since <= o.created_at <= until]
    by_id = {o.id: o for o in orders}
    by_name: dict[str, PastOrder] = {}
    for o in orders:
        by_name[o.name] = o
        by_name[o.name.lstrip("#")] = o
    report = AuditReport(since, until, orders=len(orders), email_metric=history.email_metric,
                         email_note=history.email_note, exceptions_note=history.scans_note)

    labels = [label for label in history.labels if since <= label.created_at <= until]
    by_order: dict[int, list[PastLabel]] = {}
    for label in labels:
        order = _label_order(label, by_id, by_name)
        if order is None:
            report.unmatched_labels += 1
            continue
        by_order.setdefault(order.id, []).append(label)

    emails: dict[int, list[datetime]] = {}
    if history.emails is not None:
        report.to_email = Delays()
        for event in history.emails:
            order = _email_order(event, by_id, by_name)
            if order is not None:
                emails.setdefault(order.id, []).append(event.at)

    for order in orders:
        active = [f for f in order.fulfillments if f.active]
        carrying: dict[str, PastFulfillment] = {}
        for f in active:
            for number in f.tracking_numbers:
                carrying.setdefault(number, f)
        report.fulfillments_without_tracking += sum(1 for f in active if not f.tracking_numbers)
        own = by_order.get(order.id, [])
        relabelled = any(label.voided for label in own)
        for label in own:
            if label.voided:
                report.voided_labels += 1
                continue
            report.live_labels += 1
            fulfillment = carrying.get(label.tracking_number)
            if fulfillment is None:
                report.to_tracking.never += 1
                if relabelled:
                    report.relabels_never_synced += 1
            else:
                report.to_tracking.seconds.append(
                    (fulfillment.updated_at - label.created_at).total_seconds())
            if report.to_email is not None:
                sent = [at for at in emails.get(order.id, []) if at >= label.created_at]
                if sent:
                    report.to_email.seconds.append(
                        (min(sent) - label.created_at).total_seconds())
                else:
                    report.to_email.never += 1
        if order.holds and not order.cancelled:
            held_since = min(h.since for h in order.holds)
            report.hold_seconds.append((until - held_since).total_seconds())

    if history.scans is not None:
        report.exception_seconds = []
        for order_labels in by_order.values():
            for label in order_labels:
                if label.voided:
                    continue
                opened = _exception_open(history.scans.get(label.tracking_number, ()), until)
                if opened is not None:
                    seconds, still_open = opened
                    report.exception_seconds.append(seconds)
                    report.exceptions_still_open += still_open
    return report


def _exception_open(scans: Sequence[TrackingScan], until: datetime) -> tuple[float, bool] | None:
    ordered = sorted(scans, key=lambda s: s.occurred_at)
    start = next((s.occurred_at for s in ordered if s.status_code is TrackingStatus.EXCEPTION),
                 None)
    if start is None:
        return None
    after = next((s.occurred_at for s in ordered
                  if s.occurred_at > start and s.status_code is not TrackingStatus.EXCEPTION), None)
    return ((after or until) - start).total_seconds(), after is None


# -- reading -----------------------------------------------------------------------------------
class OrderHistory(Protocol):
    def orders_since(self, since: datetime) -> list[PastOrder]: ...


class LabelHistory(Protocol):
    def labels_shipped_between(self, start: Any, end: Any) -> list[PastLabel]: ...


class EventHistory(Protocol):
    def metric_ids(self) -> dict[str, list[str]]: ...

    def events(self, metric_id: str, since: datetime,
               until: datetime | None = None) -> list[PastEvent]: ...


def collect(shopify: OrderHistory, shipstation: LabelHistory, klaviyo: EventHistory | None,
            since: datetime, until: datetime, *, email_metric: str = DEFAULT_EMAIL_METRIC,
            tracking: Callable[[Sequence[PastLabel]], dict[str, Sequence[TrackingScan]]] | None = None,
            tracking_note: str | None = None) -> History:
    """Read the window from the providers. A label shipped a day either side of the window is
    read too (ShipStation's ship dates are Pacific days), then kept by its creation time."""
    orders = shopify.orders_since(since)
    labels = shipstation.labels_shipped_between((since - timedelta(days=1)).date(),
                                                (until + timedelta(days=1)).date())
    emails: list[PastEvent] | None = None
    note: str | None = None
    if klaviyo is None:
        note = "no Klaviyo key (SHIPFLOW_KLAVIYO_API_KEY)"
    else:
        metrics = klaviyo.metric_ids().get(email_metric)
        if not metrics:
            note = f"Klaviyo has no metric named {email_metric!r}"
        else:  # every integration's metric of that name
            emails = sorted((e for m in metrics for e in klaviyo.events(m, since)),
                            key=lambda e: e.at)
    live = [label for label in labels if not label.voided and since <= label.created_at <= until]
    scans = tracking(live) if tracking else None
    return History(since, until, orders, labels, emails, email_metric, note, scans,
                   tracking_note if scans is None else None)
