"""The structure of a rules file: which keys go where, their types and allowed values.

`read_spec` walks the YAML nodes once, collects every problem with its line, column and what
was expected, and returns what it could read. Conditions are only carried here as text with
their position; `expressions` compiles them.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TypeVar

import yaml

from shipflow.domain.policy import (
    AUTHORIZED,
    PAID,
    DelayPolicy,
    LabelMode,
    LabelPolicy,
    Policies,
    RateChoice,
    RunMode,
    ShippingPolicy,
    ShipStationPolicy,
    ShipStationSource,
    TimerPolicy,
)
from shipflow.domain.routing import BackorderPolicy, Confirmation, Hold, HoldReason, ServiceChoice
from shipflow.rules.document import STANDARD_TAG_PREFIX, ScalarText, position, to_python
from shipflow.rules.errors import RuleError
from shipflow.rules.plan import Actions

VERSION = 1
TOP_KEYS = ("version", "vars", "policy", "rules")
RULE_KEYS = ("name", "when", "then")
ACTION_KEYS = ("confirmation", "hold", "backorder", "tags", "service", "escalate", "stop")
# Shopify's order financial statuses (shopify.md, Order.financial_status).
FINANCIAL_STATUSES = frozenset({"pending", "authorized", "partially_paid", "paid",
                                "partially_refunded", "refunded", "voided", "expired"})
DEFAULT_BACKORDER = "default"  # `backorder: default` means policy.default_backorder

_STR, _INT, _FLOAT, _BOOL, _NULL = (STANDARD_TAG_PREFIX + t for t in ("str", "int", "float", "bool", "null"))
_IDENT = re.compile(r"[_a-zA-Z][_a-zA-Z0-9]*\Z")
_CEL_RESERVED = frozenset(
    "true false null in as break const continue else for function if import let loop package "
    "namespace return var void while".split())

E = TypeVar("E", bound=StrEnum)


@dataclass(frozen=True, slots=True)
class RuleSpec:
    name: str  # "" when the file's name could not be read
    label: str  # how messages call it: "rule 'backorders'", or "rule #3" without a name
    line: int
    when: ScalarText | None  # None when the condition could not be read
    actions: Actions


@dataclass(frozen=True, slots=True)
class FileSpec:
    variables: dict[str, object] = field(default_factory=dict)
    policies: Policies = field(default_factory=Policies)
    rules: tuple[RuleSpec, ...] = ()


def read_spec(root: yaml.Node | None, lines: list[str]) -> tuple[FileSpec, list[RuleError]]:
    reader = _Reader(lines)
    return reader.file(root), reader.errors


class _Reader:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.errors: list[RuleError] = []

    def error(self, node: yaml.Node, message: str) -> None:
        line, column = position(node)
        self.errors.append(RuleError(line, column, message))

    # The file and its sections
    def file(self, root: yaml.Node | None) -> FileSpec:
        if root is None:
            self.errors.append(RuleError(1, None, "the file is empty: expected a mapping with "
                                                  "version, vars, policy and rules"))
            return FileSpec()
        entries = self.mapping(root, "the file", TOP_KEYS, required=("version", "rules"))
        if entries is None:
            return FileSpec()
        if "version" in entries:
            node = entries["version"]
            if node.tag != _INT or to_python(node) != VERSION:
                self.error(node, f"version: expected {VERSION} (the only version so far), "
                                 f"got {_got(node)}")
        variables = self.variables(entries["vars"]) if "vars" in entries else {}
        policies = self.policies(entries["policy"]) if "policy" in entries else Policies()
        rules = self.rules(entries["rules"], policies) if "rules" in entries else ()
        return FileSpec(variables, policies, rules)

    def variables(self, node: yaml.Node) -> dict[str, object]:
        if _is_null(node):
            return {}
        if not isinstance(node, yaml.MappingNode):
            self.error(node, f"vars: expected a mapping of names to values, got {_got(node)}")
            return {}
        variables: dict[str, object] = {}
        for key, value in node.value:
            name = self.key(key, "vars")
            if name is None:
                continue
            if not _IDENT.match(name) or name in _CEL_RESERVED:
                self.error(key, f"vars: {name!r} cannot be used as vars.{name}; a name is letters, "
                                f"digits and _, starts with a letter and is not a CEL keyword")
            elif name in variables:
                self.error(key, f"vars: duplicate key {name!r}")
            elif self.plain_value(value, f"vars.{name}"):
                variables[name] = to_python(value)
        return variables

    def policies(self, node: yaml.Node) -> Policies:
        if _is_null(node):
            return Policies()
        entries = self.mapping(node, "policy", ("labels", "timers", "delays", "default_backorder",
                                                "ship_when", "ship_test_orders", "mode",
                                                "shipstation"))
        if entries is None:
            return Policies()
        labels, timers, delays = LabelPolicy(), TimerPolicy(), DelayPolicy()
        default_backorder = Policies().default_backorder
        if "labels" in entries:
            labels = self.label_policy(entries["labels"])
        if "timers" in entries:
            timers = self.timer_policy(entries["timers"])
        if "delays" in entries:
            e = self.mapping(entries["delays"], "policy.delays", ("no_scan_business_days",)) or {}
            if "no_scan_business_days" in e:
                days = self.integer(e["no_scan_business_days"], "policy.delays.no_scan_business_days", 1)
                delays = DelayPolicy(days) if days is not None else delays
        if "default_backorder" in entries:
            value = self.enum(entries["default_backorder"], "policy.default_backorder", BackorderPolicy)
            default_backorder = value or default_backorder
        shipping = ShippingPolicy()
        if "ship_when" in entries:
            shipping = replace(shipping, financial_statuses=self.ship_when(entries["ship_when"]))
        if "ship_test_orders" in entries:
            flag = self.boolean(entries["ship_test_orders"], "policy.ship_test_orders")
            shipping = replace(shipping, test_orders=bool(flag))
        mode = RunMode.LIVE
        if "mode" in entries:
            mode = self.enum(entries["mode"], "policy.mode", RunMode) or mode
        shipstation = ShipStationPolicy()
        if "shipstation" in entries:
            shipstation = self.shipstation_policy(entries["shipstation"])
        return Policies(labels, timers, delays, default_backorder, shipping, mode=mode,
                        shipstation=shipstation)

    def shipstation_policy(self, node: yaml.Node) -> ShipStationPolicy:
        path = "policy.shipstation"
        e = self.mapping(node, path, ("source",))
        if e and "source" in e and (source := self.enum(e["source"], f"{path}.source",
                                                        ShipStationSource)):
            return ShipStationPolicy(source)
        return ShipStationPolicy()

    def ship_when(self, node: yaml.Node) -> frozenset[str]:
        """`paid`, `authorized`, or a list of Shopify financial statuses."""
        path = "policy.ship_when"
        if isinstance(node, yaml.ScalarNode):
            named = {"paid": PAID, "authorized": AUTHORIZED}
            if node.value in named:
                return named[node.value]
            self.error(node, f"{path}: expected paid, authorized or a list of Shopify financial "
                             f"statuses, got {node.value!r}")
            return AUTHORIZED
        if not isinstance(node, yaml.SequenceNode) or not node.value:
            self.error(node, f"{path}: expected paid, authorized or a list of Shopify financial "
                             f"statuses, got {_got(node)}")
            return AUTHORIZED
        statuses = set()
        for item in node.value:
            status = self.string(item, path)
            if status is not None and status not in FINANCIAL_STATUSES:
                self.error(item, f"{path}: {status!r} is not a Shopify financial status "
                                 f"({', '.join(sorted(FINANCIAL_STATUSES))})")
            elif status is not None:
                statuses.add(status)
        return frozenset(statuses) or AUTHORIZED

    def label_policy(self, node: yaml.Node) -> LabelPolicy:
        path = "policy.labels"
        e = self.mapping(node, path, ("mode", "choose", "preferred_carrier", "promised_business_days"))
        policy = LabelPolicy()
        if e is None:
            return policy
        if "mode" in e and (mode := self.enum(e["mode"], f"{path}.mode", LabelMode)):
            policy = replace(policy, mode=mode)
        if "choose" in e and (choose := self.enum(e["choose"], f"{path}.choose", RateChoice)):
            policy = replace(policy, choose=choose)
        if "preferred_carrier" in e and not _is_null(e["preferred_carrier"]):
            policy = replace(policy, preferred_carrier=self.string(e["preferred_carrier"],
                                                                   f"{path}.preferred_carrier"))
        if "promised_business_days" in e:
            days = self.integer(e["promised_business_days"], f"{path}.promised_business_days", 1)
            policy = replace(policy, promised_business_days=days or policy.promised_business_days)
        if policy.choose is RateChoice.PREFERRED_CARRIER and not policy.preferred_carrier:
            self.error(node, f"{path}: choose: preferred_carrier needs preferred_carrier "
                             f"(a ShipStation carrier code such as ups)")
        return policy

    def timer_policy(self, node: yaml.Node) -> TimerPolicy:
        path = "policy.timers"
        e = self.mapping(node, path, ("review_days_default", "review_days_by_category",
                                      "reorder_days_by_sku"))
        if e is None:
            return TimerPolicy()
        default = TimerPolicy().review_days_default
        if "review_days_default" in e:
            days = self.number(e["review_days_default"], f"{path}.review_days_default")
            default = days if days is not None else default
        by_category = self.days_by_name(e.get("review_days_by_category"),
                                        f"{path}.review_days_by_category", "category")
        by_sku = self.days_by_name(e.get("reorder_days_by_sku"), f"{path}.reorder_days_by_sku",
                                   "SKU", more_than_zero=True)
        return TimerPolicy(default, by_category, by_sku)

    def days_by_name(self, node: yaml.Node | None, path: str, what: str,
                     more_than_zero: bool = False) -> dict[str, float]:
        if node is None or _is_null(node):
            return {}
        if not isinstance(node, yaml.MappingNode):
            self.error(node, f"{path}: expected a mapping of {what} to days, got {_got(node)}")
            return {}
        days: dict[str, float] = {}
        for key, value in node.value:
            name = self.key(key, path)
            if name is None:
                continue
            if name in days:
                self.error(key, f"{path}: duplicate {what} {name!r}")
                continue
            number = self.number(value, f"{path}.{name}", more_than_zero)
            if number is not None:
                days[name] = number
        return days

    # Rules
    def rules(self, node: yaml.Node, policies: Policies) -> tuple[RuleSpec, ...]:
        if not isinstance(node, yaml.SequenceNode):
            self.error(node, f"rules: expected a list of rules (- name: ..., when: ..., then: ...), "
                             f"got {_got(node)}")
            return ()
        specs: list[RuleSpec] = []
        first_line: dict[str, int] = {}
        for index, item in enumerate(node.value, start=1):
            spec = self.rule(item, index, policies)
            if spec is None:
                continue
            if spec.name in first_line:
                self.error(_value_of(item, "name") or item, f"duplicate rule name {spec.name!r} "
                                                            f"(first used on line {first_line[spec.name]})")
            elif spec.name:
                first_line[spec.name] = spec.line
            specs.append(spec)
        return tuple(specs)

    def rule(self, node: yaml.Node, index: int, policies: Policies) -> RuleSpec | None:
        """The rule as far as it could be read (name "" or when None when those could not),
        so that its condition is still checked when other parts are wrong."""
        label = f"rule #{index}"
        name_node = _value_of(node, "name")
        if isinstance(name_node, yaml.ScalarNode) and name_node.tag == _STR and name_node.value.strip():
            label = f"rule {name_node.value!r}"
        entries = self.mapping(node, label, RULE_KEYS)
        if entries is None:
            return None
        missing = [k for k in RULE_KEYS if k not in entries]
        if missing:
            self.error(node, f"{label} has no {' or '.join(repr(k) for k in missing)}: "
                             f"every rule needs name, when and then")
        name = self.string(entries["name"], f"{label}: name") if "name" in entries else None
        when = self.condition(entries["when"], label) if "when" in entries else None
        actions = self.actions(entries["then"], label, policies) if "then" in entries else Actions()
        return RuleSpec(name or "", label, position(node)[0], when, actions)

    def condition(self, node: yaml.Node, label: str) -> ScalarText | None:
        if isinstance(node, yaml.ScalarNode) and node.tag == _BOOL:
            line, column = position(node)
            return ScalarText("true" if to_python(node) else "false", line, column, None, None)
        if not (isinstance(node, yaml.ScalarNode) and node.tag == _STR) or not node.value.strip():
            self.error(node, f"{label}: when: expected a CEL condition such as "
                             f"order.total_price > 250.0, got {_got(node)}")
            return None
        return ScalarText.of(node, self.lines)

    def actions(self, node: yaml.Node, label: str, policies: Policies) -> Actions:
        path = f"{label}: then"
        e = self.mapping(node, path, ACTION_KEYS)
        if e is None:
            return Actions()
        if not node.value:
            self.error(node, f"{path}: has no action; expected one or more of {', '.join(ACTION_KEYS)}")
            return Actions()
        return Actions(
            confirmation=self.enum(e["confirmation"], f"{path}.confirmation", Confirmation)
            if "confirmation" in e else None,
            hold=self.hold(e["hold"], f"{path}.hold") if "hold" in e else None,
            backorder=self.backorder(e["backorder"], f"{path}.backorder", policies)
            if "backorder" in e else None,
            tags=self.tags(e["tags"], f"{path}.tags") if "tags" in e else (),
            service=self.service(e["service"], f"{path}.service") if "service" in e else None,
            escalate=self.string(e["escalate"], f"{path}.escalate") if "escalate" in e else None,
            stop=self.boolean(e["stop"], f"{path}.stop") is True if "stop" in e else False,
        )

    def hold(self, node: yaml.Node, path: str) -> Hold | None:
        e = self.mapping(node, path, ("reason", "note"), required=("reason",))
        if e is None or "reason" not in e:
            return None
        reason = self.enum(e["reason"], f"{path}.reason", HoldReason)
        note = self.string(e["note"], f"{path}.note", allow_empty=True) if "note" in e else ""
        return Hold(reason, note) if reason is not None and note is not None else None

    def backorder(self, node: yaml.Node, path: str, policies: Policies) -> BackorderPolicy | None:
        if isinstance(node, yaml.ScalarNode) and node.tag == _STR and node.value == DEFAULT_BACKORDER:
            return policies.default_backorder
        return self.enum(node, path, BackorderPolicy, extra=(DEFAULT_BACKORDER,))

    def tags(self, node: yaml.Node, path: str) -> tuple[str, ...]:
        if not isinstance(node, yaml.SequenceNode) or not node.value:
            self.error(node, f"{path}: expected a list of tags, e.g. [international], got {_got(node)}")
            return ()
        tags: list[str] = []
        for item in node.value:
            tag = self.string(item, f"{path} item")
            if tag is not None and "," in tag:
                self.error(item, f"{path}: {tag!r}: a Shopify tag cannot contain a comma")
            elif tag is not None:
                tags.append(tag.strip())
        return tuple(tags)

    def service(self, node: yaml.Node, path: str) -> ServiceChoice | None:
        e = self.mapping(node, path, ("carrier", "service"), required=("carrier",))
        if e is None or "carrier" not in e:
            return None
        carrier = self.string(e["carrier"], f"{path}.carrier")
        service = None
        if "service" in e and not _is_null(e["service"]):
            service = self.string(e["service"], f"{path}.service")
            if service is None:
                return None
        return ServiceChoice(carrier, service) if carrier is not None else None

    # Building blocks
    def mapping(self, node: yaml.Node, path: str, allowed: Sequence[str],
                required: Sequence[str] = ()) -> dict[str, yaml.Node] | None:
        if not isinstance(node, yaml.MappingNode):
            self.error(node, f"{path}: expected a mapping with {', '.join(allowed)}; got {_got(node)}")
            return None
        entries: dict[str, yaml.Node] = {}
        for key, value in node.value:
            name = self.key(key, path)
            if name is None:
                continue
            if name in entries:
                self.error(key, f"{path}: duplicate key {name!r}")
            elif name not in allowed:
                self.error(key, f"{path}: unknown key {name!r}{_did_you_mean(name, allowed)}; "
                                f"expected one of {', '.join(allowed)}")
            else:
                entries[name] = value
        for name in required:
            if name not in entries:
                self.error(node, f"{path}: missing {name!r}")
        return entries

    def key(self, node: yaml.Node, path: str) -> str | None:
        if not isinstance(node, yaml.ScalarNode):
            self.error(node, f"{path}: a key must be a name, not {_got(node)}")
            return None
        return str(node.value)  # the text as written: SKU 00123 stays "00123"

    def string(self, node: yaml.Node, path: str, allow_empty: bool = False) -> str | None:
        if not (isinstance(node, yaml.ScalarNode) and node.tag == _STR):
            hint = " (quote it)" if isinstance(node, yaml.ScalarNode) and not _is_null(node) else ""
            self.error(node, f"{path}: expected a string, got {_got(node)}{hint}")
            return None
        if not allow_empty and not node.value.strip():
            self.error(node, f"{path}: expected a non-empty string")
            return None
        return str(node.value)

    def boolean(self, node: yaml.Node, path: str) -> bool | None:
        if node.tag != _BOOL:
            self.error(node, f"{path}: expected true or false, got {_got(node)}")
            return None
        return bool(to_python(node))

    def integer(self, node: yaml.Node, path: str, minimum: int) -> int | None:
        value = to_python(node) if node.tag == _INT else None
        if not isinstance(value, int) or value < minimum:
            self.error(node, f"{path}: expected a whole number of at least {minimum}, got {_got(node)}")
            return None
        return value

    def number(self, node: yaml.Node, path: str, more_than_zero: bool = False) -> float | None:
        """A number of days: at least 0, or more than 0."""
        value = to_python(node) if node.tag in (_INT, _FLOAT) else None
        if not isinstance(value, (int, float)) or not math.isfinite(value) \
                or value < 0 or (more_than_zero and value == 0):
            bound = "more than 0" if more_than_zero else "at least 0"
            self.error(node, f"{path}: expected a number of days, {bound}, got {_got(node)}")
            return None
        return float(value)

    def enum(self, node: yaml.Node, path: str, kind: type[E], extra: Sequence[str] = ()) -> E | None:
        values = [m.value for m in kind]
        if isinstance(node, yaml.ScalarNode) and node.tag == _STR and node.value in values:
            return kind(node.value)
        allowed = values + list(extra)
        text = node.value if isinstance(node, yaml.ScalarNode) else ""
        self.error(node, f"{path}: expected one of {', '.join(allowed)}, got {_got(node)}"
                         f"{_did_you_mean(str(text), allowed)}")
        return None

    def plain_value(self, node: yaml.Node, path: str, inside: frozenset[int] = frozenset()) -> bool:
        """True when the value is made of strings, numbers, booleans, null, lists and mappings
        with string keys (what CEL can hold); dates, binary and self-containing values are
        refused."""
        if id(node) in inside:
            self.error(node, f"{path}: a value cannot contain itself (YAML alias)")
            return False
        inside = inside | {id(node)}
        if isinstance(node, yaml.ScalarNode):
            if node.tag in (_STR, _INT, _FLOAT, _BOOL, _NULL):
                if node.tag == _FLOAT and not math.isfinite(float(to_python(node))):  # type: ignore[arg-type]
                    self.error(node, f"{path}: expected a finite number, got {node.value}")
                    return False
                return True
            self.error(node, f"{path}: {_got(node)} cannot be used in a condition (quote it to "
                             f"make it a string)")
            return False
        if isinstance(node, yaml.SequenceNode):
            return all([self.plain_value(item, f"{path}[{i}]", inside)
                        for i, item in enumerate(node.value)])
        assert isinstance(node, yaml.MappingNode)
        ok, seen = True, set()
        for key, value in node.value:
            if not (isinstance(key, yaml.ScalarNode) and key.tag == _STR):
                self.error(key, f"{path}: keys must be strings, got {_got(key)}")
                ok = False
            elif key.value in seen:
                self.error(key, f"{path}: duplicate key {key.value!r}")
                ok = False
            else:
                seen.add(key.value)
                ok = self.plain_value(value, f"{path}.{key.value}", inside) and ok
        return ok


def _value_of(node: yaml.Node, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key and isinstance(v, yaml.Node):
                return v
    return None


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == _NULL


def _got(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if node.tag == _NULL:
        return "nothing (null)"
    if node.tag == _STR:
        return repr(node.value)
    kinds = {_INT: "the number", _FLOAT: "the number", _BOOL: "the boolean"}
    return f"{kinds.get(node.tag, 'the value')} {node.value}"


def _did_you_mean(name: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
