"""A seeded generator of realistic paid Shopify orders in the REST/webhook JSON shape.

The key set and order of every object match `fixtures/shopify/orders_create_docs_2026-07.json`
(shopify.md §3): int64 ids, money as decimal strings, `tags` a ", "-joined string. Orders are
paid, live (`test: false`) and unfulfilled. The same seed gives the same sequence of orders
(apart from the timestamps, which are the generation time).
"""

from __future__ import annotations

import base64
import random
from datetime import datetime
from decimal import Decimal
from typing import Any

from shipflow_sandbox.shopify import catalog
from shipflow_sandbox.shopify.ids import IdAllocator, gid
from shipflow_sandbox.shopify.rest import (
    customer_json,
    line_item_json,
    money,
    money_set,
    shipping_line_json,
    shop_time,
)

SHOP_ID = 548380009
PLACES = {
    "contiguous": catalog.CONTIGUOUS,
    "noncontiguous": catalog.NONCONTIGUOUS,
    "military": catalog.MILITARY,
    "international": catalog.INTERNATIONAL,
}


class OrderGenerator:
    def __init__(self, seed: int, ids: IdAllocator, shop_domain: str) -> None:
        self.rng = random.Random(f"orders:{seed}")
        self.ids = ids
        self.shop_domain = shop_domain
        self.number = 0
        product_rng = random.Random(f"products:{seed}")
        self.product_ids = [8_100_000_000_000 + product_rng.randrange(10**9) for _ in range(12)]
        self.variant_ids = {
            p.sku: 44_600_000_000_000 + product_rng.randrange(10**10) for p in catalog.CATALOG
        }

    def next_number(self) -> int:
        self.number += 1
        return self.number

    def generate(self, now: datetime, *, lines: list[tuple[str, int]] | None = None,
                 destination: str | None = None) -> dict[str, Any]:
        """A paid order; `lines` ((SKU, quantity) pairs) and `destination` (`contiguous`,
        `noncontiguous`, `military` or `international`) are drawn at random when not given."""
        rng = self.rng
        number = self.next_number()
        order_id = self.ids.next("Order")
        first, last = rng.choice(catalog.FIRST_NAMES), rng.choice(catalog.LAST_NAMES)
        local = f"{first}.{last}{rng.randrange(10, 99)}".lower().replace("á", "a")
        email = f"{local}@{rng.choice(catalog.EMAIL_DOMAINS)}"
        place = self._place() if destination is None else rng.choice(PLACES[destination])
        phone = (
            f"+1{place.area_code}55501{rng.randrange(100):02d}"
            if place.country_code in ("US", "PR")
            else None
        )
        address = self._address(first, last, place, phone)
        items = self._line_items() if lines is None else self._chosen_lines(lines)
        subtotal = sum((Decimal(li["price"]) * li["quantity"] for li in items), Decimal(0))
        title, code, ship_price = rng.choice(catalog.SHIPPING_RATES[place.kind])
        if title == "Free Shipping" and subtotal < 50:
            title, code, ship_price = catalog.SHIPPING_RATES["contiguous"][0]
        total = subtotal + Decimal(ship_price)
        created = shop_time(now)
        token = "%032x" % rng.getrandbits(128)
        customer_id = self.ids.next("Customer")
        tags = ", ".join(
            sorted(rng.sample(["repeat-buyer", "wholesale", "vip"], rng.choice([0, 0, 0, 1])))
        )
        s, t, z = money(subtotal), money(total), "0.00"
        return {
            "id": order_id,
            "admin_graphql_api_id": gid("Order", order_id),
            "app_id": 580111,
            "browser_ip": f"203.0.113.{rng.randrange(1, 255)}",
            "buyer_accepts_marketing": rng.random() < 0.4,
            "cancel_reason": None,
            "cancelled_at": None,
            "cart_token": None,
            "checkout_token": "%032x" % rng.getrandbits(128),
            "client_details": None,
            "closed_at": None,
            "confirmation_number": "".join(
                rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(9)
            ),
            "confirmed": True,
            "contact_email": email,
            "created_at": created,
            "currency": "USD",
            "current_shipping_price_set": money_set(money(ship_price)),
            "current_subtotal_price": s,
            "current_subtotal_price_set": money_set(s),
            "current_total_additional_fees_set": None,
            "current_total_discounts": z,
            "current_total_discounts_set": money_set(z),
            "current_total_duties_set": None,
            "current_total_price": t,
            "current_total_price_set": money_set(t),
            "current_total_tax": z,
            "current_total_tax_set": money_set(z),
            "customer_locale": "en-US",
            "device_id": None,
            "discount_codes": [],
            "duties_included": False,
            "email": email,
            "estimated_taxes": False,
            "financial_status": "paid",
            "fulfillment_status": None,
            "landing_site": "/",
            "landing_site_ref": None,
            "location_id": None,
            "merchant_business_entity_id": base64.b64encode(str(SHOP_ID).encode())
            .decode()
            .rstrip("="),
            "merchant_of_record_app_id": None,
            "name": f"#{1000 + number}",
            "note": rng.choice([None, None, None, "Please leave at the side door."]),
            "note_attributes": [],
            "number": number,
            "order_number": 1000 + number,
            "order_status_url": f"https://{self.shop_domain}/{SHOP_ID}/orders/{token}"
            f"/authenticate?key={rng.getrandbits(64):016x}",
            "original_total_additional_fees_set": None,
            "original_total_duties_set": None,
            "payment_gateway_names": ["shopify_payments"],
            "phone": None,
            "po_number": None,
            "presentment_currency": "USD",
            "processed_at": created,
            "reference": None,
            "referring_site": None,
            "source_identifier": None,
            "source_name": "web",
            "source_url": None,
            "subtotal_price": s,
            "subtotal_price_set": money_set(s),
            "tags": tags,
            "tax_exempt": False,
            "tax_lines": [],
            "taxes_included": False,
            "test": False,
            "token": token,
            "total_cash_rounding_payment_adjustment_set": money_set(z),
            "total_cash_rounding_refund_adjustment_set": money_set(z),
            "total_discounts": z,
            "total_discounts_set": money_set(z),
            "total_line_items_price": s,
            "total_line_items_price_set": money_set(s),
            "total_outstanding": z,
            "total_price": t,
            "total_price_set": money_set(t),
            "total_shipping_price_set": money_set(money(ship_price)),
            "total_tax": z,
            "total_tax_set": money_set(z),
            "total_tip_received": z,
            "total_weight": sum(li["grams"] * li["quantity"] for li in items),
            "updated_at": created,
            "user_id": None,
            "billing_address": dict(address),
            "customer": customer_json(
                customer_id,
                self.ids.next("MailingAddress"),
                first,
                last,
                email,
                phone,
                address,
                created,
            ),
            "discount_applications": [],
            "fulfillments": [],
            "line_items": items,
            "payment_terms": None,
            "refunds": [],
            "shipping_address": address,
            "shipping_lines": [
                shipping_line_json(self.ids.next("ShippingLine"), title, code, money(ship_price))
            ],
            "returns": [],
            "line_item_groups": [],
        }

    def _chosen_lines(self, lines: list[tuple[str, int]]) -> list[dict[str, Any]]:
        by_sku = {p.sku: p for p in catalog.CATALOG}
        return [
            line_item_json(self.ids.next("LineItem"), by_sku[sku], quantity,
                           self.product_ids[by_sku[sku].product_index],
                           self.variant_ids[sku])
            for sku, quantity in lines
        ]

    def _place(self) -> catalog.Place:
        roll = self.rng.random()
        if roll < 0.84:
            return self.rng.choice(catalog.CONTIGUOUS)
        if roll < 0.92:
            return self.rng.choice(catalog.NONCONTIGUOUS)
        if roll < 0.95:
            return self.rng.choice(catalog.MILITARY)
        return self.rng.choice(catalog.INTERNATIONAL)

    def _address(
        self, first: str, last: str, place: catalog.Place, phone: str | None
    ) -> dict[str, Any]:
        rng = self.rng
        if place.kind == "military":
            address1, address2 = (
                f"Unit {rng.randrange(2000, 9999)} Box {rng.randrange(100, 999)}",
                None,
            )
        else:
            address1 = f"{rng.randrange(12, 9899)} {rng.choice(catalog.STREETS)}"
            address2 = rng.choice(
                [None, None, None, f"Apt {rng.randrange(1, 40)}{rng.choice('ABCD')}"]
            )
        return {
            "first_name": first,
            "address1": address1,
            "phone": phone,
            "city": place.city,
            "zip": place.zip,
            "province": place.province,
            "country": place.country,
            "last_name": last,
            "address2": address2,
            "company": rng.choice([None] * 7 + ["Northwind Studio"]),
            "latitude": None,
            "longitude": None,
            "name": f"{first} {last}",
            "country_code": place.country_code,
            "province_code": place.province_code,
        }

    def _line_items(self) -> list[dict[str, Any]]:
        rng = self.rng
        count = rng.choices([1, 2, 3, 4], weights=[45, 30, 17, 8])[0]
        products = rng.sample(catalog.CATALOG, count)
        if not any(p.requires_shipping for p in products):
            # A digital-only order exists in real stores but needs no label; the generated
            # traffic models orders that ship, so swap in a physical product.
            physical = [p for p in catalog.CATALOG if p.requires_shipping]
            products[0] = rng.choice(physical)
        return [
            line_item_json(
                self.ids.next("LineItem"),
                p,
                rng.choices([1, 2, 3], weights=[75, 20, 5])[0],
                self.product_ids[p.product_index],
                self.variant_ids[p.sku],
            )
            for p in products
        ]
