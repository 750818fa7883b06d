"""Builds signed webhook deliveries the way Shopify and ShipStation send them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from pathlib import Path
from typing import Any

from tests.conftest import FIXTURES

SECRET = "test-webhook-secret"


def fixture_order() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (FIXTURES / "shopify" / "orders_create_docs_2026-07.json").read_text())
    return data


def paid_order(order_id: int = 820982911946154508) -> dict[str, Any]:
    """The docs sample, made into a live paid order (the sample itself is a voided test order)."""
    order = fixture_order()
    order.update(id=order_id, admin_graphql_api_id=f"gid://shopify/Order/{order_id}",
                 financial_status="paid", cancelled_at=None, cancel_reason=None, test=False)
    return order


def sign(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def shopify_headers(body: bytes, topic: str = "orders/paid", *, webhook_id: str | None = None,
                    secret: str = SECRET, shop: str = "demo.myshopify.com") -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": sign(body, secret),
        "X-Shopify-Shop-Domain": shop,
        "X-Shopify-API-Version": "2026-07",
        "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
        "X-Shopify-Triggered-At": "2026-11-24T10:00:00.000000Z",
        "X-Shopify-Event-Id": str(uuid.uuid4()),
    }


def body_of(payload: Any) -> bytes:
    return json.dumps(payload).encode()


__all__ = ["Path", "SECRET", "body_of", "fixture_order", "paid_order", "shopify_headers", "sign"]
