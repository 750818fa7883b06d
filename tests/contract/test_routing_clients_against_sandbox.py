"""The provider clients against the sandbox over loopback, for the routing feature: split
fulfillments, holds, relabels, product categories, restock webhooks, ShipStation statuses and
the API label mode (v2 rate and buy, v1 mark-as-shipped, v2 tracking webhooks).

Skipped when the sandbox package is not importable (it is optional for the provider contract).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any, Callable, Iterator

import httpx
import pytest

from shipflow.domain.tracking import tracking_info
from shipflow.domain.tracking_events import TrackingStatus
from shipflow.providers.errors import RejectedRequest, UserErrors
from shipflow.providers.shipstation import ShipStationClient, order_request, parse_pointer
from shipflow.providers.shipstation_v2 import (
    JwksCache,
    ShipStationV2Client,
    jwks_fetcher,
    order_shipment,
    parse_webhook,
    verify_signature,
)
from shipflow.providers.shipstation_v2.webhooks import jwks_url
from shipflow.providers.shopify import (
    HoldReason,
    ShopifyClient,
    parse_cancelled_order,
    parse_inventory_level,
    parse_order,
    parse_refund,
    verify_hmac,
)

sandbox_module = pytest.importorskip("shipflow_sandbox", exc_type=ImportError)
starlette_applications = pytest.importorskip("starlette.applications")
starlette_responses = pytest.importorskip("starlette.responses")
starlette_routing = pytest.importorskip("starlette.routing")


@dataclass
class Inbox:
    """Our webhook endpoints: every delivery's path, headers and raw body."""

    received: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)

    def app(self) -> Any:
        async def record(request: Any) -> Any:
            self.received.append((request.url.path, dict(request.headers), await request.body()))
            return starlette_responses.Response(status_code=200)

        return starlette_applications.Starlette(routes=[
            starlette_routing.Route("/{path:path}", record, methods=["POST"])])

    def on(self, path: str) -> list[tuple[dict[str, str], bytes]]:
        return [(h, b) for p, h, b in list(self.received) if p == path]


def wait_until(condition: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.fixture(scope="module")
def inbox() -> Iterator[tuple[Inbox, str]]:
    box = Inbox()
    server = sandbox_module.ThreadedServer(box.app()).start()
    try:
        yield box, server.base_url
    finally:
        server.stop()


@pytest.fixture(scope="module")
def sandbox(inbox: tuple[Inbox, str]) -> Iterator[Any]:
    _, base = inbox
    config = sandbox_module.SandboxConfig(
        seed=21, time_scale=86400 * 20, carrier_outcome="on_time",
        shopify_webhook_url=base + "/shopify",
        shipstation_webhook_urls=[base + "/shipstation"],
        shipstation_v2_webhook_urls=[base + "/shipstation-v2"])
    with sandbox_module.running_sandbox(config) as running:
        yield running


@pytest.fixture
def clients(sandbox: Any) -> Iterator[tuple[ShopifyClient, ShipStationClient,
                                            ShipStationV2Client]]:
    config, base = sandbox.config, sandbox.base_url
    with ShopifyClient(f"{base}/shopify", config.shopify_access_token) as shop, \
            ShipStationClient(f"{base}/shipstation", config.shipstation_api_key,
                              config.shipstation_api_secret) as v1, \
            ShipStationV2Client(f"{base}/shipstation", config.shipstation_v2_api_key) as v2:
        yield shop, v1, v2


def place(sandbox: Any, **template: Any) -> Any:
    placed = httpx.post(sandbox.url("/_sandbox/shopify/orders"),
                        json={"count": 1, **template}).json()["orders"][0]
    rest = httpx.get(sandbox.url(f"/_sandbox/shopify/orders/{placed['id']}")).json()["order"]
    return parse_order(rest, sandbox.config.shop_domain)


def control(sandbox: Any, order_id: int) -> Any:
    return httpx.get(sandbox.url(f"/_sandbox/shopify/orders/{order_id}")).json()


# -- Shopify -----------------------------------------------------------------------------------
def test_a_split_fulfillment_then_the_rest_then_a_relabel(sandbox: Any, clients: Any) -> None:
    shop, _, _ = clients
    order = place(sandbox, line_items=[{"sku": "MUG-CER-12", "quantity": 2},
                                       {"sku": "SCL-DIG-01", "quantity": 1}])
    [fo] = shop.fulfillment_orders(order.gid)
    assert fo.can_fulfill and not fo.holds
    lines = {li.sku: li for li in fo.line_items}
    assert set(lines) == {"MUG-CER-12", "SCL-DIG-01"}
    assert {li.shopify_line_item_id for li in fo.line_items} == {
        li.line_item_id for li in order.line_items}
    assert lines["MUG-CER-12"].remaining_quantity == 2
    first = shop.create_fulfillment(
        [fo.id], tracking_info("ups", "1Z999AA10000000001"),
        line_items={fo.id: [(lines["MUG-CER-12"].id, 1)]})
    [after] = shop.fulfillment_orders(order.gid)
    assert after.id == fo.id and after.status == "IN_PROGRESS" and after.can_fulfill
    assert {li.sku: li.remaining_quantity for li in after.line_items} == {
        "MUG-CER-12": 1, "SCL-DIG-01": 1}
    rest = shop.create_fulfillment([fo.id], tracking_info("usps", "9400100000000000000002"))
    [closed] = shop.fulfillment_orders(order.gid)
    assert closed.status == "CLOSED" and not closed.can_fulfill
    assert [f.id for f in shop.order_fulfillments(order.gid)] == [first.id, rest.id]
    relabelled = shop.update_tracking(first.id, tracking_info("ups", "1Z999AA10000000003"))
    assert relabelled.tracking_numbers == ("1Z999AA10000000003",)
    shown = control(sandbox, order.shopify_order_id)["fulfillments"]
    assert [(f["tracking_number"], [(li["sku"], li["quantity"]) for li in f["line_items"]])
            for f in shown] == [("1Z999AA10000000003", [("MUG-CER-12", 1)]),
                                ("9400100000000000000002", [("MUG-CER-12", 1),
                                                            ("SCL-DIG-01", 1)])]


@pytest.mark.parametrize("reason", [HoldReason.INCORRECT_ADDRESS,
                                    HoldReason.INVENTORY_OUT_OF_STOCK, HoldReason.OTHER])
def test_a_held_fulfillment_order_cannot_be_fulfilled(sandbox: Any, clients: Any,
                                                      reason: HoldReason) -> None:
    shop, _, _ = clients
    order = place(sandbox)
    [fo] = shop.fulfillment_orders(order.gid)
    held = shop.hold_fulfillment_order(fo.id, reason, reason_notes="shipflow rule",
                                       handle="shipflow-review")
    assert held.hold is not None and held.hold.reason == reason.value
    assert held.fulfillment_order is not None and held.fulfillment_order.status == "ON_HOLD"
    with pytest.raises(UserErrors) as duplicate:  # the handle makes a repeat detectable
        shop.hold_fulfillment_order(fo.id, reason, handle="shipflow-review")
    assert duplicate.value.errors[0].code == "DUPLICATE_FULFILLMENT_HOLD_HANDLE"
    assert [h.id for h in shop.fulfillment_orders(order.gid)[0].holds] == [held.hold.id]
    with pytest.raises(UserErrors) as refused:
        shop.create_fulfillment([fo.id], tracking_info("ups", "1Z999AA10000000004"))
    assert "on_hold" in str(refused.value)
    [shown] = control(sandbox, order.shopify_order_id)["fulfillment_orders"]
    assert shown["status"] == "ON_HOLD"
    assert [(h["reason"], h["reason_notes"]) for h in shown["holds"]] == [
        (reason.value, "shipflow rule")]
    released = shop.release_hold(fo.id, [held.hold.id])
    assert released.status == "OPEN"
    shop.create_fulfillment([fo.id], tracking_info("ups", "1Z999AA10000000005"))


def test_holding_a_backordered_line_splits_off_the_rest(sandbox: Any, clients: Any) -> None:
    shop, _, _ = clients
    order = place(sandbox, line_items=[{"sku": "GRN-BURR-01", "quantity": 1},
                                       {"sku": "FLT-PAPER-100", "quantity": 2}])
    [fo] = shop.fulfillment_orders(order.gid)
    grinder = next(li for li in fo.line_items if li.sku == "GRN-BURR-01")
    held = shop.hold_fulfillment_order(fo.id, HoldReason.INVENTORY_OUT_OF_STOCK,
                                       reason_notes="GRN-BURR-01 backordered",
                                       handle="shipflow-backorder", line_items=[(grinder.id, 1)])
    assert held.remaining_fulfillment_order is not None
    by_id = {f.id: f for f in shop.fulfillment_orders(order.gid)}
    assert by_id[fo.id].on_hold
    assert [li.sku for li in by_id[fo.id].line_items] == ["GRN-BURR-01"]
    rest = by_id[held.remaining_fulfillment_order.id]
    assert rest.can_fulfill and [li.sku for li in rest.line_items] == ["FLT-PAPER-100"]
    shop.create_fulfillment([rest.id], tracking_info("usps", "9400100000000000000006"))
    assert control(sandbox, order.shopify_order_id)["display_fulfillment_status"] == (
        "PARTIALLY_FULFILLED")


def test_product_categories(sandbox: Any, clients: Any) -> None:
    shop, _, _ = clients
    order = place(sandbox, line_items=[{"sku": "ESP-MACH-PRO", "quantity": 1},
                                       {"sku": "BEAN-ETH-340", "quantity": 2}])
    ids = [li.product_id for li in order.line_items if li.product_id]
    categories = shop.product_categories(ids)
    assert categories == {ids[0]: ("Espresso Machines", "equipment", "espresso", "high-value"),
                          ids[1]: ("Coffee", "coffee", "consumable", "single-origin")}
    before = httpx.get(sandbox.url("/_sandbox/summary")).json()["requests"].get(
        "shopify graphql query nodes", 0)
    many = shop.product_categories([*ids, *range(1, 300)])  # unknown ids are left out
    assert many == categories
    after = httpx.get(sandbox.url("/_sandbox/summary")).json()["requests"][
        "shopify graphql query nodes"]
    assert after - before == 2  # 301 ids: one call per 250


def test_restock_webhook_names_an_item_the_client_maps_to_a_sku(
        sandbox: Any, clients: Any, inbox: tuple[Inbox, str]) -> None:
    shop, _, _ = clients
    box, _ = inbox
    secret = sandbox.config.shopify_webhook_secret
    inventory = sandbox.url("/_sandbox/shopify/inventory")
    httpx.post(inventory, json={"sku": "TIN-AIR-500", "available": 0, "policy": "continue",
                                "deliver": False})
    place(sandbox, line_items=[{"sku": "TIN-AIR-500", "quantity": 1}])
    seen = len(box.on("/shopify"))
    httpx.post(inventory, json={"sku": "TIN-AIR-500", "available": 12})

    def restock() -> Any:
        return next((b for h, b in box.on("/shopify")[seen:]
                     if h["x-shopify-topic"] == "inventory_levels/update"
                     and verify_hmac(b, h["x-shopify-hmac-sha256"], [secret])), None)

    body = wait_until(restock)
    level = parse_inventory_level(json.loads(body))
    assert level.in_stock and level.available == 12
    [(variant_id, sku)] = shop.inventory_item_skus([level.inventory_item_id]).values()
    assert sku == "TIN-AIR-500"
    assert shop.variant_stock(sku).variant_id == variant_id


def test_cancel_and_refund_webhooks_verify_and_parse(sandbox: Any,
                                                     inbox: tuple[Inbox, str]) -> None:
    box, _ = inbox
    secret, shop_domain = sandbox.config.shopify_webhook_secret, sandbox.config.shop_domain
    cancelled, refunded = place(sandbox), place(sandbox)
    httpx.post(sandbox.url(f"/_sandbox/shopify/orders/{cancelled.shopify_order_id}/cancel"),
               json={"reason": "inventory", "restock": True})
    httpx.post(sandbox.url(f"/_sandbox/shopify/orders/{refunded.shopify_order_id}/refund"),
               json={"restock": True, "note": "damaged"})

    def delivered(topic: str) -> Any:
        return next((b for h, b in box.on("/shopify") if h["x-shopify-topic"] == topic
                     and verify_hmac(b, h["x-shopify-hmac-sha256"], [secret])), None)

    cancellation = parse_cancelled_order(json.loads(wait_until(
        lambda: delivered("orders/cancelled"))), shop_domain)
    assert cancellation.order.shopify_order_id == cancelled.shopify_order_id
    assert cancellation.cancel_reason == "inventory"
    refund = parse_refund(json.loads(wait_until(lambda: delivered("refunds/create"))))
    assert refund.order_id == refunded.shopify_order_id and refund.note == "damaged"
    assert all(line.restocked for line in refund.line_items)


# -- ShipStation v1 ----------------------------------------------------------------------------
def test_order_statuses_and_routing_fields(sandbox: Any, clients: Any) -> None:
    _, v1, _ = clients
    order = place(sandbox, line_items=[{"sku": "KTL-GOOSE-BK", "quantity": 2},
                                       {"sku": "GRN-BURR-01", "quantity": 1}])
    kettle, grinder = order.line_items
    key = f"shipflow-{order.shopify_order_id}-1"
    body = order_request(order, order_key=key, status="on_hold", confirmation="signature",
                         carrier_code="fedex", service_code="fedex_2day",
                         items={kettle.line_item_id: 2}, custom_field2="part 1",
                         custom_field3="hold: address review", tag_ids=[48212],
                         advanced_options={"storeId": 171654})
    created = v1.create_order(body)
    read = v1.get_order(created["orderId"])
    assert (read.order_status, read.confirmation, read.carrier_code, read.service_code) == (
        "on_hold", "signature", "fedex", "fedex_2day")
    assert read.tag_ids == (48212,) and read.store_id == 171654
    assert (read.custom_field2, read.custom_field3) == ("part 1", "hold: address review")
    assert read.shopify_order_gid == order.gid and read.source == "shipflow"
    assert [(i.sku, i.quantity) for i in read.items] == [("KTL-GOOSE-BK", 2)]
    second = v1.create_order(order_request(order, order_key=key[:-1] + "2",
                                           order_number=f"{order.name[1:]}-2",
                                           items=[(grinder.line_item_id, 1)]))
    assert second["orderNumber"].endswith("-2") and second["orderStatus"] == "awaiting_shipment"
    [shown] = httpx.get(sandbox.url("/_sandbox/shipstation/orders"),
                        params={"orderKey": key}).json()["orders"]
    assert shown["advancedOptions"]["customField1"] == order.gid
    assert shown["requestedShippingService"] == order.shipping_method
    v1.restore_from_hold(created["orderId"])
    assert v1.get_order(created["orderId"]).order_status == "awaiting_shipment"
    v1.hold_until(created["orderId"], date(2031, 1, 1))
    held = v1.get_order(created["orderId"])
    assert held.order_status == "on_hold" and held.hold_until_date == date(2031, 1, 1)
    assert v1.cancel_order(created["orderId"]).order_status == "cancelled"
    shipped = httpx.post(sandbox.url("/_sandbox/shipstation/ship"),
                         json={"orderIds": [created["orderId"], second["orderId"]]}).json()
    assert shipped["skipped"] == [{"orderId": created["orderId"], "reason": "cancelled"}]
    with pytest.raises(RejectedRequest, match="shipped"):
        v1.create_order(order_request(order, order_key=key[:-1] + "2",
                                      items=[(grinder.line_item_id, 1)]))


def test_warehouse_relabel_reaches_the_client_and_the_carrier(
        sandbox: Any, clients: Any, inbox: tuple[Inbox, str]) -> None:
    _, v1, _ = clients
    box, _ = inbox
    order = place(sandbox)
    created = v1.create_order(order_request(order, order_key=f"relabel-{order.shopify_order_id}"))
    seen = len(box.on("/shipstation"))
    httpx.post(sandbox.url("/_sandbox/shipstation/ship"), json={"orderIds": [created["orderId"]]})
    httpx.post(sandbox.url("/_sandbox/shipstation/ship"),
               json={"orderIds": [created["orderId"]], "relabel": True})
    pointers = wait_until(lambda: len(box.on("/shipstation")) >= seen + 2
                          and box.on("/shipstation")[seen:seen + 2])
    first, relabel = (parse_pointer(b).resource_url for _, b in pointers)
    [original] = v1.fetch_resource(first)
    old, new = v1.fetch_resource(relabel)
    assert old.shipment_id == original.shipment_id and old.voided and not new.voided
    assert old.order_key == new.order_key == f"relabel-{order.shopify_order_id}"
    assert new.tracking_number != old.tracking_number

    def tracked() -> bool:
        return any(parse_webhook(b).tracking is not None
                   and parse_webhook(b).tracking.tracking_number == new.tracking_number
                   for _, b in box.on("/shipstation-v2"))

    wait_until(tracked)


# -- API label mode ----------------------------------------------------------------------------
def test_api_label_mode_rates_buys_marks_shipped_and_tracks(
        sandbox: Any, clients: Any, inbox: tuple[Inbox, str]) -> None:
    _, v1, v2 = clients
    box, _ = inbox
    order = place(sandbox, line_items=[{"sku": "SCL-DIG-01", "quantity": 1}])
    created = v1.create_order(order_request(order, order_key=f"api-{order.shopify_order_id}"))
    [warehouse] = v2.warehouses()
    external = f"{order.shopify_order_id}-1"
    shipment = order_shipment(order, warehouse, external_shipment_id=external,
                              ship_date=date.today())
    rates = v2.rates(shipment, [c.carrier_id for c in v2.carriers()])
    assert all(r.delivery_days and r.estimated_delivery_date for r in rates)
    chosen = min((r for r in rates if r.delivery_days <= 3), key=lambda r: r.total.amount)
    label = v2.label_from_rate(chosen.rate_id)
    assert label.tracking_number and label.service_code == chosen.service_code
    assert v2.shipment_id_for(external) == label.shipment_id  # found again after a crash
    assert [lb.label_id for lb in v2.labels(shipment_id=label.shipment_id)] == [label.label_id]
    ship_notify_before = len(box.on("/shipstation"))
    marked = v1.mark_as_shipped(created["orderId"], label.carrier_code or "",
                                ship_date=date.today(), tracking_number=label.tracking_number)
    assert marked.order_id == created["orderId"]
    assert v1.get_order(created["orderId"]).order_status == "shipped"
    [fulfillment] = v1.list_fulfillments(order_id=created["orderId"])
    assert (fulfillment.tracking_number, fulfillment.carrier_code) == (
        label.tracking_number, label.carrier_code)
    assert v1.list_shipments(order_id=created["orderId"]).shipments == ()
    keys = JwksCache(jwks_url(sandbox.base_url + "/shipstation"), jwks_fetcher())

    def delivered() -> Any:
        for headers, body in box.on("/shipstation-v2"):
            webhook = parse_webhook(body)
            if webhook.tracking and webhook.tracking.tracking_number == label.tracking_number \
                    and webhook.tracking.status_code is TrackingStatus.DELIVERED:
                verify_signature(body, headers, keys, now=datetime.now(timezone.utc))
                return webhook
        return None

    final = wait_until(delivered)
    assert final.tracking.label_id == label.label_id
    assert len(box.on("/shipstation")) == ship_notify_before  # markasshipped: no SHIP_NOTIFY


def test_stock_of_many_skus_in_one_search_matches_single_reads(
        sandbox: Any, clients: Any) -> None:
    """Issue 10, finding 4: the sandbox answers `sku:"A" OR sku:"B"…` searches, paged, and the
    batched read gives what the single-SKU read gives, per SKU; unknown SKUs are absent."""
    from shipflow.providers.shopify.order_source import ShopifyOrderSource
    from shipflow_sandbox.shopify.catalog import CATALOG

    shop, _, _ = clients
    inventory = sandbox.url("/_sandbox/shopify/inventory")
    httpx.post(inventory, json={"sku": "BEAN-ETH-340", "available": -3, "policy": "continue",
                                "deliver": False})
    skus = [p.sku for p in CATALOG]
    assert len(skus) > 12  # more than one page
    count = "shopify graphql query productVariants"
    before = httpx.get(sandbox.url("/_sandbox/summary")).json()["requests"].get(count, 0)
    found = shop.variant_stocks([*skus, "NOT-A-SKU", "BUNDLE-GIFT"])
    after = httpx.get(sandbox.url("/_sandbox/summary")).json()["requests"][count]
    assert after - before == -(-len(skus) // 12)  # one search, paged by 12
    assert sorted(found) == sorted(set(skus))
    for sku in skus:
        single = shop.variant_stock(sku)
        assert (found[sku].variant_id, found[sku].available, found[sku].tracked,
                found[sku].policy) == (single.variant_id, single.available, single.tracked,
                                       single.policy), sku
    assert found["BEAN-ETH-340"].available == -3
    stock = ShopifyOrderSource(shop).stock(["BEAN-ETH-340", "NOT-A-SKU"])
    assert list(stock) == ["BEAN-ETH-340"] and stock["BEAN-ETH-340"].available == -3
