"""The README's demo command, as a user runs it (headless, small N for speed)."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.slow
def test_headless_demo_ships_every_order_and_matches_the_sandbox() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "shipflow.cli", "demo", "--headless", "--orders", "12"],
        capture_output=True, text=True, timeout=240,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "all orders reached 'Order Shipped'" in out
    for line in ("orders received", "orders in ShipStation", "fulfilled in Shopify with tracking",
                 "Klaviyo 'Order Shipped' events"):
        [row] = [r for r in out.splitlines() if line in r]
        assert row.split()[-2:] == ["12", "12"], row
    assert "mismatch" not in out
