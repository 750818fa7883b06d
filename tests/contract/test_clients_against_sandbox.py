"""The three clients against the sandbox over loopback: the walking skeleton's calls, in order."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any, Iterator

import httpx
import pytest

from shipflow.domain import keys, messages
from shipflow.domain.tracking import tracking_info
from shipflow.providers.errors import AuthenticationError
from shipflow.providers.klaviyo import KlaviyoClient, profile_from_order
from shipflow.providers.shipstation import ShipStationClient, order_request
from shipflow.providers.shopify import ShopifyClient, parse_order
from shipflow_sandbox import config as sandbox_config
from shipflow_sandbox import server as sandbox_server
from tests.unit.domain.factories import a_milestone_event


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Any]:
    # A 3-request ShipStation window of 60 simulated seconds = 1 real second, to watch the
    # client wait for the reset instead of running into 429s.
    config = sandbox_config.SandboxConfig(shipstation_rate_limit=3, time_scale=60.0)
    with sandbox_server.running_sandbox(config) as running:
        yield running


def test_order_to_label_to_fulfillment_to_event(sandbox: Any) -> None:
    config, base = sandbox.config, sandbox.base_url
    placed = httpx.post(sandbox.url("/_sandbox/shopify/orders"), json={"count": 1}).json()
    order_id = placed["orders"][0]["id"]
    rest = httpx.get(sandbox.url(f"/_sandbox/shopify/orders/{order_id}")).json()["order"]
    order = parse_order(rest, config.shop_domain)
    assert order.shopify_order_id == order_id and order.is_paid

    with ShopifyClient(f"{base}/shopify", config.shopify_access_token) as shop, \
            ShipStationClient(f"{base}/shipstation", config.shipstation_api_key,
                              config.shipstation_api_secret) as ss, \
            KlaviyoClient(f"{base}/klaviyo", config.klaviyo_api_key) as klaviyo:
        key = keys.shipstation_order_key(order.shopify_order_id)
        created = ss.create_order(order_request(order, order_key=key))
        again = ss.create_order(order_request(order, order_key=key))
        assert again["orderId"] == created["orderId"]  # an upsert, not a second order

        shipped = httpx.post(sandbox.url("/_sandbox/shipstation/ship"),
                             json={"orderIds": [created["orderId"]]}).json()
        batch = shipped["batches"][0]["batchId"]
        resource = f"{base}/shipstation/shipments?batchId={batch}&includeShipmentItems=False"
        [shipment] = ss.fetch_resource(resource)
        assert shipment.shopify_order_id == order.shopify_order_id
        assert shipment.items  # fetched with includeShipmentItems=true

        fulfillment_orders = shop.fulfillment_orders(order.gid)
        assert fulfillment_orders and all(fo.status == "OPEN" for fo in fulfillment_orders)
        assert shop.order_fulfillments(order.gid) == []
        tracking = tracking_info(shipment.carrier_code, shipment.tracking_number)
        fulfillment = shop.create_fulfillment([fo.id for fo in fulfillment_orders], tracking)
        assert fulfillment.tracking_numbers == (shipment.tracking_number,)
        [found] = shop.order_fulfillments(order.gid)
        assert found.id == fulfillment.id
        shop.add_tags(order.gid, ["shipflow:shipped"])

        event = messages.order_shipped(order, shipment, tracking, datetime.now(timezone.utc))
        klaviyo.create_event(event)
        klaviyo.create_events_bulk([event])
        recorded = httpx.get(sandbox.url("/_sandbox/klaviyo/events"),
                             params={"metric": "Order Shipped"}).json()["events"]
        assert [e["unique_id"] for e in recorded] == [event.unique_id]  # deduplicated


def carrier_calls(sandbox: Any) -> int:
    counts = httpx.get(sandbox.url("/_sandbox/summary")).json()["requests"]
    return sum(n for name, n in counts.items() if name.startswith("shipstation GET")
               and name.endswith("/carriers"))


def test_shipstation_budget_waits_for_the_window(sandbox: Any) -> None:
    """Once a client has seen the rate headers it waits for the reset instead of drawing a 429.
    (Its very first call may still meet one: the window is per key, and other clients used it;
    that is the seam for a shared `RateBudget`.)"""
    config, base = sandbox.config, sandbox.base_url
    with ShipStationClient(f"{base}/shipstation", config.shipstation_api_key,
                           config.shipstation_api_secret) as ss:
        ss.list_carriers()
        before = carrier_calls(sandbox)
        started = time.monotonic()
        for _ in range(7):
            ss.list_carriers()
        assert time.monotonic() - started < 6
    assert carrier_calls(sandbox) - before == 7  # no 429 and retry among them


def test_wrong_credentials_are_authentication_errors(sandbox: Any) -> None:
    base = sandbox.base_url
    with pytest.raises(AuthenticationError):
        ShopifyClient(f"{base}/shopify", "shpat_wrong").order_fulfillments(
            "gid://shopify/Order/1")
    with pytest.raises(AuthenticationError):
        ShipStationClient(f"{base}/shipstation", "k", "s").list_carriers()
    event = a_milestone_event(unique_id="order-shipped:x:1:1", time=datetime.now(timezone.utc),
                              email="a@shipflow.dev", phone=None, first_name=None,
                              last_name=None, external_id=None)
    with pytest.raises(AuthenticationError):
        KlaviyoClient(f"{base}/klaviyo", "pk_" + "x" * 34).create_event(event)


def test_stock_reads_and_profile_upsert(sandbox: Any) -> None:
    """The backorder check (variant stock), the restock map (inventory item -> variant, SKU)
    and the Klaviyo profile upsert, against the simulators."""
    config, base = sandbox.config, sandbox.base_url
    placed = httpx.post(sandbox.url("/_sandbox/shopify/orders"), json={"count": 1}).json()
    order_id = placed["orders"][0]["id"]
    rest = httpx.get(sandbox.url(f"/_sandbox/shopify/orders/{order_id}")).json()["order"]
    order = parse_order(rest, config.shop_domain)
    line = next(li for li in order.line_items if li.sku)
    with ShopifyClient(f"{base}/shopify", config.shopify_access_token) as shop, \
            KlaviyoClient(f"{base}/klaviyo", config.klaviyo_api_key) as klaviyo:
        stock = shop.variant_stock(line.sku or "")
        assert stock.sku == line.sku and stock.policy in ("DENY", "CONTINUE")
        if line.variant_id is not None:
            assert stock.variant_id == line.variant_id
        assert shop.variant_stock(stock.variant_id) == stock
        assert shop.inventory_item_skus([stock.inventory_item_id, 1]) == {
            stock.inventory_item_id: (stock.variant_id, stock.sku)}
        profile = profile_from_order(order)
        first = klaviyo.upsert_profile(profile)
        assert klaviyo.upsert_profile(profile) == first  # an upsert: the same profile
