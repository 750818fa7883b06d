"""Routing one order: the stock picture, the merchant's rules, the parts, the ShipStation bodies.

Called from the push batch's `route_batch` step; everything here but `missing_stock` is pure.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from shipflow.domain.fulfilment import (
    FulfilmentPlan,
    Part,
    backordered_units,
    part_order_key,
    plan_fulfilment,
)
from shipflow.domain.order import Order, OrderState
from shipflow.domain.routing import Decision, HoldReason, RoutingPlan
from shipflow.engine.runtime import Runtime
from shipflow.providers.errors import NotFound
from shipflow.providers.shipstation.mapping import order_request

log = logging.getLogger("shipflow.engine")


@dataclass(frozen=True)
class Routed:
    order_pk: int
    order: Order
    plan: RoutingPlan
    decisions: tuple[Decision, ...]
    errors: tuple[str, ...]
    fulfilment: FulfilmentPlan

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


def missing_stock(rt: Runtime, batch: list[Order]) -> dict[int, int]:
    """Units without stock, by line item id, for the orders of a batch (one stock read per SKU).

    Shopify's `available` already has every unshipped order's units taken out, so a negative
    value is the shortfall, which falls on the most recent orders (`backordered_units`)."""
    skus = sorted({li.sku for o in batch for li in o.shippable_items if li.sku})
    deficit: dict[str, int] = {}
    for sku in skus:
        try:
            stock = rt.shopify.variant_stock(sku)
        except NotFound:
            continue  # not a Shopify SKU (a bundle, a service): nothing to wait for
        if stock.tracked and stock.available is not None and stock.available < 0:
            deficit[sku] = -stock.available
    if not deficit:
        return {}
    return backordered_units(rt.lifecycle.waiting_lines(deficit), deficit)


def route(rt: Runtime, order_pk: int, order: Order, missing: dict[int, int]) -> Routed:
    ours = {li.line_item_id: m for li in order.shippable_items
            if (m := missing.get(li.line_item_id, 0)) > 0}
    stock: dict[str, int] = {}
    for li in order.shippable_items:
        if li.sku:
            stock[li.sku] = stock.get(li.sku, 0) + li.quantity - ours.get(li.line_item_id, 0)
    evaluation = rt.rules.evaluate(order, stock)
    plan: RoutingPlan = evaluation.plan
    fulfilment = plan_fulfilment(order, plan, ours, rt.rules.policies.default_backorder)
    decisions = list(plan.decisions)
    if fulfilment.policy is not None and plan.backorder is None:
        decisions.append(Decision("policy.default_backorder", "backorder",
                                  f"backorder policy {fulfilment.policy.value} (SKUs out of stock: "
                                  + ", ".join(sorted(fulfilment.parts[-1].backordered)) + ")"))
    return Routed(order_pk, order, plan, tuple(decisions), tuple(evaluation.errors), fulfilment)


def shipstation_body(routed: Routed, part: Part) -> dict[str, Any]:
    """The createorder body of one part, with the routing decisions applied."""
    order, plan = routed.order, routed.plan
    number = order.name.removeprefix("#").strip()
    split = len(routed.fulfilment.parts) > 1
    return order_request(
        order, order_key=part_order_key(order.shopify_order_id, part.number),
        confirmation=plan.confirmation.value if plan.confirmation else "none",
        status=part.status.value,
        carrier_code=plan.service.carrier_code if plan.service else None,
        service_code=plan.service.service_code if plan.service else None,
        items={line.line_item_id: line.quantity for line in part.lines} if split else None,
        order_number=f"{number}-{part.number}" if part.number > 1 else None,
        custom_field2=f"shipflow part {part.number}"
        + (f"; hold: {part.hold_reason.value}" if part.hold_reason else ""),
    )
