"""The chaos benchmark, short: every provider fault on, processes killed with SIGKILL throughout
(on PostgreSQL a third worker never comes back), duplicated, reordered, malformed and forged
deliveries; then nothing may be lost or done twice, counted from the providers' own records.
`bench/chaos.py` runs the long version (2,000 orders); its figures are in bench/README.md."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT, _postgres_available

ZERO = ("orders_lost", "labels_never_fulfilled", "duplicate_shipstation_orders",
        "duplicate_shopify_fulfillments", "duplicate_customer_messages", "orders_not_finished",
        "forged_deliveries_accepted", "malformed_deliveries_not_kept",
        "malformed_deliveries_accepted", "pending_timers")


def run_chaos(tmp_path, *args: str) -> dict:
    result = subprocess.run(
        [sys.executable, "bench/chaos.py", "--keep", str(tmp_path), "--timeout", "240",
         "--time-scale", "20000", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    [line] = [x for x in result.stdout.splitlines() if x.startswith("{")]
    return json.loads(line)


def assert_nothing_lost_or_doubled(figures: dict, orders: int) -> None:
    assert figures["finished"], figures
    assert figures["orders"] == orders
    assert {k: figures[k] for k in ZERO} == {k: 0 for k in ZERO}, figures
    assert figures["shipstation_labels"] >= orders  # every order shipped (no splits here)
    assert figures["forged_answers"] == {"401": figures["forged_sent"]}
    assert all(key.endswith(":400") for key in figures["malformed_answers"]), figures


@pytest.mark.slow
@pytest.mark.postgres
def test_chaos_on_postgres_loses_nothing_and_doubles_nothing(tmp_path) -> None:
    if not _postgres_available():
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not reachable on 127.0.0.1:5432 in CI")
        pytest.skip("PostgreSQL is not reachable")
    figures = run_chaos(tmp_path, "--orders", "80", "--kills", "4", "--window", "30",
                        "--waves", "6")
    assert_nothing_lost_or_doubled(figures, 80)
    assert figures["kills_by_process"]["w3"] == 1  # the worker that never came back
    assert {"w1", "w2", "web"} <= set(figures["kills_by_process"])
    fired = figures["faults_fired"]
    for api in ("shopify", "shipstation_v1", "klaviyo"):  # answers lost after the write
        assert fired.get(api, {}).get("lose_response", 0) > 0, fired
    assert fired["shopify"]["duplicate_webhooks"] > 0 and fired["shopify"]["reorder_webhooks"] > 0
    assert fired["shopify"]["error_rate"] > 0


@pytest.mark.slow
def test_chaos_on_sqlite_with_serve_killed_loses_nothing(tmp_path) -> None:
    figures = run_chaos(tmp_path, "--sqlite", "--orders", "40", "--kills", "3", "--window",
                        "20", "--waves", "4")
    assert_nothing_lost_or_doubled(figures, 40)
    assert figures["kills_by_process"] == {"serve": 3}
