"""The packaged default rules give the plans the README promises."""

from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest

from shipflow.domain.order import Address, LineItem
from shipflow.domain.policy import LabelMode
from shipflow.domain.routing import (
    BackorderPolicy,
    Confirmation,
    Decision,
    Hold,
    HoldReason,
    RoutingPlan,
    ServiceChoice,
)
from shipflow.rules import RuleSet, RulesFileError, check_file, load_configured
from tests.unit.domain.factories import an_order

CALIFORNIA = Address("Grace Hopper", "1 Market St", "San Francisco", "US", "94105", "CA")
REVIEW = Hold(HoldReason.ADDRESS_REVIEW, "Check the address before any label")


@pytest.fixture(scope="module")
def default_rules() -> RuleSet:
    return load_configured(None)


def plan(rules: RuleSet, **order: object) -> RoutingPlan:
    evaluation = rules.evaluate(an_order(**order))
    assert evaluation.errors == ()
    return evaluation.plan


def test_the_packaged_file_is_valid_and_has_the_policies(default_rules: RuleSet) -> None:
    path = resources.files("shipflow.rules").joinpath("default_rules.yaml")
    assert check_file(Path(str(path))) == []
    assert len(default_rules) == 6 and default_rules.source == "default_rules.yaml"
    assert default_rules.policies.default_backorder is BackorderPolicy.NOTIFY
    assert default_rules.policies.labels.mode is LabelMode.WAREHOUSE


def test_an_ordinary_order_gets_no_decision(default_rules: RuleSet) -> None:
    assert plan(default_rules, shipping_address=CALIFORNIA) == RoutingPlan()


def test_300_dollars_to_california_needs_a_signature(default_rules: RuleSet) -> None:
    result = plan(default_rules, total_price=Decimal("300.00"), shipping_address=CALIFORNIA)
    assert result.confirmation is Confirmation.SIGNATURE and result.hold is None
    assert result.decisions == (
        Decision("signature-above-threshold", "confirmation", "signature confirmation"),)


@pytest.mark.parametrize("address", [
    Address("A", "1 Main St", "Anchorage", "US", "99501", "AK"),
    Address("A", "1 Main St", "Honolulu", "US", "96813", "HI"),
    Address("A", "1 Calle Sol", "San Juan", "PR", "00901"),
    Address("A", "Unit 2050 Box 4190", "APO", "US", "09012", "AE"),
    Address("A", "1 Queen St W", "Toronto", "CA", "M5H 2N2", "ON"),
], ids=["alaska", "hawaii", "puerto-rico", "apo", "canada"])
def test_outside_the_contiguous_us_the_address_is_reviewed(default_rules: RuleSet,
                                                            address: Address) -> None:
    result = plan(default_rules, shipping_address=address)
    assert result.hold == REVIEW
    assert result.decisions[0] == Decision(
        "address-review-outside-contiguous-us", "hold",
        "hold for address_review: Check the address before any label")
    assert result.service is None
    assert result.tags == (("international",) if address.country_code == "CA" else ())


def test_a_backordered_sku_gets_the_default_backorder_policy(default_rules: RuleSet) -> None:
    result = default_rules.evaluate(an_order(), stock={"MUG-01": 0, "TEE-02": 40}).plan
    assert result.backorder is BackorderPolicy.NOTIFY
    assert result.decisions == (
        Decision("backorders", "backorder", "backorder policy notify (SKUs out of stock: MUG-01)"),)


def test_a_10_kg_order_goes_ground(default_rules: RuleSet) -> None:
    heavy = (LineItem(1, "DESK-1", "Desk", 1, Decimal("120.00"), 10_000),)
    result = plan(default_rules, line_items=heavy, shipping_address=CALIFORNIA)
    assert result.service == ServiceChoice("fedex", "fedex_ground")
    assert result.decisions == (
        Decision("heavy-parcels-ground", "service", "ship with fedex fedex_ground"),)


def test_a_light_order_goes_usps_ground_advantage(default_rules: RuleSet) -> None:
    light = (LineItem(1, "SOCK-1", "Socks", 2, Decimal("9.00"), 100),)
    result = plan(default_rules, line_items=light)
    assert result.service == ServiceChoice("stamps_com", "usps_ground_advantage")


def test_load_configured_reads_the_merchants_file(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("version: 1\nrules:\n  - {name: all, when: 'true', then: {tags: [seen]}}\n")
    rules = load_configured(str(path))
    assert len(rules) == 1 and rules.source == str(path)
    path.write_text("version: 1\nrules:\n  - {name: all, when: 'order.nope', then: {tags: [x]}}\n")
    with pytest.raises(RulesFileError) as raised:
        load_configured(str(path))
    assert [e.line for e in raised.value.errors] == [3]
