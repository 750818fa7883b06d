"""Domain objects <-> JSON for the JSON columns (Decimals and datetimes kept exact)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from shipflow.domain.order import Address, Customer, LineItem, Order
from shipflow.domain.tracking_events import TrackingScan, TrackingStatus, TrackingUpdate


def _address(a: Address | None) -> dict[str, Any] | None:
    if a is None:
        return None
    return {
        "name": a.name, "address1": a.address1, "address2": a.address2, "city": a.city,
        "province_code": a.province_code, "zip": a.zip, "country_code": a.country_code,
        "company": a.company, "phone": a.phone,
    }


def order_to_json(order: Order) -> dict[str, Any]:
    customer = order.customer
    return {
        "shopify_order_id": order.shopify_order_id,
        "shop_domain": order.shop_domain,
        "name": order.name,
        "created_at": order.created_at.isoformat(),
        "updated_at": order.updated_at.isoformat(),
        "financial_status": order.financial_status,
        "currency": order.currency,
        "total_price": str(order.total_price),
        "shipping_price": str(order.shipping_price),
        "total_tax": str(order.total_tax),
        "email": order.email,
        "shipping_method": order.shipping_method,
        "tags": list(order.tags),
        "test": order.test,
        "cancelled_at": order.cancelled_at.isoformat() if order.cancelled_at else None,
        "note": order.note,
        "refunded": [list(r) for r in order.refunded],
        "presentment_total_price": (str(order.presentment_total_price)
                                    if order.presentment_total_price is not None else None),
        "presentment_currency": order.presentment_currency,
        "customer": None if customer is None else {
            "customer_id": customer.customer_id, "email": customer.email, "phone": customer.phone,
            "first_name": customer.first_name, "last_name": customer.last_name,
        },
        "shipping_address": _address(order.shipping_address),
        "billing_address": _address(order.billing_address),
        "line_items": [
            {
                "line_item_id": li.line_item_id, "sku": li.sku, "title": li.title,
                "variant_title": li.variant_title, "quantity": li.quantity,
                "unit_price": str(li.unit_price), "grams": li.grams, "product_id": li.product_id,
                "variant_id": li.variant_id, "requires_shipping": li.requires_shipping,
            }
            for li in order.line_items
        ],
    }


def order_from_json(data: dict[str, Any]) -> Order:
    def address(raw: dict[str, Any] | None) -> Address | None:
        return None if raw is None else Address(**raw)

    customer = data.get("customer")
    return Order(
        shopify_order_id=int(data["shopify_order_id"]),
        shop_domain=data["shop_domain"],
        name=data["name"],
        created_at=datetime.fromisoformat(data["created_at"]),
        updated_at=datetime.fromisoformat(data["updated_at"]),
        financial_status=data["financial_status"],
        currency=data["currency"],
        total_price=Decimal(data["total_price"]),
        shipping_price=Decimal(data["shipping_price"]),
        total_tax=Decimal(data["total_tax"]),
        email=data.get("email"),
        shipping_method=data.get("shipping_method"),
        tags=tuple(data.get("tags") or ()),
        test=bool(data.get("test")),
        cancelled_at=datetime.fromisoformat(data["cancelled_at"]) if data.get("cancelled_at") else None,
        note=data.get("note"),
        refunded=tuple((int(a), int(b)) for a, b in data.get("refunded") or ()),
        presentment_total_price=Decimal(data["presentment_total_price"])
        if data.get("presentment_total_price") is not None else None,
        presentment_currency=data.get("presentment_currency"),
        customer=Customer(**customer) if customer else None,
        shipping_address=address(data.get("shipping_address")),
        billing_address=address(data.get("billing_address")),
        line_items=tuple(
            LineItem(**{**li, "unit_price": Decimal(li["unit_price"])}) for li in data["line_items"]
        ),
    )


def tracking_update_to_json(update: TrackingUpdate) -> dict[str, Any]:
    def scan(s: TrackingScan) -> dict[str, Any]:
        return {"occurred_at": s.occurred_at.isoformat(), "status_code": s.status_code.value,
                "description": s.description, "status_detail_code": s.status_detail_code,
                "carrier_detail_code": s.carrier_detail_code, "city": s.city, "state": s.state,
                "postal_code": s.postal_code, "country_code": s.country_code,
                "signer": s.signer}

    def moment(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {"tracking_number": update.tracking_number, "carrier_code": update.carrier_code,
            "status_code": update.status_code.value, "scans": [scan(s) for s in update.scans],
            "status_detail_code": update.status_detail_code,
            "estimated_delivery": moment(update.estimated_delivery),
            "actual_delivery": moment(update.actual_delivery),
            "tracking_url": update.tracking_url, "label_id": update.label_id}


def tracking_update_from_json(data: dict[str, Any]) -> TrackingUpdate:
    def moment(value: str | None) -> datetime | None:
        return datetime.fromisoformat(value) if value else None

    return TrackingUpdate(
        tracking_number=data["tracking_number"], carrier_code=data["carrier_code"],
        status_code=TrackingStatus(data["status_code"]),
        scans=tuple(TrackingScan(**{**s, "occurred_at": datetime.fromisoformat(s["occurred_at"]),
                                    "status_code": TrackingStatus(s["status_code"])})
                    for s in data["scans"]),
        status_detail_code=data.get("status_detail_code"),
        estimated_delivery=moment(data.get("estimated_delivery")),
        actual_delivery=moment(data.get("actual_delivery")),
        tracking_url=data.get("tracking_url"), label_id=data.get("label_id"))
