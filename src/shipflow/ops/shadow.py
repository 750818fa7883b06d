"""The shadow report: what shipflow would have done during a shadow run (`policy.mode: shadow`)
against what the merchant's current process actually did, per order and in total.

shipflow's side is the outbound ledger: every write recorded (never sent) for the orders the
old process handles (`store/queries/shadow.py`). The old process's side is read from the
providers when the report runs (reads only):
- ShipStation v1 orders (`GET /orders`, by modify date): the hold, confirmation, service and
  split the staff (or ShipStation's store import) chose. An order belongs to the Shopify order
  whose id its `orderKey` starts with, else whose name its `orderNumber` is (`1001`, `1001-2`).
- Shopify orders with their fulfillments (tracking numbers and creation times) and open holds.
- Klaviyo events (`GET /api/events` filtered by metric id, the same read `shipflow audit` makes,
  which the sandbox serves with the real shape): the shipping email (default metric
  `Fulfilled Order`) and the events of shipflow's exception milestones.

Definitions (`compare`, pure):
- Decisions are compared for orders shipflow would have pushed and the old process put in
  ShipStation: hold (any part on hold; the old process: an order `on_hold` or with a
  `holdUntilDate` in ShipStation, or a hold open in Shopify), signature (the confirmation, absent
  = `none`), service (only where a rule picked one) and split (more than one ShipStation
  order). Holds are seen as they stand when the report runs: a hold the staff already released
  is not seen (neither API keeps closed holds), so run the report before holds are worked off.
  An order only one side put in ShipStation is a `shipstation_order` disagreement.
- Tracking injection: for each order shipflow would have fulfilled, the tracking numbers it
  would have written (its recorded fulfillments, relabels applied) against the numbers on the
  order's active Shopify fulfillments: `correct` when all are there, `wrong` when Shopify has
  a fulfillment with other numbers, `no_tracking` when its fulfillments carry none,
  `not_fulfilled` when there is none.
- Timing: actual minus would-be, in hours (positive: the old process was later), for the
  customer's shipping notification (shipflow's recorded `Order Shipped` against the first
  shipping-email event of the order) and for the Shopify fulfillment (shipflow's recorded
  `fulfillmentCreate` against the first active fulfillment's creation); p50 and p90 are
  nearest-rank. An order shipflow would have notified and the old process did not counts in
  `never_notified` and is listed.
- Exceptions shipflow would have raised: its recorded `Delivery Exception` and `Shipment
  Delayed` events, one per order and metric (a parcel's second exception scan is the same
  problem). One is unhandled when the old process sent the customer no event of that
  metric for the order (in shadow shipflow sends none, so any such event is the old process's).
  Exception cases and their team notifications (Slack, email) are not recorded yet: they come
  with the exceptions issue (11); the report says so rather than guess.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shipflow.domain.effects import EVENT_OPERATION
from shipflow.domain.milestone import Milestone
from shipflow.ops.audit import DEFAULT_EMAIL_METRIC, ORDER_ID_PROPERTIES, ORDER_NAME_PROPERTIES
from shipflow.ops.audit import percentile as nearest_rank
from shipflow.ops.table import render
from shipflow.providers.klaviyo.history import PastEvent
from shipflow.providers.shipstation.mapping import ShipStationOrder
from shipflow.providers.shopify.history import PastOrder
from shipflow.store.queries.shadow import RecordedWrite, ShadowOrder

DECISIONS = ("hold", "signature", "service", "split")
EXCEPTION_METRICS = (Milestone.DELIVERY_EXCEPTION.value, Milestone.SHIPMENT_DELAYED.value)
NOTIFICATIONS_NOTE = ("not recorded yet: exception cases and their team notifications (Slack, "
                      "email, webhook) come with the exceptions issue (11); customer events are "
                      "compared above")


@dataclass(frozen=True)
class Observed:
    """What the old process did, as the providers show it when the report runs."""

    shipstation: Sequence[ShipStationOrder]
    shopify: Sequence[PastOrder]
    emails: Sequence[PastEvent] | None  # the shipping-email metric's events; None: not read
    exception_events: dict[str, Sequence[PastEvent]] | None = None  # metric -> events
    email_metric: str = DEFAULT_EMAIL_METRIC
    klaviyo_note: str | None = None  # why Klaviyo was not read


@dataclass(frozen=True)
class Disagreement:
    order: int
    name: str
    kind: str  # hold | signature | service | split | shipstation_order | tracking | notification
    shipflow: Any
    manual: Any

    def to_json(self) -> dict[str, Any]:
        return {"order": self.order, "name": self.name, "kind": self.kind,
                "shipflow": self.shipflow, "manual": self.manual}


@dataclass
class Agreement:
    compared: int = 0
    agreed: int = 0

    def to_json(self) -> dict[str, Any]:
        pct = round(100 * self.agreed / self.compared, 2) if self.compared else None
        return {"compared": self.compared, "agreed": self.agreed, "pct": pct}


@dataclass
class Deltas:
    hours: list[float] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        def r(v: float | None) -> float | None:
            return None if v is None else round(v, 4)
        return {"count": len(self.hours), "p50_hours": r(nearest_rank(self.hours, 50)),
                "p90_hours": r(nearest_rank(self.hours, 90))}


@dataclass
class ShadowReport:
    since: datetime
    until: datetime
    orders: list[dict[str, Any]] = field(default_factory=list)
    agreement: dict[str, Agreement] = field(
        default_factory=lambda: {k: Agreement() for k in DECISIONS})
    tracking: dict[str, int] = field(default_factory=lambda: {
        "compared": 0, "correct": 0, "wrong": 0, "no_tracking": 0, "not_fulfilled": 0})
    notification: Deltas = field(default_factory=Deltas)
    never_notified: int = 0
    fulfillment: Deltas = field(default_factory=Deltas)
    exceptions: dict[str, int] | None = field(default_factory=lambda: {
        "would_raise": 0, "unhandled": 0})
    disagreements: list[Disagreement] = field(default_factory=list)
    email_metric: str = DEFAULT_EMAIL_METRIC
    klaviyo_note: str | None = None

    def to_json(self) -> dict[str, Any]:
        tracking: dict[str, Any] = dict(self.tracking)
        tracking["accuracy_pct"] = (round(100 * self.tracking["correct"]
                                          / self.tracking["compared"], 2)
                                    if self.tracking["compared"] else None)
        notification: dict[str, Any] = (
            {"metric": self.email_metric, **self.notification.to_json(),
             "never_notified": self.never_notified}
            if self.klaviyo_note is None
            else {"metric": self.email_metric, "not_measured": self.klaviyo_note})
        return {
            "window": {"since": _stamp(self.since), "until": _stamp(self.until)},
            "orders_compared": len(self.orders),
            "agreement": {k: a.to_json() for k, a in self.agreement.items()},
            "tracking": tracking,
            "timing": {"notification": notification,
                       "fulfillment": self.fulfillment.to_json()},
            "exceptions": (dict(self.exceptions) if self.exceptions is not None
                           else {"not_measured": self.klaviyo_note}),
            "notifications": {"not_recorded": NOTIFICATIONS_NOTE},
            "disagreements": [d.to_json() for d in self.disagreements],
            "orders": self.orders,
        }

    def to_text(self) -> str:
        data = self.to_json()
        rows: list[tuple[str, ...]] = []
        for kind, a in data["agreement"].items():
            rows.append((f"agreement: {kind}", f"{a['agreed']}/{a['compared']}",
                         _pct(a["pct"])))
        t = data["tracking"]
        rows.append(("tracking injection", f"{t['correct']}/{t['compared']}",
                     _pct(t["accuracy_pct"]) + f"  wrong {t['wrong']}, no tracking "
                     f"{t['no_tracking']}, not fulfilled {t['not_fulfilled']}"))
        n = data["timing"]["notification"]
        rows.append((f"notification delta ('{self.email_metric}')",
                     str(n.get("count", "-")),
                     f"not measured: {n['not_measured']}" if "not_measured" in n else
                     f"p50 {_h(n['p50_hours'])}, p90 {_h(n['p90_hours'])}, never notified "
                     f"{n['never_notified']}"))
        f = data["timing"]["fulfillment"]
        rows.append(("fulfillment delta", str(f["count"]),
                     f"p50 {_h(f['p50_hours'])}, p90 {_h(f['p90_hours'])}"))
        e = data["exceptions"]
        rows.append(("exceptions nobody handled",
                     f"{e['unhandled']}/{e['would_raise']}" if "unhandled" in e else "-",
                     f"not measured: {e['not_measured']}" if "not_measured" in e else ""))
        rows.append(("team notifications", "-", "not recorded yet (exception cases, issue 11)"))
        head = (f"shadow report {data['window']['since']} .. {data['window']['until']}: "
                f"{len(self.orders)} orders handled by the current process")
        out = [head, "", render(["", "count", ""], rows, width=100)]
        if self.orders:
            out += ["", render(["order", "hold", "signature", "service", "split", "tracking",
                                "notified (h)"],
                               [(o["name"], _pair(o, "hold"), _pair(o, "signature"),
                                 _pair(o, "service"), _pair(o, "split"), o["tracking"] or "-",
                                 _h(o["notification_delta_hours"])) for o in self.orders])]
        if self.disagreements:
            out += ["", "disagreements (shipflow | current process):",
                    render(["order", "kind", "shipflow", "current process"],
                           [(d.name, d.kind, _show(d.shipflow), _show(d.manual))
                            for d in self.disagreements], width=60)]
        return "\n".join(out) + "\n"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value}%"


def _h(hours: float | None) -> str:
    return "-" if hours is None else f"{hours:+.2f}"


def _show(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value) or "-"
    return str(value)


def _pair(row: dict[str, Any], kind: str) -> str:
    d = row["decisions"].get(kind)
    if d is None:
        return "-"
    mark = "" if d["shipflow"] == d["manual"] else " !"
    return f"{_show(d['shipflow'])}|{_show(d['manual'])}{mark}"


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


# -- shipflow's side -----------------------------------------------------------------------------
@dataclass(frozen=True)
class WouldBe:
    """What shipflow would have done for one order, from its recorded writes."""

    pushes: tuple[dict[str, Any], ...]
    tracking: tuple[str, ...]  # the numbers it would have put on Shopify fulfillments
    fulfilled_at: datetime | None
    notified_at: datetime | None  # its `Order Shipped` event
    exceptions: tuple[str, ...]  # the exception milestones it would have sent (each once)

    @property
    def hold(self) -> bool:
        return any(p.get("status") == "on_hold" or p.get("hold_reason") for p in self.pushes)

    @property
    def signature(self) -> str:
        return next((str(p["confirmation"]) for p in self.pushes if p.get("confirmation")),
                    "none")

    @property
    def service(self) -> str | None:
        return next((str(p["service_code"]) for p in self.pushes if p.get("service_code")), None)


def would_be(writes: Sequence[RecordedWrite]) -> WouldBe:
    pushes = tuple(w.payload for w in writes if w.operation == "createorders")
    by_shipment: dict[str, str] = {}
    fulfilled_at: datetime | None = None
    for w in writes:
        if w.operation == "fulfillmentCreate" and w.payload.get("tracking_number"):
            by_shipment[str(w.payload.get("shipment_id"))] = str(w.payload["tracking_number"])
            fulfilled_at = fulfilled_at or w.at
    for w in writes:  # a relabel: the replaced label's number gives way to the new one
        if w.operation == "fulfillmentTrackingInfoUpdate" and w.payload.get("tracking_number"):
            by_shipment.pop(str(w.payload.get("replaces")), None)
            by_shipment[str(w.payload.get("shipment_id"))] = str(w.payload["tracking_number"])
    told = [(w.operation.removeprefix(EVENT_OPERATION), w.at) for w in writes
            if w.operation.startswith(EVENT_OPERATION)]
    notified = next((at for metric, at in told if metric == Milestone.ORDER_SHIPPED.value), None)
    return WouldBe(pushes, tuple(sorted(set(by_shipment.values()))), fulfilled_at, notified,
                   tuple(dict.fromkeys(m for m, _ in told if m in EXCEPTION_METRICS)))


# -- the old process's side ------------------------------------------------------------------------
@dataclass(frozen=True)
class Manual:
    ss_orders: tuple[ShipStationOrder, ...]
    shopify: PastOrder | None

    @property
    def hold(self) -> bool:
        return (any(o.order_status == "on_hold" or o.hold_until_date for o in self.ss_orders)
                or bool(self.shopify and self.shopify.holds))

    @property
    def signature(self) -> str:
        return next((o.confirmation for o in self.ss_orders if o.confirmation), "none")

    @property
    def service(self) -> str | None:
        return next((o.service_code for o in self.ss_orders if o.service_code), None)


def _ss_by_order(orders: Sequence[ShadowOrder], ss: Sequence[ShipStationOrder]
                 ) -> dict[int, list[ShipStationOrder]]:
    by_id = {o.shopify_order_id: o for o in orders}
    by_name = {o.name.lstrip("#"): o for o in orders}
    found: dict[int, list[ShipStationOrder]] = {}
    for s in ss:
        if s.order_status == "cancelled":
            continue
        head = (s.order_key or "").split("-")[0]
        owner = by_id.get(int(head)) if head.isdigit() else None
        if owner is None:
            number = s.order_number.lstrip("#")
            owner = by_name.get(number) or by_name.get(number.rsplit("-", 1)[0])
        if owner is not None:
            found.setdefault(owner.shopify_order_id, []).append(s)
    return found


def _events_by_order(events: Sequence[PastEvent], orders: Sequence[ShadowOrder]
                     ) -> dict[int, list[PastEvent]]:
    by_id = {o.shopify_order_id for o in orders}
    by_name = {o.name.lstrip("#"): o.shopify_order_id for o in orders}
    found: dict[int, list[PastEvent]] = {}
    for e in events:
        owner: int | None = None
        for key in ORDER_ID_PROPERTIES:
            value = str(e.properties.get(key, "")).strip()
            if value.isdigit() and int(value) in by_id:
                owner = int(value)
                break
        if owner is None:
            for key in ORDER_NAME_PROPERTIES:
                value = str(e.properties.get(key, "")).strip().lstrip("#")
                if value in by_name:
                    owner = by_name[value]
                    break
        if owner is not None:
            found.setdefault(owner, []).append(e)
    return found


def _hours(later: datetime, earlier: datetime) -> float:
    """Whole seconds apart, in hours: the providers stamp whole seconds, the ledger finer."""
    seconds = (later.replace(microsecond=0) - earlier.replace(microsecond=0)).total_seconds()
    return round(seconds / 3600, 4)


# -- the comparison ----------------------------------------------------------------------------------
def compare(orders: Sequence[ShadowOrder], observed: Observed, since: datetime,
            until: datetime) -> ShadowReport:
    report = ShadowReport(since, until, email_metric=observed.email_metric,
                          klaviyo_note=observed.klaviyo_note)
    ss = _ss_by_order(orders, observed.shipstation)
    shopify = {o.id: o for o in observed.shopify}
    emails = _events_by_order(observed.emails or (), orders)
    exception_events = {m: _events_by_order(events, orders)
                        for m, events in (observed.exception_events or {}).items()}
    if observed.exception_events is None:
        report.exceptions = None
    for order in orders:
        theirs = Manual(tuple(ss.get(order.shopify_order_id, ())),
                        shopify.get(order.shopify_order_id))
        report.orders.append(_compare_one(report, order, theirs,
                                          emails.get(order.shopify_order_id, ()),
                                          {m: found.get(order.shopify_order_id, [])
                                           for m, found in exception_events.items()}))
    return report


def _compare_one(report: ShadowReport, order: ShadowOrder, theirs: Manual,
                 emails: Sequence[PastEvent], exception_events: dict[str, list[PastEvent]]
                 ) -> dict[str, Any]:
    """One order's row; its figures and disagreements are added to the report."""
    mine = would_be(order.writes)
    row: dict[str, Any] = {"order": order.shopify_order_id, "name": order.name,
                           "decisions": {}, "tracking": None,
                           "notification_delta_hours": None,
                           "fulfillment_delta_hours": None, "exceptions": []}

    def disagree(kind: str, shipflow: Any, manual: Any) -> None:
        report.disagreements.append(Disagreement(order.shopify_order_id, order.name, kind,
                                                 shipflow, manual))

    if mine.pushes and theirs.ss_orders:
        pairs: dict[str, tuple[Any, Any]] = {
            "hold": (mine.hold, theirs.hold),
            "signature": (mine.signature, theirs.signature),
            "split": (len(mine.pushes) > 1, len(theirs.ss_orders) > 1)}
        if mine.service is not None:
            pairs["service"] = (mine.service, theirs.service)
        for kind in DECISIONS:
            if kind not in pairs:
                continue
            shipflow_says, manual_did = pairs[kind]
            report.agreement[kind].compared += 1
            row["decisions"][kind] = {"shipflow": shipflow_says, "manual": manual_did}
            if shipflow_says == manual_did:
                report.agreement[kind].agreed += 1
            else:
                disagree(kind, shipflow_says, manual_did)
    elif mine.pushes or theirs.ss_orders:
        disagree("shipstation_order", len(mine.pushes), len(theirs.ss_orders))

    if mine.tracking:
        row["tracking"] = _tracking(report, mine, theirs, disagree)

    if mine.notified_at is not None and report.klaviyo_note is None:
        sent = sorted(e.at for e in emails)
        if sent:
            delta = _hours(sent[0], mine.notified_at)
            report.notification.hours.append(delta)
            row["notification_delta_hours"] = delta
        else:
            report.never_notified += 1
            disagree("notification", Milestone.ORDER_SHIPPED.value, None)
    fulfilled = sorted(f.created_at for f in (theirs.shopify.fulfillments
                                              if theirs.shopify else ()) if f.active)
    if mine.fulfilled_at is not None and fulfilled:
        delta = _hours(fulfilled[0], mine.fulfilled_at)
        report.fulfillment.hours.append(delta)
        row["fulfillment_delta_hours"] = delta

    if report.exceptions is not None:
        for metric in mine.exceptions:
            report.exceptions["would_raise"] += 1
            handled = bool(exception_events.get(metric))
            row["exceptions"].append({"metric": metric, "handled": handled})
            if not handled:
                report.exceptions["unhandled"] += 1
                disagree("exception", metric, None)
    return row


def _tracking(report: ShadowReport, mine: WouldBe, theirs: Manual, disagree: Any) -> str:
    report.tracking["compared"] += 1
    active = [f for f in (theirs.shopify.fulfillments if theirs.shopify else ()) if f.active]
    numbers = sorted({n for f in active for n in f.tracking_numbers})
    if not active:
        outcome = "not_fulfilled"
    elif set(mine.tracking) <= set(numbers):
        outcome = "correct"
    elif not numbers:
        outcome = "no_tracking"
    else:
        outcome = "wrong"
    report.tracking[outcome] += 1
    if outcome != "correct":
        disagree("tracking", list(mine.tracking), numbers or outcome)
    return outcome
