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
from typing import Any, Callable, TypeVar

from shipflow.domain import keys, messages
from shipflow.domain.order import Order, OrderState
from shipflow.domain.shipment import Shipment
from shipflow.domain.tracking import tracking_info
from shipflow.domain.tracking_events import TrackingUpdate
from shipflow.engine import durable
from shipflow.engine.runtime import current
from shipflow.providers.errors import ProviderError, RateLimited, RejectedRequest, TransientError
from shipflow.providers.shipstation.mapping import order_request
from shipflow.store.pipeline import Outcome
from shipflow.store.repository import TrackingApplied

log = logging.getLogger("shipflow.engine")
T = TypeVar("T")

# Provider clients already retry quickly inside one step; these are the slow, durable retries
# across a longer outage (sleeps survive restarts).
DURABLE_RETRY_DELAYS = (5.0, 30.0, 120.0, 600.0, 1800.0)
SHOPIFY_PARALLEL = 4  # fulfillments in flight per batch; the cost bucket paces them


def _with_durable_retries(step_fn: Callable[..., T], *args: Any) -> T:
    for delay in (*DURABLE_RETRY_DELAYS, None):
        try:
            return step_fn(*args)
        except (TransientError, RateLimited) as exc:
            if delay is None:
                raise
            wait = max(delay, getattr(exc, "retry_after", 0.0) or 0.0)
            log.warning("%s failed transiently (%s); retrying in %.0fs", step_fn.__name__,
                        type(exc).__name__, wait)
            durable.sleep(wait)
    raise AssertionError("unreachable")


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


@durable.step("push_batch")
def push_batch(batch: list[tuple[int, Order]]) -> int:
    """One bulk createorders for the orders whose push has not finished yet."""
    rt = current()
    key_of = {pk: f"shipstation:createorder:{keys.shipstation_order_key(o.shopify_order_id)}"
              for pk, o in batch}
    done = rt.pipeline.done_keys(key_of.values())
    pending = [(pk, o) for pk, o in batch if key_of[pk] not in done]
    if not pending:
        return 0
    rt.pipeline.begin_calls("shipstation", "createorders", [(key_of[pk], pk) for pk, _ in pending])
    bodies = [order_request(o, order_key=keys.shipstation_order_key(o.shopify_order_id))
              for _, o in pending]
    result = rt.shipstation.create_orders(bodies)  # upserts by orderKey: safe to repeat
    by_key = result.by_order_key()
    outcomes = []
    for pk, order in pending:
        r = by_key.get(keys.shipstation_order_key(order.shopify_order_id))
        if r is not None and r.success:
            outcomes.append(Outcome(pk, True, f"Sent to ShipStation as order {r.order_id}",
                                    key_of[pk], {"orderId": r.order_id}, {"orderId": r.order_id}))
        else:
            reason = (r.error_message if r else None) or "no result for this order"
            outcomes.append(Outcome(pk, False, f"ShipStation refused the order: {reason}",
                                    key_of[pk]))
    rt.pipeline.finish(outcomes, state_ok=OrderState.IN_SHIPSTATION, kind="in_shipstation")
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
    try:
        return _with_durable_retries(push_batch, shippable)
    except ProviderError as exc:
        batch_failed([pk for pk, _ in shippable], f"{type(exc).__name__}: {exc}")
        return 0


# -- handle_ship_notify ------------------------------------------------------------------------
@durable.step("fetch_shipments")
def fetch_shipments(resource_url: str) -> list[Shipment]:
    return current().shipstation.fetch_resource(resource_url)


@durable.step("record_labels")
def record_labels(shipments: list[Shipment]) -> list[tuple[int, Order, Shipment]]:
    rt = current()
    pks = rt.pipeline.order_pks_by_shopify_id(
        s.shopify_order_id for s in shipments if s.shopify_order_id is not None)
    known = [(pks[s.shopify_order_id], s) for s in shipments
             if s.shopify_order_id is not None and s.shopify_order_id in pks]
    if len(known) < len(shipments):
        log.warning("%d shipments are for orders shipflow did not push; ignored",
                    len(shipments) - len(known))
    rt.pipeline.record_labels([(pk, s, tracking_info(s.carrier_code, s.tracking_number))
                               for pk, s in known])
    orders = {so.pk: so.order for so in rt.pipeline.load_orders([pk for pk, _ in known])}
    return [(pk, orders[pk], s) for pk, s in known]


def _fulfil_one(order: Order, shipment: Shipment, attempt: int) -> dict[str, Any]:
    rt = current()
    tracking = tracking_info(shipment.carrier_code, shipment.tracking_number)
    if attempt > 1:  # a crash may have left a fulfillment behind: never create a second
        for existing in rt.shopify.order_fulfillments(order.gid):
            if tracking.number in existing.tracking_numbers:
                return {"fulfillment_id": existing.id, "found_existing": True}
    open_orders = rt.shopify.fulfillable_order_ids(order.gid)
    if not open_orders:
        raise RejectedRequest(f"{order.gid} has no open fulfillment order to fulfil")
    created = rt.shopify.create_fulfillment(open_orders, tracking, notify_customer=False)
    return {"fulfillment_id": created.id}


@durable.step("fulfil_in_shopify")
def fulfil_in_shopify(labels: list[tuple[int, Order, Shipment]]) -> list[int]:
    """Create each label's Shopify fulfillment once; returns the orders now fulfilled."""
    rt = current()
    key_of = {s.shipment_id: f"shopify:fulfillmentCreate:{s.shipment_id}" for _, _, s in labels}
    done = rt.pipeline.done_keys(key_of.values())
    pending = [(pk, o, s) for pk, o, s in labels if key_of[s.shipment_id] not in done]
    attempts = rt.pipeline.begin_calls("shopify", "fulfillmentCreate",
                                       [(key_of[s.shipment_id], pk) for pk, _, s in pending])

    def one(item: tuple[int, Order, Shipment]) -> Outcome:
        pk, order, shipment = item
        key = key_of[shipment.shipment_id]
        try:
            result = _fulfil_one(order, shipment, attempts.get(key, 1))
        except (TransientError, RateLimited):
            raise  # the whole step is retried durably; finished ones are skipped then
        except ProviderError as exc:
            return Outcome(pk, False, f"Shopify fulfillmentCreate failed: {exc}", key)
        return Outcome(pk, True, "Shopify fulfilled with tracking "
                                 f"{shipment.carrier_code} {shipment.tracking_number}", key,
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
    rt.pipeline.set_fulfilled([(s.shipment_id, str(results[key_of[s.shipment_id]]["fulfillment_id"]))
                               for _, _, s in labels if key_of[s.shipment_id] in results])
    if first_error is not None:
        raise first_error
    return [pk for pk, _, s in labels if key_of[s.shipment_id] in results]


@durable.step("tell_customers_shipped")
def tell_customers_shipped(labels: list[tuple[int, Order, Shipment]]) -> int:
    """`Order Shipped` for each label, in as few Klaviyo bulk jobs as the limits allow."""
    rt = current()
    now = rt.clock()
    events = [(pk, messages.order_shipped(o, s, tracking_info(s.carrier_code, s.tracking_number),
                                          now)) for pk, o, s in labels]
    key_of = {e.unique_id: f"klaviyo:event:{e.unique_id}" for _, e in events}
    done = rt.pipeline.done_keys(key_of.values())
    pending = [(pk, e) for pk, e in events if key_of[e.unique_id] not in done]
    if pending:
        rt.pipeline.begin_calls("klaviyo", "event:Order Shipped",
                                [(key_of[e.unique_id], pk) for pk, e in pending])
        rt.klaviyo.create_events_bulk([e for _, e in pending])  # unique_id: safe to repeat
    rt.pipeline.finish(
        [Outcome(pk, True, f"Customer told: {e.milestone.value}", key_of[e.unique_id],
                 {"unique_id": e.unique_id}, {"unique_id": e.unique_id}) for pk, e in pending],
        state_ok=OrderState.SHIPPED, kind="shipped")
    return len(pending)


@durable.step("labels_failed")
def labels_failed(order_pks: list[int], what: str, error: str) -> None:
    current().pipeline.finish([Outcome(pk, False, f"{what} failed: {error}") for pk in order_pks],
                              state_ok=None, kind=what)


@durable.workflow("handle_ship_notify")
def handle_ship_notify(resource_url: str) -> int:
    shipments = _with_durable_retries(fetch_shipments, resource_url)
    ours = [s for s in shipments if not s.voided and s.shopify_order_id is not None]
    if not ours:
        return 0
    labels = record_labels(ours)
    try:
        fulfilled = set(_with_durable_retries(fulfil_in_shopify, labels))
    except ProviderError as exc:
        labels_failed([pk for pk, _, _ in labels], "Shopify fulfillmentCreate", str(exc))
        return 0
    to_tell = [label for label in labels if label[0] in fulfilled]
    if not to_tell:
        return 0
    try:
        return _with_durable_retries(tell_customers_shipped, to_tell)
    except ProviderError as exc:
        labels_failed([pk for pk, _, _ in to_tell], "Klaviyo Order Shipped", str(exc))
        return 0


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
    milestone = applied.progress.milestone
    return milestone.value if milestone is not None else "no_milestone"
