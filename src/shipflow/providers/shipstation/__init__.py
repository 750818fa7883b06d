"""ShipStation: v1 orders out (createorder upserts keyed by orderKey), labels and shipments in;
v2 rates, labels, tracking and RSA-signed webhooks (`v2_*` modules)."""

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
from shipflow.providers.shipstation.v2_client import ShipStationV2Client, jwks_fetcher
from shipflow.providers.shipstation.v2_rating import (
    order_rate_request,
    order_shipment,
    package_for_order,
)
from shipflow.providers.shipstation.v2_webhooks import (
    JwksCache,
    SignatureError,
    V2Webhook,
    parse_webhook,
    verify_signature,
)
from shipflow.providers.shipstation.v2_wire import Carrier as V2Carrier
from shipflow.providers.shipstation.v2_wire import Label as V2Label
from shipflow.providers.shipstation.v2_wire import (
    Money,
    Package,
    Rate,
    RateResponse,
    VoidResult,
    Warehouse,
    WebhookSubscription,
    parse_tracking_information,
    shipment_request,
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
    "JwksCache",
    "Label",
    "MarkedShipped",
    "Money",
    "OrderItem",
    "OrdersPage",
    "Package",
    "Rate",
    "RateQuote",
    "RateResponse",
    "ResourcePointer",
    "ShipStationClient",
    "ShipStationFulfillment",
    "ShipStationOrder",
    "ShipStationV2Client",
    "ShipmentsPage",
    "SignatureError",
    "SkippedShipment",
    "Tag",
    "V2Carrier",
    "V2Label",
    "V2Webhook",
    "VoidResult",
    "Warehouse",
    "WebhookSubscription",
    "is_allowed_resource_url",
    "jwks_fetcher",
    "order_rate_request",
    "order_request",
    "order_shipment",
    "package_for_order",
    "parse_create_orders_response",
    "parse_order",
    "parse_pointer",
    "parse_shipment",
    "parse_shipments_page",
    "parse_tracking_information",
    "parse_webhook",
    "rate_budget",
    "shipment_request",
    "verify_signature",
    "verify_token",
]
