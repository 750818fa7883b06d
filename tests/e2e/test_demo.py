"""The README's demo command, as a user runs it (headless, small N for speed)."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.slow
def test_headless_demo_settles_every_order_and_matches_the_sandbox() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "shipflow.cli", "demo", "--headless", "--orders", "12"],
        capture_output=True, text=True, timeout=240,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "every order shipped or waits where the rules put it" in out
    [received] = [r for r in out.splitlines() if "orders received" in r]
    assert received.split()[-2:] == ["12", "12"], received
    for line in ("orders in ShipStation", "fulfilled in Shopify with tracking",
                 "Klaviyo 'Order Shipped' events"):
        [row] = [r for r in out.splitlines() if line in r]
        ours, theirs = row.split()[-2:]
        assert ours == theirs and int(ours) > 0, row
    assert "mismatch" not in out
    assert "orders by state:" in out
