"""Signed ShipStation v2 webhooks: JWKS, RSA signatures, headers, payloads, key rotation."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime

import httpx
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from sandbox_helpers import fixture_json, wait_until
from v2_helpers import V2

STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def b64url_int(text: str) -> int:
    assert "=" not in text and "+" not in text and "/" not in text
    return int.from_bytes(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)), "big")


def public_keys(sandbox) -> dict[str, rsa.RSAPublicKey]:
    jwks = httpx.get(sandbox.url("/shipstation/v2/jwks")).json()
    assert jwks == httpx.get(sandbox.url("/shipstation/jwks")).json()
    keys = {}
    for jwk in jwks["keys"]:
        assert set(jwk) == {"kid", "kty", "alg", "use", "n", "e"}
        assert (jwk["kty"], jwk["alg"], jwk["use"]) == ("RSA", "RS256", "sig")
        assert re.fullmatch(r"sandbox-[0-9a-f]{16}", jwk["kid"])
        numbers = rsa.RSAPublicNumbers(b64url_int(jwk["e"]), b64url_int(jwk["n"]))
        keys[jwk["kid"]] = numbers.public_key()
        assert keys[jwk["kid"]].key_size == 2048
    return keys


def verify(keys, headers, body: bytes) -> bool:
    key = keys[headers["x-shipengine-rsa-sha256-key-id"]]
    message = headers["x-shipengine-timestamp"].encode() + b"." + body
    signature = base64.b64decode(headers["x-shipengine-rsa-sha256-signature"])
    try:
        key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


@pytest.fixture
def signed(make_sandbox, receiver):
    sandbox = make_sandbox(time_scale=86400 * 20, carrier_outcome="on_time",
                           shipstation_v2_webhook_urls=[receiver.url("/webhooks/shipstation-v2")])
    return sandbox, receiver


def test_webhooks_are_signed_with_the_published_key(signed):
    sandbox, receiver = signed
    label = V2(sandbox).label()
    wait_until(lambda: any(json.loads(r.body).get("data", {}).get("status_code") == "DE"
                           for r in receiver.received), timeout=5)
    keys = public_keys(sandbox)
    for delivery in receiver.received:
        headers = delivery.headers
        assert headers["user-agent"] == "ShipEngine/v1"
        assert headers["content-type"] == "application/json"
        assert STAMP.match(headers["x-shipengine-timestamp"])
        sent = datetime.strptime(headers["x-shipengine-timestamp"], "%Y-%m-%dT%H:%M:%SZ")
        assert abs((datetime.now(UTC).replace(tzinfo=None) - sent).total_seconds()) < 300
        assert verify(keys, headers, delivery.body)
        tampered = delivery.body.replace(b'"resource_type"', b'"resource_typo"')
        assert not verify(keys, headers, tampered)
        assert not verify(keys, {**headers, "x-shipengine-timestamp": "2024-04-04T15:48:44Z"},
                          delivery.body)
    bodies = [json.loads(r.body) for r in receiver.received]
    created = [b for b in bodies if b["resource_type"] == "LABEL_CREATED_V2"]
    assert created == [{"resource_url": sandbox.url(
        f"/shipstation/v2/labels?batch_id={label['batch_id']}"), "resource_type": "LABEL_CREATED_V2"}]
    tracks = [b for b in bodies if b["resource_type"] == "TRACK_EVENT_V2"]
    real = fixture_json("shipstation/v2_track_event_v2_ups_delivered.real.json")
    assert set(tracks[0]) == set(real) - {"_captured_at"}
    assert tracks[0]["resource_url"] == sandbox.url(f"/shipstation/v2/labels/{label['label_id']}"
                                                    "/track")
    counts = [len(b["data"]["events"]) for b in tracks]
    assert counts == sorted(counts) and counts[0] == 1  # cumulative
    last = tracks[-1]["data"]["events"]
    assert [e["occurred_at"] for e in last] == sorted((e["occurred_at"] for e in last),
                                                      reverse=True)  # newest first
    assert tracks[-1]["data"] == V2(sandbox).track(label["label_id"])


def test_rotating_the_key_signs_new_webhooks_with_the_new_key(signed):
    sandbox, receiver = signed
    before = set(public_keys(sandbox))
    rotated = httpx.post(sandbox.url("/_sandbox/shipstation/rotate-key")).json()
    keys = public_keys(sandbox)
    assert rotated["kid"] not in before and set(keys) == before | {rotated["kid"]}
    assert list(keys)[0] == rotated["kid"]
    V2(sandbox).label()
    wait_until(lambda: receiver.received, timeout=5)
    first = receiver.received[0]
    assert first.headers["x-shipengine-rsa-sha256-key-id"] == rotated["kid"]
    assert verify(keys, first.headers, first.body)


def test_custom_headers_are_sent_and_hidden_in_the_controls(make_sandbox, receiver):
    sandbox = make_sandbox(time_scale=86400 * 20)
    v2 = V2(sandbox)
    v2.request("POST", "/v2/environment/webhooks", json={
        "url": receiver.url("/hook"), "event": "label_created_v2",
        "headers": [{"key": "X-Shared-Secret", "value": "hunter2"}]})
    v2.label()
    wait_until(lambda: receiver.received)
    assert receiver.received[0].headers["x-shared-secret"] == "hunter2"
    deliveries = httpx.get(sandbox.url("/_sandbox/deliveries"),
                           params={"provider": "shipstation_v2"}).json()["deliveries"]
    assert deliveries and all(d["headers"]["X-Shared-Secret"] == "***" for d in deliveries)
