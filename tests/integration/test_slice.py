"""The whole walking skeleton in one process over real loopback HTTP, on SQLite and PostgreSQL:
signed Shopify webhooks in, ShipStation order, label, Shopify fulfillment, Klaviyo event."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest
import sqlalchemy as sa

from shipflow.demo import NO_RULES, DemoEnvironment, make_environment
from shipflow.netutil import BackgroundServer, free_port
from shipflow.service import Service
from shipflow.store.queries import OrderView, order_view, summary
from shipflow.store.tables import orders
from shipflow_sandbox.app import create_app as create_sandbox_app
from tests.integration.webhooks import body_of, shopify_headers

TOKEN = "t0k-slice-" + "x" * 32


@pytest.fixture
def env(tmp_path: Path, database_url: str) -> DemoEnvironment:
    env = make_environment(tmp_path, free_port(), free_port(), rules=NO_RULES)
    env.settings = env.settings.with_overrides(database_url=database_url, api_token=TOKEN)
    return env


@pytest.fixture
def running(env: DemoEnvironment) -> Iterator[tuple[Service, httpx.Client]]:
    port = int(env.shipflow_url.rsplit(":", 1)[1])
    sandbox_port = int(env.sandbox_url.rsplit(":", 1)[1])
    with BackgroundServer(create_sandbox_app(env.sandbox_config), port=sandbox_port):
        service = Service.start(env.settings)
        try:
            with BackgroundServer(service.app, port=port), httpx.Client(timeout=30) as http:
                yield service, http
        finally:
            service.stop()


def wait_until(predicate: Any, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.2)


def shipped(service: Service) -> int:
    return int(summary(service.store.db).orders_by_state.get("shipped", 0))


def test_orders_go_all_the_way_to_order_shipped(env, running) -> None:
    service, http = running
    http.post(f"{env.sandbox_url}/_sandbox/shopify/orders", json={"count": 8}).raise_for_status()
    wait_until(lambda: shipped(service) == 8)
    theirs = http.get(f"{env.sandbox_url}/_sandbox/summary").json()
    assert theirs["shipstation"]["orders"] == 8
    assert theirs["shopify"]["fulfillments_with_tracking"] == 8
    assert theirs["klaviyo"]["events_by_metric"]["Order Shipped"] == 8

    events = http.get(f"{env.sandbox_url}/_sandbox/klaviyo/events").json()
    event = events[0] if isinstance(events, list) else events["events"][0]
    order_id = int(event["properties"]["OrderId"])
    view = http.get(f"{env.shipflow_url}/api/orders/{order_id}",
                    headers={"Authorization": f"Bearer {TOKEN}"}).json()
    assert view["state"] == "shipped"
    [shipment] = view["shipments"]
    assert shipment["tracking_number"] == event["properties"]["TrackingNumber"]
    assert shipment["tracking_url"] == event["properties"]["TrackingUrl"]
    assert shipment["shopify_fulfillment_id"].startswith("gid://shopify/Fulfillment/")
    kinds = [e["kind"] for e in view["timeline"]]
    assert kinds[0] == "received" and kinds[-1] == "shipped"
    assert {"in_shipstation", "label_printed", "fulfilled"} <= set(kinds)

    sandbox_order = http.get(f"{env.sandbox_url}/_sandbox/shopify/orders/{order_id}").json()
    assert shipment["tracking_number"] in str(sandbox_order)


def test_same_webhook_three_times_gives_one_of_everything(env, running) -> None:
    service, http = running
    created = http.post(f"{env.sandbox_url}/_sandbox/shopify/orders",
                        json={"count": 1, "deliver": False}).json()
    order_id = created["orders"][0]["id"]
    order = http.get(f"{env.sandbox_url}/_sandbox/shopify/orders/{order_id}").json()["order"]
    body = body_of(order)
    headers = shopify_headers(body, "orders/paid", secret=env.settings.shopify_webhook_secret,
                              webhook_id="6f0b5c2e-1c9e-4d55-9a0e-3c1d2b4a5e6f",
                              shop=env.sandbox_config.shop_domain)
    answers = [http.post(f"{env.shipflow_url}/webhooks/shopify", content=body,
                         headers=headers).json()["status"] for _ in range(3)]
    assert answers == ["accepted", "duplicate", "duplicate"]
    wait_until(lambda: shipped(service) == 1)
    time.sleep(1.0)  # give a wrongly started second run the time to show itself
    theirs = http.get(f"{env.sandbox_url}/_sandbox/summary").json()
    assert theirs["shipstation"]["orders"] == 1
    assert theirs["shopify"]["fulfillments"] == 1
    assert theirs["klaviyo"]["events"] == 1
    assert theirs["klaviyo"]["duplicates_dropped"] == 0


def test_carrier_scans_reach_shipflow_signed_and_move_parcels_to_delivered(
        tmp_path: Path, database_url: str) -> None:
    """A day lasts a second: the sandbox's carriers scan each parcel to the door and send
    RSA-signed TRACK_EVENT_V2 webhooks, which shipflow verifies against the sandbox's JWKS."""
    env = make_environment(tmp_path, free_port(), free_port(), time_scale=86_400, rules=NO_RULES)
    env.sandbox_config.carrier_outcome = "delivered"  # no exceptions in this run
    env.settings = env.settings.with_overrides(database_url=database_url)
    port = int(env.shipflow_url.rsplit(":", 1)[1])
    with BackgroundServer(create_sandbox_app(env.sandbox_config),
                          port=int(env.sandbox_url.rsplit(":", 1)[1])):
        service = Service.start(env.settings)
        try:
            with BackgroundServer(service.app, port=port), httpx.Client(timeout=30) as http:
                http.post(f"{env.sandbox_url}/_sandbox/shopify/orders",
                          json={"count": 4}).raise_for_status()

                def delivered() -> list[OrderView]:
                    with service.store.db.engine.connect() as conn:
                        ids = conn.execute(sa.select(orders.c.shopify_order_id)).scalars().all()
                    views = [order_view(service.store.db, int(i)) for i in ids]
                    return [v for v in views if v and v.shipments
                            and v.shipments[0].milestone == "delivered"]

                wait_until(lambda: len(delivered()) == 4, timeout=90)
                for view in delivered():
                    kinds = [e.kind for e in view.timeline]
                    assert kinds.count("tracking:delivered") == 1
                    assert kinds.index("tracking:in_transit") < kinds.index("tracking:delivered")
                deliveries = http.get(f"{env.sandbox_url}/_sandbox/deliveries",
                                      params={"provider": "shipstation_v2"}).json()
                assert deliveries, "the sandbox sent tracking webhooks"
        finally:
            service.stop()
