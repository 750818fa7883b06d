"""Fixtures for the sandbox tests: sandboxes on loopback ports and a webhook receiver."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sandbox_helpers import Receiver, ShopifyClient

from shipflow_sandbox import RunningSandbox, SandboxConfig, ThreadedServer


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    receiver.server = ThreadedServer(receiver.app()).start()
    try:
        yield receiver
    finally:
        receiver.server.stop()


@pytest.fixture
def make_sandbox() -> Iterator[Callable[..., RunningSandbox]]:
    """Start sandboxes with config overrides; all are stopped at teardown."""
    started: list[RunningSandbox] = []

    def make(**overrides: Any) -> RunningSandbox:
        sandbox = RunningSandbox(SandboxConfig(**overrides)).start()
        started.append(sandbox)
        return sandbox

    yield make
    for sandbox in started:
        sandbox.stop()


@pytest.fixture
def sandbox(make_sandbox: Callable[..., RunningSandbox]) -> RunningSandbox:
    return make_sandbox(seed=11)


@pytest.fixture
def shopify(sandbox: RunningSandbox) -> ShopifyClient:
    return ShopifyClient(sandbox)
