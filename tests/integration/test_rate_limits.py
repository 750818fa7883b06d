"""Each provider's published rate limit, respected under concurrency against the sandbox that
enforces it (time compressed: a minute lasts a second). "Never a 429" is counted on the wire."""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest

from shipflow.domain.milestone import MilestoneEvent, OrderSummary
from shipflow.providers.klaviyo.client import KlaviyoClient
from shipflow.providers.shipstation.client import ShipStationClient
from shipflow.providers.shipstation_v2.client import ShipStationV2Client
from shipflow.providers.shopify.client import ShopifyClient
from shipflow.store import Database, Store
from shipflow.store.rate_budget import SharedRateBudget
from shipflow_sandbox.config import SandboxConfig
from shipflow_sandbox.server import running_sandbox
from tests.unit.domain.factories import a_milestone_event

TIME_SCALE = 60.0  # ShipStation's 40 requests a minute become 40 a second


class CountingTransport(httpx.HTTPTransport):
    """The real transport, counting status codes as they come back."""

    def __init__(self) -> None:
        super().__init__()
        self.statuses: Counter[int] = Counter()
        self.retry_after: float | None = None
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        with self._lock:
            self.statuses[response.status_code] += 1
            if response.status_code == 429:
                self.retry_after = float(response.headers.get("retry-after", "0") or 0)
        return response


@pytest.fixture
def db(store: Store) -> Database:
    return store.db


def test_shipstation_budget_is_shared_by_workers_and_never_draws_a_429(db: Database) -> None:
    config = SandboxConfig(enforce_rate_limits=True, time_scale=TIME_SCALE)
    wire = CountingTransport()
    with running_sandbox(config) as sandbox:
        # Two "workers", each with its own client and its own handle on the shared budget.
        workers = [
            ShipStationClient(
                sandbox.url("/shipstation"), config.shipstation_api_key,
                config.shipstation_api_secret, transport=wire,
                budget=SharedRateBudget(db, "shipstation-v1", limit=40, period=60 / TIME_SCALE,
                                        remaining_header="X-Rate-Limit-Remaining",
                                        reset_header="X-Rate-Limit-Reset"),
            )
            for _ in range(2)
        ]
        calls = 400  # ten times the limit's worth
        with ThreadPoolExecutor(8) as pool:
            pages = list(pool.map(lambda i: workers[i % 2].list_orders(page=1), range(calls)))
        for w in workers:
            w.close()
    assert len(pages) == calls
    assert wire.statuses == Counter({200: calls}), wire.statuses


class RecordingClock:
    """The real clock, remembering every wait a client chose."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if seconds > 0:
            time.sleep(seconds)


class ThrottleCountingTransport(CountingTransport):
    """Also counts Shopify's HTTP-200 THROTTLED answers (shopify.md §5.1)."""

    def __init__(self) -> None:
        super().__init__()
        self.throttled = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        response.read()
        if b'"THROTTLED"' in response.content:
            with self._lock:
                self.throttled += 1
        return response


def run_concurrently(calls: int, fn: Any, threads: int = 4) -> None:
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda _: fn(), range(calls)))


def test_shopify_cost_bucket_is_respected_without_throttling() -> None:
    # A small bucket (200 points, 50/s, time x10: 500 points a real second) so ten buckets'
    # worth of tagsAdd mutations (10 points each) take seconds, not minutes.
    config = SandboxConfig(enforce_rate_limits=True, time_scale=10.0, shopify_bucket_size=200,
                           shopify_restore_rate=50)
    wire = ThrottleCountingTransport()
    with running_sandbox(config) as sandbox:
        order_id = httpx.post(sandbox.url("/_sandbox/shopify/orders"),
                              json={"count": 1, "deliver": False}).json()["orders"][0]["id"]
        client = ShopifyClient(sandbox.url("/shopify"), config.shopify_access_token,
                               transport=wire)
        run_concurrently(200, lambda: client.add_tags(f"gid://shopify/Order/{order_id}", ["vip"]))
        client.close()
    assert wire.throttled == 0 and wire.statuses == Counter({200: 200}), (wire.throttled,
                                                                           wire.statuses)


def test_klaviyo_bulk_tier_is_respected_without_429() -> None:
    # M tier: 10/s burst, 150/min steady (klaviyo.md §4). Time x20 (150 per 3 real seconds), not
    # x60: Klaviyo's `RateLimit-Reset` is in whole seconds, and a window squeezed into one second
    # is as short as that rounding, which no client can read reliably.
    scale = 20.0
    config = SandboxConfig(enforce_rate_limits=True, time_scale=scale)
    wire = CountingTransport()
    with running_sandbox(config) as sandbox:
        client = KlaviyoClient(sandbox.url("/klaviyo"), config.klaviyo_api_key, transport=wire,
                               time_scale=scale)
        events = [an_event(i) for i in range(1500)]
        run_concurrently(1500, lambda: client.create_events_bulk([events.pop()]))
        client.close()
    assert wire.statuses == Counter({202: 1500}), wire.statuses


def test_shipstation_v2_budget_is_respected_without_429() -> None:
    # 200 requests a minute per key (shipstation.md §2.2); time x20 (200 per 3 real seconds) so
    # the window stays longer than the whole-second rounding of its reset header.
    config = SandboxConfig(enforce_rate_limits=True, time_scale=20.0)
    wire = CountingTransport()
    with running_sandbox(config) as sandbox:
        client = ShipStationV2Client(sandbox.url("/shipstation"), config.shipstation_v2_api_key,
                                     transport=wire)
        run_concurrently(2000, client.carriers)
        client.close()
    assert wire.statuses == Counter({200: 2000}), wire.statuses


@pytest.mark.parametrize("scope", ["shopify", "shipstation_v1", "shipstation_v2", "klaviyo"])
def test_a_forced_429_is_retried_after_its_retry_after(scope: str) -> None:
    config = SandboxConfig(enforce_rate_limits=True, time_scale=TIME_SCALE)
    wire = CountingTransport()
    clock = RecordingClock()
    with running_sandbox(config) as sandbox:
        httpx.post(sandbox.url("/_sandbox/faults"), json={scope: {"force_429": 1}}).raise_for_status()
        if scope == "shopify":
            order_id = httpx.post(sandbox.url("/_sandbox/shopify/orders"),
                                  json={"count": 1, "deliver": False}).json()["orders"][0]["id"]
            client: Any = ShopifyClient(sandbox.url("/shopify"), config.shopify_access_token,
                                        transport=wire, clock=clock)
            call = lambda: client.add_tags(f"gid://shopify/Order/{order_id}", ["x"])  # noqa: E731
        elif scope == "shipstation_v1":
            client = ShipStationClient(sandbox.url("/shipstation"), config.shipstation_api_key,
                                       config.shipstation_api_secret, transport=wire, clock=clock)
            call = client.list_carriers
        elif scope == "shipstation_v2":
            client = ShipStationV2Client(sandbox.url("/shipstation"),
                                         config.shipstation_v2_api_key, transport=wire,
                                         clock=clock)
            call = client.carriers
        else:
            client = KlaviyoClient(sandbox.url("/klaviyo"), config.klaviyo_api_key,
                                   transport=wire, clock=clock)
            call = lambda: client.create_event(an_event(1))  # noqa: E731
        call()
        client.close()
    assert wire.statuses[429] == 1, wire.statuses
    assert sum(wire.statuses.values()) == 2  # the 429, then the retry that went through
    assert wire.retry_after is not None and any(s >= wire.retry_after for s in clock.sleeps), (
        clock.sleeps, wire.retry_after)


def an_event(i: int) -> MilestoneEvent:
    return a_milestone_event(unique_id=f"order-shipped:test:{i}", time=datetime.now(timezone.utc),
                             email=f"customer{i}@shipflow-demo.org", phone=None, first_name=None,
                             last_name=None, external_id=None, order=OrderSummary(i, f"#{i}"))
