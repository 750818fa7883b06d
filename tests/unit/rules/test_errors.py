"""Every kind of mistake is reported with the line (and column) where it is."""

from pathlib import Path

import pytest

from shipflow.rules import RuleError, RulesFileError, check_file, load_rules
from tests.unit.rules.helpers import errors, one_error


def test_yaml_syntax_error() -> None:
    error = one_error("""\
        version: 1
        rules:
          - name: a
            when: [order.has_backorder
            then: {backorder: split}
        """)
    assert error.line == 5 and error.message.startswith("YAML syntax error")


def test_unknown_keys_everywhere_with_a_suggestion() -> None:
    found = errors("""\
        version: 1
        rule: []
        policy:
          label: {}
        rules:
          - name: a
            when: "true"
            then: {confirm: signature}
            priority: 1
        """)
    by_line = {e.line: e for e in found}
    assert "unknown key 'rule'" in by_line[2].message and "did you mean 'rules'" in by_line[2].message
    assert by_line[4].column == 3
    assert by_line[4].message.startswith("policy: unknown key 'label' (did you mean 'labels'?)")
    assert "did you mean 'confirmation'" in by_line[8].message
    assert by_line[8].column == 12
    assert "unknown key 'priority'" in by_line[9].message
    assert "expected one of name, when, then" in by_line[9].message


def test_bad_enum_values_list_what_is_allowed() -> None:
    found = errors("""\
        version: 1
        policy:
          labels: {mode: warehous}
          default_backorder: later
        rules:
          - {name: a, when: "true", then: {confirmation: signatur}}
          - {name: b, when: "true", then: {hold: {reason: address}}}
          - {name: c, when: "true", then: {backorder: wait}}
        """)
    assert [(e.line, e.column) for e in found] == [(3, 18), (4, 22), (6, 50), (7, 51), (8, 47)]
    assert found[0].message == ("policy.labels.mode: expected one of warehouse, api, got 'warehous' "
                                "(did you mean 'warehouse'?)")
    assert "expected one of split, hold, notify, got 'later'" in found[1].message
    assert "expected one of none, delivery, signature, adult_signature, direct_signature" in found[2].message
    assert "expected one of address_review, backorder, review" in found[3].message
    assert "expected one of split, hold, notify, default" in found[4].message


def test_wrong_types() -> None:
    found = errors("""\
        version: "1"
        vars: [1, 2]
        policy:
          timers: {review_days_default: soon}
          delays: {no_scan_business_days: 0}
        rules:
          - {name: a, when: 42, then: {tags: vip}}
          - {name: b, when: "true", then: {escalate: 7, stop: "yes"}}
          - {name: 3, when: "true", then: {service: {carrier: ups, service: [a]}}}
          - {name: d, when: "true", then: [confirmation]}
        """)
    messages = {(e.line, e.column): e.message for e in found}
    assert messages[(1, 10)] == "version: expected 1 (the only version so far), got '1'"
    assert messages[(2, 7)].startswith("vars: expected a mapping of names to values, got a list")
    assert "expected a number of days, at least 0, got 'soon'" in messages[(4, 33)]
    assert "expected a whole number of at least 1, got the number 0" in messages[(5, 35)]
    assert "when: expected a CEL condition" in messages[(7, 21)]
    assert "expected a list of tags" in messages[(7, 38)]
    assert messages[(8, 46)] == "rule 'b': then.escalate: expected a string, got the number 7 (quote it)"
    assert messages[(8, 55)] == "rule 'b': then.stop: expected true or false, got 'yes'"
    assert messages[(9, 12)] == "rule #3: name: expected a string, got the number 3 (quote it)"
    assert "then.service.service: expected a string, got a list" in messages[(9, 69)]
    assert "rule 'd': then: expected a mapping" in messages[(10, 35)]


def test_cel_syntax_error_points_into_the_condition() -> None:
    error = one_error("""\
        version: 1
        rules:
          - name: a
            when: order.total_price >> 10.0
            then: {confirmation: signature}
        """)
    assert (error.line, error.column) == (4, 30)
    assert error.message == "rule 'a': when: CEL syntax error: unexpected '>'"


def test_cel_syntax_error_in_a_quoted_and_in_a_block_condition() -> None:
    found = errors("""\
        version: 1
        rules:
          - name: quoted
            when: "order.total_price > 1.0 and true"
            then: {tags: [x]}
          - name: block
            when: |
              order.total_price > 1.0 &&
                order.has_backorder ||
            then: {tags: [y]}
        """)
    assert [(e.line, e.column) for e in found] == [(4, 36), (9, 31)]
    assert "unexpected 'and' (CEL writes 'and' as &&)" in found[0].message
    assert "ends before it is complete" in found[1].message


def test_unknown_variable_field_and_function() -> None:
    found = errors("""\
        version: 1
        vars: {limit: 250.0}
        rules:
          - {name: a, when: ordr.total_price > 1.0, then: {tags: [x]}}
          - {name: b, when: order.total > vars.limit, then: {tags: [x]}}
          - {name: c, when: vars.limt > 1.0, then: {tags: [x]}}
          - {name: d, when: "lower(order.name) == 'x'", then: {tags: [x]}}
          - {name: e, when: "customer.vip", then: {tags: [x]}}
        """)
    messages = {(e.line, e.column): e.message for e in found}
    assert messages[(4, 21)] == ("rule 'a': when: unknown variable 'ordr' (did you mean 'order'?); "
                                 "conditions can use: order, vars")
    assert messages[(5, 27)].startswith("rule 'b': when: order has no field 'total'")
    assert "vars has no field 'limt' (did you mean 'limit'?)" in messages[(6, 26)]
    assert "unknown function lower()" in messages[(7, 22)]
    assert "unknown variable 'customer'" in messages[(8, 22)]


@pytest.mark.parametrize("condition", [
    "order.total_price", "order.name", "order.line_items", "order.has_backorder ? 1 : 0", "'yes'",
])
def test_a_condition_that_is_not_a_boolean(condition: str) -> None:
    error = one_error(f"""\
        version: 1
        rules:
          - name: a
            when: "{condition}"
            then: {{tags: [x]}}
        """)
    assert error.line == 4
    assert "a condition must be true or false, but this one gives" in error.message


@pytest.mark.parametrize(("condition", "words"), [
    ("order.total_price == 100", "cannot compare a double with an int using =="),
    ("order.total_weight_grams * 1.5 > 1.0", "cannot apply * to an int and a double"),
    ("order.name && true", "each side of && must be true or false, not a string"),
    ("order.skus.exists(s, s)", "the condition of exists() must be true or false"),
    ("order.tags.size", "list<string> (order.tags)"),
])
def test_type_mistakes_cel_python_would_only_find_on_a_live_order(condition: str, words: str) -> None:
    assert words in one_error(f"""\
        version: 1
        rules:
          - {{name: a, when: "{condition}", then: {{tags: [x]}}}}
        """).message


def test_duplicate_rule_names() -> None:
    error = one_error("""\
        version: 1
        rules:
          - {name: a, when: "true", then: {tags: [x]}}
          - {name: b, when: "true", then: {tags: [y]}}
          - name: a
            when: "true"
            then: {tags: [z]}
        """)
    assert (error.line, error.column) == (5, 11)
    assert error.message == "duplicate rule name 'a' (first used on line 3)"


def test_duplicate_keys() -> None:
    error = one_error("""\
        version: 1
        rules:
          - name: a
            when: "true"
            when: "false"
            then: {tags: [x]}
        """)
    assert error.line == 5 and "duplicate key 'when'" in error.message


@pytest.mark.parametrize(("rule", "missing"), [
    ('{when: "true", then: {tags: [x]}}', "'name'"),
    ("{name: a, then: {tags: [x]}}", "'when'"),
    ('{name: a, when: "true"}', "'then'"),
    ("{name: a}", "'when' or 'then'"),
])
def test_missing_name_when_or_then(rule: str, missing: str) -> None:
    error = one_error(f"""\
        version: 1
        rules:
          - {{name: ok, when: "true", then: {{tags: [x]}}}}
          - {rule}
        """)
    assert (error.line, error.column) == (4, 5)
    assert error.message.endswith(f"has no {missing}: every rule needs name, when and then")


def test_missing_version_and_rules_and_an_empty_file() -> None:
    assert [(e.line, e.message) for e in errors("vars: {}\n")] == [
        (1, "the file: missing 'version'"), (1, "the file: missing 'rules'")]
    assert "the file is empty" in one_error("# nothing yet\n").message


def test_empty_then_and_unquoted_bang() -> None:
    found = errors("""\
        version: 1
        rules:
          - name: a
            when: !order.destination.contiguous_us
            then: {}
        """)
    assert [(e.line, e.column) for e in found] == [(4, 11), (5, 11)]
    assert found[0].message == ("YAML reads '!order.destination.contiguous_us' as a tag; quote it: "
                                "\"!order.destination.contiguous_us\"")
    assert "has no action" in found[1].message


def test_policy_that_cannot_work() -> None:
    error = one_error("""\
        version: 1
        policy:
          labels: {mode: api, choose: preferred_carrier}
        rules: []
        """)
    assert error.line == 3 and "choose: preferred_carrier needs preferred_carrier" in error.message


def test_vars_names_must_be_usable_in_conditions() -> None:
    found = errors("""\
        version: 1
        vars:
          signature-threshold: 250
          in: 1
          when: 2026-11-01
        rules: []
        """)
    assert [e.line for e in found] == [3, 4, 5]
    assert "cannot be used in a condition (quote it" in found[2].message


def test_every_error_is_reported_in_file_order() -> None:
    found = errors("""\
        version: 2
        rules:
          - {name: a, when: "order.nope", then: {confirmation: maybe}}
          - {name: a, when: "true", then: {tags: [x]}}
        """)
    assert [e.line for e in found] == [1, 3, 3, 4]


def test_check_file_and_load_rules(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("version: 1\nrules:\n  - {name: a, when: 'order.x', then: {tags: [x]}}\n")
    assert [e.line for e in check_file(path)] == [3]
    with pytest.raises(RulesFileError) as raised:
        load_rules(path)
    assert raised.value.errors == tuple(check_file(path))
    assert str(path) in str(raised.value) and "order has no field 'x'" in str(raised.value)
    path.write_text("version: 1\nrules: []\n")
    assert check_file(path) == [] and len(load_rules(path)) == 0


def test_a_file_that_cannot_be_read(tmp_path: Path) -> None:
    (error,) = check_file(tmp_path / "missing.yaml")
    assert error.line == 0 and "cannot read the rules file" in error.message
    assert error.format("missing.yaml").startswith("missing.yaml: cannot read")


def test_error_format() -> None:
    assert RuleError(3, 7, "bad").format("r.yaml") == "r.yaml:3:7: bad"
    assert RuleError(3, None, "bad").format("r.yaml") == "r.yaml:3: bad"


def test_a_value_that_contains_itself() -> None:
    error = one_error("""\
        version: 1
        vars:
          shared: &s [1, 2]
          again: *s
          cycle: &c [*c]
        rules: []
        """)
    assert (error.line, error.column) == (5, 10)
    assert "cannot contain itself" in error.message


def test_ship_when_takes_a_name_or_financial_statuses() -> None:
    from shipflow.domain.policy import AUTHORIZED, PAID

    from .helpers import rules as compiled
    assert compiled("version: 1\nrules: []\n").policies.shipping.financial_statuses == AUTHORIZED
    assert compiled("version: 1\npolicy: {ship_when: paid}\nrules: []\n"
                    ).policies.shipping.financial_statuses == PAID
    assert compiled("version: 1\npolicy: {ship_when: [paid, partially_paid]}\nrules: []\n"
                    ).policies.shipping.financial_statuses == {"paid", "partially_paid"}
    error = one_error("version: 1\npolicy: {ship_when: [paid, settled]}\nrules: []\n")
    assert error.line == 2 and "'settled' is not a Shopify financial status" in error.message
