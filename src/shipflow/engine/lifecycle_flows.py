"""The lifecycle around the happy path, as durable workflows and steps:

- after a push: holds and tags on Shopify's side, `Backorder Delayed` for short orders;
- `release_hold` (address review released from the API): both sides released together;
- `restock` (`inventory_levels/update`): paused parts resumed oldest first, `Back In Stock`;
- `stop_order` (cancelled or refunded in Shopify): ShipStation orders cancelled, timers cancelled;
- carrier milestones to Klaviyo (`Shipment Out For Delivery`, `Order Delivered`, `Delivery
  Exception`), delays found by the sweeper (`Shipment Delayed`), and timers (`Review Request
  Due`, `Reorder Reminder Due`) planned at delivery.

Every Klaviyo event goes through `send_events`: keyed in the outbound ledger by its `unique_id`
(which Klaviyo also dedupes on), so no customer is told the same thing twice.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Sequence

from shipflow.domain import messages
from shipflow.domain.delays import DelayNotice
from shipflow.domain.fulfilment import PartStatus, backordered_units
from shipflow.domain.milestone import MilestoneEvent
from shipflow.domain.order import Order, OrderState
from shipflow.domain.parcel import ExceptionRaised, MilestoneReached
from shipflow.domain.routing import Hold, HoldReason
from shipflow.domain.shipment import TrackingInfo
from shipflow.domain.timers import TimerKind, plan_after_delivery
from shipflow.domain.tracking import tracking_info
from shipflow.domain.tracking_events import ExceptionType, TrackingMilestone
from shipflow.engine import durable, labels
from shipflow.engine.retries import with_durable_retries
from shipflow.engine.routing import Routed
from shipflow.engine.runtime import current
from shipflow.providers.errors import ProviderError, RateLimited, TransientError
from shipflow.providers.shopify.models import HoldReason as ShopifyHoldReason
from shipflow.store.lifecycle import StoredShipment
from shipflow.store.pipeline import Outcome
from shipflow.store.repository import EVENT_OPERATION

log = logging.getLogger("shipflow.engine")

SHOPIFY_HOLD_REASONS = {
    HoldReason.ADDRESS_REVIEW: ShopifyHoldReason.INCORRECT_ADDRESS,
    HoldReason.BACKORDER: ShopifyHoldReason.INVENTORY_OUT_OF_STOCK,
    HoldReason.REVIEW: ShopifyHoldReason.OTHER,
}
HOLD_HANDLE = "shipflow"  # our holds' handle: released by id, never other apps' holds


# -- Klaviyo, once per unique_id ---------------------------------------------------------------
@durable.step("send_events")
def send_events(items: list[tuple[int, MilestoneEvent]]) -> int:
    rt = current()
    key_of = {e.unique_id: f"klaviyo:event:{e.unique_id}" for _, e in items}
    done = rt.pipeline.done_keys(key_of.values())
    pending, seen = [], set()
    for pk, e in items:
        if key_of[e.unique_id] not in done and e.unique_id not in seen:
            seen.add(e.unique_id)
            pending.append((pk, e))
    if not pending:
        return 0
    for metric in sorted({e.milestone.value for _, e in pending}):  # counted by metric
        rt.pipeline.begin_calls("klaviyo", f"{EVENT_OPERATION}{metric}",
                                [(key_of[e.unique_id], pk) for pk, e in pending
                                 if e.milestone.value == metric])
    rt.klaviyo.create_events_bulk([e for _, e in pending])  # unique_id: safe to repeat
    rt.pipeline.finish(
        [Outcome(pk, True, f"Customer told: {e.milestone.value}", key_of[e.unique_id],
                 {"unique_id": e.unique_id},
                 {"unique_id": e.unique_id, "metric": e.milestone.value})
         for pk, e in pending], state_ok=None, kind="told")
    return len(pending)


def tell(items: list[tuple[int, MilestoneEvent]]) -> int:
    if not items:
        return 0
    try:
        return int(with_durable_retries(send_events, items))
    except ProviderError as exc:
        note_failure([pk for pk, _ in items], "Klaviyo event", str(exc))
        return 0


@durable.step("note_failure")
def note_failure(order_pks: list[int], what: str, error: str) -> None:
    current().pipeline.finish([Outcome(pk, False, f"{what} failed: {error}") for pk in order_pks],
                              state_ok=None, kind=what)


# -- after a push ------------------------------------------------------------------------------
def _hold_in_shopify(order: Order, hold: Hold) -> dict[str, Any]:
    rt = current()
    held = []
    for fo in rt.shopify.fulfillment_orders(order.gid):
        if any(h.handle == HOLD_HANDLE for h in fo.holds):
            held.append(fo.id)  # a retried step: already held by us
        elif fo.status in ("OPEN", "SCHEDULED"):
            rt.shopify.hold_fulfillment_order(fo.id, SHOPIFY_HOLD_REASONS[hold.reason],
                                              reason_notes=hold.note, handle=HOLD_HANDLE)
            held.append(fo.id)
    return {"fulfillment_orders": held}


@durable.step("apply_in_shopify")
def apply_in_shopify(routed: list[Routed]) -> None:
    """Holds (with reason) and tags on Shopify's side, for the orders whose rules asked."""
    rt = current()
    work = [(r, "hold") for r in routed if r.fulfilment.shopify_hold is not None]
    work += [(r, "tags") for r in routed if r.plan.tags]
    key_of = {(r.order_pk, what): f"shopify:{what}:{r.order.shopify_order_id}" for r, what in work}
    done = rt.pipeline.done_keys(key_of.values())
    pending = [(r, what) for r, what in work if key_of[(r.order_pk, what)] not in done]
    if not pending:
        return
    rt.pipeline.begin_calls("shopify", "holds-and-tags",
                            [(key_of[(r.order_pk, w)], r.order_pk) for r, w in pending])

    def one(item: tuple[Routed, str]) -> Outcome:
        r, what = item
        key = key_of[(r.order_pk, what)]
        try:
            if what == "hold":
                hold = r.fulfilment.shopify_hold
                assert hold is not None
                result = _hold_in_shopify(r.order, hold)
                return Outcome(r.order_pk, True, f"Held in Shopify ({hold.reason.value}): "
                               f"{hold.note}", key, result, result)
            rt.shopify.add_tags(r.order.gid, list(r.plan.tags))
            return Outcome(r.order_pk, True, "Tagged in Shopify: " + ", ".join(r.plan.tags), key,
                           {"tags": list(r.plan.tags)})
        except (TransientError, RateLimited):
            raise
        except ProviderError as exc:
            return Outcome(r.order_pk, False, f"Shopify {what} failed: {exc}", key)

    outcomes, first_error = _in_parallel(one, pending)
    rt.pipeline.finish(outcomes, state_ok=None, kind="shopify-side",
                       state_failed=OrderState.NEEDS_ATTENTION)
    if first_error is not None:
        raise first_error


def _in_parallel(fn: Callable[[Any], Outcome], items: Sequence[Any]
                 ) -> tuple[list[Outcome], Exception | None]:
    outcomes: list[Outcome] = []
    first_error: Exception | None = None
    with ThreadPoolExecutor(4) as pool:
        for future in [pool.submit(fn, item) for item in items]:
            try:
                outcomes.append(future.result())
            except (TransientError, RateLimited) as exc:
                first_error = first_error or exc
    return outcomes, first_error


@durable.step("pushed_ok")
def pushed_ok(order_pks: list[int]) -> list[int]:
    """The orders of a batch that ShipStation took (a refused one needs a person instead)."""
    refused = (OrderState.NEEDS_ATTENTION, OrderState.QUEUED)
    return [s.pk for s in current().pipeline.load_orders(order_pks) if s.state not in refused]


def after_push(routed: list[Routed]) -> None:
    """Called by `push_orders` once the batch is in ShipStation."""
    ok = set(pushed_ok([r.order_pk for r in routed]))
    routed = [r for r in routed if r.order_pk in ok]
    if any(r.fulfilment.shopify_hold is not None or r.plan.tags for r in routed):
        try:
            with_durable_retries(apply_in_shopify, routed)
        except ProviderError as exc:
            note_failure([r.order_pk for r in routed if r.fulfilment.shopify_hold or r.plan.tags],
                         "Shopify hold/tags", str(exc))
    now = current().clock()
    tell([(r.order_pk, messages.backorder_delayed(r.order, list(r.fulfilment.backordered), None,
                                                   now))
          for r in routed if r.fulfilment.backordered])


# -- release (address review done) -------------------------------------------------------------
@durable.step("release_both_sides")
def release_both_sides(order_pk: int) -> str:
    rt = current()
    stored = rt.pipeline.load_orders([order_pk])[0]
    parts = rt.lifecycle.parts_of([order_pk])[order_pk]
    released = []
    for part in parts:
        if part.status is PartStatus.ON_HOLD and part.hold_reason != HoldReason.BACKORDER.value:
            if part.shipstation_order_id:
                rt.shipstation.restore_from_hold(part.shipstation_order_id)
            released.append(part.order_key)
    rt.lifecycle.set_parts([(k, {"status": PartStatus.AWAITING_SHIPMENT.value,
                                 "hold_reason": None}) for k in released])
    _release_in_shopify(stored.order)
    rt.lifecycle.set_states({order_pk: OrderState.IN_SHIPSTATION}, clear_hold=True)
    message = "Hold released on both sides: ShipStation " + (", ".join(released) or "-")
    rt.lifecycle.note(order_pk, "released", message, {"parts": released},
                      dedupe_key=f"released:{order_pk}")
    return message


def _release_in_shopify(order: Order) -> list[str]:
    rt = current()
    released = []
    for fo in rt.shopify.fulfillment_orders(order.gid):
        ours = [h.id for h in fo.holds if h.handle == HOLD_HANDLE]
        if ours:
            rt.shopify.release_hold(fo.id, ours)
            released.append(fo.id)
    return released


@durable.workflow("release_hold")
def release_hold(order_pk: int) -> str:
    message = str(with_durable_retries(release_both_sides, order_pk))
    _buy_if_api([order_pk])
    return message


def _buy_if_api(order_pks: list[int]) -> None:
    """In `api` label mode, parts that became ready to ship get their label bought now."""
    from shipflow.engine.workflows import ship_labels  # workflows imports this module
    rt = current()
    if not labels.api_mode(rt):
        return
    keys = [p.order_key for pk in order_pks for p in ready_parts(pk)]
    ship_labels(labels.buy_labels(keys))


@durable.step("ready_parts")
def ready_parts(order_pk: int) -> list[Any]:
    return [p for p in current().lifecycle.parts_of([order_pk])[order_pk]
            if p.status is PartStatus.AWAITING_SHIPMENT]


# -- restock -----------------------------------------------------------------------------------
@durable.step("resume_restocked")
def resume_restocked(inventory_item_id: int) -> list[tuple[int, list[str]]]:
    """Resume the parts the new stock covers, oldest order first; returns (order pk, SKUs)."""
    rt = current()
    _, sku = rt.shopify.inventory_item_skus([inventory_item_id]).get(inventory_item_id,
                                                                       (None, None))
    if not sku:
        return []
    waiting = rt.lifecycle.backordered_parts([sku])
    if not waiting:
        return []
    stock = rt.shopify.variant_stock(sku)
    deficit = {sku: -stock.available} if stock.tracked and stock.available < 0 else {}
    still_short = backordered_units(rt.lifecycle.waiting_lines([sku]), deficit) if deficit else {}
    resumed: list[tuple[int, list[str]]] = []
    for part in waiting:
        lines = [i for i in part.items if i.get("sku") == sku]
        if any(int(i["line_item_id"]) in still_short for i in lines):
            continue  # not covered yet; a later restock will reach it
        left = {k: v for k, v in part.backordered.items() if k != sku}
        values: dict[str, Any] = {"backordered": left or None}
        if not left and part.status is PartStatus.ON_HOLD \
                and part.hold_reason == HoldReason.BACKORDER.value:
            if part.shipstation_order_id:
                rt.shipstation.restore_from_hold(part.shipstation_order_id)
            values.update(status=PartStatus.AWAITING_SHIPMENT.value, hold_reason=None)
        rt.lifecycle.set_parts([(part.order_key, values)])
        if not left:
            found = rt.lifecycle.order_with_hold(part.order_pk)
            if found and found[1] == HoldReason.BACKORDER.value:
                _release_in_shopify(found[0].order)
                rt.lifecycle.set_states({part.order_pk: OrderState.IN_SHIPSTATION},
                                        clear_hold=True)
            rt.lifecycle.note(part.order_pk, "restocked",
                              f"Back in stock ({sku}); {part.order_key} resumed",
                              {"sku": sku, "order_key": part.order_key},
                              dedupe_key=f"restocked:{part.order_key}:{sku}")
            resumed.append((part.order_pk, [sku]))
    return resumed


@durable.workflow("restock")
def restock(inventory_item_id: int) -> int:
    resumed = with_durable_retries(resume_restocked, inventory_item_id)
    if not resumed:
        return 0
    rt = current()
    now = rt.clock()
    stored = {s.pk: s.order for s in rt.pipeline.load_orders([pk for pk, _ in resumed])}
    tell([(pk, messages.back_in_stock(stored[pk], skus, now)) for pk, skus in resumed])
    _buy_if_api(sorted({pk for pk, _ in resumed}))
    return len(resumed)


# -- cancellations -----------------------------------------------------------------------------
@durable.step("cancel_in_shipstation")
def cancel_in_shipstation(order_pk: int) -> list[str]:
    rt = current()
    cancelled = []
    for part in rt.lifecycle.parts_of([order_pk])[order_pk]:
        if part.status in (PartStatus.AWAITING_SHIPMENT, PartStatus.ON_HOLD) \
                and part.shipstation_order_id:
            try:
                rt.shipstation.cancel_order(part.shipstation_order_id)
            except (TransientError, RateLimited):
                raise
            except ProviderError as exc:  # shipped meanwhile: nothing left to cancel
                log.warning("ShipStation order %s not cancelled: %s", part.order_key, exc)
                continue
            rt.lifecycle.set_parts([(part.order_key, {"status": PartStatus.CANCELLED.value})])
            cancelled.append(part.order_key)
    return cancelled


@durable.step("finish_stop")
def finish_stop(order_pk: int, cancelled: list[str]) -> int:
    message = ("Cancelled in Shopify: ShipStation order(s) cancelled: " + ", ".join(cancelled)
               if cancelled else "Cancelled in Shopify: nothing pending in ShipStation")
    return current().lifecycle.finish_stop(order_pk, message, {"shipstation": cancelled})


@durable.workflow("stop_order")
def stop_order(order_pk: int) -> int:
    try:
        cancelled = with_durable_retries(cancel_in_shipstation, order_pk)
    except ProviderError as exc:
        note_failure([order_pk], "ShipStation cancel", str(exc))
        cancelled = []
    return int(finish_stop(order_pk, cancelled))


# -- carrier milestones ------------------------------------------------------------------------
def _parcel(shipment_id: str) -> tuple[StoredShipment, Order, TrackingInfo] | None:
    """A stored shipment with its order and tracking, for the messages about it."""
    rt = current()
    stored = rt.lifecycle.shipment(shipment_id)
    if stored is None:
        return None
    order = rt.pipeline.load_orders([stored.order_pk])[0].order
    shipment = stored.shipment
    return stored, order, tracking_info(shipment.carrier_code, shipment.tracking_number)


@durable.step("milestone_events")
def milestone_events(shipment_id: str, reached: list[Any]) -> list[tuple[int, MilestoneEvent]]:
    rt = current()
    found = _parcel(shipment_id)
    if found is None:
        return []
    stored, order, tracking = found
    shipment = stored.shipment
    out: list[tuple[int, MilestoneEvent]] = []
    for event in reached:
        if isinstance(event, MilestoneReached):
            if event.milestone is TrackingMilestone.OUT_FOR_DELIVERY:
                out.append((stored.order_pk, messages.out_for_delivery(
                    order, shipment, tracking, event.scan, stored.progress.estimated_delivery,
                    event.scan.occurred_at)))
            elif event.milestone is TrackingMilestone.DELIVERED:
                out.append((stored.order_pk, messages.order_delivered(
                    order, shipment, tracking, event.scan)))
                _plan_timers(stored.order_pk, order, shipment, event.scan.occurred_at)
        elif isinstance(event, ExceptionRaised) and event.exception is not ExceptionType.DELAYED:
            out.append((stored.order_pk, messages.delivery_exception(
                order, shipment, tracking, event.exception, event.scan)))
            if event.exception is ExceptionType.RETURNED_TO_SENDER:
                rt.lifecycle.cancel_timers(stored.order_pk, "returned to sender")
    return out


def _plan_timers(order_pk: int, order: Order, shipment: Any, delivered_at: Any) -> None:
    rt = current()
    product_ids = sorted({li.product_id for li in order.shippable_items if li.product_id})
    categories: dict[int, Any] = {}
    if product_ids and rt.rules.policies.timers.review_days_by_category:
        categories = rt.shopify.product_categories(product_ids)
    planned = plan_after_delivery(order, shipment, delivered_at, categories,
                                  rt.rules.policies.timers)
    rt.lifecycle.add_timers(order_pk, planned)
    rt.lifecycle.refresh_delivered(order_pk)


def tell_milestones(applied_events: list[Any], shipment_id: str) -> int:
    worth = [e for e in applied_events if isinstance(e, (MilestoneReached, ExceptionRaised))]
    if not worth:
        return 0
    items = with_durable_retries(milestone_events, shipment_id, worth)
    return tell(items)


# -- delays found by the sweeper ---------------------------------------------------------------
@durable.step("delay_event")
def delay_event(shipment_id: str, notice: DelayNotice) -> list[tuple[int, MilestoneEvent]]:
    rt = current()
    found = _parcel(shipment_id)
    if found is None:
        return []
    stored, order, tracking = found
    shipment = stored.shipment
    event = messages.shipment_delayed(order, shipment, tracking, notice, rt.clock())
    return [(stored.order_pk, event)]


@durable.workflow("tell_delay")
def tell_delay(shipment_id: str, notice: DelayNotice) -> int:
    return tell(delay_event(shipment_id, notice))


# -- timers ------------------------------------------------------------------------------------
@durable.step("timer_events")
def timer_events(timer_keys: list[str]) -> list[tuple[int, MilestoneEvent]]:
    rt = current()
    due = rt.lifecycle.timers_by_key(timer_keys)
    stored = {s.pk: s for s in rt.pipeline.load_orders(sorted({t.order_pk for t in due}))}
    now = rt.clock()
    out: list[tuple[int, MilestoneEvent]] = []
    for t in due:
        so = stored.get(t.order_pk)
        if so is None or so.state.is_stopped:
            continue
        order = so.order
        if t.kind == TimerKind.REVIEW_REQUEST.value and t.shipment_id:
            ship = rt.lifecycle.shipment(t.shipment_id)
            if ship is None or ship.progress.delivered_at is None:
                continue
            out.append((t.order_pk, messages.review_request_due(
                order, ship.shipment, ship.progress.delivered_at, t.days, now)))
        elif t.kind == TimerKind.REORDER_REMINDER.value and t.sku:
            line = next((li for li in order.shippable_items if li.sku == t.sku), None)
            if line is not None:
                out.append((t.order_pk, messages.reorder_reminder_due(
                    order, line, order.created_at, t.due_at, now)))
    return out


@durable.step("close_timers")
def close_timers(timer_keys: list[str]) -> None:
    current().lifecycle.finish_timers(timer_keys)


@durable.workflow("fire_timers")
def fire_timers(timer_keys: list[str]) -> int:
    told = tell(with_durable_retries(timer_events, timer_keys))
    close_timers(timer_keys)
    return told
