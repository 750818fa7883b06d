"""The sandbox's `lose_response` fault (issue 10, finding 6): the provider performs a write and
the answer is lost (dropped connection, or an answer after the client's timeout). For each
provider: the write happened and shipflow's client saw a `TransientError`; and the paths
shipflow retries by (upsert keys, look-before-create, unique ids) leave exactly one order,
label, fulfillment and event.

Skipped when the sandbox package is not importable (it is optional for the provider contract).
"""

from __future__ import annotations

import time
from datetime import date, datetime, timezone
from typing import Any, Callable, Iterator

import httpx
import pytest

from shipflow.domain import keys, messages
from shipflow.domain.effects import PushPart
from shipflow.domain.fulfilment import Part, PartLine, PartStatus
from shipflow.domain.order import Address
from shipflow.domain.shipment import Shipment
from shipflow.domain.tracking import tracking_info
from shipflow.providers.errors import RejectedRequest, TransientError
from shipflow.providers.http import RetryPolicy
from shipflow.providers.klaviyo import KlaviyoClient
from shipflow.providers.shipstation import ShipStationClient, order_request
from shipflow.providers.shipstation.label_platform import ShipStationLabelPlatform
from shipflow.providers.shipstation_v2 import ShipStationV2Client, wire
from shipflow.providers.shopify import ShopifyClient, parse_order
from shipflow.providers.shopify.order_source import ShopifyOrderSource

sandbox_module = pytest.importorskip("shipflow_sandbox", exc_type=ImportError)

ONCE = RetryPolicy(max_attempts=1)
QUICK = RetryPolicy(max_attempts=3, base_delay=0.02, max_delay=0.05)
WAREHOUSE = Address(name="Shipflow", company="Shipflow", address1="4009 Marathon Blvd",
                    city="Austin", province_code="TX", zip="78756", country_code="US",
                    phone="+1 512-555-0100")


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Any]:
    config = sandbox_module.SandboxConfig(seed=17)
    with sandbox_module.running_sandbox(config) as running:
        yield running


@pytest.fixture(autouse=True)
def no_faults_after(sandbox: Any) -> Iterator[None]:
    yield
    httpx.delete(sandbox.url("/_sandbox/faults"))


LOST: dict[str, int] = {}  # lost answers per scope, as the sandbox counted them so far


def fired(sandbox: Any, scope: str) -> int:
    counts = httpx.get(sandbox.url("/_sandbox/faults")).json()["fired"]
    return int(counts.get(scope, {}).get("lose_response", 0))


def lose(sandbox: Any, scope: str, only: list[str], after: float = 0.0) -> None:
    LOST[scope] = fired(sandbox, scope)
    answer = httpx.post(sandbox.url("/_sandbox/faults"), json={scope: {
        "lose_response": 1.0, "lose_response_after": after, "lose_response_only": only}})
    assert answer.status_code == 200, answer.text


def clear(sandbox: Any, scope: str) -> int:
    """Clear the faults; how many answers of `scope` were lost since `lose`."""
    lost = fired(sandbox, scope) - LOST[scope]
    httpx.delete(sandbox.url("/_sandbox/faults"))
    return lost


def place(sandbox: Any) -> Any:
    placed = httpx.post(sandbox.url("/_sandbox/shopify/orders"), json={"count": 1}).json()
    order_id = placed["orders"][0]["id"]
    rest = httpx.get(sandbox.url(f"/_sandbox/shopify/orders/{order_id}")).json()["order"]
    return parse_order(rest, sandbox.config.shop_domain)


def v1(sandbox: Any, retry: RetryPolicy, timeout: float | None = None) -> ShipStationClient:
    config = sandbox.config
    return ShipStationClient(f"{sandbox.base_url}/shipstation", config.shipstation_api_key,
                             config.shipstation_api_secret, retry=retry, timeout=timeout)


def wait_until(condition: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


# -- ShipStation v1 ----------------------------------------------------------------------------
def test_v1_createorder_done_then_connection_dropped(sandbox: Any) -> None:
    order = place(sandbox)
    body = order_request(order, order_key=keys.shipstation_order_key(order.shopify_order_id))
    lose(sandbox, "shipstation_v1", ["/orders/createorder"])
    with v1(sandbox, ONCE) as ss:
        with pytest.raises(TransientError) as caught:
            ss.create_order(body)
        assert not isinstance(caught.value, RejectedRequest)
        assert clear(sandbox, "shipstation_v1") == 1
        [created] = ss.list_orders(order_number=body["orderNumber"]).orders
        assert created.order_key == body["orderKey"]  # the write happened


def test_v1_client_retries_a_lost_upsert_and_leaves_one_order(sandbox: Any) -> None:
    """Every attempt's answer is lost; each retry is an upsert by orderKey, so ShipStation
    still holds exactly one order, and the engine's durable retry then gets its answer."""
    order = place(sandbox)
    body = order_request(order, order_key=keys.shipstation_order_key(order.shopify_order_id))
    lose(sandbox, "shipstation_v1", ["/orders/createorders"])
    with v1(sandbox, QUICK) as ss:
        with pytest.raises(TransientError):
            ss.create_orders([body])
        assert clear(sandbox, "shipstation_v1") == 3
        result = ss.create_orders([body])  # the durable retry, answered this time
        [only] = ss.list_orders(order_number=body["orderNumber"]).orders
        assert result.results[0].order_id == only.order_id


def test_v1_lost_push_then_shipped_is_found_by_its_order_key(sandbox: Any) -> None:
    """The push acted, its answer was lost, and the warehouse shipped the order before the
    retry: ShipStation refuses to update a shipped order, and the label platform finds the
    order the first attempt created (the outbox takes it as pushed, never as refused)."""
    order = place(sandbox)
    part = Part(1, tuple(PartLine(li.line_item_id, li.sku, li.quantity)
                         for li in order.line_items), PartStatus.AWAITING_SHIPMENT)
    key = keys.shipstation_order_key(order.shopify_order_id)
    pushed = PushPart(order.shopify_order_id, order, part, key, False, None, None)
    lose(sandbox, "shipstation_v1", ["/orders/createorders"])
    with v1(sandbox, ONCE) as ss:
        platform = ShipStationLabelPlatform(ss)
        with pytest.raises(TransientError):
            platform.push([pushed])
        assert clear(sandbox, "shipstation_v1") == 1
        [created] = ss.list_orders(order_number=order.name.removeprefix("#")).orders
        httpx.post(sandbox.url("/_sandbox/shipstation/ship"),
                   json={"orderIds": [created.order_id]}).raise_for_status()
        [retried] = platform.push([pushed]).values()
        assert not retried.ok and "shipped" in str(retried.error)
        assert platform.existing_order(pushed) == created.order_id


def test_v1_markasshipped_answered_after_the_timeout(sandbox: Any) -> None:
    order = place(sandbox)
    body = order_request(order, order_key=keys.shipstation_order_key(order.shopify_order_id))
    with v1(sandbox, ONCE, timeout=0.3) as ss:
        created = ss.create_order(body)
        lose(sandbox, "shipstation_v1", ["/orders/markasshipped"], after=1.0)
        with pytest.raises(TransientError):
            ss.mark_as_shipped(created["orderId"], "ups", ship_date=date.today(),
                               tracking_number="1ZLOST0001")
        assert clear(sandbox, "shipstation_v1") == 1
        assert ss.get_order(created["orderId"]).order_status == "shipped"


# -- ShipStation v2 ----------------------------------------------------------------------------
def test_v2_label_bought_then_connection_dropped_and_found_before_buying_again(
        sandbox: Any) -> None:
    order = place(sandbox)
    external = f"{order.shopify_order_id}-1"
    config = sandbox.config
    with ShipStationV2Client(f"{sandbox.base_url}/shipstation", config.shipstation_v2_api_key,
                             retry=ONCE) as ss:
        carriers = ss.carriers()
        shipment = wire.shipment_request(order, WAREHOUSE, [wire.Package(
            max(order.total_grams, 100))], external_shipment_id=external, ship_date=date.today())
        [rate, *_] = ss.rates(shipment, [c.carrier_id for c in carriers])
        lose(sandbox, "shipstation_v2", ["/v2/labels"])
        with pytest.raises(TransientError):
            ss.create_label(dict(shipment, carrier_id=rate.carrier_id,
                                 service_code=rate.service_code))
        assert clear(sandbox, "shipstation_v2") == 1
        # Look before buying again (create_label's contract): the label was bought, once.
        shipment_id = ss.shipment_id_for(external)
        assert shipment_id is not None
        [label] = ss.labels(shipment_id=shipment_id)
        assert label.tracking_number


# -- Shopify -----------------------------------------------------------------------------------
def test_shopify_fulfillment_created_then_lost_and_the_retry_finds_it(sandbox: Any) -> None:
    order = place(sandbox)
    tracking = tracking_info("ups", "1ZLOSTSHOPIFY1")
    config = sandbox.config
    with ShopifyClient(f"{sandbox.base_url}/shopify", config.shopify_access_token,
                       retry=ONCE) as shop:
        source = ShopifyOrderSource(shop)
        lose(sandbox, "shopify", ["fulfillmentCreate"])
        assert shop.fulfillment_orders(order.gid)  # reads are not affected
        with pytest.raises(TransientError):
            source.fulfil(order, tracking, None, retried=False)
        assert clear(sandbox, "shopify") == 1
        [made] = shop.order_fulfillments(order.gid)  # the write happened
        # The outbox's retry of the effect: look-before-create returns it, no second one.
        assert source.fulfil(order, tracking, None, retried=True) == made.id
        assert [f.id for f in shop.order_fulfillments(order.gid)] == [made.id]


def test_shopify_attempt_that_finds_its_parcel_fulfilled_meanwhile_takes_that_one(
        sandbox: Any) -> None:
    """Two attempts of one fulfillment overlap (the first's answer late, the second looked
    before the first acted): the second finds nothing open. The parcel was fulfilled with its
    tracking, so that fulfillment is the answer, not a refusal that needs a person."""
    order = place(sandbox)
    tracking = tracking_info("ups", "1ZOVERLAP0001")
    config = sandbox.config
    with ShopifyClient(f"{sandbox.base_url}/shopify", config.shopify_access_token,
                       retry=ONCE) as shop:
        source = ShopifyOrderSource(shop)
        first = source.fulfil(order, tracking, None, retried=False)  # the in-flight attempt
        assert source.fulfil(order, tracking, None, retried=False) == first
        assert [f.id for f in shop.order_fulfillments(order.gid)] == [first]
        with pytest.raises(RejectedRequest):  # another parcel's tracking: still refused
            source.fulfil(order, tracking_info("ups", "1ZOTHER00001"), None, retried=False)


# -- Klaviyo -----------------------------------------------------------------------------------
def test_klaviyo_bulk_job_accepted_then_lost_and_the_retry_adds_no_event(sandbox: Any) -> None:
    order = place(sandbox)
    shipment = Shipment(shipment_id="lost-1", order_key=str(order.shopify_order_id),
                        order_number=order.name, tracking_number="1ZLOSTKLAVIYO1",
                        carrier_code="ups", service_code="ups_ground", ship_date=date.today())
    tracking = tracking_info("ups", "1ZLOSTKLAVIYO1")
    event = messages.order_shipped(order, shipment, tracking, datetime.now(timezone.utc))
    config = sandbox.config
    with KlaviyoClient(f"{sandbox.base_url}/klaviyo", config.klaviyo_api_key,
                       retry=ONCE) as klaviyo:
        lose(sandbox, "klaviyo", ["/api/event-bulk-create-jobs"], after=1.0)
        klaviyo._client.timeout = httpx.Timeout(0.3, connect=5.0)
        with pytest.raises(TransientError):
            klaviyo.create_events_bulk([event])
        assert clear(sandbox, "klaviyo") == 1

        def recorded() -> list[Any]:
            return [e for e in httpx.get(sandbox.url("/_sandbox/klaviyo/events"),
                                         params={"metric": "Order Shipped"}).json()["events"]
                    if e["unique_id"] == event.unique_id]

        assert len(wait_until(recorded)) == 1  # the job was accepted and ran
        klaviyo._client.timeout = httpx.Timeout(15.0, connect=5.0)
        klaviyo.create_events_bulk([event])  # the durable retry: same unique_id
        time.sleep(0.2)
        assert len(recorded()) == 1
