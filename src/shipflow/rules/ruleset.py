"""A loaded, checked rules file, ready to route orders."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from celpy import celtypes
from celpy.adapter import json_to_cel

from shipflow.domain.order import Order
from shipflow.domain.policy import Policies
from shipflow.domain.routing import RoutingPlan
from shipflow.rules.activation import order_view
from shipflow.rules.expressions import Condition, ConditionEvalError, Scope
from shipflow.rules.plan import Actions, PlanBuilder


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    line: int  # where the rule starts in its file
    when: Condition
    actions: Actions


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The plan for one order, and the conditions that could not be evaluated for it (those
    rules counted as not matching); the engine records both."""

    plan: RoutingPlan
    errors: tuple[str, ...] = ()


class RuleSet:
    def __init__(self, rules: tuple[Rule, ...], variables: Mapping[str, object],
                 policies: Policies, source: str) -> None:
        self.rules = rules
        self.variables = dict(variables)
        self.policies = policies
        self.source = source  # the file it came from, for messages
        self._cel_variables: celtypes.Value = json_to_cel(self.variables)

    def __len__(self) -> int:
        return len(self.rules)

    def __repr__(self) -> str:
        return f"RuleSet({self.source!r}, {len(self.rules)} rules)"

    def evaluate(self, order: Order, stock: Mapping[str, int] | None = None) -> Evaluation:
        """Run every rule in file order; `stock` (SKU -> units available) decides which lines
        are backordered."""
        view = order_view(order, stock)
        scope = Scope({"order": view.value, "vars": self._cel_variables})
        plan = PlanBuilder(view.backordered_skus)
        errors: list[str] = []
        for rule in self.rules:
            try:
                matched = rule.when.evaluate(scope)
            except ConditionEvalError as exc:
                errors.append(f"rule {rule.name!r} ({self.source}:{rule.line}) not applied: {exc}")
                continue
            if matched:
                plan.apply(rule.name, rule.actions)
                if rule.actions.stop:
                    break
        return Evaluation(plan.build(), tuple(errors))
