"""Push: paid orders to ShipStation, one workflow per batch of up to 100 (`push_orders`).

Load the batch's orders, route each by the merchant's rules (the stock picture, the decisions,
the parts it becomes), push every part in one bulk write through the outbox (orderKey = the
Shopify order id, an upsert), and record each order's result. Then the holds and tags on
Shopify's side, `Backorder Delayed`, and in `api` label mode the labels.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from shipflow.domain.effects import PushPart
from shipflow.domain.fulfilment import (
    FulfilmentPlan,
    Part,
    PartStatus,
    backordered_units,
    part_order_key,
)
from shipflow.domain.lifecycle import NothingToShip, Pushed
from shipflow.domain.order import Order, OrderState
from shipflow.domain.routing import Decision, HoldReason, RoutingPlan
from shipflow.engine import durable
from shipflow.engine.flows import amend, holds, labels, ship
from shipflow.engine.retries import with_durable_retries
from shipflow.engine.runtime import Runtime, current
from shipflow.providers.errors import ProviderError, TransientError
from shipflow.rules.routing import route_order
from shipflow.store.orders import Outcome
from shipflow.store.parts import RoutedOrder

log = logging.getLogger("shipflow.engine")


@dataclass(frozen=True)
class Routed:
    """One order of a push batch once the rules ran: its decisions and its parts."""

    order_pk: int
    order: Order
    plan: RoutingPlan
    decisions: tuple[Decision, ...]
    errors: tuple[str, ...]
    fulfilment: FulfilmentPlan
    # The stock picture routing saw (units without stock by line item id), and whether stock
    # was read at all: recorded so that replay can run another rules file on the same picture.
    missing: dict[int, int] = field(default_factory=dict)
    stock_read: bool = True

    @property
    def keyed_parts(self) -> list[tuple[Part, str]]:
        """Each part with its ShipStation orderKey."""
        return [(p, part_order_key(self.order.shopify_order_id, p.number))
                for p in self.fulfilment.parts]

    @property
    def state_after_push(self) -> OrderState:
        if not self.fulfilment.is_held:
            return OrderState.IN_SHIPSTATION
        reason = self.fulfilment.parts[0].hold_reason
        return OrderState.BACKORDERED if reason is HoldReason.BACKORDER else OrderState.ON_HOLD

    def pushes(self) -> list[PushPart]:
        split = len(self.fulfilment.parts) > 1
        return [PushPart(self.order_pk, self.order, part, key, split, self.plan.confirmation,
                         self.plan.service) for part, key in self.keyed_parts]


# -- routing -----------------------------------------------------------------------------------
def missing_stock(rt: Runtime, batch: list[Order]) -> dict[int, int]:
    """Units without stock, by line item id, for the orders of a batch (one stock read for all
    the batch's SKUs).

    Shopify's `available` already has every unshipped order's units taken out, so a negative
    value is the shortfall, which falls on the most recent orders (`backordered_units`)."""
    skus = sorted({li.sku for o in batch for li in o.shippable_items if li.sku})
    deficit: dict[str, int] = {}
    stocks = rt.shopify.stock(skus) if skus else {}
    for sku, stock in stocks.items():
        if stock.tracked and stock.available is not None and stock.available < 0:
            deficit[sku] = -stock.available
    if not deficit:
        return {}
    return backordered_units(rt.store.orders.waiting_lines(deficit), deficit)


def route(rt: Runtime, order_pk: int, order: Order, missing: dict[int, int],
          stock_read: bool = True) -> Routed:
    outcome = route_order(rt.rules, order, missing)
    ours = {li.line_item_id: m for li in order.shippable_items
            if (m := missing.get(li.line_item_id, 0)) > 0}
    return Routed(order_pk, order, outcome.plan, outcome.decisions, outcome.errors,
                  outcome.fulfilment, ours, stock_read)


# -- steps -------------------------------------------------------------------------------------
@durable.step("load_batch")
def load_batch(order_pks: list[int]) -> list[tuple[int, Order]]:
    """The batch's orders still waiting for it (a cancelled one has left the batch)."""
    stored = current().store.orders.load(order_pks)
    return [(s.pk, s.order) for s in stored if s.state is OrderState.QUEUED]


@durable.step("skip_unshippable")
def skip_unshippable(order_pks: list[int]) -> None:
    current().store.orders.settle(
        [Outcome(pk, True, "No line needs shipping; nothing sent to ShipStation") for pk in order_pks],
        kind="nothing_to_ship", on_ok=NothingToShip())


@durable.step("route_batch")
def route_batch(batch: list[tuple[int, Order]]) -> list[Routed]:
    """Run the merchant's rules on each order and decide its ShipStation orders (parts)."""
    rt = current()
    # An empty rules file routes nothing; otherwise short SKUs meet the backorder policy.
    stock_read = len(rt.rules) > 0
    missing = missing_stock(rt, [o for _, o in batch]) if stock_read else {}
    routed, broken = [], []
    for pk, order in batch:
        try:
            routed.append(route(rt, pk, order, missing, stock_read))
        except Exception as exc:  # a value the rules or the planning cannot take: this order only
            broken.append(Outcome(pk, False, f"Routing failed: {type(exc).__name__}: {exc}"))
    rt.store.orders.settle(broken, kind="routing")
    rt.store.parts.record_routing([RoutedOrder(r.order_pk, r.order.shopify_order_id, r.decisions,
                                               r.errors, r.fulfilment, r.plan, r.missing,
                                               r.stock_read) for r in routed])
    return routed


@durable.step("push_batch")
def push_batch(routed: list[Routed]) -> int:
    """Every part not pushed yet, in one bulk write; each order's result on its timeline."""
    rt = current()
    sent = rt.outbox.send([p for r in routed for p in r.pushes()])
    outcomes, part_updates = [], []
    for r in routed:
        pushes = r.pushes()
        ids = {p.order_key: sent[p.key].result.get("orderId") for p in pushes}
        part_updates += [(key, {"shipstation_order_id": i}) for key, i in ids.items() if i]
        failed = [p for p in pushes if not sent[p.key].ok]
        if failed:
            outcomes.append(Outcome(r.order_pk, False, "ShipStation refused the order: "
                                    + "; ".join(str(sent[p.key].error) for p in failed),
                                    pushes[0].key))
            continue
        message = ("Sent to ShipStation as " if not sent[pushes[0].key].recorded
                   else "Recorded, not sent (record-only): ShipStation ") + ", ".join(
            (f"order {ids[p.order_key]}" if ids[p.order_key] else p.order_key)
            + (" (on hold)" if p.part.status is PartStatus.ON_HOLD else "") for p in pushes)
        held = r.state_after_push
        outcomes.append(Outcome(r.order_pk, True, message, pushes[0].key, {"orderIds": ids},
                                event=Pushed(None if held is OrderState.IN_SHIPSTATION else held),
                                entry=held.value))
    rt.store.parts.set(part_updates)
    rt.store.orders.settle(outcomes, kind="in_shipstation")
    return sum(1 for o in outcomes if o.ok)


@durable.step("batch_failed")
def batch_failed(order_pks: list[int], error: str, transient: bool) -> None:
    current().store.orders.settle(
        [Outcome(pk, False, f"ShipStation createorders failed: {error}", transient=transient)
         for pk in order_pks], kind="in_shipstation")


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
    if not routed:
        return 0
    try:
        if current().rules.policies.shipstation.store_import:
            pushed = amend.amend_orders(routed)  # ShipStation's store connection made them
        else:
            pushed = with_durable_retries(push_batch, routed)
    except ProviderError as exc:
        batch_failed([r.order_pk for r in routed], f"{type(exc).__name__}: {exc}",
                     isinstance(exc, TransientError))
        return 0
    holds.after_push([(r.order_pk, r.order, r.fulfilment, r.plan.tags) for r in routed])
    if labels.api_mode(current()):
        ship.ship_labels(labels.buy_labels([key for r in routed for p, key in r.keyed_parts
                                            if p.status is PartStatus.AWAITING_SHIPMENT]))
    return pushed
