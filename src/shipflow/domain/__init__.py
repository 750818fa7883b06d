"""The pure domain: orders, shipments, milestones and the keys that make them idempotent.

Nothing here does I/O or imports a framework; providers map their wire formats to and from
these types, the engine moves them through the lifecycle.
"""

from shipflow.domain.milestone import Milestone, MilestoneEvent
from shipflow.domain.order import Address, Customer, LineItem, Order, OrderState
from shipflow.domain.shipment import Shipment, ShipmentItem, TrackingInfo

__all__ = [
    "Address",
    "Customer",
    "LineItem",
    "Milestone",
    "MilestoneEvent",
    "Order",
    "OrderState",
    "Shipment",
    "ShipmentItem",
    "TrackingInfo",
]
