"""The whole sandbox's state: the simulated providers, the carrier, webhook deliveries, the
fault switches, the simulated-clock scheduler and request counts.

All mutations happen on the app's event loop (route handlers and background tasks), so no
lock is needed. `reset()` rebuilds the providers from the config (same seed, same data) and
restores the configured fault switches.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from shipflow_sandbox.carrier.tracker import CarrierSim
from shipflow_sandbox.clock import Clock
from shipflow_sandbox.config import SandboxConfig
from shipflow_sandbox.fault_responses import fault_response
from shipflow_sandbox.faults import Faults, write_names
from shipflow_sandbox.klaviyo.sim import KlaviyoSim
from shipflow_sandbox.routing import FaultGate, LoseResponse
from shipflow_sandbox.scheduler import Scheduler
from shipflow_sandbox.shipstation.sim import ShipStationSim
from shipflow_sandbox.shipstation_v2.sim import ShipStationV2Sim
from shipflow_sandbox.shopify.sim import ShopifySim
from shipflow_sandbox.store_connection import StoreConnection
from shipflow_sandbox.webhooks import WebhookDispatcher


class SandboxState:
    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        origin = datetime.fromisoformat(config.clock_origin) if config.clock_origin else None
        self.clock = Clock(config.time_scale, origin)
        self.faults = Faults(config.faults, config.seed)
        self.scheduler = Scheduler(self.clock)
        self.dispatcher = WebhookDispatcher(
            self.clock,
            redact=(config.shipstation_webhook_token, config.shopify_access_token),
            faults=self.faults,
            retry_floor=config.webhook_retry_floor,
        )
        self.requests: Counter[str] = Counter()
        self.loop: asyncio.AbstractEventLoop | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._build()

    def latency(self) -> float:
        """Real seconds added to every provider response (`SandboxConfig.latency`)."""
        return self.config.latency

    def fault_gate(self, api: str) -> FaultGate:
        """The fault-injection hook for one provider API's routes (see `faults.py`)."""

        async def gate(request: Request) -> Response | None:
            delay = self.faults.slow_delay(api)
            if delay > 0:
                await asyncio.sleep(delay)
            kind = self.faults.request_fault(api)
            if kind:
                return fault_response(self, api, kind)
            if self.faults.loses_responses(api):
                names = write_names(api, request.method, request.url.path, await request.body())
                after = self.faults.lose_response(api, names) if names else None
                if after is not None:
                    return LoseResponse(after)
            return None

        return gate

    def _build(self) -> None:
        self.shopify = ShopifySim(self.config, self.clock, self.dispatcher)
        self.shipstation = ShipStationSim(
            self.config, self.clock, self.dispatcher, self.scheduler
        )
        self.shipstation_v2 = ShipStationV2Sim(
            self.config, self.clock, self.scheduler, self.dispatcher, self.faults,
            self.shipstation,
        )
        self.klaviyo = KlaviyoSim(self.config, self.clock)
        self.store_connection = StoreConnection(self.config, self.clock, self.shopify,
                                                self.shipstation)

    @property
    def carrier(self) -> CarrierSim:
        return self.shipstation_v2.carrier

    async def start(self) -> None:
        """Start the background work: webhook delivery, the simulated-clock timers (carrier
        scans, hold expiry), the warehouse's auto-ship loop; make the signing key."""
        self.loop = asyncio.get_running_loop()
        await self.dispatcher.start()
        await self.scheduler.start()
        self.loop.run_in_executor(None, self.shipstation_v2.keys.ensure)
        if self.config.auto_ship_after is not None:
            self._tasks.append(self.loop.create_task(self._auto_ship()))
        self._tasks.append(self.loop.create_task(self._store_imports()))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        await self.scheduler.stop()
        await self.dispatcher.stop()

    async def reset(self) -> None:
        await self.dispatcher.cancel_all()
        self.dispatcher.clear()
        self.scheduler.clear()
        self.requests.clear()
        self.faults.clear()
        self.faults.fired.clear()
        self.faults.update(self.faults.initial)
        self._build()

    async def _auto_ship(self) -> None:
        delay = self.config.auto_ship_after or 0.0
        tick = min(1.0, max(0.02, self.clock.to_real(delay) / 4))
        while True:
            await asyncio.sleep(tick)
            self.shipstation.warehouse.ship_due()

    async def _store_imports(self) -> None:
        """ShipStation's Shopify store connection importing on its own schedule (it reads the
        connection each time: `reset` rebuilds it)."""
        while True:
            after = self.store_connection.import_after
            if after is None:  # no connection (a control may add one)
                await asyncio.sleep(0.5)
                continue
            await asyncio.sleep(min(1.0, max(0.02, self.clock.to_real(after) / 4)))
            self.store_connection.import_due()

    def summary(self) -> dict[str, Any]:
        shopify = self.shopify.store.counts()
        deliveries = self.dispatcher.counts("shopify")
        shopify.update(
            webhooks_delivered=deliveries["delivered"],
            webhooks_failed=deliveries["failed"],
            webhooks_pending=deliveries["pending"],
            webhooks_dropped=deliveries["dropped"],
            webhook_attempts=deliveries["attempts"],
        )
        return {
            "shopify": shopify,
            "shipstation": self.shipstation.counts(),
            "shipstation_v2": self.shipstation_v2.counts(),
            "klaviyo": self.klaviyo.counts(),
            "faults": self.faults.summary(),
            "requests": dict(sorted(self.requests.items())),
        }
