"""Static checks of a parsed CEL condition against the variables rules can see.

cel-python parses and evaluates but does not type-check, so without this a misspelt field or a
condition that yields a number would only show up on a live order. This walks the parse tree
with the declared shape of `order` and `vars` and reports, with positions inside the condition:
unknown variables, fields and functions; a result that is not a boolean; and the mixes that
cel-python refuses at run time (`==` or arithmetic between int and double, `&&` on a string).
A type it cannot know is `dyn` and is never reported.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from lark import Token, Tree


@dataclass(frozen=True, slots=True)
class Scalar:
    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class ListOf:
    element: CelType

    def __str__(self) -> str:
        return f"list<{self.element}>"


@dataclass(frozen=True, slots=True, eq=False)
class Struct:
    """A map whose keys are known: the order, its destination, a line item, the file's vars."""

    name: str  # how messages call it: "order", "order.destination", "vars"
    fields: Mapping[str, CelType]

    def __str__(self) -> str:
        return "map"


@dataclass(frozen=True, slots=True)
class MapOf:
    value: CelType

    def __str__(self) -> str:
        return f"map<string, {self.value}>"


CelType = Scalar | ListOf | Struct | MapOf

BOOL, INT, UINT, DOUBLE = Scalar("bool"), Scalar("int"), Scalar("uint"), Scalar("double")
STRING, BYTES, NULL, DYN = Scalar("string"), Scalar("bytes"), Scalar("null"), Scalar("dyn")
TYPE, TIMESTAMP, DURATION = Scalar("type"), Scalar("timestamp"), Scalar("duration")
NUMBERS = (INT, UINT, DOUBLE)


class Problem(NamedTuple):
    """Something wrong in a condition; line and column are 1-based, inside the condition."""

    line: int
    column: int
    message: str


def check_condition(tree: AST, variables: Mapping[str, CelType]) -> list[Problem]:
    checker = _Checker(variables)
    result = checker.type_of(tree, {})
    if result not in (BOOL, DYN):
        checker.report(tree, f"a condition must be true or false, but this one gives {_a(result)}")
    return checker.problems


_LITERALS = {"INT_LIT": INT, "UINT_LIT": UINT, "FLOAT_LIT": DOUBLE, "STRING_LIT": STRING,
             "MLSTRING_LIT": STRING, "BYTES_LIT": BYTES, "BOOL_LIT": BOOL, "NULL_LIT": NULL}
_TYPE_NAMES = frozenset({"int", "uint", "double", "bool", "string", "bytes", "list", "map",
                         "null_type", "type"})
_CONVERSIONS = {"int": INT, "uint": UINT, "double": DOUBLE, "string": STRING, "bool": BOOL,
                "bytes": BYTES, "dyn": DYN, "type": TYPE, "timestamp": TIMESTAMP,
                "duration": DURATION}
_STRING_TESTS = frozenset({"contains", "startsWith", "endsWith", "matches"})
_MACROS = frozenset({"all", "exists", "exists_one", "map", "filter"})
_TIME_PARTS = frozenset({"getDate", "getDayOfMonth", "getDayOfWeek", "getDayOfYear", "getFullYear",
                         "getHours", "getMilliseconds", "getMinutes", "getMonth", "getSeconds"})
_METHODS = sorted({"size", *_STRING_TESTS, *_MACROS, *_TIME_PARTS})
_FUNCTIONS = sorted({"has", "size", *_CONVERSIONS, *_STRING_TESTS})
# Rules that only wrap their single child.
_PASS_THROUGH = frozenset({"expr", "conditionalor", "conditionaland", "relation", "addition",
                           "multiplication", "unary", "member", "primary"})
_OPERATORS = {"relation_lt": "<", "relation_le": "<=", "relation_gt": ">", "relation_ge": ">=",
              "relation_eq": "==", "relation_ne": "!=", "relation_in": "in", "addition_add": "+",
              "addition_sub": "-", "multiplication_mul": "*", "multiplication_div": "/",
              "multiplication_mod": "%"}

AST = Tree[Token]
Node = AST | Token
Scope = Mapping[str, CelType]


class _Checker:
    def __init__(self, variables: Mapping[str, CelType]) -> None:
        self.variables = variables
        self.problems: list[Problem] = []

    def report(self, where: Node, message: str) -> None:
        line, column = _position(where)
        self.problems.append(Problem(line, column, message))

    def type_of(self, node: Node, scope: Scope) -> CelType:
        if isinstance(node, Token):  # pragma: no cover - the grammar wraps every token
            return DYN
        rule = str(node.data)
        if rule in _PASS_THROUGH and len(node.children) == 1:
            return self.type_of(node.children[0], scope)
        handler = getattr(self, f"_{rule}", None)
        if handler is None:  # pragma: no cover - every rule of cel.lark has a handler
            return DYN
        result: CelType = handler(node, scope)
        return result

    def expect_bool(self, node: Node, scope: Scope, role: str) -> None:
        found = self.type_of(node, scope)
        if found not in (BOOL, DYN):
            self.report(node, f"{role} must be true or false, not {_a(found)}")

    # Logic
    def _expr(self, node: AST, scope: Scope) -> CelType:
        condition, if_true, if_false = node.children
        self.expect_bool(condition, scope, "the test of ?:")
        return _join(self.type_of(if_true, scope), self.type_of(if_false, scope))

    def _conditionalor(self, node: AST, scope: Scope) -> CelType:
        for operand in node.children:
            self.expect_bool(operand, scope, "each side of ||")
        return BOOL

    def _conditionaland(self, node: AST, scope: Scope) -> CelType:
        for operand in node.children:
            self.expect_bool(operand, scope, "each side of &&")
        return BOOL

    def _unary(self, node: AST, scope: Scope) -> CelType:
        operator, operand = node.children
        if isinstance(operator, Tree) and operator.data == "unary_not":
            self.expect_bool(operand, scope, "the operand of !")
            return BOOL
        found = self.type_of(operand, scope)
        if found not in (*NUMBERS, DYN):
            self.report(operand, f"only numbers can be negated, not {_a(found)}")
            return DYN
        return found

    # Operators
    def _relation(self, node: AST, scope: Scope) -> CelType:
        left, right, operator = self._binary(node, scope)
        if operator == "in":
            if not isinstance(right, (ListOf, MapOf, Struct)) and right != DYN:
                self.report(node.children[1], f"the right side of 'in' must be a list or map, "
                                              f"not {_a(right)}")
        elif operator in ("==", "!="):
            self._comparable(node, left, right, operator)
        elif not (left in NUMBERS and right in NUMBERS):
            self._comparable(node, left, right, operator)
        return BOOL

    def _addition(self, node: AST, scope: Scope) -> CelType:
        return self._arithmetic(node, scope)

    def _multiplication(self, node: AST, scope: Scope) -> CelType:
        return self._arithmetic(node, scope)

    def _arithmetic(self, node: AST, scope: Scope) -> CelType:
        left, right, operator = self._binary(node, scope)
        if DYN in (left, right):
            return DYN
        if left == right and (left in NUMBERS or (operator == "+" and left in (STRING, BYTES))):
            return left
        if operator == "+" and isinstance(left, ListOf) and isinstance(right, ListOf):
            return ListOf(_join(left.element, right.element))
        self.report(node, f"cannot apply {operator} to {_a(left)} and {_a(right)}{_number_hint(left, right)}")
        return DYN

    def _binary(self, node: AST, scope: Scope) -> tuple[CelType, CelType, str]:
        operation, right = node.children
        assert isinstance(operation, Tree)
        return (self.type_of(operation.children[0], scope), self.type_of(right, scope),
                _OPERATORS[str(operation.data)])

    def _comparable(self, node: AST, left: CelType, right: CelType, operator: str) -> None:
        if DYN in (left, right) or (NULL in (left, right) and operator in ("==", "!=")):
            return
        if _kind(left) != _kind(right):
            self.report(node, f"cannot compare {_a(left)} with {_a(right)} using "
                              f"{operator}{_number_hint(left, right)}")

    # Members, indexes, calls
    def _member_dot(self, node: AST, scope: Scope) -> CelType:
        target, field = node.children
        assert isinstance(field, Token)
        return self._field(self.type_of(target, scope), str(field), field, target)

    def _field(self, container: CelType, field: str, where: Node, target: Node) -> CelType:
        if isinstance(container, Struct):
            if field in container.fields:
                return container.fields[field]
            self.report(where, f"{container.name} has no field {field!r}"
                               f"{_did_you_mean(field, container.fields)}; it has: "
                               f"{', '.join(container.fields) or 'none'}")
            return DYN
        if isinstance(container, MapOf):
            return container.value
        if container != DYN:
            self.report(where, f"cannot take field {field!r} of {_a(container)} ({_text(target)})")
        return DYN

    def _member_index(self, node: AST, scope: Scope) -> CelType:
        target, index = node.children
        container, key = self.type_of(target, scope), self.type_of(index, scope)
        if isinstance(container, ListOf):
            if key not in (INT, UINT, DYN):
                self.report(index, f"a list index must be an int, not {_a(key)}")
            return container.element
        if isinstance(container, Struct):
            literal = _string_literal(index)
            return self._field(container, literal, index, target) if literal is not None else DYN
        if isinstance(container, MapOf):
            return container.value
        if container != DYN:
            self.report(node, f"cannot index {_a(container)} ({_text(target)})")
        return DYN

    def _member_object(self, node: AST, scope: Scope) -> CelType:
        self.report(node, "message construction (Type{field: value}) is not available in rules")
        return DYN

    def _member_dot_arg(self, node: AST, scope: Scope) -> CelType:
        target, name_token, *rest = node.children
        name, args = str(name_token), _arguments(rest)
        if name in _MACROS:
            return self._macro(node, name, self.type_of(target, scope), args, scope)
        receiver = self.type_of(target, scope)
        for arg in args:
            self.type_of(arg, scope)
        if name == "size":
            self._receiver(node, name, receiver, (STRING, BYTES), containers=True)
            return INT
        if name in _STRING_TESTS:
            self._receiver(node, name, receiver, (STRING,))
            self._arity(node, name, args, 1)
            return BOOL
        if name in _TIME_PARTS:
            return INT
        self.report(name_token, f"unknown method {name}(){_did_you_mean(name, _METHODS)}; "
                                f"methods: {', '.join(_METHODS)}")
        return DYN

    def _macro(self, node: AST, name: str, receiver: CelType, args: Sequence[Node],
               scope: Scope) -> CelType:
        if len(args) not in ((2, 3) if name == "map" else (2,)):
            self.report(node, f"{name}() takes a variable name and an expression, "
                              f"e.g. order.line_items.{name}(item, item.quantity > 1)")
            return DYN
        variable = _bare_identifier(args[0])
        if variable is None:
            self.report(args[0], f"the first argument of {name}() must be a variable name")
            return DYN
        if isinstance(receiver, ListOf):
            element = receiver.element
        elif isinstance(receiver, (MapOf, Struct)):
            element = STRING
        else:
            element = DYN
            if receiver != DYN:
                self.report(node, f"{name}() works on a list or map, not {_a(receiver)}")
        inner = {**scope, variable: element}
        if name == "map":
            if len(args) == 3:
                self.expect_bool(args[1], inner, f"the filter of {name}()")
            return ListOf(self.type_of(args[-1], inner))
        self.expect_bool(args[1], inner, f"the condition of {name}()")
        if name == "filter":
            return receiver if isinstance(receiver, ListOf) else ListOf(DYN)
        return BOOL

    def _receiver(self, node: AST, name: str, receiver: CelType, allowed: tuple[CelType, ...],
                  containers: bool = False) -> None:
        if receiver == DYN or receiver in allowed:
            return
        if containers and isinstance(receiver, (ListOf, MapOf, Struct)):
            return
        self.report(node, f"{name}() does not apply to {_a(receiver)}")

    def _arity(self, node: Node, name: str, args: Sequence[Node], count: int) -> None:
        if len(args) != count:
            self.report(node, f"{name}() takes {count} argument{'s' if count != 1 else ''}, "
                              f"not {len(args)}")

    def _ident_arg(self, node: AST, scope: Scope) -> CelType:
        name_token, *rest = node.children
        name, args = str(name_token), _arguments(rest)
        if name == "has":
            self._arity(node, name, args, 1)
            selection = _unwrap(args[0]) if args else None
            if not (isinstance(selection, Tree) and selection.data == "member_dot"):
                self.report(node, "has() takes a field selection, e.g. has(order.email)")
            else:
                self.type_of(selection, scope)
            return BOOL
        for arg in args:
            self.type_of(arg, scope)
        if name == "size":
            self._arity(node, name, args, 1)
            return INT
        if name in _STRING_TESTS:
            self._arity(node, name, args, 2)
            return BOOL
        if name in _CONVERSIONS:
            self._arity(node, name, args, 1)
            return _CONVERSIONS[name]
        self.report(name_token, f"unknown function {name}(){_did_you_mean(name, _FUNCTIONS)}; "
                                f"functions: {', '.join(_FUNCTIONS)}")
        return DYN

    def _dot_ident_arg(self, node: AST, scope: Scope) -> CelType:
        return self._ident_arg(node, scope)

    # Primaries
    def _ident(self, node: AST, scope: Scope) -> CelType:
        (token,) = node.children
        name = str(token)
        if name in scope:
            return scope[name]
        return self._variable(token, name)

    def _dot_ident(self, node: AST, scope: Scope) -> CelType:
        (token,) = node.children
        return self._variable(token, str(token))

    def _variable(self, token: Node, name: str) -> CelType:
        if name in self.variables:
            return self.variables[name]
        if name in _TYPE_NAMES:
            return TYPE
        self.report(token, f"unknown variable {name!r}{_did_you_mean(name, self.variables)}; "
                           f"conditions can use: {', '.join(self.variables)}")
        return DYN

    def _literal(self, node: AST, scope: Scope) -> CelType:
        (token,) = node.children
        return _LITERALS.get(token.type, DYN) if isinstance(token, Token) else DYN

    def _paren_expr(self, node: AST, scope: Scope) -> CelType:
        return self.type_of(node.children[0], scope)

    def _list_lit(self, node: AST, scope: Scope) -> CelType:
        elements = [self.type_of(e, scope) for e in _arguments(node.children)]
        element = elements[0] if elements else DYN
        for other in elements[1:]:
            element = _join(element, other)
        return ListOf(element)

    def _map_lit(self, node: AST, scope: Scope) -> CelType:
        inits = node.children[0] if node.children else None
        entries = inits.children if isinstance(inits, Tree) else []
        values = [self.type_of(e, scope) for e in entries][1::2]
        value = values[0] if values else DYN
        for other in values[1:]:
            value = _join(value, other)
        return MapOf(value)


def _arguments(rest: Sequence[Node]) -> list[Node]:
    """The expressions of an optional exprlist child."""
    if rest and isinstance(rest[0], Tree) and rest[0].data == "exprlist":
        return list(rest[0].children)
    return []


def _unwrap(node: Node) -> Node:
    while isinstance(node, Tree) and node.data in _PASS_THROUGH and len(node.children) == 1:
        node = node.children[0]
    return node


def _bare_identifier(node: Node) -> str | None:
    inner = _unwrap(node)
    if isinstance(inner, Tree) and inner.data == "ident":
        return str(inner.children[0])
    return None


def _string_literal(node: Node) -> str | None:
    inner = _unwrap(node)
    if isinstance(inner, Tree) and inner.data == "literal":
        token = inner.children[0]
        if isinstance(token, Token) and token.type == "STRING_LIT" and token[0] in "'\"":
            return str(token)[1:-1]
    return None


def _join(a: CelType, b: CelType) -> CelType:
    if a == b or b == NULL:
        return a
    return b if a == NULL else DYN


def _kind(t: CelType) -> str:
    if isinstance(t, ListOf):
        return "list"
    if isinstance(t, (MapOf, Struct)):
        return "map"
    return t.name


def _a(t: CelType) -> str:
    if isinstance(t, Struct):
        return f"a map ({t.name})"
    text = str(t)
    return f"{'an' if text[0] in 'aeiou' else 'a'} {text}" if t != NULL else "null"


def _number_hint(left: CelType, right: CelType) -> str:
    if {left, right} == {INT, DOUBLE}:
        return "; write doubles such as money with a decimal point (250.0) or use double(...)"
    return ""


def _did_you_mean(name: str, choices: Sequence[str] | Mapping[str, object]) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _position(node: Node) -> tuple[int, int]:
    if isinstance(node, Token):
        return node.line or 1, node.column or 1
    meta = node.meta
    if getattr(meta, "empty", True):
        return 1, 1
    return meta.line, meta.column


def _text(node: Node) -> str:
    """Rough source text of a subtree, for messages."""
    if isinstance(node, Token):
        return str(node)
    inner = _unwrap(node)
    if isinstance(inner, Tree) and inner.data == "member_dot":
        return f"{_text(inner.children[0])}.{inner.children[1]}"
    if isinstance(inner, Tree) and inner.data == "ident":
        return str(inner.children[0])
    return "this value"
