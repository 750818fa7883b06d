"""One accelerated calendar across processes: shipflow's SHIPFLOW_CLOCK_* and the sandbox's
clock, given the same origin and scale, read the same time whenever each process started."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from shipflow.config import Settings
from shipflow.store.clock import accelerated
from shipflow_sandbox.clock import Clock

LOCAL = dict(shopify_shop_url="http://127.0.0.1:8100/shopify",
             shipstation_base_url="http://127.0.0.1:8100/shipstation",
             shipstation_v2_base_url="http://127.0.0.1:8100/shipstation",
             klaviyo_base_url="http://localhost:8100/klaviyo")


def test_shipflow_and_the_sandbox_share_the_calendar() -> None:
    origin = datetime.now(timezone.utc) - timedelta(seconds=3)
    ours, theirs = accelerated(origin, 20_000)(), Clock(20_000, origin).calendar()
    assert abs((ours - theirs).total_seconds()) < 20_000 * 0.05  # 50 ms of real time
    assert ours - origin > timedelta(hours=16)  # 3 real seconds are ~16.7 simulated hours


def test_the_settings_build_it_only_for_a_local_sandbox() -> None:
    origin = "2026-12-04T18:00:00+00:00"
    ok = Settings(clock_scale=60, clock_origin=origin, **LOCAL)
    assert ok.clock_problem() is None and ok.accelerated_from == datetime.fromisoformat(origin)
    assert Settings().clock_problem() is None and Settings().accelerated_from is None
    remote = Settings(clock_scale=60, clock_origin=origin,
                      **{**LOCAL, "klaviyo_base_url": "https://a.klaviyo.com"})
    assert "loopback" in str(remote.clock_problem()) and remote.accelerated_from is None
    for bad in ("yesterday", "2026-12-04T18:00:00"):  # unreadable, or without a zone
        assert "SHIPFLOW_CLOCK_ORIGIN" in str(
            Settings(clock_scale=60, clock_origin=bad, **LOCAL).clock_problem())
    assert "positive" in str(Settings(clock_scale=0, clock_origin=origin, **LOCAL).clock_problem())


def test_an_origin_without_a_zone_is_refused() -> None:
    with pytest.raises(ValueError):
        accelerated(datetime(2026, 12, 4), 60)
