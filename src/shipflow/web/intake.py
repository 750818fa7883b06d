"""Judging a webhook delivery: verify, parse, store, start the work. Returns what to answer.

Kept apart from the HTTP routes so the rules (what is rejected, what is kept, what starts a
workflow) read in one place and are tested without a server.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Mapping, Protocol

from shipflow.config import Settings
from shipflow.domain.order import Order
from shipflow.domain.tracking_events import TrackingUpdate
from shipflow.providers.errors import SignatureError, TransientError
from shipflow.providers.shipstation import webhooks as shipstation_webhooks
from shipflow.providers.shipstation_v2 import webhooks as v2_webhooks
from shipflow.providers.shipstation_v2.webhooks import JwksCache
from shipflow.providers.shopify import webhooks as shopify_webhooks
from shipflow.providers.shopify.topics import Refund, parse_refund
from shipflow.providers.shopify.webhooks import MalformedWebhook
from shipflow.store import Store
from shipflow.store.inbox import Delivery

log = logging.getLogger("shipflow.intake")

ORDER_TOPICS = frozenset({"orders/create", "orders/paid", "orders/updated", "orders/cancelled"})
# Headers worth keeping with a delivery; the signature and anything unknown are dropped.
KEPT_SHOPIFY_HEADERS = (
    "x-shopify-topic", "x-shopify-shop-domain", "x-shopify-api-version", "x-shopify-webhook-id",
    "x-shopify-triggered-at", "x-shopify-event-id", "content-type", "user-agent",
)
KEPT_V2_HEADERS = ("x-shipengine-rsa-sha256-key-id", "x-shipengine-timestamp", "content-type",
                   "user-agent")
REJECTED_BODY_LIMIT = 64 * 1024  # what is kept of a rejected body, for inspection


class Starter(Protocol):
    def start_order(self, order: Order) -> None:
        """A paid order is stored and waits for a push batch; wake whoever forms batches."""

    def start_ship_notify(self, resource_url: str) -> str:
        """Start the work for a label batch; returns the workflow id."""

    def start_tracking(self, update: TrackingUpdate) -> str:
        """Apply a carrier tracking update; returns the workflow id."""

    def start_restock(self, inventory_item_id: int, webhook_id: str) -> str:
        """Stock changed for an inventory item: resume what waited for it."""

    def start_release(self, order_pk: int) -> str:
        """Release a rule's hold (address review) on both sides; returns the workflow id."""


@dataclass(frozen=True)
class Verdict:
    status_code: int
    body: dict[str, Any]


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def _secrets(value: str) -> list[str]:
    """`SHIPFLOW_SHOPIFY_WEBHOOK_SECRET` may hold "new,old" during a rotation (shopify.md §1.2)."""
    return [s.strip() for s in value.split(",") if s.strip()]


def reject(store: Store, provider: str, headers: Mapping[str, str], body: bytes, status: int,
           reason: str, topic: str | None = None, shop: str | None = None,
           size: int | None = None) -> Verdict:
    """Keep what was refused (its first 64 KiB) so an operator can see why; answer the reason."""
    store.inbox.reject(
        Delivery(provider=provider, delivery_id=f"rejected:{uuid.uuid4()}", topic=topic,
                 shop_domain=shop, headers=headers, body=body[:REJECTED_BODY_LIMIT],
                 body_size=size if size is not None else len(body)),
        status, reason,
    )
    log.warning("rejected %s webhook (%d): %s", provider, status, reason)
    return Verdict(status, {"error": reason})


@dataclass(frozen=True)
class Judged:
    """A Shopify delivery that passed verification and parsing, ready to be stored."""

    delivery: Delivery
    order: Order | None
    stock_change: tuple[int, str] | None = None  # (inventory item id, webhook id)
    refund: Refund | None = None


@dataclass(frozen=True)
class Rejection:
    status_code: int
    reason: str
    headers: Mapping[str, str]
    topic: str | None = None
    shop: str | None = None


def judge_shopify(settings: Settings, headers: Mapping[str, str],
                  body: bytes) -> Judged | Rejection:
    """Verify and parse a Shopify delivery; no I/O, so the web layer runs it inline."""
    lowered = _lower(headers)
    kept = {k: v for k, v in lowered.items() if k in KEPT_SHOPIFY_HEADERS}
    signature = lowered.get("x-shopify-hmac-sha256")
    if not signature:
        return Rejection(401, "missing X-Shopify-Hmac-Sha256 header", kept)
    if not shopify_webhooks.verify_hmac(body, signature, _secrets(settings.shopify_webhook_secret)):
        return Rejection(401, "X-Shopify-Hmac-Sha256 does not match the body and the webhook secret",
                         kept)
    try:
        meta = shopify_webhooks.parse_headers(lowered)
    except MalformedWebhook as exc:
        return Rejection(400, str(exc), kept)
    try:
        payload = json.loads(body)
    except ValueError as exc:
        return Rejection(400, f"body is not valid JSON: {exc}", kept, meta.topic, meta.shop_domain)
    order: Order | None = None
    if meta.topic in ORDER_TOPICS:
        try:
            order = shopify_webhooks.parse_order(payload, meta.shop_domain)
        except MalformedWebhook as exc:
            return Rejection(400, f"{meta.topic}: {exc}", kept, meta.topic, meta.shop_domain)
    stock_change: tuple[int, str] | None = None
    if meta.topic == "inventory_levels/update":
        item_id = payload.get("inventory_item_id") if isinstance(payload, dict) else None
        if not isinstance(item_id, int) or isinstance(item_id, bool):
            return Rejection(400, f"{meta.topic}: inventory_item_id: expected an integer id",
                             kept, meta.topic, meta.shop_domain)
        stock_change = (item_id, meta.webhook_id)  # one restock run per delivery
    refund: Refund | None = None
    if meta.topic == "refunds/create":
        try:
            refund = parse_refund(payload)
        except MalformedWebhook as exc:
            return Rejection(400, f"{meta.topic}: {exc}", kept, meta.topic, meta.shop_domain)
    delivery = Delivery(provider="shopify", delivery_id=meta.webhook_id, topic=meta.topic,
                        shop_domain=meta.shop_domain, headers=kept, body=body, body_size=len(body))
    return Judged(delivery, order, stock_change, refund)


def apply_refund(store: Store, judged: Judged) -> None:
    """A refund is applied to the stored order (it may stop it: the sweeper does the rest)."""
    refund = judged.refund
    if refund is None or not judged.delivery.shop_domain:
        return
    lines = [(line.line_item_id, line.quantity) for line in refund.line_items]
    if store.orders.apply_refund(judged.delivery.shop_domain, refund.order_id, refund.refund_id,
                          lines) is None:
        log.info("refund for an order shipflow never received; kept in the inbox only")


def settle_shopify(starter: Starter, judged: Judged, new: bool) -> Verdict:
    """After the delivery is stored (`new`) or recognised as a duplicate: answer, wake the work.

    Stored with `dispatched=True`: a paid order waits in `orders` for the dispatcher, so the
    delivery itself has nothing left to start."""
    webhook_id = judged.delivery.delivery_id
    if not new:
        return Verdict(200, {"status": "duplicate", "webhook_id": webhook_id})
    if judged.order is not None and judged.order.is_paid:
        starter.start_order(judged.order)
    if judged.stock_change is not None:
        starter.start_restock(*judged.stock_change)
    return Verdict(200, {"status": "accepted", "webhook_id": webhook_id})


def accept_ship_notify(settings: Settings, store: Store, starter: Starter, token: str,
                       headers: Mapping[str, str], body: bytes) -> Verdict:
    kept = {k: v for k, v in _lower(headers).items() if k in ("content-type", "user-agent")}
    expected = settings.shipstation_webhook_token
    if not expected or not shipstation_webhooks.verify_token(token, expected):
        return reject(store, "shipstation", kept, body, 401, "unknown webhook token in the URL")
    try:
        pointer = shipstation_webhooks.parse_pointer(body)
    except (MalformedWebhook, ValueError) as exc:
        return reject(store, "shipstation", kept, body, 400, str(exc))
    if not shipstation_webhooks.is_allowed_resource_url(pointer.resource_url,
                                                        settings.shipstation_base_url):
        return reject(store, "shipstation", kept, body, 400,
                       "resource_url is not on the configured ShipStation host",
                       pointer.resource_type)
    if pointer.resource_type not in ("SHIP_NOTIFY", "ITEM_SHIP_NOTIFY"):
        # ORDER_NOTIFY and the rest carry nothing the lifecycle needs yet; keep, do nothing.
        # Stored as dispatched: nothing is to start for it, now or at the next restart.
        store.inbox.accept(Delivery("shipstation", f"{pointer.resource_type}:{pointer.resource_url}",
                                       pointer.resource_type, None, kept, body, len(body)), None,
                              dispatched=True)
        return Verdict(200, {"status": "ignored", "resource_type": pointer.resource_type})
    new, inbox_id = store.inbox.accept(
        Delivery(provider="shipstation", delivery_id=pointer.resource_url,
                 topic=pointer.resource_type, shop_domain=None, headers=kept, body=body,
                 body_size=len(body)),
        None,
    )
    if not new or inbox_id is None:
        return Verdict(200, {"status": "duplicate"})
    workflow_id = starter.start_ship_notify(pointer.resource_url)
    store.inbox.mark_dispatched(inbox_id, workflow_id)
    return Verdict(200, {"status": "accepted", "workflow_id": workflow_id})


def accept_shipstation_v2(settings: Settings, store: Store, starter: Starter, keys: JwksCache,
                          headers: Mapping[str, str], body: bytes) -> Verdict:
    """ShipStation v2 webhooks: RSA-SHA256 signed (shipstation.md §2.4), tracking inline."""
    lowered = _lower(headers)
    kept = {k: v for k, v in lowered.items() if k in KEPT_V2_HEADERS}
    try:
        v2_webhooks.verify_signature(body, lowered, keys, now=datetime.now(timezone.utc))
    except SignatureError as exc:
        return reject(store, "shipstation-v2", kept, body, exc.status_code or 401, exc.reason)
    except TransientError:
        # The signing keys cannot be fetched right now: not the sender's fault. 503 makes
        # ShipStation deliver again later; nothing is stored because nothing was verified.
        log.warning("ShipStation v2 webhook not verified: signing keys unavailable")
        return Verdict(503, {"error": "signing keys unavailable; deliver again later"})
    try:
        hook = v2_webhooks.parse_webhook(body)
    except (MalformedWebhook, ValueError) as exc:
        return reject(store, "shipstation-v2", kept, body, 400, str(exc))
    delivery = Delivery(provider="shipstation-v2",
                        delivery_id="sha256:" + hashlib.sha256(body).hexdigest(),
                        topic=hook.resource_type, shop_domain=None, headers=kept, body=body,
                        body_size=len(body))
    new, inbox_id = store.inbox.accept(delivery, None, dispatched=hook.tracking is None)
    if not new or inbox_id is None:
        return Verdict(200, {"status": "duplicate"})
    if hook.tracking is None:
        # Label and batch pointers matter once shipflow buys labels itself; kept, not acted on.
        return Verdict(200, {"status": "stored", "resource_type": hook.resource_type})
    workflow_id = starter.start_tracking(hook.tracking)
    store.inbox.mark_dispatched(inbox_id, workflow_id)
    return Verdict(200, {"status": "accepted", "workflow_id": workflow_id})
