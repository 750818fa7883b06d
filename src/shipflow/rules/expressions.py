"""CEL conditions: compiled and checked once when the file is loaded, evaluated per order.

cel-python (pinned to 0.5.x) transpiles each expression to a Python code object. Its own
`CompiledRunner.evaluate` copies the whole activation for every expression, logs every
evaluation error at ERROR level and hands the activation to the code through a module global,
which is not safe with several threads. `Condition.evaluate` runs the same code object with one
activation per order (`Scope`), under a lock, and turns CEL errors into `ConditionEvalError`.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from types import CodeType
from typing import Any

import celpy
import celpy.evaluation
from celpy import celtypes
from celpy.celparser import CELParseError, CELParser
from celpy.evaluation import Activation, CELEvalError
from lark.exceptions import UnexpectedCharacters, UnexpectedToken

from shipflow.rules.typecheck import CelType, Problem, check_condition


class ConditionEvalError(Exception):
    """A condition could not be evaluated for this order (missing key, wrong type, ...)."""


@functools.cache
def _environment() -> celpy.Environment:
    # cel-python keeps one parser per process, built with the tree class of the first runner
    # that asked; the transpiler needs TranspilerTree (a lark.Tree, so the interpreter can use
    # it too).
    parser = CELParser.CEL_PARSER
    if parser is not None and parser.options.tree_class is not celpy.evaluation.TranspilerTree:
        CELParser.CEL_PARSER = None
    return celpy.Environment(runner_class=celpy.CompiledRunner)


# The transpiled code reads `base_activation` from, and writes `CEL` to, this module namespace.
_EXEC_GLOBALS: dict[str, Any] = celpy.evaluation.result.__globals__
_EXEC_LOCK = threading.Lock()


class Scope:
    """The variables of one evaluation (`order`, `vars`), shared by every condition."""

    __slots__ = ("_activation",)

    def __init__(self, values: Mapping[str, celtypes.Value]) -> None:
        # No type annotations: they only serve protobuf messages, which rules cannot build, and
        # every name lookup would search them too.
        self._activation = Activation(vars=dict(values))


@dataclass(frozen=True, slots=True, eq=False)
class Condition:
    source: str
    _code: CodeType

    def evaluate(self, scope: Scope) -> bool:
        with _EXEC_LOCK:
            _EXEC_GLOBALS["base_activation"] = scope._activation
            try:
                exec(self._code, _EXEC_GLOBALS)
            except Exception as exc:  # transpiled code can let a plain Python error through
                raise ConditionEvalError(f"{type(exc).__name__}: {exc}") from exc
            finally:
                _EXEC_GLOBALS.pop("base_activation", None)
            value = _EXEC_GLOBALS.pop("CEL", None)
        if isinstance(value, CELEvalError):
            raise ConditionEvalError(_describe(value))
        if isinstance(value, (bool, celtypes.BoolType)):
            return bool(value)
        raise ConditionEvalError(f"the condition gave {_type_name(value)} instead of true or false")


def compile_condition(source: str,
                      variables: Mapping[str, CelType]) -> tuple[Condition | None, list[Problem]]:
    """Parse, check and transpile a condition; problems carry positions inside `source`."""
    env = _environment()
    try:
        ast = env.compile(source)
    except CELParseError as exc:
        return None, [_syntax_problem(exc, source)]
    problems = check_condition(ast, variables)
    if problems:
        return None, problems
    try:
        runner = env.program(ast)
    except Exception as exc:  # cel-python cannot transpile a few valid-looking forms
        return None, [Problem(1, 1, f"cel-python cannot compile this condition: {exc}")]
    assert isinstance(runner, celpy.CompiledRunner)
    return Condition(source, runner.tp.executable_code), []


def _syntax_problem(exc: CELParseError, source: str) -> Problem:
    cause = exc.__context__
    line, column = exc.line or 1, exc.column or 1
    if isinstance(cause, UnexpectedToken) and cause.token.type == "$END":
        lines = source.rstrip().splitlines() or [""]
        return Problem(len(lines), len(lines[-1]) + 1,
                       "CEL syntax error: the condition ends before it is complete")
    if isinstance(cause, UnexpectedToken):
        found = str(cause.token)
        hint = _HINTS.get(found, "")
        return Problem(line, column, f"CEL syntax error: unexpected {found!r}{hint}")
    if isinstance(cause, UnexpectedCharacters):
        found = cause.char
        hint = _HINTS.get(found, "")
        return Problem(line, column, f"CEL syntax error: unexpected character {found!r}{hint}")
    return Problem(line, column, f"CEL syntax error: {str(exc).splitlines()[0]}")


_HINTS = {
    "and": " (CEL writes 'and' as &&)",
    "or": " (CEL writes 'or' as ||)",
    "not": " (CEL writes 'not' as !)",
    "=": " (compare with ==)",
}


def _describe(error: CELEvalError) -> str:
    message = str(error.args[0]) if error.args else "evaluation error"
    details = error.args[2] if len(error.args) > 2 else None
    if isinstance(details, tuple) and details:
        detail = str(details[0])
        if detail and detail not in message:
            message = f"{message}: {detail}"
    return message


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    names = {celtypes.StringType: "a string", celtypes.IntType: "an int",
             celtypes.UintType: "a uint", celtypes.DoubleType: "a double",
             celtypes.ListType: "a list", celtypes.MapType: "a map"}
    for cel_type, name in names.items():
        if isinstance(value, cel_type):
            return name
    return type(value).__name__
