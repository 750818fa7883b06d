"""A plain text table for the terminal (the reports are read in a shell and pasted into
tickets, so no colour or box drawing)."""

from __future__ import annotations

from collections.abc import Sequence


def render(headers: Sequence[str], rows: Sequence[Sequence[object]], *, width: int = 48) -> str:
    """Columns padded to their widest cell; cells longer than `width` are cut with '…'."""
    def cell(value: object) -> str:
        text = "" if value is None else str(value)
        return text if len(text) <= width else text[:width - 1] + "…"

    table = [[cell(h) for h in headers]] + [[cell(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
