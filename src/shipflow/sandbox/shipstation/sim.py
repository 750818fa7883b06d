"""The simulated ShipStation account as one object: store, warehouse, rate-limit window."""

from __future__ import annotations

from typing import Any

from shipflow.sandbox.clock import Clock
from shipflow.sandbox.config import SandboxConfig
from shipflow.sandbox.ratelimit import FixedWindow
from shipflow.sandbox.shipstation.store import ShipStationStore
from shipflow.sandbox.shipstation.warehouse import Warehouse
from shipflow.sandbox.webhooks import WebhookDispatcher


class ShipStationSim:
    def __init__(self, config: SandboxConfig, clock: Clock, dispatcher: WebhookDispatcher) -> None:
        self.config = config
        self.dispatcher = dispatcher
        self.store = ShipStationStore(config.seed, config.shipstation_store_id)
        self.warehouse = Warehouse(config, clock, self.store, dispatcher)
        # One key pair is accepted, so one window: 40 requests per minute (shipstation.md §1.2).
        self.window = FixedWindow(clock, config.shipstation_rate_limit, 60.0)
        for url in config.shipstation_webhook_urls:
            self.store.subscribe(url, "SHIP_NOTIFY", None, "shipflow (sandbox config)")

    def counts(self) -> dict[str, Any]:
        counts = self.store.counts()
        notify = [
            d
            for d in self.dispatcher.deliveries
            if d.provider == "shipstation" and d.topic.endswith("SHIP_NOTIFY")
        ]
        counts["ship_notify_sent"] = sum(d.state == "delivered" for d in notify)
        counts["ship_notify_failed"] = sum(d.state == "failed" for d in notify)
        counts["ship_notify_pending"] = sum(d.state == "pending" for d in notify)
        return counts
