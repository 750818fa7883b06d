"""Small runs of the benchmarks: correctness only (counts, nothing lost), never timing."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def run_bench(*args: str) -> dict:
    result = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True,
                            timeout=240)
    assert result.returncode == 0, result.stdout + result.stderr
    [line] = [x for x in result.stdout.splitlines() if x.startswith("{")]
    return json.loads(line)


@pytest.mark.slow
def test_flash_intake_smoke_loses_nothing() -> None:
    figures = run_bench("bench/flash_intake.py", "--orders", "100", "--seconds", "3")
    assert figures["webhooks_sent"] == 300
    assert figures["acked"] == 300 and figures["failed"] == 0
    assert figures["deliveries_lost"] == 0


@pytest.mark.slow
def test_engine_throughput_smoke_ships_every_order() -> None:
    figures = run_bench("bench/engine_throughput.py", "--orders", "100", "--timeout", "120")
    assert figures["shipped"] == figures["orders"] == 100


@pytest.mark.slow
def test_status_lag_smoke_fulfils_and_tells_every_shipment() -> None:
    figures = run_bench("bench/status_lag.py", "--rate", "10", "--seconds", "2")
    assert figures["shipments"] == figures["fulfilled"] == figures["klaviyo_events"] == 20


@pytest.mark.slow
def test_drain_smoke_ships_every_order_without_a_429() -> None:
    figures = run_bench("bench/drain.py", "--orders", "300", "--timeout", "180")
    assert figures["orders"] == figures["shipped"] == figures["fulfilled_with_tracking"] == 300
    assert figures["orders_lost"] == 0
    assert figures["shipflow_orders_by_state"] == {"shipped": 300}
    assert figures["rate_limited"] == {"shipstation": 0, "shopify": 0, "klaviyo": 0}
    assert figures["klaviyo_429_sandbox"] == 0
    assert figures["calls"]["shopify_fields"]["mutation fulfillmentCreate"] == 300
