"""Customer-facing milestones and the facts each one tells, independent of any messaging platform.

An event carries what happened, as typed facts (snake_case, domain types, dates as `date`,
instants as `datetime`); how a platform names and formats them (Klaviyo's PascalCase
properties, its "leave empty values out" rule) is the provider's business
(`shipflow.providers.klaviyo.properties`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import TypeAlias

from shipflow.domain.shipment import TrackingInfo
from shipflow.domain.tracking_events import ExceptionType, TrackingScan


class Milestone(StrEnum):
    """Default metric names (shared/specs/klaviyo.md §5.3)."""

    ORDER_SHIPPED = "Order Shipped"
    SHIPMENT_DELAYED = "Shipment Delayed"
    OUT_FOR_DELIVERY = "Shipment Out For Delivery"
    ORDER_DELIVERED = "Order Delivered"
    DELIVERY_EXCEPTION = "Delivery Exception"
    REVIEW_REQUEST_DUE = "Review Request Due"
    REORDER_REMINDER_DUE = "Reorder Reminder Due"
    BACKORDER_DELAYED = "Backorder Delayed"
    BACK_IN_STOCK = "Back In Stock"


# -- shared pieces -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class OrderSummary:
    """The order an event is about, as the customer knows it."""

    order_id: int  # Shopify's order id
    name: str  # "#1001"


@dataclass(frozen=True, slots=True)
class ProductLine:
    """One order line, with the units the event is about (shipped, missing, ordered...)."""

    name: str  # "Mug - Blue": title and variant title
    sku: str | None
    product_id: int | None
    variant_id: int | None
    quantity: int


@dataclass(frozen=True, slots=True)
class ShippingRegion:
    """Where a parcel goes, to the postcode (no street, no name)."""

    city: str
    region_code: str | None
    country_code: str
    zip: str


@dataclass(frozen=True, slots=True)
class ShipmentSummary:
    """One parcel: its tracking, its dates and what it carries.

    `items` are the order lines the parcel carries, each with the units it carries;
    `partial` is true when the order's shippable units are not all in this parcel.
    `estimated_delivery` is the promised calendar date, when one is known.
    """

    shipment_id: str
    tracking: TrackingInfo
    service_code: str | None
    shipping_method: str | None  # what the customer chose at checkout
    ship_date: date | None
    estimated_delivery: date | None
    items: tuple[ProductLine, ...]
    partial: bool
    destination: ShippingRegion | None

    @property
    def units(self) -> int:
        return sum(item.quantity for item in self.items)


# -- one kind of facts per milestone -----------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ShippedFacts:
    """`Order Shipped`."""

    shipment: ShipmentSummary


@dataclass(frozen=True, slots=True)
class DelayedFacts:
    """`Shipment Delayed`: a `DelayNotice` (`reason` is its `DelayReason`). `days_late` is
    whole days past the estimate, 0 when not meaningful; `shipment.estimated_delivery` is
    `new_estimate`."""

    shipment: ShipmentSummary
    reason: str
    previous_estimate: date | None
    new_estimate: date | None
    days_late: int


@dataclass(frozen=True, slots=True)
class OutForDeliveryFacts:
    """`Shipment Out For Delivery`, with the carrier's scan that said so."""

    shipment: ShipmentSummary
    scan: TrackingScan


@dataclass(frozen=True, slots=True)
class DeliveredFacts:
    """`Order Delivered`, with the carrier's delivery scan (when, where, signed by)."""

    shipment: ShipmentSummary
    scan: TrackingScan


@dataclass(frozen=True, slots=True)
class ExceptionFacts:
    """`Delivery Exception`: what went wrong, on which scan. `description` is the scan's or,
    when it has none, a plain sentence; `action_required` when the customer has to act."""

    shipment: ShipmentSummary
    exception: ExceptionType
    scan: TrackingScan
    description: str
    action_required: bool


@dataclass(frozen=True, slots=True)
class ReviewDueFacts:
    """`Review Request Due` for the items of one delivered parcel."""

    shipment: ShipmentSummary
    delivered_at: datetime
    days_since_delivery: float


@dataclass(frozen=True, slots=True)
class ReorderDueFacts:
    """`Reorder Reminder Due` for one product. `product.quantity` is that line's own;
    `quantity_last_ordered` counts every line of the order with the product's SKU."""

    product: ProductLine
    last_ordered_at: datetime
    quantity_last_ordered: int
    expected_depletion: date


@dataclass(frozen=True, slots=True)
class BackorderFacts:
    """`Backorder Delayed`: the lines waiting for stock, each with the units missing.
    `original_ship_date` is the order's own date (the promise was to ship on receipt)."""

    items: tuple[ProductLine, ...]
    original_ship_date: date
    new_expected_ship_date: date | None
    reason: str  # "out_of_stock"


@dataclass(frozen=True, slots=True)
class BackInStockFacts:
    """`Back In Stock`: the order's restocked lines, each with its ordered quantity."""

    items: tuple[ProductLine, ...]


MilestoneFacts: TypeAlias = (ShippedFacts | DelayedFacts | OutForDeliveryFacts | DeliveredFacts
                  | ExceptionFacts | ReviewDueFacts | ReorderDueFacts | BackorderFacts
                  | BackInStockFacts)


@dataclass(frozen=True, slots=True)
class MilestoneEvent:
    """One event for one customer profile. `unique_id` makes a retry harmless."""

    milestone: Milestone
    unique_id: str
    time: datetime
    email: str | None
    phone: str | None
    order: OrderSummary
    facts: MilestoneFacts
    first_name: str | None = None
    last_name: str | None = None
    external_id: str | None = None
