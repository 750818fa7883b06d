"""Shopify Admin API objects as the engine needs them (GraphQL names, GIDs, UPPER_SNAKE enums).

These are provider types, not domain types: fulfillment orders and holds exist only in
Shopify's model (shopify.md §4.1).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class HoldReason(StrEnum):
    """`FulfillmentHoldReason` (shopify.md §4.5)."""

    AWAITING_PAYMENT = "AWAITING_PAYMENT"
    AWAITING_RETURN_ITEMS = "AWAITING_RETURN_ITEMS"
    HIGH_RISK_OF_FRAUD = "HIGH_RISK_OF_FRAUD"
    INCORRECT_ADDRESS = "INCORRECT_ADDRESS"
    INVENTORY_OUT_OF_STOCK = "INVENTORY_OUT_OF_STOCK"
    ONLINE_STORE_POST_PURCHASE_CROSS_SELL = "ONLINE_STORE_POST_PURCHASE_CROSS_SELL"
    OTHER = "OTHER"
    UNKNOWN_DELIVERY_DATE = "UNKNOWN_DELIVERY_DATE"


@dataclass(frozen=True, slots=True)
class LineItemQuantity:
    """A quantity of one fulfillment-order line item (`gid://shopify/FulfillmentOrderLineItem/…`)."""

    id: str
    quantity: int


@dataclass(frozen=True, slots=True)
class FulfillmentHold:
    id: str
    reason: str  # a `HoldReason` value; kept as str so a new Shopify reason does not break us
    reason_notes: str | None = None
    handle: str | None = None
    held_by_requesting_app: bool | None = None


@dataclass(frozen=True, slots=True)
class FulfillmentOrderLineItem:
    id: str  # gid://shopify/FulfillmentOrderLineItem/…
    remaining_quantity: int
    total_quantity: int
    line_item_id: str | None  # gid://shopify/LineItem/… (the order's line item)
    sku: str | None

    @property
    def shopify_line_item_id(self) -> int | None:
        """The numeric REST id of the order line item (the `LineItem.line_item_id` in domain)."""
        return _numeric_id(self.line_item_id)


@dataclass(frozen=True, slots=True)
class FulfillmentOrder:
    """A group of an order's line items assigned to one location (shopify.md §4.1)."""

    id: str
    status: str  # OPEN, IN_PROGRESS, SCHEDULED, ON_HOLD, INCOMPLETE, CLOSED, CANCELLED
    request_status: str | None = None
    supported_actions: tuple[str, ...] = ()
    location_id: str | None = None
    holds: tuple[FulfillmentHold, ...] = ()
    line_items: tuple[FulfillmentOrderLineItem, ...] = ()

    @property
    def can_fulfill(self) -> bool:
        """Open or in progress, with something left to ship."""
        return self.status in ("OPEN", "IN_PROGRESS") and any(
            li.remaining_quantity > 0 for li in self.line_items
        )

    @property
    def on_hold(self) -> bool:
        return self.status == "ON_HOLD"


@dataclass(frozen=True, slots=True)
class FulfillmentTracking:
    """One entry of `Fulfillment.trackingInfo` (a list on the Fulfillment object)."""

    number: str | None
    company: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Fulfillment:
    id: str  # gid://shopify/Fulfillment/…
    status: str  # SUCCESS, CANCELLED, ERROR, FAILURE (OPEN/PENDING deprecated)
    tracking: tuple[FulfillmentTracking, ...] = ()

    @property
    def tracking_numbers(self) -> tuple[str, ...]:
        return tuple(t.number for t in self.tracking if t.number)

    @property
    def active(self) -> bool:
        """Not cancelled or failed: a fulfillment that still counts as shipped."""
        return self.status not in ("CANCELLED", "ERROR", "FAILURE")


@dataclass(frozen=True, slots=True)
class FulfillmentOrderRef:
    id: str
    status: str | None = None


@dataclass(frozen=True, slots=True)
class HoldResult:
    """What `fulfillmentOrderHold` returned. Holding some lines splits the fulfillment order:
    the rest comes back as `remaining_fulfillment_order`."""

    hold: FulfillmentHold | None
    fulfillment_order: FulfillmentOrderRef | None
    remaining_fulfillment_order: FulfillmentOrderRef | None = None


@dataclass(frozen=True, slots=True)
class ThrottleStatus:
    """`extensions.cost.throttleStatus`: the cost bucket after the request (shopify.md §5.1)."""

    maximum_available: float
    currently_available: float
    restore_rate: float


@dataclass(frozen=True, slots=True)
class QueryCost:
    requested: float | None
    actual: float | None
    throttle: ThrottleStatus | None


def gid(kind: str, value: int | str) -> str:
    """`gid://shopify/<kind>/<id>` from a numeric id; a GID of that kind is returned as is."""
    text = str(value)
    prefix = f"gid://shopify/{kind}/"
    if text.startswith(prefix):
        return text
    if text.isdigit():
        return prefix + text
    raise ValueError(f"expected a {kind} id or {prefix}… GID, got {text!r}")


def _numeric_id(value: str | None) -> int | None:
    if not value:
        return None
    tail = value.rsplit("/", 1)[-1].split("?", 1)[0]
    return int(tail) if tail.isdigit() else None


@dataclass(frozen=True, slots=True)
class LocationStock:
    location_id: str  # gid://shopify/Location/…
    available: int


@dataclass(frozen=True, slots=True)
class VariantStock:
    """A variant's sellable stock, summed over its locations (shopify.md §6).

    `available` goes negative when `policy` is CONTINUE and orders took more than there was;
    it means nothing when `tracked` is False (Shopify does not count that item).
    """

    variant_id: int
    sku: str | None
    available: int
    policy: str  # ProductVariantInventoryPolicy: DENY or CONTINUE
    tracked: bool
    inventory_item_id: int
    levels: tuple[LocationStock, ...] = ()
    inventory_quantity: int | None = None  # ProductVariant.inventoryQuantity, Shopify's own sum

    @property
    def backorderable(self) -> bool:
        """Customers may buy it out of stock (`inventoryPolicy: CONTINUE`)."""
        return self.policy == "CONTINUE"

    @property
    def in_stock(self) -> bool:
        return not self.tracked or self.available > 0
