"""ShipStation v1: orders out (createorder upserts keyed by orderKey), labels and shipments in."""

from shipflow.providers.shipstation.client import ShipStationClient, rate_budget
from shipflow.providers.shipstation.mapping import (
    Carrier,
    CreateOrderResult,
    CreateOrdersResult,
    Label,
    OrderItem,
    OrdersPage,
    ShipmentsPage,
    ShipStationOrder,
    SkippedShipment,
    order_request,
    parse_create_orders_response,
    parse_order,
    parse_shipment,
    parse_shipments_page,
)
from shipflow.providers.shipstation.webhooks import (
    ResourcePointer,
    is_allowed_resource_url,
    parse_pointer,
    verify_token,
)

__all__ = [
    "Carrier",
    "CreateOrderResult",
    "CreateOrdersResult",
    "Label",
    "OrderItem",
    "OrdersPage",
    "ResourcePointer",
    "ShipStationClient",
    "ShipStationOrder",
    "ShipmentsPage",
    "SkippedShipment",
    "is_allowed_resource_url",
    "order_request",
    "parse_create_orders_response",
    "parse_order",
    "parse_pointer",
    "parse_shipment",
    "parse_shipments_page",
    "rate_budget",
    "verify_token",
]
