"""Builds the milestone events customers receive, from an order and its shipment."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shipflow.domain.keys import milestone_unique_id
from shipflow.domain.milestone import Milestone, MilestoneEvent
from shipflow.domain.order import Order
from shipflow.domain.shipment import Shipment, TrackingInfo

SOURCE = "shipflow"


def _items(order: Order, shipment: Shipment) -> list[dict[str, Any]]:
    shipped_skus = {item.sku for item in shipment.items if item.sku}
    lines = [li for li in order.shippable_items if not shipped_skus or li.sku in shipped_skus]
    return [
        {
            k: v
            for k, v in {
                "ProductID": str(li.product_id) if li.product_id else None,
                "SKU": li.sku or None,
                "ProductName": li.name,
                "Quantity": li.quantity,
            }.items()
            if v is not None
        }
        for li in lines
    ]


def order_shipped(
    order: Order, shipment: Shipment, tracking: TrackingInfo, at: datetime
) -> MilestoneEvent:
    """`Order Shipped` with the real tracking link (klaviyo.md §5.3: no `value`, no empty props)."""
    items = _items(order, shipment)
    properties: dict[str, Any] = {
        "OrderId": str(order.shopify_order_id),
        "OrderName": order.name,
        "ShipmentId": shipment.shipment_id,
        "TrackingNumber": tracking.number,
        "TrackingUrl": tracking.url,
        "Carrier": tracking.company,
        "CarrierCode": tracking.carrier_code,
        "ServiceCode": shipment.service_code,
        "ShippingMethod": order.shipping_method,
        "ShipDate": shipment.ship_date.isoformat() if shipment.ship_date else None,
        "ItemNames": [i["ProductName"] for i in items],
        "ItemCount": sum(int(i["Quantity"]) for i in items),
        "Items": items,
        "Source": SOURCE,
    }
    if order.shipping_address:
        address = order.shipping_address
        properties["ShippingAddress"] = {
            k: v
            for k, v in {
                "City": address.city,
                "RegionCode": address.province_code,
                "CountryCode": address.country_code,
                "Zip": address.zip,
            }.items()
            if v
        }
    customer = order.customer
    return MilestoneEvent(
        milestone=Milestone.ORDER_SHIPPED,
        unique_id=milestone_unique_id(
            Milestone.ORDER_SHIPPED, order.shop_domain, order.shopify_order_id, shipment.shipment_id
        ),
        time=at,
        email=order.contact_email,
        phone=customer.phone if customer else None,
        first_name=customer.first_name if customer else None,
        last_name=customer.last_name if customer else None,
        external_id=str(customer.customer_id) if customer and customer.customer_id else None,
        properties={k: v for k, v in properties.items() if v not in (None, "", [])},
    )
