"""What conditions see (`order`, `vars`) and how they behave on real orders."""

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import celpy
import pytest
from celpy.celparser import CELParser

from shipflow.domain.order import Address, LineItem
from shipflow.domain.routing import Confirmation
from shipflow.rules import expressions
from shipflow.rules.activation import ORDER_TYPE, backordered_skus, order_view
from shipflow.rules.typecheck import CelType, ListOf, Struct
from tests.unit.domain.factories import an_order
from tests.unit.rules.helpers import rules


def keys_of(value: object) -> object:
    if isinstance(value, dict):
        return {str(k): keys_of(v) for k, v in value.items()}
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return [keys_of(value[0])]
    return None


def declared(t: CelType) -> object:
    if isinstance(t, Struct):
        return {k: declared(v) for k, v in t.fields.items()}
    if isinstance(t, ListOf) and isinstance(t.element, Struct):
        return [declared(t.element)]
    return None


def test_the_view_has_exactly_the_declared_keys() -> None:
    assert keys_of(order_view(an_order()).value) == declared(ORDER_TYPE)


def test_the_view_of_an_order() -> None:
    view = order_view(an_order(tags=("vip",)), stock={"TEE-02": 0})
    order = view.value
    assert order["id"] == 820982911946154508 and isinstance(order["id"], celpy.celtypes.IntType)
    assert isinstance(order["total_price"], celpy.celtypes.DoubleType)
    assert order["total_price"] == 129.98 and order["subtotal_price"] == 129.98
    assert (order["name"], order["currency"], order["email"]) == ("#1001", "USD", "ada@example.org")
    assert order["tags"] == ["vip"] and order["shipping_method"] == "Standard"
    assert order["item_count"] == 3  # 2 mugs and a T-shirt; the gift card ships nothing
    assert order["total_weight_grams"] == 900
    assert order["skus"] == ["MUG-01", "TEE-02"]
    assert order["line_items"][0] == {
        "sku": "MUG-01", "title": "Mug", "quantity": 2, "unit_price": 19.99, "grams": 350,
        "requires_shipping": True, "product_id": 7}
    assert order["line_items"][2]["sku"] is None and order["line_items"][2]["product_id"] is None
    assert order["destination"] == {
        "country_code": "US", "province_code": "TX", "zip": "78701", "city": "Austin",
        "contiguous_us": True, "alaska_hawaii": False, "us_territory": False, "military": False,
        "international": False, "missing": False}
    assert order["backordered_skus"] == ["TEE-02"] and order["has_backorder"] is not False
    assert view.backordered_skus == ("TEE-02",)


def test_nulls_rather_than_missing_keys() -> None:
    order = order_view(an_order(shipping_address=None, email=None, customer=None,
                                shipping_method=None)).value
    assert order["email"] is None and order["shipping_method"] is None
    assert order["destination"]["country_code"] is None and order["destination"]["missing"]


def test_backorders_count_every_line_of_a_sku_and_only_shippable_ones() -> None:
    order = an_order(line_items=(
        LineItem(1, "MUG-01", "Mug", 1, Decimal("10")),
        LineItem(2, "MUG-01", "Mug", 1, Decimal("10")),
        LineItem(3, "CARD", "Gift card", 5, Decimal("10"), requires_shipping=False),
        LineItem(4, "UNTRACKED", "Sticker", 9, Decimal("1")),
    ))
    assert backordered_skus(order, {"MUG-01": 1, "CARD": 0}) == ("MUG-01",)
    assert backordered_skus(order, {"MUG-01": 2}) == ()


def test_conditions_over_lists_vars_and_nulls() -> None:
    ruleset = rules("""
        version: 1
        vars:
          fragile_skus: [MUG-01, VASE-9]
          west: [CA, OR, WA]
        rules:
          - name: fragile
            when: order.skus.exists(s, s in vars.fragile_skus)
            then: {tags: [fragile]}
          - name: west-coast
            when: order.destination.province_code in vars.west
            then: {tags: [west]}
          - name: heavy-line
            when: order.line_items.exists(li, li.requires_shipping && li.grams * li.quantity > 500)
            then: {tags: [heavy-line]}
          - name: no-email
            when: order.email == null
            then: {escalate: support}
        """)
    plan = ruleset.evaluate(an_order()).plan
    assert plan.tags == ("fragile", "heavy-line") and plan.escalate_to is None
    ca = Address("A", "1 Market St", "San Francisco", "US", "94105", "CA")
    plan = ruleset.evaluate(an_order(shipping_address=ca, email=None, customer=None)).plan
    assert plan.tags == ("fragile", "west", "heavy-line") and plan.escalate_to == "support"


def test_an_evaluation_error_skips_the_rule_and_is_reported() -> None:
    ruleset = rules("""
        version: 1
        vars:
          limit_by_state: {TX: 100.0}
        rules:
          - name: state-limit
            when: order.total_price > vars.limit_by_state[order.destination.province_code]
            then: {confirmation: signature}
          - name: first-line
            when: order.line_items[0].title.startsWith("Mug")
            then: {tags: [mugs]}
          - name: later
            when: "true"
            then: {confirmation: delivery}
        """)
    evaluation = ruleset.evaluate(an_order(total_price=Decimal("150")))
    assert evaluation.plan.confirmation is Confirmation.SIGNATURE and evaluation.errors == ()

    ny = Address("A", "1 Broadway", "New York", "US", "10004", "NY")
    evaluation = ruleset.evaluate(an_order(shipping_address=ny, line_items=()))
    assert evaluation.plan.confirmation is Confirmation.DELIVERY
    assert len(evaluation.errors) == 2
    assert evaluation.errors[0].startswith("rule 'state-limit' (<rules>:6) not applied: ")
    assert "'NY'" in evaluation.errors[0]
    assert "list index out of range" in evaluation.errors[1]


def test_a_condition_that_gives_no_boolean_at_run_time_does_not_match() -> None:
    ruleset = rules("""
        version: 1
        vars:
          flags: {"#1001": "yes"}
        rules:
          - {name: flagged, when: "vars.flags[order.name]", then: {tags: [flagged]}}
        """)
    evaluation = ruleset.evaluate(an_order())
    assert evaluation.plan.tags == ()
    assert evaluation.errors == (
        "rule 'flagged' (<rules>:6) not applied: the condition gave a string instead of true or false",)


def test_evaluation_is_safe_from_several_threads() -> None:
    ruleset = rules("""
        version: 1
        rules:
          - {name: big, when: order.total_price > 100.0, then: {confirmation: signature}}
        """)
    orders = [an_order(shopify_order_id=i, total_price=Decimal(i % 200)) for i in range(1, 801)]

    def confirmation(i: int) -> bool:
        return ruleset.evaluate(orders[i]).plan.confirmation is not None

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(confirmation, range(len(orders))))
    assert results == [float(o.total_price) > 100 for o in orders]


def test_conditions_compile_after_another_user_built_celpys_parser(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(CELParser, "CEL_PARSER", None)
    celpy.Environment()  # an interpreter user: cel-python's parser now builds plain lark trees
    expressions._environment.cache_clear()
    try:
        ruleset = rules("""
            version: 1
            rules:
              - {name: r, when: "order.item_count > 1", then: {tags: [many]}}
            """)
        assert ruleset.evaluate(an_order()).plan.tags == ("many",)
    finally:
        expressions._environment.cache_clear()
