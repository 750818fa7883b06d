"""ShipStation v2 webhooks through the real route: RSA-SHA256 signatures checked against keys
fetched over HTTP from a JWKS endpoint; tampered, stale, unsigned and unknown-key deliveries
refused and kept; a valid tracking update starts its work once."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from shipflow.config import Settings
from shipflow.netutil import BackgroundServer
from shipflow.store import Store
from shipflow.store.tables import webhook_inbox
from shipflow.web.app import create_app
from tests.conftest import FIXTURES
from tests.integration.conftest import RecordingStarter

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
KID = "test-key-1"


def _b64url(n: int) -> str:
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwks_app() -> Starlette:
    numbers = KEY.public_key().public_numbers()
    document = {"keys": [{"kid": KID, "kty": "RSA", "alg": "RS256", "use": "sig",
                          "n": _b64url(numbers.n), "e": _b64url(numbers.e)}]}

    async def jwks(_request: Any) -> JSONResponse:
        return JSONResponse(document)

    return Starlette(routes=[Route("/shipstation/jwks", jwks)])


def body() -> bytes:
    data = json.loads((FIXTURES / "shipstation" / "v2_track_event_v2_ups_delivered.real.json")
                      .read_text())
    data.pop("_captured_at")  # a fixture-repo convention, not sent by ShipStation
    return json.dumps(data).encode()


def signed(raw: bytes, *, at: datetime | None = None, kid: str = KID,
           key: rsa.RSAPrivateKey = KEY) -> dict[str, str]:
    stamp = (at or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ")
    signature = key.sign(stamp.encode() + b"." + raw, padding.PKCS1v15(), hashes.SHA256())
    return {"Content-Type": "application/json", "x-shipengine-rsa-sha256-key-id": kid,
            "x-shipengine-rsa-sha256-signature": base64.b64encode(signature).decode(),
            "x-shipengine-timestamp": stamp}


@pytest.fixture
def client(store: Store, starter: RecordingStarter) -> Iterator[TestClient]:
    with BackgroundServer(jwks_app()) as keys_server:
        settings = Settings(shipstation_v2_base_url=f"{keys_server.url}/shipstation")
        with TestClient(create_app(settings, store, starter)) as c:
            yield c


def statuses(store: Store) -> list[tuple[str, int]]:
    with store.db.engine.connect() as conn:
        return [(r.status, r.http_status) for r in conn.execute(
            sa.select(webhook_inbox).order_by(webhook_inbox.c.id))]


def test_signed_tracking_update_starts_once(client, store, starter) -> None:
    raw = body()
    first = client.post("/webhooks/shipstation-v2", content=raw, headers=signed(raw))
    again = client.post("/webhooks/shipstation-v2", content=raw, headers=signed(raw))
    assert first.status_code == 200 and first.json()["status"] == "accepted"
    assert again.json()["status"] == "duplicate"
    [update] = starter.tracking
    assert update.tracking_number == "1ZXXXG2702XXXXX791" and update.status_code.value == "DE"
    assert statuses(store) == [("accepted", 200)]


def test_tampered_body_is_401(client, store, starter) -> None:
    raw = body()
    headers = signed(raw)
    response = client.post("/webhooks/shipstation-v2", content=raw.replace(b"ROYAL OAK", b"DETROIT"),
                           headers=headers)
    assert response.status_code == 401
    assert starter.tracking == [] and statuses(store) == [("rejected", 401)]


def test_stale_timestamp_is_400(client, store, starter) -> None:
    raw = body()
    old = datetime.now(timezone.utc) - timedelta(minutes=6)
    response = client.post("/webhooks/shipstation-v2", content=raw, headers=signed(raw, at=old))
    assert response.status_code == 400 and "timestamp" in response.json()["error"].lower()
    assert starter.tracking == []


def test_unsigned_is_404_as_the_docs_say(client, store, starter) -> None:
    response = client.post("/webhooks/shipstation-v2", content=body(),
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 404
    assert starter.tracking == [] and statuses(store) == [("rejected", 404)]


def test_unknown_key_or_other_signer_is_401(client, starter) -> None:
    raw = body()
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    unknown_kid = client.post("/webhooks/shipstation-v2", content=raw,
                              headers=signed(raw, kid="nobody"))
    other_key = client.post("/webhooks/shipstation-v2", content=raw,
                            headers=signed(raw, key=stranger))
    assert unknown_kid.status_code == 401 and other_key.status_code == 401
    assert starter.tracking == []
