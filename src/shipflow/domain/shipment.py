"""A parcel that left the warehouse: the label ShipStation printed and its tracking."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class ShipmentItem:
    sku: str | None
    name: str
    quantity: int


@dataclass(frozen=True, slots=True)
class TrackingInfo:
    """What the customer and Shopify need to follow a parcel."""

    number: str
    carrier_code: str
    company: str  # the display name Shopify and Klaviyo show, e.g. "UPS"
    url: str


@dataclass(frozen=True, slots=True)
class Shipment:
    """One label. `order_key` is the ShipStation orderKey shipflow set (the Shopify order id)."""

    shipment_id: str
    order_key: str
    order_number: str
    tracking_number: str
    carrier_code: str
    service_code: str | None
    ship_date: date | None
    items: tuple[ShipmentItem, ...] = ()
    voided: bool = False
    platform_order_id: int | None = None  # ShipStation's orderId of the labelled order

    @property
    def shopify_order_id(self) -> int | None:
        """The Shopify order id encoded in the orderKey, or None for orders shipflow did not push."""
        head = self.order_key.split(":")[-1].split("-")[0]  # split parts end in "-2", "-3"...
        return int(head) if head.isdigit() else None
