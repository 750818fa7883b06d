"""The merchant's routing rules: a YAML file of named rules with CEL conditions, and policies.

`load_configured(settings.rules)` loads the file at start-up (refusing a file with any error);
`RuleSet.evaluate(order, stock)` gives the order's `RoutingPlan` plus the conditions that could
not be evaluated. `shipflow rules check FILE` runs `check_file`. The format: docs/rules.md.
"""

from shipflow.rules.check import check_file, compile_rules, load_configured, load_rules
from shipflow.rules.errors import RuleError, RulesFileError
from shipflow.rules.ruleset import Evaluation, Rule, RuleSet

__all__ = [
    "Evaluation",
    "Rule",
    "RuleError",
    "RuleSet",
    "RulesFileError",
    "check_file",
    "compile_rules",
    "load_configured",
    "load_rules",
]
