"""Inbound ShipStation v2 webhooks: verify the RSA signature, then parse the delivery.

Verification follows ShipStation's instructions (shipstation.md §2.4): the three
`x-shipengine-*` headers must be there (else answer 404), the timestamp within 5 minutes of now
(else 400), and `RSASSA-PKCS1-v1_5(SHA-256)` over `<timestamp>.<raw body>` must verify with the
JWKS key named by the key-id header (else 401). `SignatureError.status_code` carries the answer.

Tracking deliveries (`TRACK_EVENT_V2`, ShipEngine's `API_TRACK`) carry the tracking data inline;
the others (`LABEL_CREATED_V2`, `BATCH_PROCESSED_V2`…) only point at a resource to fetch.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Mapping

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from shipflow.domain.tracking_events import TrackingUpdate
from shipflow.providers import http
from shipflow.providers.errors import (
    MalformedWebhook,
    ProviderError,
    SignatureError,
    TransientError,
    UnexpectedResponse,
)
from shipflow.providers.fields import Fields, parse_datetime
from shipflow.providers.http import SYSTEM_CLOCK, Clock
from shipflow.providers.shipstation_v2.wire import parse_tracking_information

log = logging.getLogger("shipflow.providers.shipstation")

__all__ = [
    "KEY_ID_HEADER",
    "REAL_JWKS_URL",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "TRACKING_RESOURCE_TYPES",
    "JwksCache",
    "SignatureError",
    "V2Webhook",
    "parse_jwks",
    "jwks_url",
    "parse_webhook",
    "verify_signature",
]

KEY_ID_HEADER = "x-shipengine-rsa-sha256-key-id"
SIGNATURE_HEADER = "x-shipengine-rsa-sha256-signature"
TIMESTAMP_HEADER = "x-shipengine-timestamp"
REAL_JWKS_URL = "https://api.shipengine.com/jwks"
TRACKING_RESOURCE_TYPES = frozenset({"TRACK_EVENT_V2", "API_TRACK"})
MAX_KEY_ID = 200
_LABEL_IN_URL = re.compile(r"/labels/([^/?#]+)/track(?:[/?#]|$)")


# -- keys --------------------------------------------------------------------------------------
def jwks_url(v2_base_url: str) -> str:
    """Where the signing keys are published for a v2 base URL: ShipEngine's JWKS
    (`https://api.shipengine.com/jwks`, the engine behind ShipStation v2) for the real service,
    `<base>/jwks` for anything else (the sandbox, `SHIPFLOW_SHIPSTATION_V2_BASE_URL`)."""
    base = v2_base_url.strip().rstrip("/")
    if base in ("https://api.shipstation.com", "https://api.shipengine.com"):
        return REAL_JWKS_URL
    return base + "/jwks"


def _b64url_int(value: Any, what: str) -> int:
    if not isinstance(value, str) or not value:
        raise UnexpectedResponse(f"JWKS key: {what} is missing")
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raise UnexpectedResponse(f"JWKS key: {what} is not base64url") from None
    return int.from_bytes(raw, "big")


def parse_jwks(document: Any) -> dict[str, rsa.RSAPublicKey]:
    """`{"keys": [{kid, kty: "RSA", n, e, ...}]}` as public keys by `kid`. Keys that are not
    RSA signing keys (another `kty`, `use` other than "sig", `alg` other than RS256) are
    skipped; a document that is not a key set is an `UnexpectedResponse`."""
    root = Fields(document, "jwks", UnexpectedResponse)
    keys: dict[str, rsa.RSAPublicKey] = {}
    for entry in root.objects("keys"):
        data = entry.data
        if data.get("kty") != "RSA" or data.get("use", "sig") != "sig" or data.get(
                "alg", "RS256") != "RS256":
            continue
        kid = entry.string("kid", required=False, empty_is_none=True)
        if kid is None:
            continue
        try:
            key = rsa.RSAPublicNumbers(_b64url_int(data.get("e"), "e"),
                                       _b64url_int(data.get("n"), "n")).public_key()
        except ValueError as exc:
            raise UnexpectedResponse(f"JWKS key {kid!r}: {exc}") from None
        keys[kid] = key
    return keys


class JwksCache:
    """ShipStation's webhook signing keys, fetched from `url` and kept `ttl` seconds.

    `http_get(url)` returns the decoded JSON (see `jwks_fetcher`; tests pass a
    function). An unknown key id triggers one refetch (ShipStation rotates keys), but at most
    one per `refetch_interval` seconds: a stream of forged deliveries with random key ids
    cannot make us hammer the JWKS URL. When a refresh fails the keys already known keep
    working; with no keys at all the failure is a `TransientError` (answer 5xx, ShipStation
    retries), never a rejection. Thread-safe.

    Forged deliveries must not stall the service while the key set is unreachable:

    - one fetch at a time (single flight), made outside the lock; a request that would need
      the keys while that fetch is in flight does not queue behind it: it is answered at once
      (`TransientError`, i.e. 503 "try later") unless the keys it needs are already known;
    - after a failed fetch no other is made for `failure_backoff` seconds, doubling with each
      failure in a row up to `max_backoff` (a negative cache); meanwhile requests that need
      keys we do not have fail fast the same way.
    """

    def __init__(
        self,
        url: str,
        http_get: Callable[[str], Any],
        *,
        ttl: float = 3600.0,
        refetch_interval: float = 60.0,
        failure_backoff: float = 1.0,
        max_backoff: float = 300.0,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.url = url
        self.http_get = http_get
        self.ttl = ttl
        self.refetch_interval = refetch_interval
        self.failure_backoff = failure_backoff
        self.max_backoff = max_backoff
        self.clock = clock
        self._lock = threading.Lock()
        self._keys: dict[str, rsa.RSAPublicKey] = {}
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self._in_flight = False
        self._failures = 0
        self._retry_at = float("-inf")

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(self._keys)

    def key(self, kid: str) -> rsa.RSAPublicKey:
        """The public key for `kid`; `SignatureError(401)` when ShipStation has no such key,
        `TransientError` when the key set cannot be had right now."""
        now = self.clock.monotonic()
        with self._lock:
            expired = self._fetched_at is None or now - self._fetched_at > self.ttl
            unknown = kid not in self._keys and (
                self._attempted_at is None or now - self._attempted_at >= self.refetch_interval)
            busy = self._in_flight
            fetch = (expired or unknown) and not busy and now >= self._retry_at
            if fetch:
                self._in_flight = True
                self._attempted_at = now
            backing_off = now < self._retry_at
        if fetch:
            if unknown and not expired:
                log.info("unknown webhook key id; refetching the JWKS")
            self._fetch(now)
        with self._lock:
            key = self._keys.get(kid)
            have_keys = bool(self._keys)
        if key is not None:
            return key
        if not have_keys or (busy and unknown):
            # Nothing to verify with yet, or the set that may hold this key is being fetched.
            why = ("being fetched" if busy else "unavailable; backing off" if backing_off
                   or fetch else "unavailable")
            raise TransientError(f"webhook signing keys {why}", provider="shipstation")
        raise SignatureError(401, "unknown signing key id")

    def _fetch(self, now: float) -> None:
        """One fetch (the caller holds the flight); failures back off, known keys stay."""
        try:
            keys = parse_jwks(self.http_get(self.url))
        except Exception as exc:  # noqa: BLE001 - any failure is "not now", never a crash
            with self._lock:
                self._failures += 1
                delay = min(self.max_backoff,
                            self.failure_backoff * 2 ** min(self._failures - 1, 30))
                self._retry_at = self.clock.monotonic() + delay
                self._in_flight = False
                known = len(self._keys)
            log.warning("JWKS fetch failed (%s); %s; next attempt in %.0fs", type(exc).__name__,
                        f"keeping {known} known keys" if known else "no keys yet", delay)
            return
        except BaseException:
            with self._lock:
                self._in_flight = False
            raise
        with self._lock:
            self._keys = keys
            self._fetched_at = now
            self._failures = 0
            self._retry_at = float("-inf")
            self._in_flight = False


# -- verification ------------------------------------------------------------------------------
def _sent_at(value: str) -> datetime | None:
    """`x-shipengine-timestamp`: ISO-8601 UTC (`2024-04-04T15:48:44Z`, the documented form);
    Unix seconds are accepted too, in case a sender uses them."""
    text = value.strip()
    if text.isdigit():
        seconds = int(text)
        try:
            return datetime.fromtimestamp(seconds / 1000 if seconds > 10**11 else seconds,
                                          tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
    return parse_datetime(text)


def verify_signature(
    raw_body: bytes,
    headers: Mapping[str, str],
    keys: JwksCache,
    *,
    now: datetime,
    tolerance: timedelta = timedelta(minutes=5),
    max_future_skew: timedelta = timedelta(minutes=1),
) -> None:
    """Return when the delivery is ShipStation's; raise `SignatureError` otherwise.

    - any of the three headers missing or blank: 404 (ShipStation's instruction: answer as if
      the endpoint did not exist);
    - timestamp unreadable, older than `tolerance`, or more than `max_future_skew` ahead of
      `now` (clocks drift a little; a replay is always in the past): 400;
    - unknown key id (after one JWKS refetch), signature not base64, or not matching: 401.

    Header names are matched case-insensitively. `raw_body` must be the exact bytes received.
    A key set that cannot be fetched raises `TransientError` instead (answer 5xx).
    """
    lowered = {k.lower(): v for k, v in headers.items() if isinstance(v, str)}
    values = {name: (lowered.get(name) or "").strip()
              for name in (KEY_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER)}
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise SignatureError(404, f"missing header(s): {', '.join(missing)}")
    kid, signature, timestamp = (values[KEY_ID_HEADER], values[SIGNATURE_HEADER],
                                 lowered[TIMESTAMP_HEADER])
    sent_at = _sent_at(timestamp)
    if sent_at is None:
        raise SignatureError(400, "unreadable timestamp")
    current = now if now.tzinfo else now.replace(tzinfo=timezone.utc)
    age = current - sent_at
    if age > tolerance:
        raise SignatureError(400, f"timestamp is {int(age.total_seconds())}s old "
                                  f"(more than {int(tolerance.total_seconds())}s)")
    if -age > max_future_skew:
        raise SignatureError(400, f"timestamp is {int(-age.total_seconds())}s in the future")
    if len(kid) > MAX_KEY_ID or not kid.isprintable():
        raise SignatureError(401, "unknown signing key id")
    key = keys.key(kid)
    try:
        decoded = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        try:
            decoded = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
        except (binascii.Error, ValueError):
            raise SignatureError(401, "signature is not base64") from None
    # The signed message uses the header exactly as sent (not re-formatted).
    message = timestamp.encode() + b"." + raw_body
    try:
        key.verify(decoded, message, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise SignatureError(401, "signature does not match") from None


# -- parsing -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class V2Webhook:
    """One v2 delivery. `tracking` is set for TRACK_EVENT_V2 / API_TRACK (inline data);
    the other types are pointers: fetch `resource_url` (`labels_from_resource` for labels)."""

    resource_type: str
    resource_url: str
    tracking: TrackingUpdate | None = None

    @property
    def is_pointer(self) -> bool:
        return self.tracking is None


def label_id_from_url(resource_url: str) -> str | None:
    """`se-…` from `https://api.shipstation.com/v2/labels/se-…/track`, if it is that shape."""
    found = _LABEL_IN_URL.search(resource_url)
    return found.group(1) if found else None


def parse_webhook(raw_body: bytes) -> V2Webhook:
    """`{"resource_url", "resource_type", "data"?}`; `MalformedWebhook` when it is not that.

    Unknown resource types are accepted as pointers (upper-cased), so a type ShipStation adds
    later does not bounce; a tracking type without `data` is malformed. Keys we do not read
    (a fixture's `_captured_at`) are ignored.
    """
    try:
        payload = json.loads(raw_body)
    except (UnicodeDecodeError, ValueError):
        raise MalformedWebhook("body is not valid JSON") from None
    body = Fields(payload, "", MalformedWebhook)
    url = body.req_string("resource_url").strip()
    kind = body.req_string("resource_type").strip().upper()
    if not url.startswith(("https://", "http://")):
        raise MalformedWebhook("resource_url: expected an absolute http(s) URL")
    if kind not in TRACKING_RESOURCE_TYPES:
        return V2Webhook(kind, url)
    data = body.obj("data")
    tracking = parse_tracking_information(data.data, label_id=label_id_from_url(url),
                                          path=data.path, error=MalformedWebhook)
    return V2Webhook(kind, url, tracking)


JWKS_MAX_BYTES = 256 * 1024


def jwks_fetcher(
    *, transport: httpx.BaseTransport | None = None, timeout: float = 5.0
) -> Callable[[str], Any]:
    """An `http_get` for `v2_webhooks.JwksCache`: GET a JWKS URL, return its JSON.

    Redirects are not followed (the key set must come from the configured URL); any failure is
    a `TransientError`, so a delivery we cannot verify yet is answered 5xx and retried by
    ShipStation, not refused for good."""
    def get(url: str) -> Any:
        try:
            with httpx.Client(transport=transport, timeout=timeout, follow_redirects=False,
                              headers={"User-Agent": http.USER_AGENT}) as client:
                response = client.send(client.build_request("GET", url), stream=True)
                # Bounded like every provider read (`http.read_bounded`): a key set is tiny.
                response._content = http.read_bounded(
                    response, provider="shipstation", max_bytes=JWKS_MAX_BYTES,
                    deadline_at=SYSTEM_CLOCK.monotonic() + 2 * timeout)
        except (httpx.HTTPError, ProviderError) as exc:
            raise TransientError(f"JWKS fetch failed: {type(exc).__name__}",
                                 provider="shipstation") from exc
        if response.status_code != 200:
            raise TransientError("JWKS fetch failed", provider="shipstation",
                                 status_code=response.status_code)
        body = http.response_json(response)
        if body is None:
            raise TransientError("JWKS is not JSON", provider="shipstation")
        return body

    return get
