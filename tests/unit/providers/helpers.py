"""Test doubles for the provider clients: a clock that never really sleeps, and a scripted
`httpx.MockTransport` that records every request (no `mock.patch` anywhere)."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any, Callable

import httpx

from shipflow.providers.http import RetryPolicy


class FakeClock:
    """`sleep` advances `monotonic` and is recorded; nothing waits for real."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)

    @property
    def slept(self) -> float:
        return sum(self.sleeps)


Responder = httpx.Response | Callable[[httpx.Request], httpx.Response]


@dataclass
class Script:
    """Answers requests in order from `responses` (the last one repeats), recording them."""

    responses: list[Responder]
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        index = min(len(self.requests), len(self.responses)) - 1
        answer = self.responses[index]
        return answer(request) if callable(answer) else answer

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    def body(self, index: int = -1) -> Any:
        return json.loads(self.requests[index].content)


def respond(status: int, body: Any = None, headers: dict[str, str] | None = None,
            text: str | None = None) -> httpx.Response:
    if text is not None:
        return httpx.Response(status, text=text, headers=headers)
    if body is None:
        return httpx.Response(status, headers=headers)
    return httpx.Response(status, json=body, headers=headers)


def raise_(exc: Exception) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc
    return handler


FAST_RETRY = RetryPolicy(max_attempts=4, base_delay=0.5, max_delay=4.0, max_wait=65.0)


def seeded() -> random.Random:
    return random.Random(7)
