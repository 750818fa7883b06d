"""Customer-facing milestones sent to the messaging platform (Klaviyo)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


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


@dataclass(frozen=True, slots=True)
class MilestoneEvent:
    """One event for one customer profile. `unique_id` makes a retry harmless."""

    milestone: Milestone
    unique_id: str
    time: datetime
    email: str | None
    phone: str | None
    properties: dict[str, Any] = field(default_factory=dict)
    first_name: str | None = None
    last_name: str | None = None
    external_id: str | None = None
