"""The ShipStation v2 client and webhook verifier against the sandbox over loopback: rate,
buy, list, void, subscribe; then every signed delivery verifies with the sandbox's JWKS and
parses, and the parcel's tracking ends delivered.

Skipped when the sandbox package is not importable (it is optional for the provider contract).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any, Callable, Iterator

import httpx
import pytest

from shipflow.domain.order import Address
from shipflow.domain.tracking_events import TrackingMilestone, TrackingStatus, read_scan
from shipflow.providers.errors import RejectedRequest
from shipflow.providers.shipstation_v2 import (
    JwksCache,
    ShipStationV2Client,
    jwks_fetcher,
    parse_webhook,
    verify_signature,
    wire,
)
from shipflow.providers.shipstation_v2.webhooks import jwks_url
from shipflow.providers.shopify import parse_order

sandbox_module = pytest.importorskip("shipflow_sandbox", exc_type=ImportError)
starlette_requests = pytest.importorskip("starlette.requests")
starlette_responses = pytest.importorskip("starlette.responses")
starlette_routing = pytest.importorskip("starlette.routing")
starlette_applications = pytest.importorskip("starlette.applications")

WAREHOUSE = Address(name="Shipflow", company="Shipflow", address1="4009 Marathon Blvd",
                    city="Austin", province_code="TX", zip="78756", country_code="US",
                    phone="+1 512-555-0100")


@dataclass
class Receiver:
    """Our webhook endpoint, recording each delivery's headers and raw body."""

    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)

    def app(self) -> Any:
        async def webhook(request: Any) -> Any:
            self.received.append((dict(request.headers), await request.body()))
            return starlette_responses.Response(status_code=204)

        return starlette_applications.Starlette(routes=[
            starlette_routing.Route("/webhooks/shipstation-v2", webhook, methods=["POST"])])


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.fixture(scope="module")
def receiver() -> Iterator[tuple[Receiver, str]]:
    receiver = Receiver()
    server = sandbox_module.ThreadedServer(receiver.app()).start()
    try:
        yield receiver, server.base_url + "/webhooks/shipstation-v2"
    finally:
        server.stop()


@pytest.fixture(scope="module")
def sandbox(receiver: tuple[Receiver, str]) -> Iterator[Any]:
    config = sandbox_module.SandboxConfig(time_scale=86400 * 20, carrier_outcome="on_time",
                                          shipstation_v2_webhook_urls=[receiver[1]])
    with sandbox_module.running_sandbox(config) as running:
        yield running


def test_rate_buy_track_and_verify_webhooks(sandbox: Any,
                                            receiver: tuple[Receiver, str]) -> None:
    inbox, _ = receiver
    config, base = sandbox.config, sandbox.base_url + "/shipstation"
    placed = httpx.post(sandbox.url("/_sandbox/shopify/orders"), json={"count": 1}).json()
    order_id = placed["orders"][0]["id"]
    rest = httpx.get(sandbox.url(f"/_sandbox/shopify/orders/{order_id}")).json()["order"]
    order = parse_order(rest, config.shop_domain)

    with ShipStationV2Client(base, config.shipstation_v2_api_key) as ss:
        carriers = ss.carriers()
        assert carriers and all(c.carrier_id.startswith("se-") for c in carriers)
        shipment = wire.shipment_request(
            order, WAREHOUSE, [wire.Package(max(order.total_grams, 100))],
            external_shipment_id=f"{order_id}-1", ship_date=date.today())
        rates = ss.rates(shipment, [c.carrier_id for c in carriers])
        assert rates and rates == sorted(rates, key=lambda r: r.total.amount)
        label = ss.label_from_rate(rates[0].rate_id)
        assert label.status == "completed" and label.tracking_number
        assert ss.get_label(label.label_id).tracking_number == label.tracking_number
        assert [lb.label_id for lb in ss.labels(shipment_id=label.shipment_id)] == [
            label.label_id]
        assert ss.shipment_id_for(f"{order_id}-1") == label.shipment_id
        assert ss.shipment_id_for(f"{order_id}-unknown") is None

        test_label = ss.create_label(
            dict(shipment, external_shipment_id=f"{order_id}-2", carrier_id=rates[0].carrier_id,
                 service_code=rates[0].service_code), test_label=True)
        assert ss.void_label(test_label.label_id).approved

        hook = ss.create_webhook("track", "https://shipflow.example/webhooks/shipstation-v2",
                                 {"X-Shipflow-Token": "s3cret"})
        assert hook.webhook_id in [h.webhook_id for h in ss.list_webhooks()]
        ss.delete_webhook(hook.webhook_id)
        with pytest.raises(RejectedRequest):
            ss.rates(shipment, ["se-0"])  # not a carrier of this account

        def delivered() -> bool:
            return any(b"TRACK_EVENT_V2" in body and b'"status_code":"DE"' in body.replace(
                b" ", b"") for _, body in inbox.received)

        wait_until(delivered)
        keys = JwksCache(jwks_url(base), jwks_fetcher())
        tracked = []
        for headers, body in list(inbox.received):
            verify_signature(body, headers, keys, now=datetime.now(timezone.utc))
            webhook = parse_webhook(body)
            if webhook.resource_type == "LABEL_CREATED_V2":
                labels = ss.labels_from_resource(webhook.resource_url)
                assert label.label_id in [lb.label_id for lb in labels] or (
                    test_label.label_id in [lb.label_id for lb in labels])
            elif webhook.tracking is not None and (
                    webhook.tracking.tracking_number == label.tracking_number):
                tracked.append(webhook.tracking)
        final = max(tracked, key=lambda t: len(t.scans))
        assert final.status_code is TrackingStatus.DELIVERED
        assert final.label_id == label.label_id
        assert read_scan(final.scans[-1]).milestone is TrackingMilestone.DELIVERED
        polled = ss.track(label.label_id)
        assert polled.status_code is TrackingStatus.DELIVERED
        assert [s.key for s in polled.scans] == [s.key for s in final.scans]
