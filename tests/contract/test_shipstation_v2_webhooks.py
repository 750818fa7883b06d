"""ShipStation v2 webhook signatures (shipstation.md §2.4), on the real delivery bodies, signed
with a key generated here: RSASSA-PKCS1-v1_5 SHA-256 over `<timestamp>.<raw body>`."""

from __future__ import annotations

import base64
import json
import pickle
import threading
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from shipflow.domain.tracking_events import TrackingStatus
from shipflow.providers.errors import SignatureError, TransientError, UnexpectedResponse
from shipflow.providers.shipstation_v2.webhooks import (
    KEY_ID_HEADER,
    REAL_JWKS_URL,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    JwksCache,
    jwks_url,
    parse_jwks,
    parse_webhook,
    verify_signature,
)

from .paths import FIXTURES

SS = FIXTURES / "shipstation"
NOW = datetime(2026, 9, 3, 16, 20, 0, tzinfo=timezone.utc)
JWKS_URL = "http://127.0.0.1:8100/shipstation/jwks"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def _b64url(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwk(key: rsa.RSAPrivateKey, kid: str, **extra: Any) -> dict[str, Any]:
    numbers = key.public_key().public_numbers()
    return {"kid": kid, "kty": "RSA", "use": "sig", "alg": "RS256", "n": _b64url(numbers.n),
            "e": _b64url(numbers.e), **extra}


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def other_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class Jwks:
    """The JWKS endpoint: serves `documents` in turn (the last one repeats), counting calls."""

    def __init__(self, *documents: Any) -> None:
        self.documents = list(documents)
        self.calls = 0

    def __call__(self, url: str) -> Any:
        assert url == JWKS_URL
        self.calls += 1
        answer = self.documents[min(self.calls, len(self.documents)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer


def sign(key: rsa.RSAPrivateKey, body: bytes, timestamp: str) -> str:
    signature = key.sign(timestamp.encode() + b"." + body, padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode()


def headers(key: rsa.RSAPrivateKey, body: bytes, *, kid: str = "key-1",
            at: datetime = NOW) -> dict[str, str]:
    timestamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"X-ShipEngine-RSA-SHA256-Key-Id": kid,
            "X-ShipEngine-RSA-SHA256-Signature": sign(key, body, timestamp),
            "X-ShipEngine-Timestamp": timestamp, "Content-Type": "application/json"}


def real_body(name: str) -> bytes:
    """The delivery as ShipStation sends it: the fixture without the repository's
    `_captured_at`, serialized once (these exact bytes are what gets signed)."""
    data = json.loads((SS / name).read_text())
    data.pop("_captured_at")
    return json.dumps(data, separators=(",", ":")).encode()


@pytest.fixture()
def cache(key: rsa.RSAPrivateKey) -> JwksCache:
    return JwksCache(JWKS_URL, Jwks({"keys": [jwk(key, "key-1")]}), clock=Clock())


@pytest.mark.parametrize("name", ["v2_track_event_v2_ups_delivered.real.json",
                                  "v2_label_created_v2_webhook.real.json"])
def test_real_deliveries_verify_and_parse(key: rsa.RSAPrivateKey, cache: JwksCache,
                                          name: str) -> None:
    body = real_body(name)
    verify_signature(body, headers(key, body), cache, now=NOW)
    webhook = parse_webhook(body)
    if webhook.tracking is not None:
        assert webhook.tracking.status_code is TrackingStatus.DELIVERED
        assert len(webhook.tracking.scans) == 16
    else:
        assert webhook.resource_type == "LABEL_CREATED_V2"


def test_lower_case_headers_and_the_edges_of_the_window(key: rsa.RSAPrivateKey,
                                                        cache: JwksCache) -> None:
    body = real_body("v2_label_created_v2_webhook.real.json")
    lowered = {k.lower(): v for k, v in headers(key, body).items()}
    verify_signature(body, lowered, cache, now=NOW)
    verify_signature(body, headers(key, body, at=NOW - timedelta(minutes=5)), cache, now=NOW)
    verify_signature(body, headers(key, body, at=NOW + timedelta(seconds=60)), cache, now=NOW)


def rejection(body: bytes, given: dict[str, str], cache: JwksCache, **kw: Any) -> SignatureError:
    with pytest.raises(SignatureError) as caught:
        verify_signature(body, given, cache, now=kw.pop("now", NOW), **kw)
    return caught.value


@pytest.mark.parametrize("missing", [KEY_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER])
def test_missing_headers_are_answered_404(key: rsa.RSAPrivateKey, cache: JwksCache,
                                          missing: str) -> None:
    body = real_body("v2_label_created_v2_webhook.real.json")
    given = {k: v for k, v in headers(key, body).items() if k.lower() != missing}
    error = rejection(body, given, cache)
    assert error.status_code == 404 and missing in error.reason
    blank = {k: ("  " if k.lower() == missing else v) for k, v in headers(key, body).items()}
    assert rejection(body, blank, cache).status_code == 404


@pytest.mark.parametrize(("at", "reason"), [
    (NOW - timedelta(minutes=5, seconds=1), "301s old"),
    (NOW - timedelta(days=3), "old"),
    (NOW + timedelta(minutes=2), "in the future"),
])
def test_stale_or_future_timestamps_are_answered_400(key: rsa.RSAPrivateKey, cache: JwksCache,
                                                     at: datetime, reason: str) -> None:
    body = real_body("v2_label_created_v2_webhook.real.json")
    error = rejection(body, headers(key, body, at=at), cache)
    assert error.status_code == 400 and reason in error.reason


def test_unreadable_timestamp_is_400_and_epoch_seconds_are_read(key: rsa.RSAPrivateKey,
                                                                cache: JwksCache) -> None:
    body = b'{"resource_url":"https://api.shipstation.com/v2/labels?batch_id=se-1"}'
    given = headers(key, body)
    given["X-ShipEngine-Timestamp"] = "yesterday"
    assert rejection(body, given, cache).reason == "unreadable timestamp"
    epoch = str(int(NOW.timestamp()))
    signed = dict(given, **{"X-ShipEngine-Timestamp": epoch,
                            "X-ShipEngine-RSA-SHA256-Signature": sign(key, body, epoch)})
    verify_signature(body, signed, cache, now=NOW)


def test_tampering_is_answered_401(key: rsa.RSAPrivateKey, other_key: rsa.RSAPrivateKey,
                                   cache: JwksCache) -> None:
    body = real_body("v2_track_event_v2_ups_delivered.real.json")
    good = headers(key, body)
    cases = {
        "body": (body.replace(b'"DE"', b'"EX"', 1), good),
        "whitespace": (body + b"\n", good),
        "timestamp": (body, dict(good, **{"X-ShipEngine-Timestamp": "2026-09-03T16:19:59Z"})),
        "wrong key": (body, headers(other_key, body)),
        "not base64": (body, dict(good, **{"X-ShipEngine-RSA-SHA256-Signature": "%%%"})),
    }
    for name, (sent, given) in cases.items():
        error = rejection(sent, given, cache)
        assert error.status_code == 401, name
    assert "does not match" in rejection(body, headers(other_key, body), cache).reason


def test_unknown_kid_refetches_once_then_rejects(key: rsa.RSAPrivateKey,
                                                 other_key: rsa.RSAPrivateKey) -> None:
    rotated = {"keys": [jwk(key, "key-1"), jwk(other_key, "key-2")]}
    endpoint = Jwks({"keys": [jwk(key, "key-1")]}, rotated)
    clock = Clock()
    cache = JwksCache(JWKS_URL, endpoint, clock=clock, refetch_interval=60)
    body = real_body("v2_label_created_v2_webhook.real.json")
    verify_signature(body, headers(key, body), cache, now=NOW)
    assert endpoint.calls == 1
    clock.now += 61
    verify_signature(body, headers(other_key, body, kid="key-2"), cache, now=NOW)  # rotation
    assert endpoint.calls == 2 and set(cache.key_ids) == {"key-1", "key-2"}

    forged = headers(other_key, body, kid="attacker-1")
    assert rejection(body, forged, cache).reason == "unknown signing key id"
    assert endpoint.calls == 2  # refetched a second ago: not again
    for n in range(90):  # a flood of random kids costs at most one fetch a minute
        rejection(body, headers(other_key, body, kid=f"attacker-{n}"), cache)
        clock.now += 1
    assert endpoint.calls == 2 + 1
    assert rejection(body, headers(other_key, body, kid="k" * 500), cache).status_code == 401


def test_keys_expire_and_a_failed_refresh_keeps_the_known_ones(key: rsa.RSAPrivateKey) -> None:
    endpoint = Jwks({"keys": [jwk(key, "key-1")]}, TransientError("down"))
    clock = Clock()
    cache = JwksCache(JWKS_URL, endpoint, clock=clock, ttl=3600)
    body = real_body("v2_label_created_v2_webhook.real.json")
    verify_signature(body, headers(key, body), cache, now=NOW)
    clock.now += 3601
    verify_signature(body, headers(key, body), cache, now=NOW)  # refresh failed: stale keys
    assert endpoint.calls == 2


def test_no_keys_at_all_is_transient_not_a_rejection(key: rsa.RSAPrivateKey) -> None:
    cache = JwksCache(JWKS_URL, Jwks(TransientError("down")), clock=Clock())
    body = real_body("v2_label_created_v2_webhook.real.json")
    with pytest.raises(TransientError):
        verify_signature(body, headers(key, body), cache, now=NOW)
    bad = JwksCache(JWKS_URL, Jwks({"not": "a key set"}), clock=Clock())
    with pytest.raises(TransientError):
        verify_signature(body, headers(key, body), bad, now=NOW)


def test_concurrent_verifications_fetch_once(key: rsa.RSAPrivateKey) -> None:
    endpoint = Jwks({"keys": [jwk(key, "key-1")]})
    cache = JwksCache(JWKS_URL, endpoint, clock=Clock())
    body = real_body("v2_label_created_v2_webhook.real.json")
    given = headers(key, body)
    failures: list[BaseException] = []

    def verify() -> None:
        try:
            verify_signature(body, given, cache, now=NOW)
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=verify) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # One fetch; a verification that arrived while it was in flight was told "try later"
    # (503) at once rather than queueing behind it.
    assert endpoint.calls == 1
    assert all(isinstance(f, TransientError) for f in failures) and len(failures) < 8
    verify_signature(body, given, cache, now=NOW)  # the keys are there now
    assert endpoint.calls == 1


def test_parse_jwks_keeps_rsa_signing_keys_only(key: rsa.RSAPrivateKey) -> None:
    keys = parse_jwks({"keys": [
        jwk(key, "sig"), jwk(key, "enc", use="enc"), jwk(key, "ps", alg="PS256"),
        {"kid": "ec", "kty": "EC", "crv": "P-256", "x": "a", "y": "b"},
        {k: v for k, v in jwk(key, "nokid").items() if k != "kid"},
        {k: v for k, v in jwk(key, "bare").items() if k not in ("use", "alg")},
    ]})
    assert set(keys) == {"sig", "bare"}
    assert keys["sig"].public_numbers() == key.public_key().public_numbers()
    with pytest.raises(UnexpectedResponse):
        parse_jwks({"keys": [dict(jwk(key, "x"), n="***")]})
    with pytest.raises(UnexpectedResponse):
        parse_jwks([])


def test_signature_error_is_typed_and_survives_pickling() -> None:
    error = SignatureError(404, "missing header(s): x-shipengine-timestamp")
    assert (error.status_code, error.reason, error.provider) == (
        404, "missing header(s): x-shipengine-timestamp", "shipstation")
    assert str(error) == (
        "webhook signature rejected (404): missing header(s): x-shipengine-timestamp")
    restored = pickle.loads(pickle.dumps(error))
    assert (restored.status_code, restored.reason) == (404, error.reason)


def test_jwks_url() -> None:
    assert jwks_url("https://api.shipstation.com/") == REAL_JWKS_URL
    assert REAL_JWKS_URL == "https://api.shipengine.com/jwks"
    assert jwks_url("http://127.0.0.1:8100/shipstation") == JWKS_URL
