"""Builders of the REST/webhook sub-objects of an order: money, customer, line item, shipping line.

Key sets and order follow `fixtures/shopify/orders_create_docs_2026-07.json`; money values are
decimal strings with a `*_set` twin in shop and presentment currency.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from shipflow_sandbox.shopify.catalog import Product
from shipflow_sandbox.shopify.ids import gid

SHOP_TZ = ZoneInfo("America/New_York")


def money(value: Decimal | str) -> str:
    return f"{Decimal(value):.2f}"


def money_set(amount: str, currency: str = "USD") -> dict[str, Any]:
    return {
        "shop_money": {"amount": amount, "currency_code": currency},
        "presentment_money": {"amount": amount, "currency_code": currency},
    }


def shop_time(moment: datetime) -> str:
    return moment.astimezone(SHOP_TZ).isoformat(timespec="seconds")


def customer_json(
    cid: int,
    address_id: int,
    first: str,
    last: str,
    email: str,
    phone: str | None,
    address: dict[str, Any],
    created: str,
) -> dict[str, Any]:
    default = {
        "id": address_id,
        "customer_id": cid,
        "first_name": first,
        "last_name": last,
        "company": address["company"],
        "address1": address["address1"],
        "address2": address["address2"],
        "city": address["city"],
        "province": address["province"],
        "country": address["country"],
        "zip": address["zip"],
        "phone": phone,
        "name": f"{first} {last}",
        "province_code": address["province_code"],
        "country_code": address["country_code"],
        "country_name": address["country"],
        "default": True,
    }
    return {
        "id": cid,
        "created_at": created,
        "updated_at": created,
        "first_name": first,
        "last_name": last,
        "state": "enabled",
        "note": None,
        "verified_email": True,
        "multipass_identifier": None,
        "tax_exempt": False,
        "email": email,
        "phone": phone,
        "currency": "USD",
        "tax_exemptions": [],
        "admin_graphql_api_id": gid("Customer", cid),
        "default_address": default,
    }


def line_item_json(
    line_id: int, product: Product, quantity: int, product_id: int, variant_id: int
) -> dict[str, Any]:
    name = f"{product.title} - {product.variant_title}" if product.variant_title else product.title
    return {
        "id": line_id,
        "admin_graphql_api_id": gid("LineItem", line_id),
        "attributed_staffs": [],
        "current_quantity": quantity,
        "fulfillable_quantity": quantity,
        "fulfillment_service": "manual",
        "fulfillment_status": None,
        "gift_card": False,
        "grams": product.grams,
        "name": name,
        "price": product.price,
        "price_set": money_set(product.price),
        "product_exists": True,
        "product_id": product_id,
        "properties": [],
        "quantity": quantity,
        "requires_shipping": product.requires_shipping,
        "sales_line_item_group_id": None,
        "sku": product.sku,
        "taxable": True,
        "title": product.title,
        "total_discount": "0.00",
        "total_discount_set": money_set("0.00"),
        "variant_id": variant_id,
        "variant_inventory_management": "shopify",
        "variant_title": product.variant_title,
        "vendor": product.vendor,
        "tax_lines": [],
        "duties": [],
        "discount_allocations": [],
    }


def shipping_line_json(line_id: int, title: str, code: str, price: str) -> dict[str, Any]:
    return {
        "id": line_id,
        "carrier_identifier": None,
        "code": code,
        "current_discounted_price_set": money_set(price),
        "discounted_price": price,
        "discounted_price_set": money_set(price),
        "is_removed": False,
        "phone": None,
        "price": price,
        "price_set": money_set(price),
        "requested_fulfillment_service_id": None,
        "source": "shopify",
        "title": title,
        "tax_lines": [],
        "discount_allocations": [],
    }
