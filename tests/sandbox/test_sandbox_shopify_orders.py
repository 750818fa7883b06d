"""The order generator: same shape as the real orders/create payload, realistic and seeded."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import httpx
from sandbox_helpers import fixture_json

from shipflow_sandbox.shopify.ids import IdAllocator
from shipflow_sandbox.shopify.orders import OrderGenerator

NOW = datetime(2026, 11, 2, 15, 30, tzinfo=UTC)


def generate(count: int, seed: int = 3) -> list[dict]:
    generator = OrderGenerator(seed, IdAllocator(seed), "shipflow-demo.myshopify.com")
    return [generator.generate(NOW) for _ in range(count)]


def test_generated_orders_have_the_fixture_key_set_and_types():
    sample = fixture_json("shopify/orders_create_docs_2026-07.json")
    for order in generate(30):
        assert list(order) == list(sample)
        assert list(order["line_items"][0]) == list(sample["line_items"][0])
        assert list(order["customer"]) == list(sample["customer"])
        assert list(order["customer"]["default_address"]) == list(
            sample["customer"]["default_address"]
        )
        assert list(order["shipping_address"]) == list(sample["shipping_address"])
        assert list(order["billing_address"]) == list(sample["billing_address"])
        assert list(order["shipping_lines"][0]) == list(sample["shipping_lines"][0])
        assert isinstance(order["id"], int) and order["id"] > 2**32
        assert order["admin_graphql_api_id"] == f"gid://shopify/Order/{order['id']}"
        assert isinstance(order["total_price"], str) and isinstance(order["tags"], str)
        assert order["financial_status"] == "paid" and order["fulfillment_status"] is None
        assert order["test"] is False
        lines = Decimal(0)
        for line in order["line_items"]:
            lines += Decimal(line["price"]) * line["quantity"]
        shipping = Decimal(order["shipping_lines"][0]["price"])
        assert Decimal(order["total_price"]) == lines + shipping


def test_generator_is_deterministic_and_varied():
    first, second = generate(200), generate(200)
    assert [o["email"] for o in first] == [o["email"] for o in second]
    assert [o["id"] for o in first] == [o["id"] for o in second]
    assert generate(1, seed=4)[0]["email"] != first[0]["email"]
    countries = {o["shipping_address"]["country_code"] for o in first}
    provinces = {o["shipping_address"]["province_code"] for o in first}
    assert "US" in countries and countries - {"US"}
    assert provinces & {"AK", "HI", "AE", "AP"}
    assert any(Decimal(o["total_price"]) > 300 for o in first)
    assert {len(o["line_items"]) for o in first} == {1, 2, 3, 4}
    domains = {o["email"].rsplit("@", 1)[1] for o in first}
    assert not domains & {"example.com", "test.com"}
    us_phones = [o["shipping_address"]["phone"] for o in first if o["shipping_address"]["phone"]]
    assert all(p.startswith("+1") and len(p) == 12 for p in us_phones)
    assert len({o["shipping_lines"][0]["title"] for o in first}) > 3


def test_supplied_rest_orders_are_placed_with_their_ids(sandbox):
    sample = fixture_json("shopify/orders_create_docs_2026-07.json")
    response = httpx.post(sandbox.url("/_sandbox/shopify/orders"), json={"orders": [sample]})
    assert response.status_code == 201
    placed = response.json()["orders"][0]
    assert placed["id"] == 820982911946154508
    detail = httpx.get(sandbox.url(f"/_sandbox/shopify/orders/{placed['id']}")).json()
    assert detail["order"]["name"] == "#9999"
    lines = detail["fulfillment_orders"][0]["line_items"]
    assert len(lines) == len(sample["line_items"])
    assert detail["fulfillments"] == []
