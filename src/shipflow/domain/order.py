"""A Shopify order, normalized: what routing, ShipStation and Klaviyo need to know about it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


class OrderState(StrEnum):
    """Where an order is in shipflow's lifecycle (not Shopify's own statuses)."""

    RECEIVED = "received"  # stored, not paid yet
    PAID = "paid"  # paid, waiting for the dispatcher to give it to a workflow
    QUEUED = "queued"  # claimed by a push batch (orders.batch_id), on its way to ShipStation
    IN_SHIPSTATION = "in_shipstation"  # pushed to ShipStation, waiting for a label
    ON_HOLD = "on_hold"  # a rule held it (address review...) on both sides until released
    BACKORDERED = "backordered"  # held whole until its SKUs are restocked
    PARTIALLY_SHIPPED = "partially_shipped"  # split: part shipped, the rest waits for stock
    SHIPPED = "shipped"  # every label printed, Shopify fulfilled, customer told
    DELIVERED = "delivered"  # the carrier delivered every shipment
    NEEDS_ATTENTION = "needs_attention"  # a provider refused a call; a person must look
    NOTHING_TO_SHIP = "nothing_to_ship"  # paid, but no line needs shipping (digital goods)
    CANCELLING = "cancelling"  # cancelled or refunded in Shopify; stopping what is pending
    CANCELLED = "cancelled"

    @property
    def is_stopped(self) -> bool:
        return self in (OrderState.CANCELLING, OrderState.CANCELLED)


@dataclass(frozen=True, slots=True)
class Address:
    name: str
    address1: str
    city: str
    country_code: str
    zip: str = ""
    province_code: str | None = None
    address2: str | None = None
    company: str | None = None
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class Customer:
    customer_id: int | None
    email: str | None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None


@dataclass(frozen=True, slots=True)
class LineItem:
    line_item_id: int
    sku: str | None
    title: str
    quantity: int
    unit_price: Decimal
    grams: int = 0
    variant_title: str | None = None
    product_id: int | None = None
    variant_id: int | None = None
    requires_shipping: bool = True

    @property
    def name(self) -> str:
        return f"{self.title} - {self.variant_title}" if self.variant_title else self.title


@dataclass(frozen=True, slots=True)
class Order:
    """One Shopify order. Ids are Shopify's int64 ids (never floats)."""

    shopify_order_id: int
    shop_domain: str
    name: str  # "#1001", what the customer sees
    created_at: datetime
    updated_at: datetime
    financial_status: str
    currency: str
    total_price: Decimal
    line_items: tuple[LineItem, ...]
    customer: Customer | None = None
    email: str | None = None
    shipping_address: Address | None = None
    billing_address: Address | None = None
    shipping_method: str | None = None
    shipping_price: Decimal = Decimal("0")
    total_tax: Decimal = Decimal("0")
    tags: tuple[str, ...] = field(default=())
    test: bool = False
    cancelled_at: datetime | None = None
    note: str | None = None
    refunded: tuple[tuple[int, int], ...] = ()  # (line item id, units refunded), all refunds
    # What the customer paid in their own currency; `total_price`/`currency` are the shop's.
    presentment_total_price: Decimal | None = None
    presentment_currency: str | None = None

    @property
    def gid(self) -> str:
        return f"gid://shopify/Order/{self.shopify_order_id}"

    @property
    def is_paid(self) -> bool:
        return self.financial_status in ("paid", "partially_refunded") and self.cancelled_at is None

    @property
    def fully_refunded(self) -> bool:
        """Every unit that needed shipping was refunded (shipping itself may not be): nothing is
        left to ship or to follow up on."""
        if self.financial_status in ("refunded", "voided"):
            return True
        refunded: dict[int, int] = {}
        for line_item_id, quantity in self.refunded:
            refunded[line_item_id] = refunded.get(line_item_id, 0) + quantity
        lines = [li for li in self.line_items if li.requires_shipping and li.quantity > 0]
        return bool(lines) and all(refunded.get(li.line_item_id, 0) >= li.quantity
                                   for li in lines)

    @property
    def contact_email(self) -> str | None:
        if self.email:
            return self.email
        return self.customer.email if self.customer else None

    @property
    def shippable_items(self) -> tuple[LineItem, ...]:
        return tuple(li for li in self.line_items if li.requires_shipping and li.quantity > 0)

    @property
    def total_grams(self) -> int:
        return sum(li.grams * li.quantity for li in self.shippable_items)
