"""ShipStation webhooks that passed their signature (v2) or token (v1) but would not fit the
tables, on SQLite and PostgreSQL (where an overflowing column fails): 400 naming the field's
path, the delivery kept as rejected, nothing started; and a storage failure is 503, so
ShipStation delivers again.

v2 tracking (TRACK_EVENT_V2) carries the parcel's data inline; v2 label webhooks and v1
pointers are filed by their `resource_type` (and the v1 `resource_url`, which also names the
label workflow)."""

from __future__ import annotations

import copy
import json
from typing import Any, Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from shipflow.config import Settings
from shipflow.netutil import BackgroundServer
from shipflow.store import Store
from shipflow.store.tables import webhook_inbox
from shipflow.web.app import create_app
from tests.conftest import FIXTURES
from tests.integration.conftest import RecordingStarter
from tests.integration.test_intake_v2 import jwks_app, signed

SS_BASE = "http://127.0.0.1:8100/shipstation"
TOKEN = "tok-limits"


@pytest.fixture
def client(store: Store, starter: RecordingStarter) -> Iterator[TestClient]:
    with BackgroundServer(jwks_app()) as keys_server:
        settings = Settings(shipstation_v2_base_url=f"{keys_server.url}/shipstation",
                            shipstation_base_url=SS_BASE, shipstation_webhook_token=TOKEN)
        with TestClient(create_app(settings, store, starter)) as c:
            yield c


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / "shipstation" / name).read_text())
    data.pop("_captured_at")
    return data


TRACK = fixture("v2_track_event_v2_ups_delivered.real.json")
LABEL = fixture("v2_label_created_v2_webhook.real.json")


def track(**data: Any) -> dict[str, Any]:
    payload = copy.deepcopy(TRACK)
    payload["data"].update(data)
    return payload


def event(index: int, **changes: Any) -> dict[str, Any]:
    payload = copy.deepcopy(TRACK)
    payload["data"]["events"][index].update(changes)
    return payload


def nested(levels: int) -> Any:
    value: Any = "deep"
    for _ in range(levels):
        value = {"x": value}
    return value


def rows(store: Store) -> list[sa.Row[Any]]:
    with store.db.engine.connect() as conn:
        return list(conn.execute(sa.select(webhook_inbox).order_by(webhook_inbox.c.id)))


def raw(payload: Any) -> bytes:
    return payload if isinstance(payload, bytes) else json.dumps(payload).encode()


def post_v2(client: TestClient, payload: Any) -> Any:
    body = raw(payload)
    return client.post("/webhooks/shipstation-v2", content=body, headers=signed(body))


V2_CASES: list[tuple[str, Any, str]] = [
    ("long tracking number", track(tracking_number="1Z" + "9" * 127), "data.tracking_number"),
    ("long carrier code", track(carrier_code="c" * 65), "data.carrier_code"),
    ("long tracking url", track(tracking_url="https://t.example/" + "q" * 1024),
     "data.tracking_url"),
    ("estimate in year 9999", track(estimated_delivery_date="9999-12-31T00:00:00Z"),
     "data.estimated_delivery_date"),
    ("delivered in 1970", track(actual_delivery_date="1970-01-01T00:00:00Z"),
     "data.actual_delivery_date"),
    ("a scan in year 1", event(1, occurred_at="0001-01-01T00:00:00+14:00"),
     "data.events[1].occurred_at"),
    ("NUL in a scan's city", event(2, city_locality="ROYAL\u0000OAK"),
     "data.events[2].city_locality"),
    ("lone surrogate in a description", event(0, description="Deliv\ud800ered"),
     "data.events[0].description"),
    ("a huge unread string", track(exception_description="x" * 5000),
     "data.exception_description"),
    ("absurdly many scans", track(events=[dict(TRACK["data"]["events"][0],
                                               occurred_at=f"2026-09-03T{h % 24:02d}:"
                                                           f"{h // 24 % 60:02d}:{h % 60:02d}Z")
                                          for h in range(1001)]),
     "data.events"),
    ("deep nesting", track(carrier_detail_code=nested(40)), "data.carrier_detail_code"),
    # deep enough that the JSON parser may give up (RecursionError), or else the depth check
    ("nesting past the parser", json.dumps(LABEL).encode()[:-1] + b', "extra": '
     + b'{"x": ' * 5000 + b"1" + b"}" * 5001, "nested"),
    ("a label webhook's long resource type", dict(LABEL, resource_type="LABEL_" + "X" * 128),
     "resource_type"),
    ("a label webhook nested deep", dict(LABEL, extra=nested(40)), "extra"),
]


@pytest.mark.parametrize(("what", "payload", "path"), V2_CASES, ids=[c[0] for c in V2_CASES])
def test_a_v2_webhook_that_does_not_fit_is_400_with_its_path_and_kept(
        client, store, starter, what, payload, path) -> None:
    body = raw(payload)
    answers = [post_v2(client, body) for _ in range(2)]
    for answer in answers:  # ShipStation's retry is answered alike
        assert answer.status_code == 400, (what, answer.text)
        assert path in answer.json()["error"], (what, answer.json())
    assert starter.tracking == []
    [row] = rows(store)  # kept once, with its body, for an operator to see
    assert (row.status, row.http_status, row.authenticated) == ("rejected", 400, True)
    assert bytes(row.body) == body[:64 * 1024] and row.body_size == len(body)


def test_real_v2_webhooks_still_go_through(client, store, starter) -> None:
    assert post_v2(client, TRACK).json()["status"] == "accepted"
    assert post_v2(client, LABEL).json()["status"] == "stored"
    assert [(r.status, r.topic) for r in rows(store)] == [("accepted", "TRACK_EVENT_V2"),
                                                          ("accepted", "LABEL_CREATED_V2")]
    [update] = starter.tracking
    assert update.tracking_number == "1ZXXXG2702XXXXX791"


def pointer(url: str = f"{SS_BASE}/shipments?storeID=1&batchId=12345",
            kind: str = "SHIP_NOTIFY", **extra: Any) -> dict[str, Any]:
    return {"resource_url": url, "resource_type": kind, **extra}


V1_CASES: list[tuple[str, Any, str]] = [
    ("a resource url longer than the inbox keeps",
     pointer(f"{SS_BASE}/shipments?batchId=1&pad=" + "p" * 230), "resource_url"),
    ("a long resource type", pointer(kind="SHIP_" + "X" * 124), "resource_type"),
    ("NUL in the resource type", pointer(kind="SHIP\u0000NOTIFY"), "resource_type"),
    ("deep nesting", pointer(extra=nested(40)), "extra"),
    ("a huge unread string", pointer(note="n" * 5000), "note"),
]


@pytest.mark.parametrize(("what", "payload", "path"), V1_CASES, ids=[c[0] for c in V1_CASES])
def test_a_v1_pointer_that_does_not_fit_is_400_with_its_path_and_kept(
        client, store, starter, what, payload, path) -> None:
    body = raw(payload)
    answers = [client.post(f"/webhooks/shipstation/{TOKEN}", content=body) for _ in range(2)]
    for answer in answers:
        assert answer.status_code == 400, (what, answer.text)
        assert path in answer.json()["error"], (what, answer.json())
    assert starter.pointers == []
    [row] = rows(store)
    assert (row.status, row.http_status, row.authenticated) == ("rejected", 400, True)
    assert bytes(row.body) == body


def test_pointers_that_fit_are_filed_even_near_the_limits(client, store, starter) -> None:
    """A SHIP_NOTIFY URL as long as the workflow id allows starts its work; an ORDER_NOTIFY
    whose type and URL together pass the delivery id's length is still kept, once."""
    longest = f"{SS_BASE}/shipments?batchId=1&pad="
    longest += "p" * (255 - len("ship-notify:") - len(longest))
    ship = client.post(f"/webhooks/shipstation/{TOKEN}", content=raw(pointer(longest)))
    assert ship.json()["status"] == "accepted"
    assert starter.pointers == [longest]
    order_url = f"{SS_BASE}/orders?importBatch=" + "b" * 200
    answers = [client.post(f"/webhooks/shipstation/{TOKEN}",
                           content=raw(pointer(order_url, "ORDER_NOTIFY"))) for _ in range(2)]
    assert [a.json()["status"] for a in answers] == ["ignored", "ignored"]
    assert [(r.status, r.topic) for r in rows(store)] == [("accepted", "SHIP_NOTIFY"),
                                                          ("accepted", "ORDER_NOTIFY")]


def test_a_storage_failure_is_503(client, store, starter, monkeypatch) -> None:
    def refuse(*_args: Any, **_kw: Any) -> Any:
        raise OperationalError("INSERT", {}, Exception("the database is away"))

    monkeypatch.setattr(store.inbox, "accept", refuse)
    monkeypatch.setattr(store.inbox, "reject", refuse)
    answers = [post_v2(client, TRACK), post_v2(client, LABEL),
               post_v2(client, track(carrier_code="c" * 65)),  # cannot be kept: again later
               client.post(f"/webhooks/shipstation/{TOKEN}", content=raw(pointer())),
               client.post(f"/webhooks/shipstation/{TOKEN}",
                           content=raw(pointer(kind="SHIP_" + "X" * 124)))]
    assert [a.status_code for a in answers] == [503] * 5
    assert starter.tracking == [] and starter.pointers == []
