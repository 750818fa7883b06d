"""Small, explicit domain objects for tests."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

from shipflow.domain.order import Address, Customer, LineItem, Order
from shipflow.domain.shipment import Shipment, ShipmentItem


def an_order(**overrides: object) -> Order:
    values: dict[str, object] = dict(
        shopify_order_id=820982911946154508,
        shop_domain="demo.myshopify.com",
        name="#1001",
        created_at=datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc),
        updated_at=datetime(2026, 11, 1, 12, 5, tzinfo=timezone.utc),
        financial_status="paid",
        currency="USD",
        total_price=Decimal("129.98"),
        customer=Customer(42, "ada@example.org", "+15555550100", "Ada", "Lovelace"),
        email="ada@example.org",
        shipping_address=Address("Ada Lovelace", "1 Main St", "Austin", "US", "78701", "TX"),
        shipping_method="Standard",
        line_items=(
            LineItem(1, "MUG-01", "Mug", 2, Decimal("19.99"), 350, "Blue", 7, 70),
            LineItem(2, "TEE-02", "T-shirt", 1, Decimal("90.00"), 200),
            LineItem(3, None, "Gift card", 1, Decimal("10.00"), requires_shipping=False),
        ),
    )
    values.update(overrides)
    return Order(**values)  # type: ignore[arg-type]


def a_shipment(**overrides: object) -> Shipment:
    values: dict[str, object] = dict(
        shipment_id="33974374",
        order_key="820982911946154508",
        order_number="1001",
        tracking_number="1Z999AA10123456784",
        carrier_code="ups",
        service_code="ups_ground",
        ship_date=date(2026, 11, 2),
        items=(ShipmentItem("MUG-01", "Mug - Blue", 2), ShipmentItem("TEE-02", "T-shirt", 1)),
    )
    values.update(overrides)
    return Shipment(**values)  # type: ignore[arg-type]
