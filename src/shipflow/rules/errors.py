"""What can be wrong with a rules file, and where.

    RulesFileError      the file cannot be used; `.errors` holds every RuleError found
    RuleError           one problem: 1-based line and column (None when only the line is known)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RuleError:
    """One problem in a rules file; line 0 means the file as a whole (e.g. unreadable)."""

    line: int
    column: int | None
    message: str

    def format(self, source: str) -> str:
        """`FILE:LINE:COL: message`, the form editors and CI logs link to."""
        if self.line <= 0:
            return f"{source}: {self.message}"
        if self.column is None:
            return f"{source}:{self.line}: {self.message}"
        return f"{source}:{self.line}:{self.column}: {self.message}"


class RulesFileError(Exception):
    """The rules file has errors; nothing in it is used."""

    def __init__(self, errors: Sequence[RuleError], source: str = "rules file") -> None:
        self.errors = tuple(errors)
        self.source = source
        lines = "\n".join(e.format(source) for e in self.errors)
        count = f"{len(self.errors)} error{'s' if len(self.errors) != 1 else ''}"
        super().__init__(f"{source}: {count}\n{lines}")


def in_file_order(errors: Sequence[RuleError]) -> list[RuleError]:
    return sorted(errors, key=lambda e: (e.line, e.column or 0))
