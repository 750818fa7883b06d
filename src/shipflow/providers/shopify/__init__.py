"""Shopify: order and inventory webhooks in; fulfillments, holds and tags out (Admin GraphQL)."""

from shipflow.providers.shopify.client import ShopifyClient
from shipflow.providers.shopify.models import (
    Fulfillment,
    FulfillmentHold,
    FulfillmentOrder,
    FulfillmentOrderLineItem,
    FulfillmentOrderRef,
    FulfillmentTracking,
    HoldReason,
    HoldResult,
    LineItemQuantity,
    ThrottleStatus,
    gid,
)
from shipflow.providers.shopify.webhooks import (
    InventoryLevelUpdate,
    WebhookHeaders,
    parse_headers,
    parse_inventory_level,
    parse_order,
    verify_hmac,
)

__all__ = [
    "Fulfillment",
    "FulfillmentHold",
    "FulfillmentOrder",
    "FulfillmentOrderLineItem",
    "FulfillmentOrderRef",
    "FulfillmentTracking",
    "HoldReason",
    "HoldResult",
    "InventoryLevelUpdate",
    "LineItemQuantity",
    "ShopifyClient",
    "ThrottleStatus",
    "WebhookHeaders",
    "gid",
    "parse_headers",
    "parse_inventory_level",
    "parse_order",
    "verify_hmac",
]
