"""Routing one order: the rules file's plan, then the parts it becomes under the stock picture.

This is the one evaluation both live intake (`engine/flows/push.route`) and replay
(`ops/replay.py`) run, so a replayed decision is the decision intake would have made.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from shipflow.domain.fulfilment import FulfilmentPlan, plan_fulfilment
from shipflow.domain.order import Order
from shipflow.domain.routing import Decision, RoutingPlan
from shipflow.rules.ruleset import RuleSet


@dataclass(frozen=True, slots=True)
class RoutingOutcome:
    plan: RoutingPlan
    decisions: tuple[Decision, ...]  # the plan's, plus the default backorder policy's
    errors: tuple[str, ...]  # conditions that could not be evaluated (rule not applied)
    fulfilment: FulfilmentPlan


def route_order(rules: RuleSet, order: Order, missing: Mapping[int, int]) -> RoutingOutcome:
    """`missing` maps a line item id to its units without stock (the order's share of the
    batch's shortfall, `domain.fulfilment.backordered_units`)."""
    ours = {li.line_item_id: m for li in order.shippable_items
            if (m := missing.get(li.line_item_id, 0)) > 0}
    stock: dict[str, int] = {}
    for li in order.shippable_items:
        if li.sku:
            stock[li.sku] = stock.get(li.sku, 0) + li.quantity - ours.get(li.line_item_id, 0)
    evaluation = rules.evaluate(order, stock)
    plan = evaluation.plan
    fulfilment = plan_fulfilment(order, plan, ours, rules.policies.default_backorder)
    decisions = list(plan.decisions)
    if fulfilment.policy is not None and plan.backorder is None:
        decisions.append(Decision("policy.default_backorder", "backorder",
                                  f"backorder policy {fulfilment.policy.value} (SKUs out of stock: "
                                  + ", ".join(sorted(fulfilment.parts[-1].backordered)) + ")"))
    return RoutingOutcome(plan, tuple(decisions), evaluation.errors, fulfilment)
