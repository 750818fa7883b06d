"""Forged v2 webhooks must not stall the service while the JWKS is unreachable (issue 10):
one fetch at a time, made outside the lock; requests that need the keys while it is in flight
are answered at once (TransientError, i.e. 503) instead of queueing behind it; failures back
off with a growing delay."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from shipflow.providers.errors import TransientError
from shipflow.providers.shipstation_v2.webhooks import JwksCache


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class BlockingFetcher:
    """Blocks every call until released, then fails (an unreachable JWKS with a 5 s timeout)."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.entered = threading.Event()
        self.calls = 0

    def __call__(self, url: str) -> Any:
        self.calls += 1
        self.entered.set()
        self.release.wait(10)
        raise TransientError("JWKS fetch failed: ConnectTimeout", provider="shipstation")


def test_requests_during_a_stalled_fetch_answer_at_once() -> None:
    fetcher = BlockingFetcher()
    cache = JwksCache("http://jwks.test/jwks", fetcher)
    first_error: list[BaseException] = []

    def first() -> None:
        try:
            cache.key("key-1")
        except BaseException as exc:  # noqa: BLE001 - checked below
            first_error.append(exc)

    stalled = threading.Thread(target=first)
    stalled.start()
    assert fetcher.entered.wait(5)
    timings: list[float] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def forged(n: int) -> None:
        started = time.monotonic()
        try:
            cache.key(f"attacker-{n}")
        except BaseException as exc:  # noqa: BLE001 - checked below
            with lock:
                errors.append(exc)
        with lock:
            timings.append(time.monotonic() - started)

    threads = [threading.Thread(target=forged, args=(n,)) for n in range(45)]
    begun = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    elapsed = time.monotonic() - begun
    fetcher.release.set()
    stalled.join(5)
    assert len(timings) == 45 and max(timings) < 0.5 and elapsed < 2.0
    assert all(isinstance(e, TransientError) for e in errors) and len(errors) == 45
    assert fetcher.calls == 1  # single flight: nobody else fetched
    assert isinstance(first_error[0], TransientError)


def test_failures_back_off_with_a_growing_delay() -> None:
    clock = FakeClock()
    calls: list[float] = []

    def down(url: str) -> Any:
        calls.append(clock.now)
        raise TransientError("JWKS fetch failed", provider="shipstation")

    cache = JwksCache("http://jwks.test/jwks", down, clock=clock, failure_backoff=1.0,
                      max_backoff=8.0)
    for _ in range(160):  # 40 s of forged requests, four a second
        with pytest.raises(TransientError):
            cache.key("key-1")
        clock.now += 0.25
    gaps = [round(b - a, 1) for a, b in zip(calls, calls[1:], strict=False)]
    assert gaps[:4] == [1.0, 2.0, 4.0, 8.0] and set(gaps[3:]) == {8.0}
    assert len(calls) < 10  # not 160
