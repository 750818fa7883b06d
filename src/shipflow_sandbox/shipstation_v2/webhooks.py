"""v2 environment webhooks: subscriptions, and signed TRACK_EVENT_V2 / LABEL_CREATED_V2 posts.

Bodies (shipstation.md §2.4): tracking carries its data inline,
`{"resource_url": "<base>/shipstation/v2/labels/<label_id>/track", "resource_type":
"TRACK_EVENT_V2", "data": <tracking_information>}` (`track` subscriptions get ShipEngine's
`API_TRACK` form with a `/v2/tracking?carrier_code=&tracking_number=` url); label creation is
a pointer, `{"resource_url": "<base>/shipstation/v2/labels?batch_id=se-...", "resource_type":
"LABEL_CREATED_V2"}`. Headers: `Content-Type: application/json`, `User-Agent: ShipEngine/v1`,
the subscription's custom `headers`, and the three `x-shipengine-*` signature headers, signed
afresh for every attempt. Retries: 3, 30 minutes doubling (third-party observation, UNVERIFIED).

One parcel's tracking posts to one subscriber start in order (see `WebhookDispatcher`). The
`reorder_tracking` fault: a tracking post is held back and sent right after the parcel's next
one (or after 6 simulated hours if none comes), so the receiver sees history go backwards.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

from shipflow_sandbox.clock import Clock
from shipflow_sandbox.config import SandboxConfig
from shipflow_sandbox.faults import Faults
from shipflow_sandbox.scheduler import Scheduler
from shipflow_sandbox.shipstation_v2.signing import KeyRing
from shipflow_sandbox.webhooks import WebhookDispatcher

V1_EVENTS = ("batch", "carrier_connected", "order_source_refresh_complete", "rate",
             "report_complete", "sales_orders_imported", "track")
V2_EVENTS = ("batch_processed_v2", "fulfillment_rejected_v2", "fulfillment_shipped_v2",
             "label_created_v2", "shipment_created_v2", "track_event_v2")
EVENTS = V1_EVENTS + V2_EVENTS
RETRIES = 3
RETRY_BASE = 1800.0
HOLD_BACK = 6 * 3600.0
FAULT_API = "shipstation_v2"


class V2Webhooks:
    def __init__(self, config: SandboxConfig, clock: Clock, scheduler: Scheduler,
                 dispatcher: WebhookDispatcher, faults: Faults, keys: KeyRing,
                 next_id: Callable[[], int]) -> None:
        self.config = config
        self.clock = clock
        self.scheduler = scheduler
        self.dispatcher = dispatcher
        self.faults = faults
        self.keys = keys
        self.next_id = next_id
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self._held: dict[tuple[str, str], bytes] = {}
        self.reordered = 0

    @property
    def base(self) -> str:
        return (self.config.public_base_url or "http://127.0.0.1:8100").rstrip("/")

    def subscribe(self, url: str, event: str, headers: list[dict[str, str]] | None = None,
                  name: str | None = None) -> dict[str, Any]:
        hook: dict[str, Any] = {"webhook_id": f"se-{self.next_id()}", "url": url,
                                "event": event, "headers": list(headers or [])}
        if name is not None:
            hook["name"] = name
        self.subscriptions[hook["webhook_id"]] = hook
        return hook

    def wants_tracking(self) -> bool:
        return bool(self._hooks("track_event_v2", "track"))

    def _hooks(self, *events: str) -> list[dict[str, Any]]:
        return [h for h in self.subscriptions.values() if h["event"] in events]

    def label_created(self, batch_id: str) -> None:
        body = {"resource_url": f"{self.base}/shipstation/v2/labels?batch_id={batch_id}",
                "resource_type": "LABEL_CREATED_V2"}
        for hook in self._hooks("label_created_v2"):
            self._send(hook, "LABEL_CREATED_V2", _encode(body))

    def tracking(self, label_id: str, info: dict[str, Any]) -> None:
        for hook in self._hooks("track_event_v2", "track"):
            if hook["event"] == "track":
                url = (f"{self.base}/shipstation/v2/tracking?carrier_code={info['carrier_code']}"
                       f"&tracking_number={info['tracking_number']}")
                body = {"resource_url": url, "resource_type": "API_TRACK", "data": info}
                topic = "API_TRACK"
            else:
                url = f"{self.base}/shipstation/v2/labels/{label_id}/track"
                body = {"resource_url": url, "resource_type": "TRACK_EVENT_V2", "data": info}
                topic = "TRACK_EVENT_V2"
            self._track(hook, topic, info["tracking_number"], _encode(body))

    def _track(self, hook: dict[str, Any], topic: str, tracking: str, body: bytes) -> None:
        key = (hook["webhook_id"], tracking)
        order = f"{hook['webhook_id']}:{tracking}"
        held = self._held.pop(key, None)
        if held is None and self.faults.reorder(FAULT_API):
            self._held[key] = body
            self.scheduler.after(HOLD_BACK, lambda: self._flush(hook, topic, key, body))
            return
        self._send(hook, topic, body, order)
        if held is not None:
            self.reordered += 1
            self._send(hook, topic, held, order)

    def _flush(self, hook: dict[str, Any], topic: str, key: tuple[str, str], body: bytes) -> None:
        if self._held.get(key) is body:
            del self._held[key]
            self._send(hook, topic, body, f"{key[0]}:{key[1]}")

    def _send(self, hook: dict[str, Any], topic: str, body: bytes,
              order_key: str | None = None) -> None:
        headers = {"Content-Type": "application/json", "User-Agent": "ShipEngine/v1"}
        custom = []
        for extra in hook["headers"]:
            headers[str(extra.get("key"))] = str(extra.get("value"))
            custom.append(str(extra.get("key")))
        self.dispatcher.submit(
            provider="shipstation_v2",
            topic=topic,
            url=hook["url"],
            body=body,
            headers=headers,
            delivery_id=str(uuid.uuid4()),
            max_retries=RETRIES,
            retry_base=RETRY_BASE,
            copies=self.config.duplicate_deliveries,
            fault_api=FAULT_API,
            prepare=lambda raw: self.keys.headers(raw, self.clock.wall()),
            secret_headers=tuple(custom),  # often a shared secret: never shown in controls
            order_key=order_key,
        )


def _encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
