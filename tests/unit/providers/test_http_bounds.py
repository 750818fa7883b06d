"""Every provider response is read under a byte cap and an overall deadline (issue 10,
finding 2), in the shared `HttpSession`, so each client gets them."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from shipflow.providers import http
from shipflow.providers.errors import DeadlineExceeded, ResponseTooLarge, TransientError
from shipflow.providers.klaviyo.client import KlaviyoClient

from .helpers import FAST_RETRY, FakeClock, Script, seeded
from .test_shipstation_client import BASE, client, limits, page, shipment


class Trickle(httpx.SyncByteStream):
    """A body that arrives in `chunks`, each `seconds` (fake time) after the last."""

    def __init__(self, chunks: list[bytes], clock: FakeClock, seconds: float) -> None:
        self.chunks, self.clock, self.seconds = chunks, clock, seconds
        self.sent = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.chunks:
            self.clock.now += self.seconds
            self.sent += 1
            yield chunk


class Endless(httpx.SyncByteStream):
    """A body that never ends; counts the chunks anyone pulled."""

    def __init__(self) -> None:
        self.pulled = 0

    def __iter__(self) -> Iterator[bytes]:
        while True:
            self.pulled += 1
            yield b"x" * 65536


def session(script: Script, clock: FakeClock, **bounds: object) -> http.HttpSession:
    raw = http.build_client("http://provider.test/", transport=script.transport)
    return http.HttpSession("test", raw, lambda r: http.raise_for_status("test", r, "x"),
                            retry=FAST_RETRY, clock=clock, rng=seeded(), **bounds)  # type: ignore[arg-type]


def test_an_endless_body_stops_at_the_cap() -> None:
    stream = Endless()
    script = Script([lambda request: httpx.Response(200, stream=stream)])
    with pytest.raises(ResponseTooLarge, match="over the cap of 1048576 bytes"):
        session(script, FakeClock(), max_bytes=1024 * 1024).request("GET", "x", idempotent=True)
    assert stream.pulled <= 1024 * 1024 // 65536 + 1
    assert len(script.requests) == 1  # the same answer again would not help


def test_a_declared_length_over_the_cap_is_refused_before_reading() -> None:
    stream = Endless()
    script = Script([lambda request: httpx.Response(
        200, stream=stream, headers={"Content-Length": str(10**9)})])
    with pytest.raises(ResponseTooLarge, match="declares 1000000000 bytes"):
        session(script, FakeClock(), max_bytes=1000).request("GET", "x", idempotent=True)
    assert stream.pulled == 0


def test_a_body_that_trickles_past_the_deadline_is_transient_and_retried() -> None:
    clock = FakeClock()
    slow = [Trickle([b'{"a":', b' 1', b"}"], clock, 50.0)]
    fast = Trickle([b'{"a": 2}'], clock, 0.0)

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=slow.pop() if slow else fast)

    script = Script([answer])
    response = session(script, clock, deadline=120.0).request("GET", "x", idempotent=True)
    assert response.json() == {"a": 2} and len(script.requests) == 2


def test_the_deadline_is_raised_as_transient_for_a_write() -> None:
    clock = FakeClock()
    script = Script([lambda r: httpx.Response(200, stream=Trickle([b"{}"] * 5, clock, 40.0))])
    with pytest.raises(DeadlineExceeded) as caught:
        session(script, clock, deadline=120.0).request("POST", "x", idempotent=False, json={})
    assert isinstance(caught.value, TransientError) and caught.value.code == "DeadlineExceeded"
    assert len(script.requests) == 1  # a write that may have landed is not sent again


def test_fetch_resource_is_bounded() -> None:
    body = json.dumps(page([shipment(n) for n in range(1, 200)], 1, 1)).encode()
    script = Script([lambda request: httpx.Response(200, stream=httpx.ByteStream(body),
                                                    headers=limits())])
    ss = client(script)
    ss._session.max_bytes = 4096
    with pytest.raises(ResponseTooLarge):
        ss.fetch_resource(f"{BASE}/shipments?batchId=1&includeShipmentItems=False")
    clock = FakeClock()
    trickle = Script([lambda request: httpx.Response(
        200, stream=Trickle([body[:100], body[100:]], clock, 100.0), headers=limits())])
    with pytest.raises(DeadlineExceeded):
        client(trickle, clock).fetch_resource(
            f"{BASE}/shipments?batchId=1&includeShipmentItems=False")


def test_within_bounds_nothing_changes() -> None:
    clock = FakeClock()
    body = json.dumps(page([shipment(1)], 1, 1)).encode()
    script = Script([lambda request: httpx.Response(
        200, stream=Trickle([body[:10], body[10:]], clock, 1.0), headers=limits())])
    assert len(client(script, clock).fetch_resource(
        f"{BASE}/shipments?batchId=1&includeShipmentItems=False")) == 1


def test_every_client_uses_the_bounded_session() -> None:
    klaviyo = KlaviyoClient("http://127.0.0.1:8100/klaviyo", "pk_test",
                            transport=httpx.MockTransport(lambda r: httpx.Response(200)))
    for session_ in (klaviyo._events, klaviyo._bulk, klaviyo._profiles):
        assert session_.max_bytes == http.DEFAULT_MAX_RESPONSE_BYTES
        assert session_.deadline == http.DEFAULT_DEADLINE
