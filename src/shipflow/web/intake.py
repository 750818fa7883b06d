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

from sqlalchemy.exc import SQLAlchemyError

from shipflow.config import Settings
from shipflow.domain.keys import ship_notify_workflow_id
from shipflow.domain.order import Order, OrderState
from shipflow.domain.privacy import PrivacyRequest
from shipflow.domain.tracking_events import TrackingUpdate
from shipflow.providers.errors import SignatureError, TransientError
from shipflow.providers.shipstation import webhooks as shipstation_webhooks
from shipflow.providers.shipstation_v2 import webhooks as v2_webhooks
from shipflow.providers.shipstation_v2.webhooks import JwksCache
from shipflow.providers.shopify import compliance
from shipflow.providers.shopify import webhooks as shopify_webhooks
from shipflow.providers.shopify.topics import Refund, parse_refund
from shipflow.providers.shopify.webhooks import MalformedWebhook
from shipflow.store import Store
from shipflow.store.inbox import Delivery
from shipflow.store.limits import column_length
from shipflow.store.tables import webhook_inbox
from shipflow.web import limits

log = logging.getLogger("shipflow.intake")

ORDER_TOPICS = frozenset({"orders/create", "orders/paid", "orders/updated", "orders/cancelled"})
# Headers worth keeping with a delivery; the signature and anything unknown are dropped.
KEPT_SHOPIFY_HEADERS = (
    "x-shopify-topic", "x-shopify-shop-domain", "x-shopify-api-version", "x-shopify-webhook-id",
    "x-shopify-triggered-at", "x-shopify-event-id", "content-type", "user-agent",
)
KEPT_V2_HEADERS = ("x-shipengine-rsa-sha256-key-id", "x-shipengine-timestamp", "content-type",
                   "user-agent")
REJECTED_BODY_LIMIT = 64 * 1024  # what is kept of a rejected (signed) body, for inspection
KEPT_HEADER_CHARS = 512  # what is kept of each header value of a rejected delivery
IGNORED_ID_CHARS = column_length(webhook_inbox.c.delivery_id)


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

    def retry(self, order_pk: int, who: str) -> OrderState | None:
        """Send an order that needs attention through again; returns its state."""


@dataclass(frozen=True)
class Verdict:
    status_code: int
    body: dict[str, Any]


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def _secrets(value: str) -> list[str]:
    """`SHIPFLOW_SHOPIFY_WEBHOOK_SECRET` may hold "new,old" during a rotation (shopify.md §1.2)."""
    return [s.strip() for s in value.split(",") if s.strip()]


def content_key(topic: str | None, body: bytes) -> str:
    """The hash a replayed body is recognised by, whatever webhook id it comes with."""
    return hashlib.sha256((topic or "").encode() + b"\n" + body).hexdigest()


def reject(store: Store, provider: str, headers: Mapping[str, str], body: bytes, status: int,
           reason: str, topic: str | None = None, shop: str | None = None,
           size: int | None = None, *, authenticated: bool = False,
           keep_at_most: int | None = None) -> Verdict:
    """Keep what was refused so an operator can see why; answer the reason.

    Unauthenticated (bad or missing signature or token, too large to read): metadata only (the
    kept headers, the body's SHA-256 and size), at most `keep_at_most` such rows, the rest
    counted. Authenticated (signed but malformed): its first 64 KiB too, one row per distinct
    body (Shopify's retries and replays of it are not stored again); if that cannot be stored
    the answer is 503, so the sender delivers it again."""
    digest = hashlib.sha256(body).hexdigest()
    # What a sender put in headers is theirs to size: keep a bounded prefix of each.
    headers = {k: v[:KEPT_HEADER_CHARS] for k, v in headers.items()}
    topic, shop = (topic[:128] if topic else topic), (shop[:255] if shop else shop)
    if authenticated:
        delivery = Delivery(provider=provider, delivery_id=f"rejected:{content_key(topic, body)}",
                            topic=topic, shop_domain=shop, headers=headers,
                            body=body[:REJECTED_BODY_LIMIT],
                            body_size=size if size is not None else len(body), body_sha256=digest)
    else:
        delivery = Delivery(provider=provider, delivery_id=f"rejected:{uuid.uuid4()}",
                            topic=topic, shop_domain=shop, headers=headers, body=b"",
                            body_size=size if size is not None else len(body),
                            authenticated=False, body_sha256=digest)
    try:
        store.inbox.reject(delivery, status, reason, keep_at_most)
    except SQLAlchemyError:
        log.exception("storing a rejected %s webhook failed", provider)
        if authenticated:
            return Verdict(503, {"error": "the delivery could not be stored; deliver it again"})
    log.warning("rejected %s webhook (%d): %s", provider, status, reason)
    return Verdict(status, {"error": reason})


@dataclass(frozen=True)
class Judged:
    """A Shopify delivery that passed verification and parsing, ready to be stored."""

    delivery: Delivery
    order: Order | None
    stock_change: tuple[int, str] | None = None  # (inventory item id, webhook id)
    refund: Refund | None = None
    privacy: PrivacyRequest | None = None  # a compliance webhook (customers/*, shop/redact)


@dataclass(frozen=True)
class Rejection:
    status_code: int
    reason: str
    headers: Mapping[str, str]
    topic: str | None = None
    shop: str | None = None
    authenticated: bool = True  # False: the signature did not verify


def judge_shopify(settings: Settings, headers: Mapping[str, str],
                  body: bytes) -> Judged | Rejection:
    """Verify and parse a Shopify delivery; no I/O, so the web layer runs it inline.

    Only the configured shop's deliveries are accepted: `X-Shopify-Shop-Domain` is not covered
    by the signature, so a captured body replayed under another domain must not make a second
    order. Signed input that would not fit the tables is refused here (400, the field's path),
    never at the database."""
    lowered = _lower(headers)
    kept = {k: v for k, v in lowered.items() if k in KEPT_SHOPIFY_HEADERS}
    signature = lowered.get("x-shopify-hmac-sha256")
    if not signature:
        return Rejection(401, "missing X-Shopify-Hmac-Sha256 header", kept, authenticated=False)
    if not shopify_webhooks.verify_hmac(body, signature, _secrets(settings.shopify_webhook_secret)):
        return Rejection(401, "X-Shopify-Hmac-Sha256 does not match the body and the webhook secret",
                         kept, authenticated=False)
    try:
        meta = shopify_webhooks.parse_headers(lowered)
    except MalformedWebhook as exc:
        return Rejection(400, str(exc), kept)
    if len(meta.webhook_id) > 255 or len(meta.topic) > 128:
        return Rejection(400, "X-Shopify-Webhook-Id or X-Shopify-Topic is too long", kept)
    expected_shop = settings.expected_shop_domain
    if not expected_shop or meta.shop_domain != expected_shop:
        return Rejection(403, "X-Shopify-Shop-Domain is not the shop this shipflow serves "
                         "(SHIPFLOW_SHOPIFY_SHOP_DOMAIN, else SHIPFLOW_SHOPIFY_SHOP_URL's host)",
                         kept, meta.topic, None)
    try:
        payload = json.loads(body)
    except RecursionError:
        return Rejection(400, "body: nested too deeply", kept, meta.topic, meta.shop_domain)
    except ValueError as exc:
        return Rejection(400, f"body is not valid JSON: {exc}", kept, meta.topic, meta.shop_domain)
    order: Order | None = None
    stock_change: tuple[int, str] | None = None
    refund: Refund | None = None
    privacy: PrivacyRequest | None = None
    try:
        limits.nesting(payload)
        if meta.topic in compliance.TOPICS:
            privacy = compliance.parse_privacy_request(meta.topic, payload)
            if privacy.shop_domain != meta.shop_domain:
                raise MalformedWebhook("shop_domain: not the shop in X-Shopify-Shop-Domain")
        if meta.topic in ORDER_TOPICS:
            order = shopify_webhooks.parse_order(payload, meta.shop_domain)
            limits.check_order(order)
        if meta.topic == "inventory_levels/update":
            item_id = payload.get("inventory_item_id") if isinstance(payload, dict) else None
            if not isinstance(item_id, int) or isinstance(item_id, bool):
                raise MalformedWebhook("inventory_item_id: expected an integer id")
            limits.check_inventory_item(item_id)
            stock_change = (item_id, meta.webhook_id)  # one restock run per delivery
        if meta.topic == "refunds/create":
            refund = parse_refund(payload)
            limits.check_refund(refund)
    except (MalformedWebhook, limits.OutOfRange) as exc:
        return Rejection(400, f"{meta.topic}: {exc}", kept, meta.topic, meta.shop_domain)
    except RecursionError:
        return Rejection(400, f"{meta.topic}: body: nested too deeply", kept, meta.topic,
                         meta.shop_domain)
    event_key = f"{meta.topic} {meta.event_id}"[:255] if meta.event_id else None
    delivery = Delivery(provider="shopify", delivery_id=meta.webhook_id, topic=meta.topic,
                        shop_domain=meta.shop_domain, headers=kept, body=body, body_size=len(body),
                        event_key=event_key, content_key=content_key(meta.topic, body))
    return Judged(delivery, order, stock_change, refund, privacy)


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
        return reject(store, "shipstation", kept, body, 401, "unknown webhook token in the URL",
                      keep_at_most=settings.unauthenticated_rejections_max)
    try:
        pointer = shipstation_webhooks.parse_pointer(body)
    except (MalformedWebhook, ValueError) as exc:
        return reject(store, "shipstation", kept, body, 400, str(exc), authenticated=True)
    except RecursionError:
        return reject(store, "shipstation", kept, body, 400, "body: nested too deeply",
                      authenticated=True)
    acted_on = pointer.resource_type in ("SHIP_NOTIFY", "ITEM_SHIP_NOTIFY")
    # ORDER_NOTIFY and the rest carry nothing the lifecycle needs yet: filed under type and URL.
    delivery_id = (pointer.resource_url if acted_on
                   else f"{pointer.resource_type}:{pointer.resource_url}")
    try:
        limits.check_ship_notify(
            json.loads(body), pointer, pointer.resource_url,
            ship_notify_workflow_id(pointer.resource_url) if acted_on else None)
    except limits.OutOfRange as exc:
        return reject(store, "shipstation", kept, body, 400, str(exc), authenticated=True)
    if not shipstation_webhooks.is_allowed_resource_url(pointer.resource_url,
                                                        settings.shipstation_base_url):
        return reject(store, "shipstation", kept, body, 400,
                      "resource_url is not on the configured ShipStation host",
                      pointer.resource_type, authenticated=True)
    if not acted_on:
        if len(delivery_id) > IGNORED_ID_CHARS:  # type and URL fit apart, not together
            delivery_id = "sha256:" + hashlib.sha256(delivery_id.encode()).hexdigest()
        # Stored as dispatched: nothing is to start for it, now or at the next restart.
        store.inbox.accept(Delivery("shipstation", delivery_id, pointer.resource_type, None,
                                    kept, body, len(body)), None, dispatched=True)
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
        return reject(store, "shipstation-v2", kept, body, exc.status_code or 401, exc.reason,
                      keep_at_most=settings.unauthenticated_rejections_max)
    except TransientError:
        # The signing keys cannot be fetched right now: not the sender's fault. 503 makes
        # ShipStation deliver again later; nothing is stored because nothing was verified.
        log.warning("ShipStation v2 webhook not verified: signing keys unavailable")
        return Verdict(503, {"error": "signing keys unavailable; deliver again later"})
    try:
        hook = v2_webhooks.parse_webhook(body)
    except (MalformedWebhook, ValueError) as exc:
        return reject(store, "shipstation-v2", kept, body, 400, str(exc), authenticated=True)
    except RecursionError:
        return reject(store, "shipstation-v2", kept, body, 400, "body: nested too deeply",
                      authenticated=True)
    try:
        limits.check_shipstation_v2(json.loads(body), hook)
    except limits.OutOfRange as exc:
        return reject(store, "shipstation-v2", kept, body, 400,
                      f"{hook.resource_type}: {exc}", hook.resource_type, authenticated=True)
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
