"""Read a rules file into YAML nodes that remember their line and column.

`yaml.compose` builds the node graph without constructing any Python object, so nothing in the
file can run code, and every node keeps its marks for error messages. Tags other than YAML's
own are refused here: a condition starting with `!` that was left unquoted is the usual cause.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import yaml
from yaml.constructor import SafeConstructor

from shipflow.rules.errors import RuleError, RulesFileError

STANDARD_TAG_PREFIX = "tag:yaml.org,2002:"


def compose(text: str) -> tuple[yaml.Node | None, list[RuleError]]:
    """The document's root node (None for an empty file) and any tag it must not use;
    RulesFileError when the text is not YAML at all."""
    try:
        root: yaml.Node | None = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        words = " ".join(w for w in (exc.context, exc.problem) if w)
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, None)
        raise RulesFileError([RuleError(line, column, f"YAML syntax error: {words}")]) from None
    except yaml.YAMLError as exc:
        raise RulesFileError([RuleError(0, None, f"YAML syntax error: {exc}")]) from None
    if root is None:
        return None, []
    return root, [_tag_error(n) for n in _walk(root) if not n.tag.startswith(STANDARD_TAG_PREFIX)]


def position(node: yaml.Node) -> tuple[int, int]:
    """1-based line and column where the node starts."""
    return node.start_mark.line + 1, node.start_mark.column + 1


def to_python(node: yaml.Node) -> object:
    """The plain value of a node (str, int, float, bool, None, list, dict) via the safe constructor."""
    return SafeConstructor().construct_object(node, deep=True)


@dataclass(frozen=True, slots=True)
class ScalarText:
    """A string scalar and where it sits, to turn a position inside the string into one in the file.

    Exact for one-line plain or quoted scalars and for `|` blocks; for other multi-line styles
    the scalar's start is given and the position inside it goes into the message.
    """

    value: str
    line: int
    column: int
    style: str | None  # None (plain), "'", '"', "|" or ">"
    content_column: int | None  # first column of the text of a "|" block

    @classmethod
    def of(cls, node: yaml.ScalarNode, lines: list[str]) -> ScalarText:
        line, column = position(node)
        content_column = None
        if node.style == "|":
            for text in lines[line:]:  # `lines[line]` is the line after the indicator
                if text.strip():
                    content_column = len(text) - len(text.lstrip(" ")) + 1
                    break
        return cls(str(node.value), line, column, node.style, content_column)

    def locate(self, line: int, column: int) -> tuple[int, int | None, str]:
        """File line and column of `line`/`column` (1-based) inside the text, and a note when
        only the scalar's start could be given."""
        one_line = "\n" not in self.value.rstrip("\n")
        if self.style in (None, "'", '"') and one_line and line == 1:
            return self.line, self.column + (0 if self.style is None else 1) + column - 1, ""
        if self.style == "|" and self.content_column is not None:
            return self.line + line, self.content_column + column - 1, ""
        return self.line, self.column, f" (line {line}, column {column} of the condition)"


def _walk(node: yaml.Node) -> Iterator[yaml.Node]:
    seen: set[int] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if id(current) in seen:  # aliases share nodes
            continue
        seen.add(id(current))
        yield current
        if isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
        elif isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                stack.extend((key, value))


def _tag_error(node: yaml.Node) -> RuleError:
    line, column = position(node)
    tag = node.tag
    if isinstance(node, yaml.ScalarNode) and tag.startswith("!"):
        text = f"{tag} {node.value}".strip()
        return RuleError(line, column, f"YAML reads {text!r} as a tag; quote it: \"{text}\"")
    return RuleError(line, column, f"YAML tags such as {tag} are not allowed in a rules file")
