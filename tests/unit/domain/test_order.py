from datetime import datetime, timezone

from shipflow.domain.order import OrderState
from tests.unit.domain.factories import a_shipment, an_order


def test_paid_order_that_is_not_cancelled_is_ready_to_ship() -> None:
    assert an_order().is_paid
    assert not an_order(financial_status="pending").is_paid
    assert not an_order(cancelled_at=datetime(2026, 11, 2, tzinfo=timezone.utc)).is_paid


def test_only_lines_that_need_shipping_count() -> None:
    order = an_order()
    assert [li.sku for li in order.shippable_items] == ["MUG-01", "TEE-02"]
    assert order.total_grams == 2 * 350 + 200


def test_line_name_joins_variant_like_shopify() -> None:
    assert an_order().line_items[0].name == "Mug - Blue"
    assert an_order().line_items[1].name == "T-shirt"


def test_contact_email_falls_back_to_the_customer() -> None:
    assert an_order(email=None).contact_email == "ada@example.org"


def test_shipment_knows_its_shopify_order_only_from_our_order_keys() -> None:
    assert a_shipment().shopify_order_id == 820982911946154508
    assert a_shipment(order_key="8061c220f0794a9b92460b8bae6837e4").shopify_order_id is None


def test_states_are_stable_strings() -> None:
    assert OrderState("in_shipstation") is OrderState.IN_SHIPSTATION


def test_when_an_order_may_ship() -> None:
    from shipflow.domain.policy import PAID, ShippingPolicy, why_not_shipped
    default, strict = ShippingPolicy(), ShippingPolicy(PAID)
    authorized = an_order(financial_status="authorized")
    assert why_not_shipped(authorized, default, "orders/create") is None
    assert why_not_shipped(authorized, strict, "orders/create") is not None
    assert why_not_shipped(authorized, strict, "orders/paid") is None  # the topic says paid
    assert why_not_shipped(an_order(financial_status="pending"), default, None) == (
        "payment is pending; policy.ship_when ships orders that are authorized, paid, "
        "partially_refunded")
    assert why_not_shipped(an_order(test=True), default, "orders/paid") is not None
    assert why_not_shipped(an_order(test=True), ShippingPolicy(test_orders=True), None) is None
    cancelled = an_order(cancelled_at=datetime(2026, 11, 2, tzinfo=timezone.utc))
    assert why_not_shipped(cancelled, default, "orders/paid") == "cancelled in Shopify"
