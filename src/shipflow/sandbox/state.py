"""The whole sandbox's state: the three simulated providers, webhook deliveries, request counts.

All mutations happen on the app's event loop (route handlers and background tasks), so no
lock is needed. `reset()` rebuilds the providers from the config (same seed, same data).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from typing import Any

from shipflow.sandbox.clock import Clock
from shipflow.sandbox.config import SandboxConfig
from shipflow.sandbox.klaviyo.sim import KlaviyoSim
from shipflow.sandbox.shipstation.sim import ShipStationSim
from shipflow.sandbox.shopify.sim import ShopifySim
from shipflow.sandbox.webhooks import WebhookDispatcher


class SandboxState:
    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.clock = Clock(config.time_scale)
        self.dispatcher = WebhookDispatcher(
            self.clock, redact=(config.shipstation_webhook_token, config.shopify_access_token)
        )
        self.requests: Counter[str] = Counter()
        self.loop: asyncio.AbstractEventLoop | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._build()

    def latency(self) -> float:
        """Real seconds added to every provider response (`SandboxConfig.latency`)."""
        return self.config.latency

    def _build(self) -> None:
        self.shopify = ShopifySim(self.config, self.clock, self.dispatcher)
        self.shipstation = ShipStationSim(self.config, self.clock, self.dispatcher)
        self.klaviyo = KlaviyoSim(self.config, self.clock)

    async def start(self) -> None:
        """Start the background work: webhook delivery and the warehouse's auto-ship loop."""
        self.loop = asyncio.get_running_loop()
        await self.dispatcher.start()
        if self.config.auto_ship_after is not None:
            self._tasks.append(self.loop.create_task(self._auto_ship()))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        await self.dispatcher.stop()

    async def reset(self) -> None:
        await self.dispatcher.cancel_all()
        self.dispatcher.clear()
        self.requests.clear()
        self._build()

    async def _auto_ship(self) -> None:
        delay = self.config.auto_ship_after or 0.0
        tick = min(1.0, max(0.02, self.clock.to_real(delay) / 4))
        while True:
            await asyncio.sleep(tick)
            self.shipstation.warehouse.ship_due()

    def summary(self) -> dict[str, Any]:
        shopify = self.shopify.store.counts()
        deliveries = self.dispatcher.counts("shopify")
        shopify.update(
            webhooks_delivered=deliveries["delivered"],
            webhooks_failed=deliveries["failed"],
            webhooks_pending=deliveries["pending"],
            webhook_attempts=deliveries["attempts"],
        )
        return {
            "shopify": shopify,
            "shipstation": self.shipstation.counts(),
            "klaviyo": self.klaviyo.counts(),
            "requests": dict(sorted(self.requests.items())),
        }
