"""Holds: what a push leaves held, and what lifts it.

- after a push: holds (with their reason) and tags on Shopify's side, `Backorder Delayed` for
  short orders;
- `release_hold` (address review released from the API): both sides released together;
- `restock` (`inventory_levels/update`): paused parts resumed oldest first, `Back In Stock`.
"""

from __future__ import annotations

from typing import Any, Sequence

from shipflow.domain import messages
from shipflow.domain.effects import Effect, HoldOrder, ReleaseOrder, RestorePart, TagOrder
from shipflow.domain.fulfilment import FulfilmentPlan, PartStatus, backordered_units
from shipflow.domain.order import Order, OrderState
from shipflow.domain.routing import HoldReason
from shipflow.engine import durable
from shipflow.engine.flows import labels, ship
from shipflow.engine.flows.tell import note_failure, tell
from shipflow.engine.retries import with_durable_retries
from shipflow.engine.runtime import current
from shipflow.providers.errors import ProviderError
from shipflow.store.orders import Outcome
from shipflow.store.parts import StoredPart

# (order pk, order, its parts, the tags the rules asked for), as a push batch leaves them.
Pushed = tuple[int, Order, FulfilmentPlan, tuple[str, ...]]


def _describe(effect: Effect) -> str:
    if isinstance(effect, HoldOrder):
        return f"Held in Shopify ({effect.hold.reason.value}): {effect.hold.note}"
    assert isinstance(effect, TagOrder)
    return "Tagged in Shopify: " + ", ".join(effect.tags)


# -- after a push ------------------------------------------------------------------------------
@durable.step("apply_in_shopify")
def apply_in_shopify(pushed: list[Pushed]) -> None:
    """Holds (with reason) and tags on Shopify's side, for the orders whose rules asked."""
    rt = current()
    effects: list[HoldOrder | TagOrder] = []
    for pk, order, fulfilment, tags in pushed:
        if fulfilment.shopify_hold is not None:
            effects.append(HoldOrder(pk, order, fulfilment.shopify_hold))
        if tags:
            effects.append(TagOrder(pk, order, tags))
    sent = rt.outbox.send(effects)
    rt.store.orders.settle(
        [Outcome(e.order_pk, True, _describe(e), e.key, sent[e.key].result)
         if sent[e.key].ok else
         Outcome(e.order_pk, False, f"Shopify {'hold' if isinstance(e, HoldOrder) else 'tags'} "
                 f"failed: {sent[e.key].error}", e.key)
         for e in effects], kind="shopify-side")


@durable.step("pushed_ok")
def pushed_ok(order_pks: list[int]) -> list[int]:
    """The orders of a batch that ShipStation took (a refused one needs a person instead)."""
    refused = (OrderState.NEEDS_ATTENTION, OrderState.QUEUED)
    return [s.pk for s in current().store.orders.load(order_pks) if s.state not in refused]


def after_push(pushed: list[Pushed]) -> None:
    """Inside `push_orders`, once the batch is in ShipStation."""
    ok = set(pushed_ok([p[0] for p in pushed]))
    pushed = [p for p in pushed if p[0] in ok]
    asked = [p for p in pushed if p[2].shopify_hold is not None or p[3]]
    if asked:
        try:
            with_durable_retries(apply_in_shopify, asked)
        except ProviderError as exc:
            note_failure([p[0] for p in asked], "Shopify hold/tags", str(exc))
    now = current().clock()
    tell([(pk, messages.backorder_delayed(order, list(fulfilment.backordered), None, now))
          for pk, order, fulfilment, _ in pushed if fulfilment.backordered])


# -- release (address review done) -------------------------------------------------------------
@durable.step("release_both_sides")
def release_both_sides(order_pk: int) -> str:
    rt = current()
    found = rt.store.orders.with_hold(order_pk)
    assert found is not None
    stored, reason = found
    held = [p for p in rt.store.parts.of([order_pk])[order_pk]
            if p.status is PartStatus.ON_HOLD and p.hold_reason != HoldReason.BACKORDER.value]
    effects: list[Effect] = [RestorePart(order_pk, p.order_key, p.shipstation_order_id)
                             for p in held]
    if reason is not None:  # still held on Shopify's side (not released by an earlier run)
        effects.append(ReleaseOrder(order_pk, stored.order, reason))
    _send_all(effects)
    released = [p.order_key for p in held]
    rt.store.parts.set([(k, {"status": PartStatus.AWAITING_SHIPMENT.value, "hold_reason": None})
                        for k in released])
    rt.store.orders.unhold(order_pk)
    message = "Hold released on both sides: ShipStation " + (", ".join(released) or "-")
    rt.store.timeline.note(order_pk, "released", message, {"parts": released},
                           dedupe_key=f"released:{order_pk}")
    return message


def _send_all(effects: Sequence[Effect]) -> None:
    """Send, and treat a refusal as the step's failure (a person must look)."""
    sent = current().outbox.send(effects)
    refused = [f"{key}: {s.error}" for key, s in sent.items() if not s.ok]
    if refused:
        raise ProviderError("; ".join(refused))


@durable.workflow("release_hold")
def release_hold(order_pk: int) -> str:
    message = str(with_durable_retries(release_both_sides, order_pk))
    _buy_if_api([order_pk])
    return message


def _buy_if_api(order_pks: list[int]) -> None:
    """In `api` label mode, parts that became ready to ship get their label bought now."""
    if not labels.api_mode(current()):
        return
    keys = [p.order_key for pk in order_pks for p in ready_parts(pk)]
    ship.ship_labels(labels.buy_labels(keys))


@durable.step("ready_parts")
def ready_parts(order_pk: int) -> list[StoredPart]:
    return [p for p in current().store.parts.of([order_pk])[order_pk]
            if p.status is PartStatus.AWAITING_SHIPMENT]


# -- restock -----------------------------------------------------------------------------------
@durable.step("resume_restocked")
def resume_restocked(inventory_item_id: int) -> list[tuple[int, list[str]]]:
    """Resume the parts the new stock covers, oldest order first; returns (order pk, SKUs)."""
    rt = current()
    sku = rt.shopify.sku_of_inventory_item(inventory_item_id)
    if not sku:
        return []
    waiting = rt.store.parts.backordered([sku])
    if not waiting:
        return []
    stock = rt.shopify.stock([sku]).get(sku)
    deficit = ({sku: -stock.available} if stock is not None and stock.tracked
               and stock.available is not None and stock.available < 0 else {})
    still_short = backordered_units(rt.store.orders.waiting_lines([sku]), deficit) if deficit else {}
    resumed: list[tuple[int, list[str]]] = []
    for part in waiting:
        lines = [i for i in part.items if i.get("sku") == sku]
        if any(int(i["line_item_id"]) in still_short for i in lines):
            continue  # not covered yet; a later restock will reach it
        left = {k: v for k, v in part.backordered.items() if k != sku}
        values: dict[str, Any] = {"backordered": left or None}
        if not left and part.status is PartStatus.ON_HOLD \
                and part.hold_reason == HoldReason.BACKORDER.value:
            _send_all([RestorePart(part.order_pk, part.order_key, part.shipstation_order_id)])
            values.update(status=PartStatus.AWAITING_SHIPMENT.value, hold_reason=None)
        rt.store.parts.set([(part.order_key, values)])
        if not left:
            found = rt.store.orders.with_hold(part.order_pk)
            if found and found[1] == HoldReason.BACKORDER.value:
                _send_all([ReleaseOrder(part.order_pk, found[0].order,
                                        HoldReason.BACKORDER.value)])
                rt.store.orders.unhold(part.order_pk)
            rt.store.timeline.note(part.order_pk, "restocked",
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
    stored = {s.pk: s.order for s in rt.store.orders.load([pk for pk, _ in resumed])}
    tell([(pk, messages.back_in_stock(stored[pk], skus, now)) for pk, skus in resumed])
    _buy_if_api(sorted({pk for pk, _ in resumed}))
    return len(resumed)
