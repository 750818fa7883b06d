"""The lifecycle as durable workflows: each step is checkpointed, so a restarted worker resumes
where the dead one stopped, and each outbound call is keyed so a re-run step cannot repeat it.

- `fulfil_order` (one per Shopify order, id `order:<shop>:<order id>`): load the paid order,
  push it to ShipStation (orderKey = Shopify order id, an upsert) and wait for a label.
- `handle_ship_notify` (one per SHIP_NOTIFY resource_url): fetch the shipments it points at and
  start one `ship_parcel` per shipment.
- `ship_parcel` (one per ShipStation shipment, id `shipment:<shipmentId>`): record the label,
  fulfil the Shopify fulfillment orders with tracking, send `Order Shipped` to Klaviyo.
- `track_parcel` (one per distinct carrier update): move the shipment forward (never back) and
  record what was new on the order's timeline.

Waiting for a label is not a blocked workflow: warehouse labels take hours or days, and a
flash sale would otherwise hold thousands of workflows open. The label's own webhook starts
the next workflow instead.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, TypeVar

from shipflow.domain import keys, messages
from shipflow.domain.order import OrderState
from shipflow.domain.shipment import Shipment
from shipflow.domain.tracking_events import TrackingUpdate
from shipflow.domain.tracking import tracking_info
from shipflow.engine import durable
from shipflow.engine.runtime import current
from shipflow.providers.errors import ProviderError, RateLimited, RejectedRequest, TransientError
from shipflow.providers.shipstation.mapping import order_request
from shipflow.store.repository import TrackingApplied

log = logging.getLogger("shipflow.engine")
T = TypeVar("T")

# Provider clients already retry quickly inside one step; these are the slow, durable retries
# across a longer outage (sleeps survive restarts).
DURABLE_RETRY_DELAYS = (5.0, 30.0, 120.0, 600.0, 1800.0)


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


def _call_once(key: str, provider: str, operation: str, order_pk: int | None,
               send: Callable[[int], dict[str, Any]]) -> dict[str, Any]:
    """Send an outbound call at most once per key, as far as the store can tell.

    `send` receives the attempt number: on attempt > 1 the previous try may have reached the
    provider before the crash, so it must look before it writes (or rely on a provider key).
    """
    store = current().store
    done = store.ledger_result(key)
    if done is not None:
        return done
    attempt = store.ledger_begin(key, provider, operation, order_pk)
    try:
        result = send(attempt)
    except ProviderError as exc:
        store.ledger_finish(key, error=f"{type(exc).__name__}: {exc}")
        raise
    store.ledger_finish(key, result=result)
    return result


# -- fulfil_order ------------------------------------------------------------------------------
@durable.step("load_paid_order")
def load_paid_order(shop_domain: str, shopify_order_id: int) -> tuple[int, Any] | None:
    stored = current().store.load_order(shop_domain, shopify_order_id)
    if stored is None or not stored.order.is_paid:
        return None
    return stored.pk, stored.order


@durable.step("push_to_shipstation")
def push_to_shipstation(order_pk: int, order: Any) -> dict[str, Any]:
    rt = current()
    order_key = keys.shipstation_order_key(order.shopify_order_id)
    body = order_request(order, order_key=order_key)

    def send(_attempt: int) -> dict[str, Any]:
        created = rt.shipstation.create_order(body)  # an upsert by orderKey: safe to repeat
        return {"orderId": created.get("orderId"), "orderKey": created.get("orderKey")}

    result = _call_once(f"shipstation:createorder:{order_key}", "shipstation", "createorder",
                        order_pk, send)
    rt.store.set_order_state(
        order_pk, OrderState.IN_SHIPSTATION,
        f"Sent to ShipStation as order {result.get('orderId')}", result,
        dedupe_key=f"in_shipstation:{order_key}",
    )
    return result


@durable.step("mark_nothing_to_ship")
def mark_nothing_to_ship(order_pk: int) -> None:
    current().store.set_order_state(order_pk, OrderState.NOTHING_TO_SHIP,
                                    "No line needs shipping; nothing sent to ShipStation",
                                    dedupe_key=f"nothing_to_ship:{order_pk}")


@durable.step("mark_needs_attention")
def mark_needs_attention(order_pk: int, what: str, error: str) -> None:
    current().store.set_order_state(order_pk, OrderState.NEEDS_ATTENTION, f"{what} failed: {error}",
                                    {"error": error}, dedupe_key=f"attention:{order_pk}:{what}")


@durable.workflow("fulfil_order")
def fulfil_order(shop_domain: str, shopify_order_id: int) -> str:
    loaded = load_paid_order(shop_domain, shopify_order_id)
    if loaded is None:
        return "not_paid"
    order_pk, order = loaded
    if not order.shippable_items:
        mark_nothing_to_ship(order_pk)
        return "nothing_to_ship"
    try:
        _with_durable_retries(push_to_shipstation, order_pk, order)
    except ProviderError as exc:
        mark_needs_attention(order_pk, "ShipStation createorder", str(exc))
        return "needs_attention"
    return "in_shipstation"


# -- handle_ship_notify ------------------------------------------------------------------------
@durable.step("fetch_shipments")
def fetch_shipments(resource_url: str) -> list[Shipment]:
    return current().shipstation.fetch_resource(resource_url)


@durable.workflow("handle_ship_notify")
def handle_ship_notify(resource_url: str) -> int:
    shipments = _with_durable_retries(fetch_shipments, resource_url)
    ours = [s for s in shipments if not s.voided and s.shopify_order_id is not None]
    for shipment in ours:  # enqueued from the workflow: each start is checkpointed once
        durable.enqueue(durable.SHIPMENTS_QUEUE, keys.shipment_workflow_id(shipment.shipment_id),
                        ship_parcel, shipment)
    return len(ours)


# -- ship_parcel -------------------------------------------------------------------------------
@durable.step("record_label")
def record_label(shipment: Shipment) -> tuple[int, Any] | None:
    rt = current()
    order_id = shipment.shopify_order_id
    order_pk = rt.store.find_order_pk(order_id) if order_id is not None else None
    if order_pk is None:
        log.warning("shipment %s is for an order shipflow does not know", shipment.shipment_id)
        return None
    tracking = tracking_info(shipment.carrier_code, shipment.tracking_number)
    rt.store.record_shipment(order_pk, shipment, tracking)
    stored = rt.store.load_order_by_pk(order_pk)
    return order_pk, stored.order


@durable.step("fulfil_in_shopify")
def fulfil_in_shopify(order_pk: int, order: Any, shipment: Shipment) -> str:
    rt = current()
    tracking = tracking_info(shipment.carrier_code, shipment.tracking_number)

    def send(attempt: int) -> dict[str, Any]:
        if attempt > 1:  # a crash may have left a fulfillment behind: never create a second
            for existing in rt.shopify.order_fulfillments(order.gid):
                if tracking.number in existing.tracking_numbers:
                    return {"fulfillment_id": existing.id, "found_existing": True}
        open_orders = [fo.id for fo in rt.shopify.fulfillment_orders(order.gid) if fo.can_fulfill]
        if not open_orders:
            raise RejectedRequest(f"{order.gid} has no open fulfillment order to fulfil")
        created = rt.shopify.create_fulfillment(open_orders, tracking, notify_customer=False)
        return {"fulfillment_id": created.id}

    result = _call_once(f"shopify:fulfillmentCreate:{shipment.shipment_id}", "shopify",
                        "fulfillmentCreate", order_pk, send)
    fulfillment_id = str(result["fulfillment_id"])
    rt.store.set_shipment_state(shipment.shipment_id, "fulfilled",
                                shopify_fulfillment_id=fulfillment_id)
    rt.store.note(order_pk, "fulfilled", f"Shopify fulfilled with {tracking.company} tracking",
                  {"fulfillment_id": fulfillment_id, "tracking_number": tracking.number},
                  dedupe_key=f"fulfilled:{shipment.shipment_id}")
    return fulfillment_id


@durable.step("tell_customer_shipped")
def tell_customer_shipped(order_pk: int, order: Any, shipment: Shipment) -> str:
    rt = current()
    tracking = tracking_info(shipment.carrier_code, shipment.tracking_number)
    event = messages.order_shipped(order, shipment, tracking, rt.clock())

    def send(_attempt: int) -> dict[str, Any]:
        rt.klaviyo.create_event(event)  # Klaviyo drops a repeated unique_id: safe to repeat
        return {"unique_id": event.unique_id}

    _call_once(f"klaviyo:event:{event.unique_id}", "klaviyo", "event:Order Shipped", order_pk, send)
    rt.store.set_order_state(order_pk, OrderState.SHIPPED,
                             f"Customer told: {event.milestone.value}",
                             {"unique_id": event.unique_id},
                             dedupe_key=f"shipped:{shipment.shipment_id}")
    return event.unique_id


@durable.workflow("ship_parcel")
def ship_parcel(shipment: Shipment) -> str:
    recorded = record_label(shipment)
    if recorded is None:
        return "unknown_order"
    order_pk, order = recorded
    try:
        _with_durable_retries(fulfil_in_shopify, order_pk, order, shipment)
    except ProviderError as exc:
        mark_needs_attention(order_pk, "Shopify fulfillmentCreate", str(exc))
        return "needs_attention"
    try:
        _with_durable_retries(tell_customer_shipped, order_pk, order, shipment)
    except ProviderError as exc:
        mark_needs_attention(order_pk, "Klaviyo Order Shipped", str(exc))
        return "needs_attention"
    return "shipped"


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
