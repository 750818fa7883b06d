"""REST/webhook JSON for fulfillments and holds, shaped like the 2026-07 sample payloads.

Key order and value types follow `fixtures/shopify/fulfillments_create_docs_2026-07.json` and
the `fulfillment_orders/*` / `fulfillment_holds/*` samples; enums are lower-case in REST
(shopify.md §8.4).
"""

from __future__ import annotations

from typing import Any

from shipflow_sandbox.shopify.ids import gid
from shipflow_sandbox.shopify.store import (
    Fulfillment,
    FulfillmentHold,
    FulfillmentOrder,
    ShopOrder,
)

SANDBOX_APP_ID = 1_830_279

_TRACKING_URLS = {
    "ups": "https://www.ups.com/WebTracking?loc=en_US&requester=ST&trackNums={n}",
    "usps": "https://tools.usps.com/go/TrackConfirmAction?tLabels={n}",
    "fedex": "https://www.fedex.com/fedextrack/?trknbr={n}",
    "dhl express": "https://www.dhl.com/en/express/tracking.html?AWB={n}",
}

_LINE_KEYS = (
    "id",
    "variant_id",
    "title",
    "quantity",
    "sku",
    "variant_title",
    "vendor",
    "fulfillment_service",
    "product_id",
    "requires_shipping",
    "taxable",
    "gift_card",
    "name",
    "variant_inventory_management",
    "properties",
    "product_exists",
    "fulfillable_quantity",
    "grams",
    "price",
    "total_discount",
    "fulfillment_status",
    "price_set",
    "total_discount_set",
    "discount_allocations",
    "duties",
    "admin_graphql_api_id",
    "tax_lines",
)


def carrier_tracking_url(company: str | None, number: str | None) -> str | None:
    """Shopify fills in the tracking URL for carriers it knows when none is given."""
    template = _TRACKING_URLS.get((company or "").strip().lower())
    return template.format(n=number) if template and number else None


def fulfillment_json(order: ShopOrder, fulfillment: Fulfillment) -> dict[str, Any]:
    lines = []
    for line_id, qty in fulfillment.quantities.items():
        li = order.line_item(line_id)
        row = {key: li.get(key) for key in _LINE_KEYS}
        row["quantity"] = qty
        lines.append(row)
    numbers = [t.number for t in fulfillment.tracking if t.number]
    urls = [t.url for t in fulfillment.tracking if t.url]
    company = next((t.company for t in fulfillment.tracking if t.company), None)
    return {
        "id": fulfillment.id,
        "order_id": order.id,
        "status": fulfillment.status.lower(),
        "created_at": fulfillment.created_at,
        "service": "manual",
        "updated_at": fulfillment.updated_at,
        "tracking_company": company,
        "shipment_status": None,
        "location_id": None,
        "origin_address": None,
        "email": order.rest.get("email"),
        "destination": order.rest.get("shipping_address"),
        "line_items": lines,
        "tracking_number": numbers[0] if numbers else None,
        "tracking_numbers": numbers,
        "tracking_url": urls[0] if urls else None,
        "tracking_urls": urls,
        "receipt": {},
        "name": fulfillment.name,
        "admin_graphql_api_id": fulfillment.gid,
    }


def hold_json(hold: FulfillmentHold) -> dict[str, Any]:
    return {
        "id": gid("FulfillmentHold", hold.id),
        "reason": hold.reason.lower(),
        "reason_notes": hold.reason_notes,
        "held_by_requesting_app": hold.held_by_requesting_app,
        "handle": hold.handle,
        "held_by_app": {"id": gid("App", SANDBOX_APP_ID)},
    }


def placed_on_hold_json(
    fo: FulfillmentOrder,
    hold: FulfillmentHold,
    remaining: FulfillmentOrder | None,
    held_lines: list[tuple[int, int]],
) -> dict[str, Any]:
    return {
        "fulfillment_order": {
            "id": fo.gid,
            "status": fo.status.lower(),
            "fulfillment_holds": [hold_json(h) for h in fo.holds],
        },
        "remaining_fulfillment_order": (
            {"id": remaining.gid, "status": remaining.status.lower()} if remaining else None
        ),
        "held_fulfillment_order_line_items": [
            {"id": gid("FulfillmentOrderLineItem", line_id), "quantity": qty}
            for line_id, qty in held_lines
        ],
        "created_fulfillment_hold": hold_json(hold),
    }


def hold_event_json(fo: FulfillmentOrder, hold: FulfillmentHold) -> dict[str, Any]:
    return {"fulfillment_order": {"id": fo.gid}, "fulfillment_hold": hold_json(hold)}


def hold_released_json(fo: FulfillmentOrder) -> dict[str, Any]:
    return {"fulfillment_order": {"id": fo.gid, "status": fo.status.lower()}}
