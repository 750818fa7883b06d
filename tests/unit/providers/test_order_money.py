"""Rules see the shop's money: the order's total in the shop currency, and separately what the
customer paid in theirs (`total_price_set`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from shipflow.providers.shopify.webhooks import parse_order
from shipflow.rules.activation import order_view

from ..rules.helpers import rules
from .paths import FIXTURES

ARS = {"shop_money": {"amount": "1450.00", "currency_code": "USD"},
       "presentment_money": {"amount": "1450000.00", "currency_code": "ARS"}}


def order(**changes: Any) -> dict[str, Any]:
    import json
    raw = json.loads((FIXTURES / "shopify" / "orders_create_docs_2026-07.json").read_text())
    raw = raw.get("order", raw)
    raw.update(changes)
    return dict(raw)


def test_the_total_is_the_shops_money_and_the_presentment_is_kept_apart() -> None:
    parsed = parse_order(order(total_price="1450000.00", currency="ARS",
                               presentment_currency="ARS", total_price_set=ARS), "x.myshopify.com")
    assert (parsed.total_price, parsed.currency) == (Decimal("1450.00"), "USD")
    assert (parsed.presentment_total_price, parsed.presentment_currency) == (
        Decimal("1450000.00"), "ARS")
    view = order_view(parsed).value
    assert float(view["total_price"]) == 1450.0 and str(view["currency"]) == "USD"
    assert float(view["presentment_total_price"]) == 1450000.0
    assert str(view["presentment_currency"]) == "ARS"


def test_an_ars_order_is_not_high_value_in_a_usd_shop() -> None:
    ruleset = rules("""
version: 1
vars: {signature_threshold: 250.0}
rules:
  - name: signature
    when: order.total_price > vars.signature_threshold
    then: {confirmation: signature}
""")
    cheap = parse_order(order(total_price="120000.00", currency="ARS",
                              total_price_set={"shop_money": {"amount": "120.00",
                                                              "currency_code": "USD"},
                                               "presentment_money": {"amount": "120000.00",
                                                                     "currency_code": "ARS"}}),
                        "x.myshopify.com")
    assert ruleset.evaluate(cheap, {}).plan.confirmation is None


def test_without_a_price_set_the_order_keeps_its_fields() -> None:
    raw = order()
    raw.pop("total_price_set", None)
    parsed = parse_order(raw, "x.myshopify.com")
    assert parsed.total_price == Decimal(raw["total_price"])
    assert parsed.presentment_total_price is None
