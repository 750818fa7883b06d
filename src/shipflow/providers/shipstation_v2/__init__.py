"""ShipStation v2 (ShipEngine): rates, labels, tracking and RSA-signed webhooks.

Its own provider package beside v1 (`providers/shipstation`): the two APIs share a brand, not a
wire format, credentials or rate limits.
"""

from shipflow.providers.shipstation_v2.client import ShipStationV2Client
from shipflow.providers.shipstation_v2.rating import (
    order_rate_request,
    order_shipment,
    package_for_order,
)
from shipflow.providers.shipstation_v2.webhooks import (
    JwksCache,
    V2Webhook,
    jwks_fetcher,
    parse_webhook,
    verify_signature,
)
from shipflow.providers.shipstation_v2.wire import (
    Carrier,
    Label,
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

__all__ = [
    "Carrier",
    "JwksCache",
    "Label",
    "Money",
    "Package",
    "Rate",
    "RateResponse",
    "ShipStationV2Client",
    "V2Webhook",
    "VoidResult",
    "Warehouse",
    "WebhookSubscription",
    "jwks_fetcher",
    "order_rate_request",
    "order_shipment",
    "package_for_order",
    "parse_tracking_information",
    "parse_webhook",
    "shipment_request",
    "verify_signature",
]
