"""Parsing a page of `paidOrders` into the intake `Order` a webhook would give."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from shipflow.providers.fields import Fields
from shipflow.providers.shopify.paid_orders import paid_orders_query, parse_paid_orders_page


def money(amount: str, currency: str = "USD") -> dict[str, Any]:
    return {"shopMoney": {"amount": amount, "currencyCode": currency},
            "presentmentMoney": {"amount": amount, "currencyCode": currency}}


def node(order_id: int, *, more_lines: bool = False) -> dict[str, Any]:
    address = {"name": "A Person", "firstName": "A", "lastName": "Person",
               "address1": "1 Main St", "address2": None, "city": "Austin", "zip": "78701",
               "provinceCode": "TX", "countryCodeV2": "US", "company": None, "phone": None}
    return {
        "id": f"gid://shopify/Order/{order_id}", "legacyResourceId": str(order_id),
        "name": "#1001", "email": "a@example.com", "note": None, "tags": ["vip", " "],
        "createdAt": "2026-12-01T10:00:00-05:00", "updatedAt": "2026-12-01T10:05:00-05:00",
        "cancelledAt": None, "displayFinancialStatus": "PAID", "currencyCode": "USD",
        "presentmentCurrencyCode": "USD", "totalPriceSet": money("54.50"),
        "totalShippingPriceSet": {"shopMoney": {"amount": "5.00"}},
        "totalTaxSet": {"shopMoney": {"amount": "4.50"}},
        "shippingLine": {"title": "Standard"}, "shippingAddress": address,
        "billingAddress": address,
        "customer": {"legacyResourceId": "77", "email": "a@example.com", "phone": None,
                     "firstName": "A", "lastName": "Person"},
        "lineItems": {"pageInfo": {"hasNextPage": more_lines}, "nodes": [{
            "id": "gid://shopify/LineItem/9001", "sku": "BEAN-ETH-340", "title": "Beans",
            "variantTitle": "340 g", "quantity": 3, "currentQuantity": 2,
            "requiresShipping": True, "originalUnitPriceSet": {"shopMoney": {"amount": "22.50"}},
            "variant": {"legacyResourceId": "501"}, "product": {"legacyResourceId": "601"}}]},
        "fulfillments": [{"id": "gid://shopify/Fulfillment/1", "status": "SUCCESS",
                          "trackingInfo": [{"company": "UPS", "number": "1Z999",
                                            "url": None}]}],
    }


def test_a_page_becomes_intake_orders() -> None:
    data = {"orders": {"pageInfo": {"hasNextPage": True, "endCursor": "c2"},
                       "nodes": [node(1), node(2, more_lines=True)]}}
    found, unread, after = parse_paid_orders_page(Fields(data), "shop.myshopify.com")
    assert after == "c2"
    assert [(u.shopify_order_id, u.reason) for u in unread] == [(2, "more than 10 lines")]
    [paid] = found
    order = paid.order
    assert order.shopify_order_id == 1 and order.shop_domain == "shop.myshopify.com"
    assert order.financial_status == "paid" and order.is_paid
    assert order.total_price == Decimal("54.50") and order.shipping_price == Decimal("5.00")
    assert order.tags == ("vip",)
    [line] = order.line_items
    assert (line.line_item_id, line.quantity, line.variant_id, line.product_id) == \
        (9001, 2, 501, 601)  # the current quantity, after edits
    assert order.shipping_address is not None and order.shipping_address.country_code == "US"
    assert order.customer is not None and order.customer.customer_id == 77
    assert [t.number for f in paid.fulfillments for t in f.tracking] == ["1Z999"]


def test_the_search_names_paid_orders_updated_since() -> None:
    since = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)
    assert paid_orders_query(since) == "updated_at:>='2026-11-28T12:00:00Z' financial_status:paid"


def test_a_us_territory_reads_as_the_webhook_names_it() -> None:
    pr = node(3)
    pr["shippingAddress"] = {**pr["shippingAddress"], "countryCodeV2": "US", "provinceCode": "PR",
                             "city": "San Juan"}
    data = {"orders": {"pageInfo": {"hasNextPage": False}, "nodes": [pr]}}
    [paid], _, _ = parse_paid_orders_page(Fields(data), "shop.myshopify.com")
    address = paid.order.shipping_address
    assert address is not None and (address.country_code, address.province_code) == ("PR", None)
