"""Inbound Shopify webhooks: verify the signature, read the headers, parse the payloads we use.

The body is the REST representation of the resource at the subscription's API version
(shopify.md §1, §3). Verification runs on the raw bytes before anything is parsed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Mapping, Sequence

from shipflow.domain.order import Address, Customer, LineItem, Order
from shipflow.providers.errors import MalformedWebhook
from shipflow.providers.fields import Fields, parse_datetime

__all__ = [
    "InventoryLevelUpdate",
    "MalformedWebhook",
    "WebhookHeaders",
    "parse_headers",
    "parse_inventory_level",
    "parse_order",
    "verify_hmac",
]

HMAC_HEADER = "x-shopify-hmac-sha256"
_REQUIRED_HEADERS = {
    "topic": "X-Shopify-Topic",
    "webhook_id": "X-Shopify-Webhook-Id",
    "shop_domain": "X-Shopify-Shop-Domain",
    "api_version": "X-Shopify-API-Version",
}


def verify_hmac(raw_body: bytes, header: str | None, secrets: Sequence[str]) -> bool:
    """True when `header` is base64(HMAC-SHA256(secret, raw_body)) for any of `secrets`.

    Several secrets are accepted because after a rotation Shopify may sign with the old one for
    up to an hour (shopify.md §1.2). An empty body is refused, as Shopify's own library does.
    Every secret is tried, so the time taken does not reveal which one matched.
    """
    if not header or not raw_body:
        return False
    try:
        given = base64.b64decode(header.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    matched = False
    for secret in secrets:
        if not secret:
            continue
        digest = hmac.new(secret.encode(), raw_body, hashlib.sha256).digest()
        matched |= hmac.compare_digest(digest, given)
    return matched


@dataclass(frozen=True, slots=True)
class WebhookHeaders:
    """The delivery metadata. `webhook_id` is the per-delivery dedupe key; `event_id` is shared
    by every delivery one merchant action produced (shopify.md §1.4)."""

    topic: str
    webhook_id: str
    shop_domain: str
    api_version: str
    triggered_at: datetime | None = None
    event_id: str | None = None
    name: str | None = None
    sub_topic: str | None = None


def parse_headers(headers: Mapping[str, str]) -> WebhookHeaders:
    """Read the `X-Shopify-*` headers, whatever their case (HTTP/2 lowercases them).

    Raises `MalformedWebhook` naming every required header that is missing or blank. An
    unparseable `X-Shopify-Triggered-At` is treated as absent: it only helps to drop stale
    deliveries, and refusing the delivery for it would lose the order.
    """
    lowered = {k.lower(): v.strip() for k, v in headers.items() if isinstance(v, str)}
    values = {
        field: lowered.get(name.lower(), "") for field, name in _REQUIRED_HEADERS.items()
    }
    missing = [_REQUIRED_HEADERS[field] for field, value in values.items() if not value]
    if missing:
        raise MalformedWebhook(f"missing header(s): {', '.join(missing)}")
    triggered = lowered.get("x-shopify-triggered-at")
    return WebhookHeaders(
        topic=values["topic"].lower(),
        webhook_id=values["webhook_id"],
        shop_domain=values["shop_domain"].lower(),
        api_version=values["api_version"],
        triggered_at=parse_datetime(triggered) if triggered else None,
        event_id=lowered.get("x-shopify-event-id") or None,
        name=lowered.get("x-shopify-name") or None,
        sub_topic=lowered.get("x-shopify-sub-topic") or None,
    )


# -- orders/* ----------------------------------------------------------------------------------
Money = tuple[Decimal, str]


def _money_set(root: Fields, key: str) -> tuple[Money | None, Money | None]:
    """A `*_set` field: (shop money, presentment money), each (amount, currency code). Rules
    compare the shop's money: an ARS 1,450,000 order is not "high value" in a USD shop."""
    found = root.optional_obj(key)
    if found is None:
        return None, None

    def money(name: str) -> Money | None:
        part = found.optional_obj(name)
        if part is None:
            return None
        return part.req_decimal("amount"), part.req_string("currency_code")

    return money("shop_money"), money("presentment_money")


def parse_order(payload: Any, shop_domain: str) -> Order:
    """The REST order JSON of any `orders/*` topic (shopify.md §3) as a domain `Order`.

    Also accepts the `{"order": {...}}` wrapper of REST responses. Choices where Shopify's
    payload offers several readings:

    - a line's quantity is `current_quantity` (after edits and removals) when present, else
      `quantity`; what left the order must not be shipped;
    - `sku` "" becomes None; `grams` null becomes 0; `requires_shipping` missing means True;
    - `shipping_method` is the title of the first shipping line not marked `is_removed`;
      `shipping_price` is `total_shipping_price_set.shop_money.amount`, else the sum of the
      shipping lines' `price`;
    - `email` is `email`, else `contact_email`; tags are split on "," and stripped;
    - addresses are kept even when protected-data redaction left only country and province
      (missing strings become ""), so routing can hold such an order for review rather than
      the webhook being refused; `name` falls back to "first last".

    Raises `MalformedWebhook` naming the field path when required data is missing or mistyped.
    """
    if isinstance(payload, dict) and set(payload) == {"order"}:
        payload = payload["order"]
    root = Fields(payload, "", MalformedWebhook)
    created_at = root.req_timestamp("created_at")
    shipping_lines = [
        line for line in root.objects("shipping_lines", required=False)
        if not line.boolean("is_removed", False)
    ]
    shop_money, presentment = _money_set(root, "total_price_set")
    return Order(
        shopify_order_id=root.req_integer("id"),
        shop_domain=shop_domain,
        name=root.req_string("name"),
        created_at=created_at,
        updated_at=root.timestamp("updated_at", required=False) or created_at,
        financial_status=root.req_string("financial_status"),
        currency=shop_money[1] if shop_money else root.req_string("currency"),
        total_price=shop_money[0] if shop_money else root.req_decimal("total_price"),
        presentment_total_price=presentment[0] if presentment else None,
        presentment_currency=presentment[1] if presentment else
        root.string("presentment_currency", required=False, empty_is_none=True),
        line_items=tuple(_line_item(li) for li in root.objects("line_items")),
        customer=_customer(root.optional_obj("customer")),
        email=root.string("email", required=False, empty_is_none=True)
        or root.string("contact_email", required=False, empty_is_none=True),
        shipping_address=_address(root.optional_obj("shipping_address")),
        billing_address=_address(root.optional_obj("billing_address")),
        shipping_method=(
            shipping_lines[0].string("title", required=False, empty_is_none=True)
            if shipping_lines else None
        ),
        shipping_price=_shipping_price(root, shipping_lines),
        total_tax=_or_zero(root.decimal("total_tax", required=False)),
        tags=_tags(root.string("tags", required=False)),
        test=root.boolean("test", False),
        cancelled_at=root.timestamp("cancelled_at", required=False),
        note=root.string("note", required=False, empty_is_none=True),
        refunded=_refunded(root),
    )


def _refunded(root: Fields) -> tuple[tuple[int, int], ...]:
    """(line item id, quantity) of every refund line in the order's `refunds`."""
    out = []
    for refund in root.objects("refunds", required=False):
        for line in refund.objects("refund_line_items", required=False):
            line_item_id = line.integer("line_item_id", required=False)
            if line_item_id is None:
                nested = line.optional_obj("line_item")
                line_item_id = nested.integer("id", required=False) if nested else None
            quantity = line.integer("quantity", required=False)
            if line_item_id is not None and quantity:
                out.append((line_item_id, quantity))
    return tuple(out)


def _line_item(f: Fields) -> LineItem:
    ordered = f.req_integer("quantity")
    current = f.integer("current_quantity", required=False)
    if ordered < 0:
        raise f.fail("quantity", "must not be negative")
    if current is not None and current < 0:
        raise f.fail("current_quantity", "must not be negative")
    quantity = current if current is not None else ordered
    title = f.string("title", required=False, empty_is_none=True) or f.req_string("name")
    return LineItem(
        line_item_id=f.req_integer("id"),
        sku=f.string("sku", required=False, empty_is_none=True),
        title=title,
        quantity=quantity,
        unit_price=f.req_decimal("price"),
        grams=f.integer("grams", required=False) or 0,
        variant_title=f.string("variant_title", required=False, empty_is_none=True),
        product_id=f.integer("product_id", required=False),
        variant_id=f.integer("variant_id", required=False),
        requires_shipping=f.boolean("requires_shipping", True),
    )


def _customer(f: Fields | None) -> Customer | None:
    if f is None:
        return None
    return Customer(
        customer_id=f.integer("id", required=False),
        email=f.string("email", required=False, empty_is_none=True),
        phone=f.string("phone", required=False, empty_is_none=True),
        first_name=f.string("first_name", required=False, empty_is_none=True),
        last_name=f.string("last_name", required=False, empty_is_none=True),
    )


def _address(f: Fields | None) -> Address | None:
    if f is None:
        return None

    def text(key: str) -> str | None:
        return f.string(key, required=False, empty_is_none=True)

    name = text("name") or " ".join(p for p in (text("first_name"), text("last_name")) if p)
    return Address(
        name=name,
        address1=text("address1") or "",
        city=text("city") or "",
        country_code=(text("country_code") or "").upper(),
        zip=text("zip") or "",
        province_code=text("province_code"),
        address2=text("address2"),
        company=text("company"),
        phone=text("phone"),
    )


def _shipping_price(root: Fields, shipping_lines: list[Fields]) -> Decimal:
    price_set = root.optional_obj("total_shipping_price_set")
    shop_money = price_set.optional_obj("shop_money") if price_set else None
    if shop_money is not None and shop_money.has("amount"):
        return shop_money.req_decimal("amount")
    return sum(
        (_or_zero(line.decimal("price", required=False)) for line in shipping_lines),
        Decimal("0"),
    )


def _or_zero(value: Decimal | None) -> Decimal:
    return Decimal("0") if value is None else value


def _tags(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(tag.strip() for tag in value.split(",") if tag.strip())


# -- inventory_levels/update -------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class InventoryLevelUpdate:
    """Stock of one inventory item at one location: the restock signal (shopify.md §6).

    The payload has no SKU or variant id; map `inventory_item_id` through the catalog.
    `available` is None in `inventory_levels/disconnect`, which has only the two ids.
    """

    inventory_item_id: int
    location_id: int
    available: int | None
    updated_at: datetime | None
    admin_graphql_api_id: str | None = None

    @property
    def in_stock(self) -> bool:
        return self.available is not None and self.available > 0


def parse_inventory_level(payload: Any) -> InventoryLevelUpdate:
    """`inventory_levels/update` (and `connect`/`disconnect`) body."""
    root = Fields(payload, "", MalformedWebhook)
    return InventoryLevelUpdate(
        inventory_item_id=root.req_integer("inventory_item_id"),
        location_id=root.req_integer("location_id"),
        available=root.integer("available", required=False),
        updated_at=root.timestamp("updated_at", required=False),
        admin_graphql_api_id=root.string("admin_graphql_api_id", required=False),
    )
