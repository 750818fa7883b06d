"""The lifecycle as durable workflows, in batches.

- `push_orders` (one per batch of up to 100 paid orders, id `push:<uuid>` chosen by the
  dispatcher): load the orders, send them to ShipStation in one bulk `createorders` (orderKey =
  Shopify order id, an upsert) and record each order's result.
- `handle_ship_notify` (one per SHIP_NOTIFY `resource_url`): fetch the label batch it points at,
  record the labels, fulfil each order in Shopify with its tracking, then tell every customer
  `Order Shipped` in one Klaviyo bulk job.
- `track_parcel` (one per distinct carrier update): move the shipment forward (never back) and
  record what was new on the order's timeline.

Every step is checkpointed, so a restarted worker resumes where the dead one stopped. Every
outbound call is keyed in the outbound ledger (and by the provider where it can be: orderKey,
unique_id), and a step re-run after a crash skips the calls that finished and looks before it
repeats one that may have reached the provider. Batches because the providers' published limits
are per request (ShipStation 40/min, Klaviyo bulk jobs of 1,000), and because each checkpoint is
a database write: one per batch, not one per order.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from shipflow.domain import messages
from shipflow.domain.fulfilment import PartLine, PartStatus
from shipflow.domain.order import Order, OrderState
from shipflow.domain.shipment import Shipment, TrackingInfo
from shipflow.domain.tracking import tracking_info
from shipflow.domain.tracking_events import TrackingUpdate
from shipflow.engine import durable, labels, lifecycle_flows, routing
from shipflow.engine.retries import with_durable_retries
from shipflow.engine.routing import Routed
from shipflow.engine.runtime import current
from shipflow.providers.errors import ProviderError, RateLimited, RejectedRequest, TransientError
from shipflow.providers.shopify.models import LineItemQuantity
from shipflow.store.pipeline import Outcome
from shipflow.store.repository import TrackingApplied

log = logging.getLogger("shipflow.engine")

SHOPIFY_PARALLEL = 4  # fulfillments in flight per batch; the cost bucket paces them


# -- push_orders -------------------------------------------------------------------------------
@durable.step("load_batch")
def load_batch(order_pks: list[int]) -> list[tuple[int, Order]]:
    """The batch's orders still waiting for it (a cancelled one has left the batch)."""
    stored = current().pipeline.load_orders(order_pks)
    return [(s.pk, s.order) for s in stored if s.state is OrderState.QUEUED and s.order.is_paid]


@durable.step("skip_unshippable")
def skip_unshippable(order_pks: list[int]) -> None:
    current().pipeline.finish(
        [Outcome(pk, True, "No line needs shipping; nothing sent to ShipStation") for pk in order_pks],
        state_ok=OrderState.NOTHING_TO_SHIP, kind="nothing_to_ship")


@durable.step("route_batch")
def route_batch(batch: list[tuple[int, Order]]) -> list[Routed]:
    """Run the merchant's rules on each order and decide its ShipStation orders (parts)."""
    rt = current()
    # An empty rules file routes nothing; otherwise short SKUs meet the backorder policy.
    missing = routing.missing_stock(rt, [o for _, o in batch]) if len(rt.rules) else {}
    routed = [routing.route(rt, pk, order, missing) for pk, order in batch]
    rt.lifecycle.record_routing([(r.order_pk, r.order.shopify_order_id, r.decisions, r.errors,
                                  r.fulfilment, r.plan) for r in routed])
    return routed


@durable.step("push_batch")
def push_batch(routed: list[Routed]) -> int:
    """One bulk createorders (the client sends 100 a call) for the parts not pushed yet."""
    rt = current()
    ledger = {key: f"shipstation:createorder:{key}" for r in routed for _, key in r.keyed_parts}
    done = rt.pipeline.done_keys(ledger.values())
    results: dict[str, tuple[bool, str, int | None]] = {
        key: (True, "", int(done[lk].get("orderId") or 0) or None)
        for key, lk in ledger.items() if lk in done}
    pending = [(r, p, key) for r in routed for p, key in r.keyed_parts if key not in results]
    if pending:
        rt.pipeline.begin_calls("shipstation", "createorders",
                                [(ledger[key], r.order_pk) for r, _, key in pending])
        by_key = rt.shipstation.create_orders(  # upserts by orderKey: safe to repeat
            [routing.shipstation_body(r, p) for r, p, _ in pending]).by_order_key()
        for _, _, key in pending:
            res = by_key.get(key)
            results[key] = (res is not None and res.success,
                            (res.error_message if res else None) or "no result for this order",
                            res.order_id if res else None)
    outcomes, extra, part_updates = [], [], []
    for r in routed:
        keyed = r.keyed_parts
        ids = {key: results[key][2] for _, key in keyed}
        part_updates += [(key, {"shipstation_order_id": i}) for key, i in ids.items() if i]
        # The first part's ledger entry closes with the order's outcome, the others here.
        extra += [Outcome(r.order_pk, results[key][0], f"ShipStation order part {key}",
                          ledger[key], {"orderId": ids[key]}) for _, key in keyed[1:]]
        failed = [key for _, key in keyed if not results[key][0]]
        first = ledger[keyed[0][1]]
        if failed:
            outcomes.append(Outcome(r.order_pk, False, "ShipStation refused the order: "
                                    + "; ".join(results[key][1] for key in failed), first))
            continue
        message = "Sent to ShipStation as " + ", ".join(
            f"order {ids[key]}" + (" (on hold)" if p.status is PartStatus.ON_HOLD else "")
            for p, key in keyed)
        outcomes.append(Outcome(r.order_pk, True, message, first, {"orderId": ids[keyed[0][1]]},
                                {"orderIds": ids}, state=r.state_after_push))
    rt.lifecycle.set_parts(part_updates)
    rt.pipeline.finish(outcomes, state_ok=OrderState.IN_SHIPSTATION, kind="in_shipstation")
    rt.pipeline.close_calls(extra)
    return sum(1 for o in outcomes if o.ok)


@durable.step("batch_failed")
def batch_failed(order_pks: list[int], error: str) -> None:
    current().pipeline.finish([Outcome(pk, False, f"ShipStation createorders failed: {error}")
                               for pk in order_pks], state_ok=None, kind="in_shipstation")


@durable.workflow("push_orders")
def push_orders(order_pks: list[int]) -> int:
    batch = load_batch(order_pks)
    shippable = [(pk, o) for pk, o in batch if o.shippable_items]
    unshippable = [pk for pk, o in batch if not o.shippable_items]
    if unshippable:
        skip_unshippable(unshippable)
    if not shippable:
        return 0
    routed = with_durable_retries(route_batch, shippable)
    try:
        pushed = with_durable_retries(push_batch, routed)
    except ProviderError as exc:
        batch_failed([r.order_pk for r in routed], f"{type(exc).__name__}: {exc}")
        return 0
    lifecycle_flows.after_push(routed)
    if labels.api_mode(current()):
        ship_labels(labels.buy_labels([key for r in routed for p, key in r.keyed_parts
                                       if p.status is PartStatus.AWAITING_SHIPMENT]))
    return pushed


# -- handle_ship_notify ------------------------------------------------------------------------
@dataclass(frozen=True)
class Label:
    """A label printed for one of shipflow's orders, and what Shopify must be told about it."""

    order_pk: int
    order: Order
    shipment: Shipment
    lines: tuple[PartLine, ...] | None  # fulfil only these (one part of a split order)
    replaces: str | None = None  # the shipment id of a voided label (a relabel)
    fulfillment_id: str | None = None  # the relabelled shipment's Shopify fulfillment

    @property
    def tracking(self) -> TrackingInfo:
        return tracking_info(self.shipment.carrier_code, self.shipment.tracking_number)


@durable.step("fetch_shipments")
def fetch_shipments(resource_url: str) -> list[Shipment]:
    return current().shipstation.fetch_resource(resource_url)


@durable.step("record_labels")
def record_labels(shipments: list[Shipment]) -> list[Label]:
    rt = current()
    pks = rt.pipeline.order_pks_by_shopify_id(
        s.shopify_order_id for s in shipments if s.shopify_order_id is not None)
    known = [(pks[s.shopify_order_id], s) for s in shipments
             if s.shopify_order_id is not None and s.shopify_order_id in pks]
    if len(known) < len(shipments):
        log.warning("%d shipments are for orders shipflow did not push; ignored",
                    len(shipments) - len(known))
    # A new label for a part that already has a live one replaces it (void + relabel).
    replaced = {}
    live = rt.lifecycle.live_shipments_of(s.order_key for _, s in known)
    for _, s in known:
        for old in live[s.order_key]:
            if old.shipment.shipment_id != s.shipment_id and \
                    old.shipment.tracking_number != s.tracking_number:
                replaced[s.shipment_id] = old
    rt.pipeline.record_labels([(pk, s, tracking_info(s.carrier_code, s.tracking_number))
                               for pk, s in known])
    rt.lifecycle.set_parts([(s.order_key, {"status": PartStatus.SHIPPED.value})
                            for _, s in known])
    orders = {so.pk: so.order for so in rt.pipeline.load_orders([pk for pk, _ in known])}
    parts = rt.lifecycle.parts_of(orders)
    labels = []
    for pk, s in known:
        split = len(parts.get(pk, [])) > 1
        part = next((p for p in parts.get(pk, []) if p.order_key == s.order_key), None)
        lines = (tuple(PartLine(int(i["line_item_id"]), i.get("sku"), int(i["quantity"]))
                       for i in part.items) if split and part else None)
        old = replaced.get(s.shipment_id)
        labels.append(Label(pk, orders[pk], s, lines,
                            old.shipment.shipment_id if old else None,
                            old.fulfillment_id if old else None))
    return labels


def _fulfil_one(label: Label, attempt: int) -> dict[str, Any]:
    rt = current()
    order, tracking = label.order, label.tracking
    if label.fulfillment_id:  # a relabel: the fulfillment exists, its tracking changes
        rt.shopify.update_tracking(label.fulfillment_id, tracking, notify_customer=False)
        return {"fulfillment_id": label.fulfillment_id, "relabel_of": label.replaces}
    if attempt > 1:  # a crash may have left a fulfillment behind: never create a second
        for existing in rt.shopify.order_fulfillments(order.gid):
            if tracking.number in existing.tracking_numbers:
                return {"fulfillment_id": existing.id, "found_existing": True}
    if label.lines is None:
        open_orders = rt.shopify.fulfillable_order_ids(order.gid)
        if not open_orders:
            raise RejectedRequest(f"{order.gid} has no open fulfillment order to fulfil")
        created = rt.shopify.create_fulfillment(open_orders, tracking, notify_customer=False)
        return {"fulfillment_id": created.id}
    wanted = {line.line_item_id: line.quantity for line in label.lines}
    by_fo: dict[str, list[LineItemQuantity]] = {}
    for fo in rt.shopify.fulfillment_orders(order.gid):
        if not fo.can_fulfill:
            continue
        for item in fo.line_items:
            qty = min(item.remaining_quantity, wanted.get(item.shopify_line_item_id or -1, 0))
            if qty > 0:
                by_fo.setdefault(fo.id, []).append(LineItemQuantity(item.id, qty))
                wanted[item.shopify_line_item_id or -1] -= qty
    if not by_fo:
        raise RejectedRequest(f"{order.gid} has no open fulfillment order line for this parcel")
    created = rt.shopify.create_fulfillment(list(by_fo), tracking, line_items=by_fo,
                                            notify_customer=False)
    return {"fulfillment_id": created.id}


@durable.step("fulfil_in_shopify")
def fulfil_in_shopify(labels: list[Label]) -> list[str]:
    """Create each label's Shopify fulfillment once (a relabel updates the tracking of the one it
    replaces); returns the shipment ids now fulfilled."""
    rt = current()
    key_of = {lb.shipment.shipment_id: f"shopify:fulfillmentCreate:{lb.shipment.shipment_id}"
              for lb in labels}
    done = rt.pipeline.done_keys(key_of.values())
    pending = [lb for lb in labels if key_of[lb.shipment.shipment_id] not in done]
    attempts = rt.pipeline.begin_calls("shopify", "fulfillmentCreate",
                                       [(key_of[lb.shipment.shipment_id], lb.order_pk)
                                        for lb in pending])

    def one(label: Label) -> Outcome:
        shipment = label.shipment
        key = key_of[shipment.shipment_id]
        try:
            result = _fulfil_one(label, attempts.get(key, 1))
        except (TransientError, RateLimited):
            raise  # the whole step is retried durably; finished ones are skipped then
        except ProviderError as exc:
            return Outcome(label.order_pk, False, f"Shopify fulfillmentCreate failed: {exc}", key)
        what = ("Shopify tracking updated (relabel) to" if label.fulfillment_id
                else "Shopify fulfilled with tracking")
        return Outcome(label.order_pk, True,
                       f"{what} {shipment.carrier_code} {shipment.tracking_number}", key,
                       result, {**result, "shipment_id": shipment.shipment_id})

    with ThreadPoolExecutor(SHOPIFY_PARALLEL) as pool:
        futures = [pool.submit(one, item) for item in pending]
        outcomes, first_error = [], None
        for future in futures:
            try:
                outcomes.append(future.result())
            except (TransientError, RateLimited) as exc:
                first_error = first_error or exc
    rt.pipeline.finish(outcomes, state_ok=None, kind="fulfilled")
    results = {key: result for key, result in done.items()}
    results.update({o.ledger_key: o.result or {} for o in outcomes if o.ok and o.ledger_key})
    rt.pipeline.set_fulfilled([(lb.shipment.shipment_id,
                                str(results[key_of[lb.shipment.shipment_id]]["fulfillment_id"]))
                               for lb in labels if key_of[lb.shipment.shipment_id] in results])
    for lb in labels:
        if lb.replaces and key_of[lb.shipment.shipment_id] in results:
            rt.lifecycle.void_shipment(lb.replaces)
    if first_error is not None:
        raise first_error
    return [lb.shipment.shipment_id for lb in labels if key_of[lb.shipment.shipment_id] in results]


@durable.step("shipped_states")
def shipped_states(order_pks: list[int]) -> None:
    current().lifecycle.refresh_ship_states(order_pks)


@durable.workflow("handle_ship_notify")
def handle_ship_notify(resource_url: str) -> int:
    shipments = with_durable_retries(fetch_shipments, resource_url)
    return ship_labels([s for s in shipments if not s.voided and s.shopify_order_id is not None])


def ship_labels(shipments: list[Shipment]) -> int:
    """Inside a workflow: printed (warehouse) or bought (api) labels to Shopify fulfillments and
    `Order Shipped`; returns how many customers were told."""
    if not shipments:
        return 0
    labels = record_labels(shipments)
    try:
        fulfilled = set(with_durable_retries(fulfil_in_shopify, labels))
    except ProviderError as exc:
        lifecycle_flows.note_failure([lb.order_pk for lb in labels], "Shopify fulfillmentCreate",
                                     str(exc))
        return 0
    to_tell = [lb for lb in labels if lb.shipment.shipment_id in fulfilled]
    if not to_tell:
        return 0
    now = current().clock()
    told = lifecycle_flows.tell([(lb.order_pk, messages.order_shipped(
        lb.order, lb.shipment, lb.tracking, now)) for lb in to_tell])
    shipped_states(sorted({lb.order_pk for lb in to_tell}))
    return told


# -- track_parcel ------------------------------------------------------------------------------
@durable.step("apply_tracking")
def apply_tracking(update: TrackingUpdate) -> TrackingApplied | None:
    return current().store.apply_tracking(update)


@durable.workflow("track_parcel")
def track_parcel(update: TrackingUpdate) -> str:
    applied = apply_tracking(update)
    if applied is None:
        log.info("tracking update for a parcel shipflow did not ship; ignored")
        return "unknown_parcel"
    lifecycle_flows.tell_milestones(list(applied.events), applied.shipment_id)
    milestone = applied.progress.milestone
    return milestone.value if milestone is not None else "no_milestone"
