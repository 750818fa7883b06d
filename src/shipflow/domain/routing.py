"""What the merchant's rules decided for one order: the routing plan.

The rules engine (`shipflow.rules`) produces a `RoutingPlan`; the engine applies it (ShipStation
order fields, holds on both sides, tags, the backorder policy) and records every `Decision` on the
order's timeline with the rule that made it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Confirmation(StrEnum):
    """ShipStation v1 `confirmation` values (shipstation.md, Order model)."""

    NONE = "none"
    DELIVERY = "delivery"
    SIGNATURE = "signature"
    ADULT_SIGNATURE = "adult_signature"
    DIRECT_SIGNATURE = "direct_signature"


class BackorderPolicy(StrEnum):
    SPLIT = "split"  # ship what is in stock now, the rest when it is restocked
    HOLD = "hold"  # hold the whole order until every line is in stock
    NOTIFY = "notify"  # ship as usual (the warehouse waits) and tell the customer


class HoldReason(StrEnum):
    """Why shipflow holds an order; maps to Shopify's FulfillmentHoldReason."""

    ADDRESS_REVIEW = "address_review"  # Shopify INCORRECT_ADDRESS
    BACKORDER = "backorder"  # Shopify INVENTORY_OUT_OF_STOCK
    REVIEW = "review"  # Shopify OTHER (any other merchant rule)


@dataclass(frozen=True, slots=True)
class ServiceChoice:
    carrier_code: str
    service_code: str | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """One thing a rule decided, as the timeline shows it."""

    rule: str
    action: str  # "confirmation", "hold", "backorder", "tags", "service", "escalate"
    detail: str  # human words, e.g. "signature confirmation (order value 312.00 > 250)"


@dataclass(frozen=True, slots=True)
class Hold:
    reason: HoldReason
    note: str


@dataclass(frozen=True, slots=True)
class RoutingPlan:
    """Every action the matching rules asked for. When two rules set the same single-valued
    action (confirmation, hold, service, backorder), the first rule in file order wins; tags
    accumulate."""

    decisions: tuple[Decision, ...] = ()
    confirmation: Confirmation | None = None
    hold: Hold | None = None
    tags: tuple[str, ...] = field(default=())
    service: ServiceChoice | None = None
    backorder: BackorderPolicy | None = None
    escalate_to: str | None = None
