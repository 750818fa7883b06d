"""What one rule asks for (`Actions`), and how the matching rules add up to a `RoutingPlan`.

The first matching rule in file order sets each single-valued action (confirmation, hold,
backorder, service, escalate); later ones are ignored and leave no decision. Tags accumulate,
deduplicated, in the order rules add them. Only effective decisions are recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from shipflow.domain.routing import (
    BackorderPolicy,
    Confirmation,
    Decision,
    Hold,
    RoutingPlan,
    ServiceChoice,
)


@dataclass(frozen=True, slots=True)
class Actions:
    """The `then:` of one rule."""

    confirmation: Confirmation | None = None
    hold: Hold | None = None
    backorder: BackorderPolicy | None = None
    tags: tuple[str, ...] = ()
    service: ServiceChoice | None = None
    escalate: str | None = None
    stop: bool = False  # no later rule runs once this one matched


class PlanBuilder:
    def __init__(self, backordered_skus: tuple[str, ...] = ()) -> None:
        self._plan = RoutingPlan()
        self._decisions: list[Decision] = []
        self._backordered = backordered_skus

    def apply(self, rule: str, actions: Actions) -> None:
        plan = self._plan
        if actions.confirmation is not None and plan.confirmation is None:
            plan = replace(plan, confirmation=actions.confirmation)
            self._decide(rule, "confirmation", f"{actions.confirmation.value} confirmation")
        if actions.hold is not None and plan.hold is None:
            plan = replace(plan, hold=actions.hold)
            note = f": {actions.hold.note}" if actions.hold.note else ""
            self._decide(rule, "hold", f"hold for {actions.hold.reason.value}{note}")
        if actions.backorder is not None and plan.backorder is None:
            plan = replace(plan, backorder=actions.backorder)
            skus = f" (SKUs out of stock: {', '.join(self._backordered)})" if self._backordered else ""
            self._decide(rule, "backorder", f"backorder policy {actions.backorder.value}{skus}")
        new_tags = tuple(t for t in dict.fromkeys(actions.tags) if t not in plan.tags)
        if new_tags:
            plan = replace(plan, tags=plan.tags + new_tags)
            self._decide(rule, "tags", f"tag{'s' if len(new_tags) > 1 else ''} {', '.join(new_tags)}")
        if actions.service is not None and plan.service is None:
            plan = replace(plan, service=actions.service)
            self._decide(rule, "service", describe_service(actions.service))
        if actions.escalate is not None and plan.escalate_to is None:
            plan = replace(plan, escalate_to=actions.escalate)
            self._decide(rule, "escalate", f"escalate to {actions.escalate}")
        self._plan = plan

    def build(self) -> RoutingPlan:
        return replace(self._plan, decisions=tuple(self._decisions))

    def _decide(self, rule: str, action: str, detail: str) -> None:
        self._decisions.append(Decision(rule, action, detail))


def describe_service(service: ServiceChoice) -> str:
    if service.service_code:
        return f"ship with {service.carrier_code} {service.service_code}"
    return f"ship with {service.carrier_code} (any service)"
