"""Check and load a rules file: every problem is reported at once, with its line and column, and
a file with any problem is not used at all."""

from __future__ import annotations

import os
from importlib import resources

from shipflow.rules.activation import ORDER_TYPE
from shipflow.rules.document import compose
from shipflow.rules.errors import RuleError, RulesFileError, in_file_order
from shipflow.rules.expressions import compile_condition
from shipflow.rules.ruleset import Rule, RuleSet
from shipflow.rules.schema import read_spec
from shipflow.rules.typecheck import (
    BOOL,
    DOUBLE,
    DYN,
    INT,
    NULL,
    STRING,
    CelType,
    ListOf,
    MapOf,
    Struct,
)

DEFAULT_RULES = "default_rules.yaml"


def compile_rules(text: str, source: str = "<rules>") -> tuple[RuleSet | None, list[RuleError]]:
    """The rule set of a file's text, or None and every error found."""
    try:
        root, tag_errors = compose(text)
    except RulesFileError as exc:
        return None, list(exc.errors)
    spec, errors = read_spec(root, text.splitlines())
    # A tagged value is also the wrong type for its key: say it once, the tag way.
    tagged = {(e.line, e.column) for e in tag_errors}
    errors = tag_errors + [e for e in errors if (e.line, e.column) not in tagged]
    variables = {"order": ORDER_TYPE, "vars": value_type(spec.variables, "vars")}
    rules: list[Rule] = []
    for rule in spec.rules:
        if rule.when is None:
            continue
        condition, problems = compile_condition(rule.when.value, variables)
        for problem in problems:
            line, column, note = rule.when.locate(problem.line, problem.column)
            errors.append(RuleError(line, column, f"{rule.label}: when: {problem.message}{note}"))
        if condition is not None:
            rules.append(Rule(rule.name, rule.line, condition, rule.actions))
    if errors:
        return None, in_file_order(errors)
    return RuleSet(tuple(rules), spec.variables, spec.policies, source), []


def check_file(path: str | os.PathLike[str]) -> list[RuleError]:
    """Every problem in the file, in file order; empty when it can be used."""
    return _compile_file(path)[1]


def load_rules(path: str | os.PathLike[str]) -> RuleSet:
    """The file's rule set; RulesFileError lists every problem when it has any."""
    rules, errors = _compile_file(path)
    if rules is None:
        raise RulesFileError(errors, os.fspath(path))
    return rules


def load_configured(path: str | None) -> RuleSet:
    """The merchant's rules (`SHIPFLOW_RULES`), or shipflow's default rules when it is unset."""
    if path:
        return load_rules(path)
    text = resources.files("shipflow.rules").joinpath(DEFAULT_RULES).read_text(encoding="utf-8")
    rules, errors = compile_rules(text, DEFAULT_RULES)
    if rules is None:  # pragma: no cover - a test loads the packaged file
        raise RulesFileError(errors, DEFAULT_RULES)
    return rules


def _compile_file(path: str | os.PathLike[str]) -> tuple[RuleSet | None, list[RuleError]]:
    source = os.fspath(path)
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        return None, [RuleError(0, None, f"cannot read the rules file: {exc}")]
    return compile_rules(text, source)


def value_type(value: object, name: str) -> CelType:
    """The CEL type of a plain YAML value, for checking conditions that use `vars`."""
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int):
        return INT
    if isinstance(value, float):
        return DOUBLE
    if isinstance(value, str):
        return STRING
    if value is None:
        return NULL
    if isinstance(value, list):
        kinds = {value_type(item, name) for item in value}
        return ListOf(kinds.pop() if len(kinds) == 1 else DYN)
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return Struct(name, {k: value_type(v, f"{name}.{k}") for k, v in value.items()})
        return MapOf(DYN)
    return DYN
