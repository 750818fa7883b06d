"""Each provider's published rate limit, respected under concurrency against the sandbox that
enforces it (time compressed: a minute lasts a second). "Never a 429" is counted on the wire."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Iterator

import httpx
import pytest

from shipflow.providers.shipstation.client import ShipStationClient
from shipflow.sandbox.config import SandboxConfig
from shipflow.sandbox.server import running_sandbox
from shipflow.store import Database, upgrade
from shipflow.store.rate_budget import SharedRateBudget

TIME_SCALE = 60.0  # ShipStation's 40 requests a minute become 40 a second


class CountingTransport(httpx.HTTPTransport):
    """The real transport, counting status codes as they come back."""

    def __init__(self) -> None:
        super().__init__()
        self.statuses: Counter[int] = Counter()
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        with self._lock:
            self.statuses[response.status_code] += 1
        return response


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    upgrade(database_url)
    database = Database.connect(database_url)
    yield database
    database.dispose()


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
