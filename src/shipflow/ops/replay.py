"""Replay: run the stored orders through another rules file, without side effects.

Each order received in the window is routed again by `rules.routing.route_order`, the very
function live intake runs, on the order's stored snapshot and on the stock picture recorded when
it was routed. What it would decide is compared, action by action (confirmation, hold,
backorder, tags, service, escalate) and by outcome (ships, held, split), with either

- `recorded`: the decisions on the order's timeline and the parts it became (what happened), or
- `current`: the current rules file routing the same snapshot on the same stock.

Stock: routing records the units without stock by line item (timeline entry `routing`). Orders
routed before that record existed get the shortfall from their parts (`backordered`), the same
units on the newest lines first, as intake allocates them. An order routed while the rules file
was empty had no stock read: it is reported as not replayable, not guessed. The snapshot is the
order as shipflow last stored it (an `orders/updated` after routing shows there).

Reads the store in one pass and writes nothing anywhere: no provider client is built.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from shipflow.domain.fulfilment import FulfilmentPlan
from shipflow.domain.order import Order
from shipflow.domain.routing import Decision
from shipflow.ops.table import render
from shipflow.rules.routing import RoutingOutcome, route_order
from shipflow.rules.ruleset import RuleSet
from shipflow.store.db import Database
from shipflow.store.queries.routing import RecordedPart, RecordedRouting, recorded_routing

Baseline = Literal["recorded", "current"]
ACTIONS = ("confirmation", "hold", "backorder", "tags", "service", "escalate")
NONE = "-"


@dataclass(frozen=True)
class Change:
    """One decision that would change: `action` is a rule action or `outcome`."""

    order: str  # the order's name, "#1001"
    shopify_order_id: int
    action: str
    rule: str  # the rule(s) behind the new decision (the old one's when it goes away)
    before: str
    after: str


@dataclass(frozen=True)
class Skipped:
    order: str
    shopify_order_id: int
    reason: str


@dataclass
class ReplayReport:
    rules: str
    baseline: str  # "recorded decisions" or "current rules (<file>)"
    since: str
    orders: int = 0  # received in the window
    replayed: int = 0
    changed_orders: int = 0
    changes: list[Change] = field(default_factory=list)
    not_replayable: list[Skipped] = field(default_factory=list)
    not_routed: int = 0  # received but never routed (not paid, nothing to ship...)
    rule_errors: list[str] = field(default_factory=list)  # under the new rules

    @property
    def unchanged_orders(self) -> int:
        return self.replayed - self.changed_orders

    def counts(self) -> dict[str, int]:
        by_action: dict[str, int] = {}
        for c in self.changes:
            by_action[c.action] = by_action.get(c.action, 0) + 1
        return {"orders_in_window": self.orders, "replayed": self.replayed,
                "changed_orders": self.changed_orders, "unchanged_orders": self.unchanged_orders,
                "not_replayable": len(self.not_replayable), "not_routed": self.not_routed,
                "changed_decisions": len(self.changes),
                **{f"changed_{a}": n for a, n in sorted(by_action.items())}}

    def to_json(self) -> dict[str, Any]:
        return {"rules": self.rules, "baseline": self.baseline, "since": self.since,
                "counts": self.counts(), "changes": [asdict(c) for c in self.changes],
                "not_replayable": [asdict(s) for s in self.not_replayable],
                "rule_errors": self.rule_errors}

    def to_text(self) -> str:
        lines = [f"replay of {self.rules} against the {self.baseline}, orders received since "
                 f"{self.since}", ""]
        if self.changes:
            lines.append(render(["order", "action", "rule", "before", "after"],
                                [(c.order, c.action, c.rule, c.before, c.after)
                                 for c in self.changes], width=64))
        else:
            lines.append("no decision would change")
        lines.append("")
        lines.append(render(["count", ""], list(self.counts().items())))
        for s in self.not_replayable:
            lines.append(f"not replayable: {s.order} ({s.shopify_order_id}): {s.reason}")
        for error in self.rule_errors:
            lines.append(f"rule error: {error}")
        return "\n".join(lines)


# -- the window --------------------------------------------------------------------------------
_SPAN = re.compile(r"^\s*(\d+)\s*([dhm])\s*$")


def parse_since(text: str, now: datetime) -> datetime:
    """`14d`, `36h`, `90m`, or an ISO date/time (UTC when it has no offset)."""
    match = _SPAN.match(text)
    if match:
        unit = {"d": "days", "h": "hours", "m": "minutes"}[match.group(2)]
        return now - timedelta(**{unit: int(match.group(1))})
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"--since {text!r}: give a span such as 14d, 36h, 90m, or an ISO "
                         "date such as 2026-11-01") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


# -- replay ------------------------------------------------------------------------------------
def replay(db: Database, rules: RuleSet, since: datetime, *,
           baseline: Baseline = "recorded", current: RuleSet | None = None) -> ReplayReport:
    if baseline == "current" and current is None:
        raise ValueError("a replay against the current rules needs the current rules")
    report = ReplayReport(
        rules=rules.source, since=since.isoformat(timespec="seconds"),
        baseline="recorded decisions" if baseline == "recorded"
        else f"current rules ({current.source if current else ''})")
    errors: dict[str, None] = {}
    for recorded in recorded_routing(db, since):
        report.orders += 1
        order = recorded.order
        if not recorded.routed:
            report.not_routed += 1
            continue
        missing, why_not = _stock(recorded, rules)
        if missing is None:
            report.not_replayable.append(Skipped(order.name, order.shopify_order_id,
                                                 why_not or "no stock picture"))
            continue
        after = route_order(rules, order, missing)
        errors.update(dict.fromkeys(after.errors))
        if baseline == "current":
            assert current is not None
            before = route_order(current, order, missing)
            changes = compare(order, before.decisions, outcome(before.fulfilment), after)
        else:
            changes = compare(order, recorded.decisions, recorded_outcome(recorded.parts), after)
        report.replayed += 1
        if changes:
            report.changed_orders += 1
            report.changes.extend(changes)
    report.rule_errors = list(errors)
    return report


def _stock(recorded: RecordedRouting, rules: RuleSet) -> tuple[dict[int, int] | None, str | None]:
    """The units without stock by line item id that routing saw, or why they are unknown."""
    if recorded.stock is not None:
        if not recorded.stock.read and len(rules):
            return None, ("stock was not read when it was routed (the rules file was empty), "
                          "so its backorder decisions cannot be replayed")
        return dict(recorded.stock.missing), None
    return missing_from_parts(recorded.order, recorded.parts), None


def missing_from_parts(order: Order, parts: Sequence[RecordedPart]) -> dict[int, int]:
    """The shortfall recorded on the parts (SKU -> units), put back on the order's lines: the
    newest line of a SKU first, as `domain.fulfilment.backordered_units` allocates it."""
    short: dict[str, int] = {}
    for part in parts:
        for key, units in part.backordered.items():
            short[key] = max(short.get(key, 0), units)  # every part carries the order's total
    missing: dict[int, int] = {}
    for line in sorted(order.shippable_items, key=lambda li: -li.line_item_id):
        key = line.sku or str(line.line_item_id)
        take = min(line.quantity, short.get(key, 0))
        if take > 0:
            missing[line.line_item_id] = take
            short[key] -= take
    return missing


# -- comparing ---------------------------------------------------------------------------------
def outcome(plan: FulfilmentPlan) -> str:
    return _describe_parts([(p.number, p.hold_reason.value if p.hold_reason else None)
                            for p in plan.parts])


def recorded_outcome(parts: Sequence[RecordedPart]) -> str:
    return _describe_parts([(p.number, p.hold_reason) for p in parts])


def _describe_parts(parts: Sequence[tuple[int, str | None]]) -> str:
    def one(reason: str | None) -> str:
        return f"on hold ({reason})" if reason else "ships"

    if not parts:
        return NONE
    if len(parts) == 1:
        return one(parts[0][1])
    return "split: " + ", ".join(f"part {n} {one(r)}" for n, r in parts)


def _by_action(decisions: Sequence[Decision]) -> dict[str, list[Decision]]:
    out: dict[str, list[Decision]] = {}
    for d in decisions:
        out.setdefault(d.action, []).append(d)
    return out


def _said(decisions: Sequence[Decision]) -> str:
    return "; ".join(f"{d.rule}: {d.detail}" for d in decisions) or NONE


def compare(order: Order, before: Sequence[Decision], before_outcome: str,
            after: RoutingOutcome) -> list[Change]:
    old, new = _by_action(before), _by_action(after.decisions)
    actions = [a for a in ACTIONS if a in old or a in new]
    actions += sorted(a for a in set(old) | set(new) if a not in ACTIONS)
    changes = []
    for action in actions:
        was, will = old.get(action, []), new.get(action, [])
        if _said(was) != _said(will):
            rule = ", ".join(dict.fromkeys(d.rule for d in (will or was)))
            changes.append(Change(order.name, order.shopify_order_id, action, rule,
                                  _said(was), _said(will)))
    after_outcome = outcome(after.fulfilment)
    if before_outcome != after_outcome:
        changes.append(Change(order.name, order.shopify_order_id, "outcome", "",
                              before_outcome, after_outcome))
    return changes
