"""The pure parts of replay and audit: the stock picture put back on an order's lines, the
comparison, the window, nearest-rank percentiles and how long an exception stayed open."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from shipflow.domain.order import LineItem
from shipflow.domain.routing import Decision
from shipflow.domain.tracking_events import TrackingScan, TrackingStatus
from shipflow.ops.audit import _exception_open, percentile
from shipflow.ops.replay import _stock, compare, missing_from_parts, parse_since
from shipflow.rules.routing import route_order
from shipflow.store.queries.routing import RecordedPart, RecordedRouting, RecordedStock
from tests.unit.domain.factories import an_order
from tests.unit.rules.helpers import rules

NOW = datetime(2026, 12, 1, tzinfo=timezone.utc)
SPLIT = rules("""
    version: 1
    policy: {default_backorder: split}
    rules:
      - name: big
        when: order.total_price > 100.0
        then: {confirmation: signature}
""")


def _recorded(order, parts=(), stock=None, decisions=()):
    return RecordedRouting(1, order, None, NOW, True, tuple(decisions), (), stock, tuple(parts))


def test_the_shortfall_on_the_parts_goes_back_on_the_newest_lines_first() -> None:
    order = an_order(line_items=(
        LineItem(10, "MUG", "Mug", 2, Decimal("5")), LineItem(11, "MUG", "Mug", 1, Decimal("5")),
        LineItem(12, "TEE", "Tee", 1, Decimal("5"))))
    parts = [RecordedPart(1, None, {}), RecordedPart(2, "backorder", {"MUG": 2})]
    assert missing_from_parts(order, parts) == {11: 1, 10: 1}


def test_stock_not_read_is_not_replayable_unless_the_new_rules_are_empty() -> None:
    order = an_order()
    unread = _recorded(order, stock=RecordedStock({}, read=False))
    missing, why = _stock(unread, SPLIT)
    assert missing is None and "stock was not read" in (why or "")
    assert _stock(unread, rules("version: 1\nrules: []\n")) == ({}, None)
    assert _stock(_recorded(order, stock=RecordedStock({1: 2})), SPLIT) == ({1: 2}, None)


def test_compare_lists_changed_actions_and_the_outcome() -> None:
    order = an_order()
    after = route_order(SPLIT, order, {1: 1})
    before = [Decision("big", "confirmation", "signature confirmation")]
    changes = compare(order, before, "ships", after)
    assert [(c.action, c.before, c.after) for c in changes] == [
        ("backorder", "-", "policy.default_backorder: backorder policy split (SKUs out of "
                           "stock: MUG-01)"),
        ("outcome", "ships", "split: part 1 ships, part 2 on hold (backorder)")]
    assert compare(order, after.decisions, "split: part 1 ships, part 2 on hold (backorder)",
                   after) == []


def test_since_takes_spans_and_dates() -> None:
    assert parse_since("14d", NOW) == NOW - timedelta(days=14)
    assert parse_since("36h", NOW) == NOW - timedelta(hours=36)
    assert parse_since("2026-11-01", NOW) == datetime(2026, 11, 1, tzinfo=timezone.utc)
    with pytest.raises(ValueError, match="14d"):
        parse_since("two weeks", NOW)


def test_nearest_rank_percentiles() -> None:
    assert percentile([], 50) is None
    assert percentile([7.0, 0.5, 3.0, 0.75], 50) == 0.75
    assert percentile([7.0, 0.5, 3.0, 0.75], 90) == 7.0
    assert percentile([4.0], 90) == 4.0


def test_an_exception_is_open_until_the_next_scan_that_is_not_one() -> None:
    def scan(hours: float, status: TrackingStatus) -> TrackingScan:
        return TrackingScan(NOW + timedelta(hours=hours), status)

    until = NOW + timedelta(hours=100)
    closed = [scan(0, TrackingStatus.ACCEPTED), scan(5, TrackingStatus.EXCEPTION),
              scan(6, TrackingStatus.EXCEPTION), scan(29, TrackingStatus.IN_TRANSIT)]
    assert _exception_open(closed, until) == (24 * 3600, False)
    assert _exception_open(closed[:3], until) == (95 * 3600, True)
    assert _exception_open(closed[:1], until) is None


def test_replay_refuses_a_missing_database_without_creating_it(tmp_path) -> None:
    from typer.testing import CliRunner

    from shipflow.cli import app

    rules_file = tmp_path / "new.yaml"
    rules_file.write_text("version: 1\nrules: []\n")
    missing = tmp_path / "nothing.db"
    result = CliRunner().invoke(app, ["replay", "--rules", str(rules_file)],
                                env={"SHIPFLOW_DATABASE_URL": f"sqlite:///{missing}"})
    assert result.exit_code == 2 and "no shipflow database" in result.output
    assert not missing.exists()
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nrules:\n  - name: x\n    when: order.total_price >\n"
                   "    then: {tags: [a]}\n")
    result = CliRunner().invoke(app, ["replay", "--rules", str(bad)],
                                env={"SHIPFLOW_DATABASE_URL": f"sqlite:///{missing}"})
    assert result.exit_code == 1 and f"{bad}:4:" in result.output
