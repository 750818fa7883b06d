"""Ship: printed (warehouse) or bought (api) labels to Shopify fulfillments and `Order Shipped`.

`handle_ship_notify` (one per SHIP_NOTIFY `resource_url`): fetch the label batch it points at,
record the labels, fulfil each order in Shopify with its tracking (a relabel updates the
tracking of the fulfillment it replaces), then tell every customer in one Klaviyo bulk job.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, replace
from typing import Any

from shipflow.domain import messages
from shipflow.domain.effects import AdoptFulfilment, Fulfil, UpdateTracking
from shipflow.domain.fulfilment import PartLine, PartStatus
from shipflow.domain.order import Order
from shipflow.domain.shipment import Shipment, TrackingInfo
from shipflow.domain.tracking import tracking_info
from shipflow.domain.tracking_events import TrackingUpdate
from shipflow.engine import durable
from shipflow.engine.flows import track
from shipflow.engine.flows.tell import note_failure, tell
from shipflow.engine.retries import with_durable_retries
from shipflow.engine.runtime import current
from shipflow.providers.errors import ProviderError, RateLimited, TransientError
from shipflow.store import limits
from shipflow.store.orders import Outcome
from shipflow.store.shipments import StoredShipment

log = logging.getLogger("shipflow.engine")


@dataclass(frozen=True)
class Label:
    """A label printed for one of shipflow's orders, and what Shopify must be told about it."""

    order_pk: int
    order: Order
    shipment: Shipment
    lines: tuple[PartLine, ...] | None  # fulfil only these (one part of a split order)
    replaces: str | None = None  # the shipment id of a voided label (a relabel)
    fulfillment_id: str | None = None  # the relabelled shipment's Shopify fulfillment
    # `store_import`: ShipStation's store connection notifies Shopify of the label itself;
    # shipflow adopts that fulfillment instead of creating a second one.
    adopt: bool = False

    @property
    def tracking(self) -> TrackingInfo:
        return tracking_info(self.shipment.carrier_code, self.shipment.tracking_number)

    def effect(self) -> Fulfil | AdoptFulfilment | UpdateTracking:
        if self.fulfillment_id and self.replaces:
            # A relabel updates the fulfillment in both modes: ShipStation's store connection
            # does not send it ("If you create a new label for an order after voiding the
            # original label, the store or marketplace that the order originated from will not
            # be notified with the new shipment and tracking information", help.shipstation.com
            # /hc/en-us/articles/360026157891, "Reshipping After Voiding a Label").
            return UpdateTracking(self.order_pk, self.shipment.shipment_id, self.fulfillment_id,
                                  self.tracking, self.replaces)
        if self.adopt:
            return AdoptFulfilment(self.order_pk, self.order, self.shipment.shipment_id,
                                   self.tracking, self.lines)
        return Fulfil(self.order_pk, self.order, self.shipment.shipment_id, self.tracking,
                      self.lines)


@durable.step("fetch_shipments")
def fetch_shipments(resource_url: str) -> list[Shipment]:
    return current().shipstation.fetch_labels(resource_url)


@durable.step("record_labels")
def record_labels(shipments: list[Shipment]) -> list[Label]:
    rt = current()
    pks = rt.store.orders.pks_by_shopify_id(
        s.shopify_order_id for s in shipments if s.shopify_order_id is not None)
    if rt.rules.policies.shipstation.store_import:
        shipments = _by_part_key(shipments, pks)
        pks = rt.store.orders.pks_by_shopify_id(
            s.shopify_order_id for s in shipments if s.shopify_order_id is not None)
    known = [(pks[s.shopify_order_id], s) for s in shipments
             if s.shopify_order_id is not None and s.shopify_order_id in pks]
    if len(known) < len(shipments):
        log.warning("%d shipments are for orders shipflow did not push; ignored",
                    len(shipments) - len(known))
    known = _that_fit(known)
    # A new label for a part that already has a live one replaces it (void + relabel).
    replaced: dict[str, StoredShipment] = {}
    live = rt.store.shipments.live_of(s.order_key for _, s in known)
    for _, s in known:
        for before in live[s.order_key]:
            if before.shipment.shipment_id != s.shipment_id and \
                    before.shipment.tracking_number != s.tracking_number:
                replaced[s.shipment_id] = before
    rt.store.shipments.record_labels([(pk, s, tracking_info(s.carrier_code, s.tracking_number))
                                      for pk, s in known])
    rt.store.parts.set([(s.order_key, {"status": PartStatus.SHIPPED.value}) for _, s in known])
    orders = {so.pk: so.order for so in rt.store.orders.load([pk for pk, _ in known])}
    parts = rt.store.parts.of(orders)
    labels = []
    adopt = rt.rules.policies.shipstation.store_import
    for pk, s in known:
        split = len(parts.get(pk, [])) > 1
        part = next((p for p in parts.get(pk, []) if p.order_key == s.order_key), None)
        lines = (tuple(PartLine(int(i["line_item_id"]), i.get("sku"), int(i["quantity"]))
                       for i in part.items) if split and part else None)
        old = replaced.get(s.shipment_id)
        # Only the imported order's labels are notified by the connection: a split's further
        # parts are orders shipflow created beside it (orderKey "<id>-N").
        labels.append(Label(pk, orders[pk], s, lines,
                            old.shipment.shipment_id if old else None,
                            old.fulfillment_id if old else None,
                            adopt and s.order_key == str(s.shopify_order_id)))
    return labels


def _by_part_key(shipments: list[Shipment], pks: dict[int, int]) -> list[Shipment]:
    """`store_import`: a label of an import whose own orderKey is not the Shopify order id,
    found by its ShipStation order id among the amended parts and keyed like the part."""
    strays = [s for s in shipments if s.platform_order_id is not None
              and (s.shopify_order_id is None or s.shopify_order_id not in pks)]
    if not strays:
        return shipments
    keys = current().store.parts.keys_of_platform_orders(
        s.platform_order_id for s in strays if s.platform_order_id is not None)
    return [replace(s, order_key=keys[s.platform_order_id])
            if s in strays and s.platform_order_id in keys else s for s in shipments]


def _that_fit(labels: list[tuple[int, Shipment]]) -> list[tuple[int, Shipment]]:
    """The labels whose values fit the tables. One that does not (a tracking number longer
    than the column, a ship date in year 1) would fail the whole batch's insert on
    PostgreSQL; it is refused alone, and its order needs a person, with the field named."""
    fitting: list[tuple[int, Shipment]] = []
    refused: list[Outcome] = []
    for pk, s in labels:
        try:
            limits.check_shipment(s, "shipment")
        except limits.OutOfRange as exc:
            which = hashlib.sha256(s.shipment_id.encode("utf-8", "surrogatepass")).hexdigest()
            refused.append(Outcome(pk, False, f"ShipStation label not recorded: {exc}",
                                   f"refused:{which[:16]}"))
            continue
        fitting.append((pk, s))
    if refused:
        log.warning("%d labels of a SHIP_NOTIFY batch do not fit and were refused",
                    len(refused))
        current().store.orders.settle(refused, kind="label")
    return fitting


@durable.step("fulfil_in_shopify")
def fulfil_in_shopify(labels: list[Label]) -> list[str]:
    """Each label's Shopify fulfillment, once; returns the shipment ids now fulfilled."""
    rt = current()
    effects = [lb.effect() for lb in labels]
    try:
        sent = rt.outbox.send(effects)
    except (TransientError, RateLimited):  # the step re-runs; what finished is recorded now
        _record_fulfilled(labels, rt.store.ledger.settled(e.key for e in effects))
        raise
    _record_fulfilled(labels, {key: s.result for key, s in sent.items() if s.ok})
    rt.store.orders.settle(
        [Outcome(lb.order_pk, False, f"Shopify fulfillmentCreate failed: {sent[e.key].error}",
                 e.key) for lb, e in zip(labels, effects, strict=True) if not sent[e.key].ok],
        kind="fulfilled")
    return [lb.shipment.shipment_id for lb, e in zip(labels, effects, strict=True)
            if sent[e.key].ok]


def _record_fulfilled(labels: list[Label], done: dict[str, dict[str, Any]]) -> None:
    """The fulfilled labels on their orders' timelines and shipments (a re-run writes the same
    entries again, and they are kept once)."""
    store = current().store
    ok = [(lb, done[lb.effect().key]) for lb in labels if lb.effect().key in done]
    store.orders.settle([_fulfilled(lb, result) for lb, result in ok], kind="fulfilled")
    store.shipments.set_fulfilled([(lb.shipment.shipment_id, result.get("fulfillment_id"))
                                   for lb, result in ok])
    for lb, _ in ok:
        if lb.replaces:
            store.shipments.void(lb.replaces)


# What adopting the store connection's fulfillment did (`OrderSource.adopt_fulfilment`).
ADOPTED = {
    "found": "Shopify already fulfilled by ShipStation's store connection with tracking",
    "tracking corrected": "Shopify fulfillment of ShipStation's store connection corrected to "
                          "tracking",
    "created": "Shopify fulfilled (ShipStation's store connection did not) with tracking",
}


def _fulfilled(label: Label, result: dict[str, Any]) -> Outcome:
    shipment = label.shipment
    what = ("Shopify tracking updated (relabel) to" if label.fulfillment_id and label.replaces
            else ADOPTED.get(str(result.get("action")), "Shopify fulfilled with tracking")
            if label.adopt else "Shopify fulfilled with tracking")
    return Outcome(label.order_pk, True,
                   f"{what} {shipment.carrier_code} {shipment.tracking_number}",
                   label.effect().key, {**result, "shipment_id": shipment.shipment_id})


@durable.step("shipped_states")
def shipped_states(order_pks: list[int]) -> None:
    store = current().store
    store.orders.labels_out({pk: [p.status for p in parts]
                             for pk, parts in store.parts.of(order_pks).items()})


@durable.workflow("handle_ship_notify")
def handle_ship_notify(resource_url: str) -> int:
    shipments = with_durable_retries(fetch_shipments, resource_url)
    return ship_labels([s for s in shipments if not s.voided and (
        s.shopify_order_id is not None or s.platform_order_id is not None)])


def ship_labels(shipments: list[Shipment]) -> int:
    """Inside a workflow: labels to Shopify fulfillments and `Order Shipped`; returns how many
    customers were told."""
    if not shipments:
        return 0
    labels = record_labels(shipments)
    try:
        fulfilled = set(with_durable_retries(fulfil_in_shopify, labels))
    except ProviderError as exc:
        note_failure([lb.order_pk for lb in labels], "Shopify fulfillmentCreate", str(exc))
        return 0
    to_tell = [lb for lb in labels if lb.shipment.shipment_id in fulfilled]
    if not to_tell:
        return 0
    now = current().clock()
    told = tell([(lb.order_pk, messages.order_shipped(
        lb.order, lb.shipment, lb.tracking, now)) for lb in to_tell])
    shipped_states(sorted({lb.order_pk for lb in to_tell}))
    follow_early_tracking([lb.shipment.tracking_number for lb in to_tell])
    return told


@durable.step("early_tracking")
def early_tracking(tracking_numbers: list[str]) -> list[tuple[int, TrackingUpdate]]:
    return current().store.shipments.parked_for(tracking_numbers)


@durable.step("early_tracking_followed")
def early_tracking_followed(ids: list[int]) -> None:
    current().store.shipments.unpark(ids)


def follow_early_tracking(tracking_numbers: list[str]) -> None:
    """Carrier updates that came before these labels, followed now, oldest first."""
    parked = early_tracking(tracking_numbers)
    for _, update in parked:
        track.follow(update)
    early_tracking_followed([pk for pk, _ in parked])
