"""Inbound ShipStation v1 webhooks: thin pointers to a resource we then fetch ourselves.

v1 webhooks are not signed (shipstation.md §1.7). The body is only a hint: shipflow checks a
secret token in its own webhook URL, refuses resource URLs outside ShipStation (SSRF guard), and
reads the actual shipments with its own credentials.
"""

from __future__ import annotations

import hmac
import json
import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from shipflow.providers.errors import MalformedWebhook
from shipflow.providers.fields import Fields

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
REAL_BASE_HOST = "ssapi.shipstation.com"
_REAL_HOSTS = re.compile(r"ssapi\d*\.shipstation\.com")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_FORBIDDEN = ("\\", "\r", "\n", "\t", " ", "\x00")


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
    if parts.scheme not in _DEFAULT_PORTS or not parts.netloc:
        raise MalformedWebhook("resource_url: expected an absolute http(s) URL")
    return ResourcePointer(resource_url=url, resource_type=kind)


def verify_token(given: str, expected: str) -> bool:
    """Constant-time comparison of the token in our webhook URL; an unset token matches nothing."""
    if not expected or not given:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def _port(scheme: str, port: int | None) -> int | None:
    return port if port is not None else _DEFAULT_PORTS.get(scheme)


def is_allowed_resource_url(url: str, base_url: str) -> bool:
    """True when `url` is safe to fetch with our ShipStation credentials.

    Same scheme, host and port as `base_url`, and a path under the base path (a sandbox base
    `http://127.0.0.1:8100/shipstation` allows `/shipstation/shipments?...`, not `/admin`).
    For the real service (`https://ssapi.shipstation.com`) the numbered hosts ShipStation puts
    in resource URLs (`ssapi6.`, `ssapi13.`…) are allowed too, over https on 443 only.
    URLs with credentials, dot segments (plain or percent-encoded), backslashes or control
    characters are refused outright.
    """
    if not url or not base_url or any(c in url for c in _FORBIDDEN):
        return False
    try:
        target, base = urlsplit(url.strip()), urlsplit(base_url.strip())
        target_port, base_port = _port(target.scheme, target.port), _port(base.scheme, base.port)
    except ValueError:
        return False
    if target.scheme not in _DEFAULT_PORTS or target.username or target.password:
        return False
    if not target.hostname or not base.hostname:
        return False
    same_origin = (target.scheme, target.hostname, target_port) == (
        base.scheme, base.hostname, base_port
    )
    real_service = (
        base.scheme == "https" and base.hostname == REAL_BASE_HOST and base_port == 443
        and target.scheme == "https" and target_port == 443
        and _REAL_HOSTS.fullmatch(target.hostname) is not None
    )
    if not (same_origin or real_service):
        return False
    segments = unquote(target.path).split("/")
    if any(seg in (".", "..") for seg in segments) or "\\" in unquote(target.path):
        return False
    base_path = base.path.rstrip("/")
    return target.path.startswith(base_path + "/") and len(target.path) > len(base_path) + 1
