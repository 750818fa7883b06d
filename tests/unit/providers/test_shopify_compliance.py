"""The compliance webhooks' payloads as Shopify documents them (shopify.md §2), and how intake
judges them: verified, bound to the shop, refused when forged."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from shipflow.config import Settings
from shipflow.domain.privacy import PrivacyTopic
from shipflow.providers.errors import MalformedWebhook
from shipflow.providers.shopify.compliance import parse_privacy_request
from shipflow.web.intake import Judged, Rejection, judge_shopify

SHOP = "shop.myshopify.com"
DATA_REQUEST = {"shop_id": 954889, "shop_domain": SHOP, "orders_requested": [299938, 280263],
                "customer": {"id": 191167, "email": "john@example.com",
                             "phone": "555-625-1199"}, "data_request": {"id": 9999}}
REDACT = {"shop_id": 954889, "shop_domain": SHOP,
          "customer": {"id": 191167, "email": "john@example.com", "phone": "555-625-1199"},
          "orders_to_redact": [299938, 280263, 220458]}


def test_documented_payloads() -> None:
    request = parse_privacy_request("customers/data_request", DATA_REQUEST)
    assert request.topic is PrivacyTopic.DATA_REQUEST
    assert (request.customer_id, request.email, request.phone) == (191167, "john@example.com",
                                                                   "555-625-1199")
    assert request.order_ids == (299938, 280263) and request.data_request_id == 9999
    redact = parse_privacy_request("customers/redact", REDACT)
    assert redact.order_ids == (299938, 280263, 220458) and redact.data_request_id is None
    shop = parse_privacy_request("shop/redact", {"shop_id": 954889, "shop_domain": SHOP})
    assert shop.topic is PrivacyTopic.SHOP_REDACT and shop.customer_id is None


def test_a_customer_known_by_phone_only() -> None:
    payload = {**REDACT, "customer": {"id": 1, "email": None, "phone": "+15555550100"}}
    assert parse_privacy_request("customers/redact", payload).email is None


@pytest.mark.parametrize("payload, path", [
    ({**REDACT, "customer": None}, "customer"),
    ({**REDACT, "orders_to_redact": ["299938"]}, "orders_to_redact[0]"),
    ({"shop_id": 1}, "shop_domain"),
])
def test_malformed_payloads_name_the_field(payload: dict[str, object], path: str) -> None:
    with pytest.raises(MalformedWebhook, match=path.replace("[", r"\[").replace("]", r"\]")):
        parse_privacy_request("customers/redact", payload)


def _delivery(topic: str, payload: dict[str, object], secret: str = "hush",
              shop: str = SHOP) -> tuple[dict[str, str], bytes]:
    body = json.dumps(payload).encode()
    digest = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return {"X-Shopify-Topic": topic, "X-Shopify-Hmac-Sha256": digest,
            "X-Shopify-Shop-Domain": shop, "X-Shopify-API-Version": "2026-07",
            "X-Shopify-Webhook-Id": "w-1"}, body


SETTINGS = Settings(shopify_webhook_secret="hush", shopify_shop_domain=SHOP)


def test_intake_accepts_a_signed_request_for_its_shop() -> None:
    judged = judge_shopify(SETTINGS, *_delivery("customers/redact", REDACT))
    assert isinstance(judged, Judged) and judged.privacy is not None
    assert judged.order is None and judged.privacy.order_ids == (299938, 280263, 220458)


def test_intake_refuses_forged_and_foreign_requests() -> None:
    forged = judge_shopify(SETTINGS, *_delivery("customers/redact", REDACT, secret="guess"))
    assert isinstance(forged, Rejection) and forged.status_code == 401
    assert not forged.authenticated  # nothing of the body is kept
    other = judge_shopify(SETTINGS, *_delivery("shop/redact", {"shop_domain": "x.myshopify.com"},
                                                 shop="x.myshopify.com"))
    assert isinstance(other, Rejection) and other.status_code == 403
    mismatch = judge_shopify(SETTINGS, *_delivery("shop/redact",
                                                  {"shop_domain": "x.myshopify.com"}))
    assert isinstance(mismatch, Rejection) and mismatch.status_code == 400
