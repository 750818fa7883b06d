"""The merchant's policies that are settings rather than per-order rules: when an order may
ship, label mode, timers, delay thresholds. They live in the `policy:` section of the rules
file (`shipflow.rules`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from shipflow.domain.order import Order
from shipflow.domain.routing import BackorderPolicy


class LabelMode(StrEnum):
    WAREHOUSE = "warehouse"  # staff print labels in ShipStation; SHIP_NOTIFY drives the rest
    API = "api"  # shipflow rate-shops and buys the label


class RateChoice(StrEnum):
    CHEAPEST_ON_TIME = "cheapest_on_time"  # cheapest rate that arrives by the promised date
    PREFERRED_CARRIER = "preferred_carrier"  # cheapest rate of the preferred carrier


@dataclass(frozen=True, slots=True)
class LabelPolicy:
    mode: LabelMode = LabelMode.WAREHOUSE
    choose: RateChoice = RateChoice.CHEAPEST_ON_TIME
    preferred_carrier: str | None = None
    promised_business_days: int = 5  # the delivery promise when the order carries none


@dataclass(frozen=True, slots=True)
class TimerPolicy:
    review_days_default: float = 4.0
    review_days_by_category: dict[str, float] = field(default_factory=dict)
    reorder_days_by_sku: dict[str, float] = field(default_factory=dict)  # days one unit lasts


@dataclass(frozen=True, slots=True)
class DelayPolicy:
    no_scan_business_days: int = 3


# Shopify financial statuses (shopify.md) under which an order may ship.
PAID = frozenset({"paid", "partially_refunded"})
# Merchants who capture payment at fulfilment keep every order `authorized` until it ships; for
# merchants who capture at checkout orders are `paid` at once. Shipping either serves both.
AUTHORIZED = PAID | {"authorized"}


@dataclass(frozen=True, slots=True)
class ShippingPolicy:
    """When an order may ship (`policy.ship_when`, `policy.ship_test_orders`)."""

    financial_statuses: frozenset[str] = AUTHORIZED
    test_orders: bool = False  # Shopify test orders (bogus gateway) never reach a warehouse


def why_not_shipped(order: Order, policy: ShippingPolicy, topic: str | None) -> str | None:
    """None when the order may ship now; otherwise the reason, in words for its timeline."""
    if order.cancelled_at is not None:
        return "cancelled in Shopify"
    if order.test and not policy.test_orders:
        return "a Shopify test order (policy.ship_test_orders is false)"
    if topic == "orders/paid":
        return None  # Shopify says it is paid, whatever status the body still carries
    if order.financial_status in policy.financial_statuses:
        return None
    allowed = ", ".join(sorted(policy.financial_statuses))
    return (f"payment is {order.financial_status or 'unknown'}; policy.ship_when ships orders "
            f"that are {allowed}")


class RunMode(StrEnum):
    """`policy.mode`. In shadow every rule, routing and milestone decision runs but each write is
    recorded in the outbound ledger instead of made, while the merchant's current process keeps
    shipping (`shipflow shadow-report` compares the two). Orders first seen in shadow stay the
    old process's after the switch to live: shipflow never acts on them twice."""

    LIVE = "live"
    SHADOW = "shadow"


class ShipStationSource(StrEnum):
    """Where ShipStation's orders come from (`policy.shipstation.source`)."""

    PUSH = "push"  # shipflow creates them (createorders, orderKey = the Shopify order id)
    # ShipStation's own Shopify store connection imports them; shipflow finds each one and
    # amends it with its decisions, and lets the connection notify Shopify of labels.
    STORE_IMPORT = "store_import"


@dataclass(frozen=True, slots=True)
class ShipStationPolicy:
    source: ShipStationSource = ShipStationSource.PUSH

    @property
    def store_import(self) -> bool:
        return self.source is ShipStationSource.STORE_IMPORT


@dataclass(frozen=True, slots=True)
class Policies:
    labels: LabelPolicy = field(default_factory=LabelPolicy)
    timers: TimerPolicy = field(default_factory=TimerPolicy)
    delays: DelayPolicy = field(default_factory=DelayPolicy)
    default_backorder: BackorderPolicy = BackorderPolicy.NOTIFY
    shipping: ShippingPolicy = field(default_factory=ShippingPolicy)
    mode: RunMode = RunMode.LIVE
    shipstation: ShipStationPolicy = field(default_factory=ShipStationPolicy)
