"""Outbound webhook delivery shared by the simulated providers: POST, time out, retry, record.

Every attempt is recorded (status code or error, latency) so tests and the demo can read what
was delivered. Semantics follow Shopify's (shopify.md §1.3): 1 s connect / 5 s total timeout, any
non-2xx (3xx included) is a failure, retried with exponential backoff and the original bytes.
Deliveries run as tasks on the app's event loop; a semaphore bounds concurrent requests.

Fault injection (`faults.py`): when `fault_api` is given, a delivery may be dropped (recorded
with state `dropped`, never sent) or duplicated. `prepare(body)` computes headers afresh for
every attempt (ShipEngine-style signatures carry a timestamp that must be current).
Deliveries that share an `order_key` (one parcel's tracking updates to one subscriber) start in
the order they were submitted: each waits for the first attempt of the one before it (not for
its retries, so a failing receiver does not hold the queue).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from shipflow_sandbox.clock import Clock
from shipflow_sandbox.faults import Faults

MAX_RETRY_FLOOR = 30.0  # real seconds; see SandboxConfig.webhook_retry_floor
DeliveryState = Literal["pending", "delivered", "failed", "dropped"]
Prepare = Callable[[bytes], dict[str, str]]


@dataclass
class Attempt:
    at: str
    status_code: int | None
    latency_ms: float
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "status_code": self.status_code,
            "latency_ms": round(self.latency_ms, 2),
            "error": self.error,
        }


@dataclass
class Delivery:
    id: str
    provider: str
    topic: str
    url: str
    body: bytes
    headers: dict[str, str]
    max_retries: int
    retry_base: float
    copy: int = 0
    state: DeliveryState = "pending"
    attempts: list[Attempt] = field(default_factory=list)
    size: int = 0
    prepare: Prepare | None = None
    secret_headers: tuple[str, ...] = ()
    after: Delivery | None = None
    hold: float = 0.0  # real seconds held back before the first attempt (reordering fault)
    first_done: asyncio.Event = field(default_factory=asyncio.Event)

    def finish(self, state: DeliveryState) -> None:
        """Final state; the body is dropped (only its size is kept) to bound memory."""
        self.state = state
        self.size = len(self.body)
        self.body = b""

    def to_json(self, redact: tuple[str, ...] = ()) -> dict[str, Any]:
        url = self.url
        for secret in redact:
            if secret:
                url = url.replace(secret, "***")
        return {
            "id": self.id,
            "provider": self.provider,
            "topic": self.topic,
            "url": url,
            "copy": self.copy,
            "state": self.state,
            "headers": {
                k: ("***" if k in self.secret_headers else v)
                for k, v in self.headers.items()
                if k.lower() != "authorization"
            },
            "body_bytes": self.size or len(self.body),
            "attempts": [a.to_json() for a in self.attempts],
        }


class WebhookDispatcher:
    def __init__(
        self,
        clock: Clock,
        concurrency: int = 16,
        redact: tuple[str, ...] = (),
        faults: Faults | None = None,
        retry_floor: float = 0.0,
    ) -> None:
        self.clock = clock
        self.retry_floor = retry_floor
        self.redact = redact
        self.faults = faults
        self.deliveries: list[Delivery] = []
        self._concurrency = concurrency
        self._semaphore: asyncio.Semaphore | None = None
        self._semaphores: dict[str, asyncio.Semaphore] = {}
        self._client: httpx.AsyncClient | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._tails: dict[str, Delivery] = {}
        # Deliveries to drop on purpose (`/_sandbox/webhooks/drop`): [topic, body substring,
        # how many more], so a test can lose exactly the webhooks it names.
        self._drops: list[list[Any]] = []

    def drop_next(self, topic: str, count: int, contains: str | None = None) -> None:
        """Drop the next `count` deliveries of `topic` (whose body contains `contains`, when
        given): recorded with state `dropped`, never sent, as a lost webhook is. `count` 0
        stops dropping that topic."""
        if count == 0:
            self._drops = [d for d in self._drops if d[0] != topic]
            return
        self._drops.append([topic, contains, count])

    def _dropped_on_purpose(self, topic: str, body: bytes) -> bool:
        for drop in self._drops:
            wanted, contains, left = drop
            if left > 0 and wanted == topic and (contains is None
                                                  or contains.encode() in body):
                drop[2] = left - 1
                return True
        return False

    async def start(self) -> None:
        self._semaphore = asyncio.Semaphore(self._concurrency)
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(5.0, connect=1.0),
            follow_redirects=False,
            limits=httpx.Limits(max_connections=self._concurrency * 4),
        )

    async def stop(self) -> None:
        await self.cancel_all()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def cancel_all(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()

    def clear(self) -> None:
        self.deliveries.clear()
        self._drops.clear()
        self._tails.clear()

    def submit(
        self,
        *,
        provider: str,
        topic: str,
        url: str,
        body: bytes,
        headers: dict[str, str],
        delivery_id: str,
        max_retries: int,
        retry_base: float,
        copies: int = 1,
        fault_api: str | None = None,
        prepare: Prepare | None = None,
        secret_headers: tuple[str, ...] = (),
        order_key: str | None = None,
    ) -> list[Delivery]:
        """Record and schedule `copies` identical deliveries (copies > 1 injects duplicates)."""
        made = []
        if self._dropped_on_purpose(topic, body):
            dropped = Delivery(delivery_id, provider, topic, url, body, dict(headers), 0,
                               retry_base)
            dropped.finish("dropped")
            self.deliveries.append(dropped)
            return [dropped]
        if fault_api is not None and self.faults is not None:
            extra = self.faults.webhook_copies(fault_api)
            if extra == 0:
                dropped = Delivery(
                    delivery_id, provider, topic, url, body, dict(headers), 0, retry_base
                )
                dropped.finish("dropped")
                self.deliveries.append(dropped)
                return [dropped]
            copies += extra - 1
        for copy in range(copies):
            delivery = Delivery(
                delivery_id,
                provider,
                topic,
                url,
                body,
                dict(headers),
                max_retries,
                retry_base,
                copy,
                prepare=prepare,
                secret_headers=secret_headers,
            )
            self.deliveries.append(delivery)
            made.append(delivery)
            if self._client is None:
                delivery.attempts.append(Attempt(_iso_now(self.clock), None, 0.0, "not_started"))
                delivery.finish("failed")
                delivery.first_done.set()
                continue
            if order_key is not None:
                delivery.after = self._tails.get(order_key)
                self._tails[order_key] = delivery
            elif fault_api is not None and self.faults is not None and copy == 0:
                delivery.hold = self.faults.hold_back(fault_api)
            task = asyncio.get_running_loop().create_task(self._run(delivery))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return made

    async def _run(self, delivery: Delivery) -> None:
        if delivery.after is not None:
            await delivery.after.first_done.wait()
            delivery.after = None
        if delivery.hold:
            await asyncio.sleep(delivery.hold)
        for attempt in range(delivery.max_retries + 1):
            if attempt:
                backoff = 2 ** (attempt - 1)
                floor = min(self.retry_floor * backoff, MAX_RETRY_FLOOR)
                await asyncio.sleep(max(self.clock.to_real(delivery.retry_base * backoff), floor))
            delivered = await self._attempt(delivery)
            delivery.first_done.set()
            if delivered:
                delivery.finish("delivered")
                return
        delivery.finish("failed")

    async def _attempt(self, delivery: Delivery) -> bool:
        assert self._semaphore is not None and self._client is not None
        semaphore = self._semaphores.setdefault(
            delivery.provider, asyncio.Semaphore(self._concurrency))
        async with semaphore:
            started = time.perf_counter()
            at = _iso_now(self.clock)
            if delivery.prepare is not None:
                delivery.headers.update(delivery.prepare(delivery.body))
            try:
                response = await asyncio.wait_for(
                    self._client.post(
                        delivery.url, content=delivery.body, headers=delivery.headers
                    ),
                    timeout=5.0,
                )
            except (httpx.HTTPError, TimeoutError, OSError) as exc:
                latency = (time.perf_counter() - started) * 1000
                delivery.attempts.append(Attempt(at, None, latency, type(exc).__name__))
                return False
            latency = (time.perf_counter() - started) * 1000
            delivery.attempts.append(Attempt(at, response.status_code, latency))
            return 200 <= response.status_code < 300

    def counts(self, provider: str) -> dict[str, int]:
        mine = [d for d in self.deliveries if d.provider == provider]
        return {
            "delivered": sum(d.state == "delivered" for d in mine),
            "failed": sum(d.state == "failed" for d in mine),
            "pending": sum(d.state == "pending" for d in mine),
            "dropped": sum(d.state == "dropped" for d in mine),
            "attempts": sum(len(d.attempts) for d in mine),
        }


def _iso_now(clock: Clock) -> str:
    return clock.wall().isoformat(timespec="milliseconds").replace("+00:00", "Z")
