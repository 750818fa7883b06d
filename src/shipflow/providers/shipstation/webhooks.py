"""Inbound ShipStation v1 webhooks: thin pointers to a resource we then fetch ourselves.

v1 webhooks are not signed (shipstation.md §1.7). The body is only a hint: shipflow checks a
secret token in its own webhook URL, refuses resource URLs outside ShipStation (SSRF guard), and
reads the actual shipments with its own credentials.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from urllib.parse import urlsplit

from shipflow.providers.errors import MalformedWebhook
from shipflow.providers.fields import Fields
from shipflow.providers.urls import is_allowed_resource_url

__all__ = [
    "KNOWN_RESOURCE_TYPES",
    "MalformedWebhook",
    "ResourcePointer",
    "is_allowed_resource_url",
    "parse_pointer",
    "verify_token",
]

KNOWN_RESOURCE_TYPES = frozenset({
    "ORDER_NOTIFY", "ITEM_ORDER_NOTIFY", "SHIP_NOTIFY", "ITEM_SHIP_NOTIFY",
    "FULFILLMENT_SHIPPED", "FULFILLMENT_REJECTED",
})
MAX_RESOURCE_URL = 2048  # ShipStation documents <= 200 characters; anything huge is not theirs


@dataclass(frozen=True, slots=True)
class ResourcePointer:
    resource_url: str
    resource_type: str  # one of KNOWN_RESOURCE_TYPES, or a type ShipStation added since


def parse_pointer(raw_body: bytes) -> ResourcePointer:
    """`{"resource_url": "...", "resource_type": "SHIP_NOTIFY"}`; `MalformedWebhook` otherwise.

    An unknown `resource_type` is accepted (upper-cased): the caller decides what to do with
    event types it does not handle, rather than ShipStation retrying a refused delivery.
    """
    try:
        payload = json.loads(raw_body)
    except (UnicodeDecodeError, ValueError):
        raise MalformedWebhook("body is not valid JSON") from None
    body = Fields(payload, "", MalformedWebhook)
    url = body.req_string("resource_url").strip()
    kind = body.req_string("resource_type").strip().upper()
    if len(url) > MAX_RESOURCE_URL:
        raise MalformedWebhook(f"resource_url: longer than {MAX_RESOURCE_URL} characters")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise MalformedWebhook("resource_url: expected an absolute http(s) URL")
    return ResourcePointer(resource_url=url, resource_type=kind)


def verify_token(given: str, expected: str) -> bool:
    """Constant-time comparison of the token in our webhook URL; an unset token matches nothing."""
    if not expected or not given:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())
