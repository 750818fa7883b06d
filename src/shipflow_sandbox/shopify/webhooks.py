"""Shopify webhook deliveries: the exact bytes, the header set and the HMAC (shopify.md §1, §8).

Each topic goes to every subscription of it (`installation.AppInstallation.addresses`), one
delivery per subscription, all sharing the action's `X-Shopify-Event-Id`.
One merchant/app action produces several topics that share `X-Shopify-Event-Id`; each
delivery gets its own `X-Shopify-Webhook-Id` (kept on retries, and on injected duplicates)
and `X-Shopify-Triggered-At` is the original trigger time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from typing import Any

from shipflow_sandbox.clock import Clock
from shipflow_sandbox.config import SandboxConfig
from shipflow_sandbox.shopify.installation import AppInstallation
from shipflow_sandbox.webhooks import WebhookDispatcher


def sign(body: bytes, secret: str) -> str:
    """base64(HMAC-SHA256(key=app client secret, msg=raw body)) (shopify.md §1.2)."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


class ShopifyWebhooks:
    def __init__(self, config: SandboxConfig, clock: Clock, dispatcher: WebhookDispatcher,
                 app: AppInstallation) -> None:
        self.config = config
        self.clock = clock
        self.dispatcher = dispatcher
        self.app = app

    def emit(self, topics: list[tuple[str, dict[str, Any]]]) -> None:
        """Deliver every topic of one action to each subscription of that topic."""
        if not topics:
            return
        event_id = str(uuid.uuid4())
        triggered_at = self.clock.wall().strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        for topic, payload in topics:
            for url in self.app.addresses(topic):
                self._deliver(url, topic, payload, event_id, triggered_at)

    def _deliver(self, url: str, topic: str, payload: dict[str, Any], event_id: str,
                 triggered_at: str) -> None:
        body = encode(payload)
        webhook_id = str(uuid.uuid4())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Shopify-Captain-Hook",
            "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": sign(body, self.config.shopify_webhook_secret),
            "X-Shopify-Shop-Domain": self.config.shop_domain,
            "X-Shopify-API-Version": self.config.shopify_api_version,
            "X-Shopify-Webhook-Id": webhook_id,
            "X-Shopify-Triggered-At": triggered_at,
            "X-Shopify-Event-Id": event_id,
        }
        self.dispatcher.submit(
            provider="shopify",
            topic=topic,
            url=url,
            body=body,
            headers=headers,
            delivery_id=webhook_id,
            max_retries=self.config.webhook_max_retries,
            retry_base=self.config.webhook_retry_base,
            copies=self.config.duplicate_deliveries,
            fault_api="shopify",
        )
