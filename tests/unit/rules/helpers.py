"""Rules files written inline in tests."""

from __future__ import annotations

import textwrap

from shipflow.rules import RuleError, RuleSet, compile_rules


def rules(text: str) -> RuleSet:
    ruleset, errors = compile_rules(textwrap.dedent(text))
    assert not errors, [e.format("<test>") for e in errors]
    assert ruleset is not None
    return ruleset


def errors(text: str) -> list[RuleError]:
    ruleset, found = compile_rules(textwrap.dedent(text))
    assert ruleset is None and found
    return found


def one_error(text: str) -> RuleError:
    found = errors(text)
    assert len(found) == 1, [e.format("<test>") for e in found]
    return found[0]
