"""ShipStation v1: orders out (createorder upserts keyed by orderKey), labels and shipments in.
The v2 API (rates, labels, tracking, RSA-signed webhooks) is `providers/shipstation_v2`."""

from shipflow.providers.shipstation.client import ShipStationClient, rate_budget
from shipflow.providers.shipstation.mapping import (
    Carrier,
    CreateOrderResult,
    CreateOrdersResult,
    Label,
    MarkedShipped,
    OrderItem,
    OrdersPage,
    RateQuote,
    ShipmentsPage,
    ShipStationFulfillment,
    ShipStationOrder,
    SkippedShipment,
    Tag,
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
    "MarkedShipped",
    "OrderItem",
    "OrdersPage",
    "RateQuote",
    "ResourcePointer",
    "ShipStationClient",
    "ShipStationFulfillment",
    "ShipStationOrder",
    "ShipmentsPage",
    "SkippedShipment",
    "Tag",
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
