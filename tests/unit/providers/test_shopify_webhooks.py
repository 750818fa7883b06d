"""Shopify webhook headers and order parsing: the edge cases the docs sample does not show."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from shipflow.providers.errors import MalformedWebhook
from shipflow.providers.shopify.webhooks import parse_headers, parse_order, verify_hmac

from .paths import FIXTURES

SAMPLE = json.loads((FIXTURES / "shopify" / "orders_create_docs_2026-07.json").read_text())
SHOP = "snowdevil.myshopify.com"


def sample() -> dict[str, Any]:
    return copy.deepcopy(SAMPLE)


def test_headers_are_case_insensitive() -> None:
    meta = parse_headers({
        "x-shopify-topic": "orders/create", "X-SHOPIFY-WEBHOOK-ID": "545ebdd4",
        "X-Shopify-Shop-Domain": "SnowDevil.myshopify.com", "x-shopify-api-version": "2026-07",
        "x-shopify-triggered-at": "2025-07-10T16:15:47.000000Z",
        "X-Shopify-Event-Id": "59d6d79c", "X-Shopify-Name": "product-sync",
    })
    assert (meta.topic, meta.webhook_id, meta.shop_domain, meta.api_version) == (
        "orders/create", "545ebdd4", "snowdevil.myshopify.com", "2026-07")
    assert meta.triggered_at == datetime(2025, 7, 10, 16, 15, 47, tzinfo=timezone.utc)
    assert meta.event_id == "59d6d79c" and meta.name == "product-sync"


def test_missing_headers_are_named() -> None:
    with pytest.raises(MalformedWebhook) as caught:
        parse_headers({"X-Shopify-Topic": "orders/create", "X-Shopify-Webhook-Id": " ",
                       "X-Shopify-Shop-Domain": "a.myshopify.com"})
    assert str(caught.value) == (
        "missing header(s): X-Shopify-Webhook-Id, X-Shopify-API-Version")


def test_optional_headers_may_be_absent_or_odd() -> None:
    meta = parse_headers({"X-Shopify-Topic": "orders/paid", "X-Shopify-Webhook-Id": "w",
                          "X-Shopify-Shop-Domain": "a.myshopify.com",
                          "X-Shopify-API-Version": "2026-07",
                          "X-Shopify-Triggered-At": "yesterday"})
    assert meta.triggered_at is None and meta.event_id is None


def test_hmac_rejects_garbage_and_empty() -> None:
    assert not verify_hmac(b"{}", "not base64!!", ["hush"])
    assert not verify_hmac(b"", "qBvrsZF7RfB1iS6BX6IHqJTp5L911P7intnPeTPsH0I=", ["hush"])
    assert not verify_hmac(b'{"id":820982911946154508}', None, ["hush"])
    assert not verify_hmac(b'{"id":820982911946154508}',
                           "qBvrsZF7RfB1iS6BX6IHqJTp5L911P7intnPeTPsH0I=", [])
    assert not verify_hmac(b'{"id":820982911946154508}',
                           "qBvrsZF7RfB1iS6BX6IHqJTp5L911P7intnPeTPsH0I=", [""])


@pytest.mark.parametrize(("mutate", "reason"), [
    (lambda o: o["line_items"][2].update(quantity="1"), None),
    (lambda o: o["line_items"][2].update(quantity="one", current_quantity=None),
     "line_items[2].quantity: expected an integer, got a string"),
    (lambda o: o["line_items"][2].pop("quantity"), "line_items[2].quantity: is missing"),
    (lambda o: o["line_items"][0].update(price=None), "line_items[0].price: must not be null"),
    (lambda o: o["line_items"][0].update(price="12,50"),
     "line_items[0].price: expected a decimal string"),
    (lambda o: o.update(id=8.209829119461545e17),
     "id: expected an integer, got a number (int64 ids must not be floats)"),
    (lambda o: o.pop("name"), "name: is missing"),
    (lambda o: o.update(line_items={}), "line_items: expected an array, got an object"),
    (lambda o: o.update(created_at="31/12/2021"), "created_at: expected an ISO-8601 timestamp"),
    (lambda o: o.update(shipping_address=[]),
     "shipping_address: expected an object, got an array"),
    (lambda o: o["customer"].update(id=True), "customer.id: expected an integer, got a boolean"),
    (lambda o: o["line_items"][1].update(requires_shipping="yes"),
     "line_items[1].requires_shipping: expected a boolean, got a string"),
    (lambda o: o["shipping_lines"][0].update(title=3),
     "shipping_lines[0].title: expected a string, got an integer"),
])
def test_bad_fields_are_named_by_path(mutate: Any, reason: str | None) -> None:
    order = sample()
    mutate(order)
    if reason is None:
        parse_order(order, SHOP)
        return
    with pytest.raises(MalformedWebhook) as caught:
        parse_order(order, SHOP)
    assert str(caught.value) == reason
    assert caught.value.reason == reason


def test_not_an_object() -> None:
    with pytest.raises(MalformedWebhook, match="body: expected an object, got an array"):
        parse_order([], SHOP)


def test_rest_wrapper_and_digit_string_ids() -> None:
    order = sample()
    order["id"] = "820982911946154508"
    parsed = parse_order({"order": order}, SHOP)
    assert parsed.shopify_order_id == 820982911946154508


def test_edited_lines_ship_their_current_quantity() -> None:
    order = sample()
    order["line_items"][0].update(quantity=3, current_quantity=0)
    order["line_items"][1].pop("current_quantity")
    order["line_items"][1]["quantity"] = 2
    parsed = parse_order(order, SHOP)
    assert parsed.line_items[0].quantity == 0
    assert parsed.line_items[1].quantity == 2
    assert parsed.line_items[0] not in parsed.shippable_items


def test_redacted_order_keeps_what_is_there() -> None:
    """Protected customer data: no email or name, addresses with only country and province."""
    order = sample()
    for key in ("email", "contact_email", "customer", "billing_address"):
        order.pop(key)
    order["shipping_address"] = {"country": "United States", "country_code": "US",
                                 "province": "Kentucky", "province_code": "KY"}
    parsed = parse_order(order, SHOP)
    assert parsed.contact_email is None and parsed.customer is None
    address = parsed.shipping_address
    assert address is not None
    assert (address.name, address.address1, address.city, address.zip) == ("", "", "", "")
    assert (address.country_code, address.province_code) == ("US", "KY")
    assert parsed.billing_address is None


def test_optional_blocks_and_defaults() -> None:
    order = sample()
    order.update(tags="", note="", total_tax=None, test=None)
    order.pop("total_shipping_price_set")
    order["shipping_lines"].insert(0, {"title": "Old rate", "price": "99.00", "is_removed": True})
    order["shipping_address"]["name"] = None
    order["line_items"][0].update(sku="", grams=None, requires_shipping=None)
    order.pop("updated_at")
    parsed = parse_order(order, SHOP)
    assert parsed.tags == () and parsed.note is None and parsed.total_tax == Decimal("0")
    assert parsed.test is False
    assert parsed.shipping_method == "Generic Shipping"
    assert parsed.shipping_price == Decimal("10.00")
    assert parsed.shipping_address is not None
    assert parsed.shipping_address.name == "Steve Shipper"  # from first_name + last_name
    line = parsed.line_items[0]
    assert line.sku is None and line.grams == 0 and line.requires_shipping is True
    assert parsed.updated_at == parsed.created_at


def test_email_falls_back_to_contact_email() -> None:
    order = sample()
    order["email"] = ""
    assert parse_order(order, SHOP).email == "jon@example.com"


def test_fixture_path_exists() -> None:
    assert isinstance(FIXTURES, Path) and (FIXTURES / "shopify").is_dir()
