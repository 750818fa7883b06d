from decimal import Decimal

from shipflow.domain.routing import (
    BackorderPolicy,
    Confirmation,
    Decision,
    Hold,
    HoldReason,
    RoutingPlan,
    ServiceChoice,
)
from tests.unit.domain.factories import an_order
from tests.unit.rules.helpers import rules


def plan_for(then: str, when: str = "true", **order: object) -> RoutingPlan:
    ruleset = rules(f"""
        version: 1
        rules:
          - name: r
            when: {when}
            then: {then}
        """)
    evaluation = ruleset.evaluate(an_order(**order))
    assert evaluation.errors == ()
    return evaluation.plan


def test_confirmation() -> None:
    plan = plan_for("{confirmation: adult_signature}")
    assert plan.confirmation is Confirmation.ADULT_SIGNATURE
    assert plan.decisions == (Decision("r", "confirmation", "adult_signature confirmation"),)


def test_hold_with_and_without_a_note() -> None:
    plan = plan_for('{hold: {reason: address_review, note: "Check the address before any label"}}')
    assert plan.hold == Hold(HoldReason.ADDRESS_REVIEW, "Check the address before any label")
    assert plan.decisions == (
        Decision("r", "hold", "hold for address_review: Check the address before any label"),)
    assert plan_for("{hold: {reason: review}}").decisions[0].detail == "hold for review"


def test_backorder_names_the_skus_out_of_stock() -> None:
    ruleset = rules("""
        version: 1
        rules:
          - {name: r, when: order.has_backorder, then: {backorder: split}}
        """)
    plan = ruleset.evaluate(an_order(), stock={"MUG-01": 1, "TEE-02": 5}).plan
    assert plan.backorder is BackorderPolicy.SPLIT
    assert plan.decisions == (
        Decision("r", "backorder", "backorder policy split (SKUs out of stock: MUG-01)"),)
    assert ruleset.evaluate(an_order(), stock={"MUG-01": 2}).plan.backorder is None
    assert ruleset.evaluate(an_order()).plan.backorder is None


def test_backorder_default_is_the_files_policy() -> None:
    ruleset = rules("""
        version: 1
        policy: {default_backorder: hold}
        rules:
          - {name: r, when: "true", then: {backorder: default}}
        """)
    assert ruleset.evaluate(an_order()).plan.backorder is BackorderPolicy.HOLD


def test_tags_accumulate_deduplicated_in_order() -> None:
    ruleset = rules("""
        version: 1
        rules:
          - {name: a, when: "true", then: {tags: [international, vip, international]}}
          - {name: b, when: "true", then: {tags: [vip]}}
          - {name: c, when: "true", then: {tags: [fragile, vip]}}
        """)
    plan = ruleset.evaluate(an_order()).plan
    assert plan.tags == ("international", "vip", "fragile")
    assert plan.decisions == (Decision("a", "tags", "tags international, vip"),
                              Decision("c", "tags", "tag fragile"))


def test_service_with_and_without_a_service_code() -> None:
    plan = plan_for("{service: {carrier: fedex, service: fedex_ground}}")
    assert plan.service == ServiceChoice("fedex", "fedex_ground")
    assert plan.decisions[0].detail == "ship with fedex fedex_ground"
    plan = plan_for("{service: {carrier: ups}}")
    assert plan.service == ServiceChoice("ups")
    assert plan.decisions[0].detail == "ship with ups (any service)"


def test_escalate() -> None:
    plan = plan_for("{escalate: ops-lead}")
    assert plan.escalate_to == "ops-lead"
    assert plan.decisions == (Decision("r", "escalate", "escalate to ops-lead"),)


def test_several_actions_in_one_rule() -> None:
    plan = plan_for("{confirmation: signature, tags: [vip], escalate: ana}")
    assert [d.action for d in plan.decisions] == ["confirmation", "tags", "escalate"]


def test_a_rule_that_does_not_match_decides_nothing() -> None:
    plan = plan_for("{confirmation: signature}", when="order.total_price > 1000.0")
    assert plan.confirmation is None and plan.decisions == ()
    plan = plan_for("{confirmation: signature}", when="order.total_price > 1000.0",
                    total_price=Decimal("1000.01"))
    assert plan.confirmation is Confirmation.SIGNATURE


def test_first_rule_in_file_order_wins_and_later_ones_leave_no_decision() -> None:
    ruleset = rules("""
        version: 1
        rules:
          - {name: first, when: "true", then: {confirmation: signature, service: {carrier: ups}}}
          - name: second
            when: "true"
            then:
              confirmation: adult_signature
              hold: {reason: review}
              service: {carrier: fedex}
              escalate: ana
          - {name: third, when: "true", then: {hold: {reason: address_review}, escalate: bob}}
        """)
    plan = ruleset.evaluate(an_order()).plan
    assert plan.confirmation is Confirmation.SIGNATURE
    assert plan.service == ServiceChoice("ups")
    assert plan.hold == Hold(HoldReason.REVIEW, "")
    assert plan.escalate_to == "ana"
    assert [(d.rule, d.action) for d in plan.decisions] == [
        ("first", "confirmation"), ("first", "service"), ("second", "hold"), ("second", "escalate")]


def test_stop_ends_the_evaluation_when_its_rule_matches() -> None:
    ruleset = rules("""
        version: 1
        rules:
          - {name: vip, when: "'vip' in order.tags", then: {tags: [vip], stop: true}}
          - {name: later, when: "true", then: {confirmation: signature}}
        """)
    assert ruleset.evaluate(an_order(tags=("vip",))).plan.confirmation is None
    assert ruleset.evaluate(an_order()).plan.confirmation is Confirmation.SIGNATURE


def test_a_rule_with_only_stop() -> None:
    ruleset = rules("""
        version: 1
        rules:
          - {name: test-orders, when: "order.email == 'test@example.org'", then: {stop: true}}
          - {name: later, when: "true", then: {tags: [seen]}}
        """)
    assert ruleset.evaluate(an_order(email="test@example.org")).plan.decisions == ()
    assert ruleset.evaluate(an_order()).plan.tags == ("seen",)


def test_when_true_as_a_yaml_boolean_matches_every_order() -> None:
    plan = plan_for("{tags: [seen]}", when="yes")
    assert plan.tags == ("seen",)
