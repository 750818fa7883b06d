"""ShipStationClient against scripted answers: Basic auth, rate headers, ASP.NET errors, paging."""

from __future__ import annotations

import base64
from datetime import date
from typing import Any

import httpx
import pytest

from shipflow.providers.errors import (
    AuthenticationError,
    NotFound,
    RateLimited,
    RejectedRequest,
    TransientError,
)
from shipflow.providers.shipstation import ShipStationClient

from .helpers import FAST_RETRY, FakeClock, Script, raise_, respond, seeded

BASE = "http://127.0.0.1:8100/shipstation"


def limits(remaining: int = 39, reset: int = 42) -> dict[str, str]:
    return {"X-Rate-Limit-Limit": "40", "X-Rate-Limit-Remaining": str(remaining),
            "X-Rate-Limit-Reset": str(reset)}


def ok(body: Any, remaining: int = 39, reset: int = 42) -> httpx.Response:
    return respond(200, body, headers=limits(remaining, reset))


def shipment(shipment_id: int, tracking: str | None = "1Z1", order_key: str = "1001") -> dict:
    return {"shipmentId": shipment_id, "orderId": 5, "orderKey": order_key, "orderNumber": "1001",
            "shipDate": "2026-11-02", "trackingNumber": tracking, "carrierCode": "ups",
            "serviceCode": "ups_ground", "voided": False,
            "shipmentItems": [{"sku": "A-1", "name": "Widget", "quantity": 2}]}


def page(shipments: list[dict], page_number: int, pages: int) -> dict:
    return {"shipments": shipments, "total": 5, "page": page_number, "pages": pages}


ORDER = {"orderId": 1, "orderNumber": "1001", "orderKey": "1001",
         "orderStatus": "awaiting_shipment"}


def client(script: Script, clock: FakeClock | None = None, base: str = BASE
           ) -> ShipStationClient:
    return ShipStationClient(base, "ShipStation", "Rocks", transport=script.transport,
                             clock=clock or FakeClock(), retry=FAST_RETRY, rng=seeded())


def test_basic_auth_and_json_body() -> None:
    script = Script([ok({"orderId": 94113592, "orderKey": "1001"})])
    created = client(script).create_order({"orderNumber": "1001", "orderKey": "1001"})
    assert created["orderId"] == 94113592
    request = script.requests[0]
    assert str(request.url) == f"{BASE}/orders/createorder"
    assert request.headers["Authorization"] == "Basic U2hpcFN0YXRpb246Um9ja3M="  # docs example
    assert base64.b64decode(request.headers["Authorization"][6:]) == b"ShipStation:Rocks"
    assert request.headers["Content-Type"] == "application/json"
    assert script.body() == {"orderNumber": "1001", "orderKey": "1001"}


def test_waits_for_the_window_when_remaining_hits_zero() -> None:
    clock = FakeClock()
    script = Script([ok(ORDER, remaining=0, reset=17), ok(ORDER)])
    ss = client(script, clock)
    ss.get_order(1)
    assert clock.sleeps == []
    ss.get_order(2)
    assert clock.sleeps == [17.0]
    assert len(script.requests) == 2


def test_no_wait_once_the_window_has_passed() -> None:
    clock = FakeClock()
    script = Script([ok(ORDER, remaining=0, reset=17), ok(ORDER)])
    ss = client(script, clock)
    ss.get_order(1)
    clock.now += 20
    ss.get_order(2)
    assert clock.sleeps == []


def test_429_waits_for_the_reset_header_then_retries() -> None:
    clock = FakeClock()
    script = Script([
        respond(429, {"message": "Too Many Requests"}, headers=limits(0, 30)),
        ok({"orderId": 1}),
    ])
    client(script, clock).create_order({"orderNumber": "1", "orderKey": "1"})
    assert len(script.requests) == 2
    assert 30.0 <= clock.slept < 31.5


def test_429_is_retried_even_for_label_purchase() -> None:
    script = Script([
        respond(429, {"message": "Too Many Requests"}, headers=limits(0, 3)),
        ok({"shipmentId": 72513480, "shipmentCost": 7.3, "insuranceCost": 0,
            "trackingNumber": "248201115029520", "labelData": "JVBERi0=", "formData": None}),
    ])
    label = client(script).create_label_for_order(1, "fedex", "fedex_ground",
                                                  ship_date=date(2026, 11, 2))
    assert label.tracking_number == "248201115029520" and label.shipment_id == "72513480"
    assert len(script.requests) == 2


def test_5xx_is_retried_for_keyed_createorder_but_not_for_labels() -> None:
    script = Script([respond(503, text="Service Unavailable"), ok({"orderId": 1})])
    client(script).create_order({"orderNumber": "1", "orderKey": "1"})
    assert len(script.requests) == 2

    unkeyed = Script([respond(503, text="Service Unavailable"), ok({"orderId": 1})])
    with pytest.raises(TransientError):
        client(unkeyed).create_order({"orderNumber": "1"})
    assert len(unkeyed.requests) == 1

    label = Script([respond(502, text="Bad Gateway"), ok({})])
    with pytest.raises(TransientError):
        client(label).create_label_for_order(1, "ups", "ups_ground", ship_date=date(2026, 11, 2))
    assert len(label.requests) == 1


def test_asp_net_exception_is_a_clear_rejection() -> None:
    body = {"ExceptionMessage": "Ship To: Postal Code must be provided.",
            "ExceptionType": "System.Exception", "Message": "An error has occurred.",
            "StackTrace": "   at ShipStation.Api..."}
    script = Script([respond(500, body, headers=limits())])
    with pytest.raises(RejectedRequest) as caught:
        client(script).create_order({"orderNumber": "1", "orderKey": "1"})
    assert str(caught.value) == (
        "shipstation HTTP 500: Ship To: Postal Code must be provided.")
    assert caught.value.code == "System.Exception"
    assert "StackTrace" not in str(caught.value)
    assert len(script.requests) == 1  # validation does not heal by retrying


def test_asp_net_timeout_exception_is_transient() -> None:
    body = {"ExceptionMessage": "Timeout expired. The timeout period elapsed.",
            "ExceptionType": "System.Data.SqlClient.SqlException",
            "Message": "An error has occurred."}
    script = Script([respond(500, body), ok({"orderId": 1})])
    client(script).create_order({"orderNumber": "1", "orderKey": "1"})
    assert len(script.requests) == 2


def test_auth_and_not_found() -> None:
    with pytest.raises(AuthenticationError) as caught:
        client(Script([respond(401, {"message": "Invalid API credentials"})])).list_carriers()
    assert "Invalid API credentials" in str(caught.value)
    with pytest.raises(AuthenticationError):
        client(Script([respond(401, text="401 Unauthorized")])).list_carriers()
    with pytest.raises(NotFound):
        client(Script([respond(404, {"Message": "No HTTP resource was found"})])).get_order(9)


def test_400_message_body() -> None:
    script = Script([respond(400, {"Message": "The request is invalid.",
                                   "ModelState": {"order.orderDate": ["Required"]}})])
    with pytest.raises(RejectedRequest) as caught:
        client(script).hold_until(1, date(2026, 12, 1))
    assert "The request is invalid." in str(caught.value)


def test_create_orders_splits_into_hundreds() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        import json
        bodies = json.loads(request.content)
        return ok({"hasErrors": False, "results": [
            {"orderId": i, "orderNumber": b["orderNumber"], "orderKey": b["orderKey"],
             "success": b["orderKey"] != "150", "errorMessage": None
             if b["orderKey"] != "150" else "Bad address"} for i, b in enumerate(bodies)]})
    script = Script([answer])
    bodies = [{"orderNumber": str(n), "orderKey": str(n)} for n in range(250)]
    result = client(script).create_orders(bodies)
    assert len(script.requests) == 3
    assert [len(script.body(i)) for i in range(3)] == [100, 100, 50]
    assert len(result.results) == 250 and result.has_errors
    assert [r.order_key for r in result.failed] == ["150"]
    assert result.by_order_key()["150"].error_message == "Bad address"


def test_fetch_resource_follows_pages_and_asks_for_items() -> None:
    script = Script([
        ok(page([shipment(1), shipment(2)], 1, 3)),
        ok(page([shipment(3), shipment(4, tracking=None)], 2, 3)),
        ok(page([shipment(5, order_key="not-ours")], 3, 3)),
    ])
    url = f"{BASE}/shipments?batchId=144015674&includeShipmentItems=False"
    shipments = client(script).fetch_resource(url)
    assert [s.shipment_id for s in shipments] == ["1", "2", "3", "5"]  # 4 has no tracking
    assert shipments[0].items[0].sku == "A-1" and shipments[0].shopify_order_id == 1001
    assert shipments[-1].shopify_order_id is None
    first, second = (r.url for r in script.requests[:2])
    assert first.params["batchId"] == "144015674"
    assert first.params["includeShipmentItems"] == "true"
    assert "page" not in first.params and second.params["page"] == "2"


def test_fetch_resource_refuses_foreign_hosts() -> None:
    script = Script([ok(page([], 1, 1))])
    with pytest.raises(ValueError):
        client(script).fetch_resource("http://169.254.169.254/latest/meta-data")
    assert script.requests == []


def test_fetch_resource_accepts_numbered_real_hosts() -> None:
    script = Script([ok(page([shipment(1)], 1, 1))])
    ss = client(script, base="https://ssapi.shipstation.com")
    shipments = ss.fetch_resource(
        "https://ssapi13.shipstation.com/shipments?storeID=171654&includeShipmentItems=False")
    assert len(shipments) == 1
    assert script.requests[0].url.host == "ssapi13.shipstation.com"
    assert script.requests[0].headers["Authorization"].startswith("Basic ")


def test_list_filters_are_camel_cased() -> None:
    script = Script([ok(page([shipment(1)], 1, 1)), ok({"orders": [ORDER], "total": 1,
                                                        "page": 1, "pages": 1})])
    ss = client(script)
    result = ss.list_shipments(order_number="1001", include_shipment_items=True,
                               ship_date_start=date(2026, 11, 1), page_size=500)
    assert result.shipments[0].tracking_number == "1Z1"
    assert dict(script.requests[0].url.params) == {
        "orderNumber": "1001", "includeShipmentItems": "true", "shipDateStart": "2026-11-01",
        "pageSize": "500"}
    orders = ss.list_orders(order_status="awaiting_shipment")
    assert orders.orders[0].order_number == "1001"
    assert script.requests[1].url.params["orderStatus"] == "awaiting_shipment"


def test_hold_restore_tag_and_carriers() -> None:
    script = Script([
        ok({"success": True, "message": "Order held successfully."}),
        ok({"success": True, "message": "The requested order has been restored"}),
        ok({"success": False, "message": "Tag not found."}),
        ok([{"name": "UPS", "code": "ups", "accountNumber": "ABCR80",
             "requiresFundedAccount": False, "balance": 0, "nickname": None,
             "shippingProviderId": 12347, "primary": True}]),
    ])
    ss = client(script)
    ss.hold_until(1072467, date(2014, 12, 1))
    assert script.body(0) == {"orderId": 1072467, "holdUntilDate": "2014-12-01"}
    ss.restore_from_hold(1234567)
    assert script.body(1) == {"orderId": 1234567}
    with pytest.raises(RejectedRequest, match="Tag not found"):
        ss.add_tag(123456, 1234)
    assert script.body(2) == {"orderId": 123456, "tagId": 1234}
    carriers = ss.list_carriers()
    assert carriers[0].code == "ups" and carriers[0].primary


def test_rate_limit_wait_longer_than_policy_is_raised() -> None:
    script = Script([respond(429, {"message": "Too Many Requests"}, headers=limits(0, 600))])
    with pytest.raises(RateLimited) as caught:
        client(script).get_order(1)
    assert caught.value.retry_after == 600


def test_timeouts_on_reads_are_retried() -> None:
    script = Script([raise_(httpx.ReadTimeout("slow")), ok(ORDER)])
    order = client(script).get_order(1)
    assert (order.order_id, order.order_key, order.is_open) == (1, "1001", True)
    assert len(script.requests) == 2


# -- rates, mark shipped, cancel, delete, tags -------------------------------------------------
def test_get_rates_body_and_cheapest_first() -> None:
    script = Script([ok([
        {"serviceName": "FedEx 2Day®", "serviceCode": "fedex_2day", "shipmentCost": 21.1,
         "otherCost": 0.88},
        {"serviceName": "FedEx Ground®", "serviceCode": "fedex_ground", "shipmentCost": 8.25,
         "otherCost": 0.33},
    ])])
    quotes = client(script).get_rates("fedex", "78703", "us", "20500", 1600, to_state="DC",
                                      confirmation="delivery", residential=True)
    assert script.requests[0].url.path == "/shipstation/shipments/getrates"
    assert script.body() == {
        "carrierCode": "fedex", "fromPostalCode": "78703", "toCountry": "US",
        "toPostalCode": "20500", "weight": {"value": 1600, "units": "grams"},
        "toState": "DC", "confirmation": "delivery", "residential": True}
    assert [(q.service_code, str(q.total)) for q in quotes] == [
        ("fedex_ground", "8.58"), ("fedex_2day", "21.98")]
    assert quotes[0].service_name == "FedEx Ground®" and quotes[0].carrier_code == "fedex"


def test_get_rates_checks_before_sending() -> None:
    script = Script([ok([])])
    ss = client(script)
    with pytest.raises(ValueError, match="to_state is required for UPS"):
        ss.get_rates("ups", "78703", "US", "20500", 100)
    with pytest.raises(ValueError):
        ss.get_rates("fedex", "78703", "USA", "20500", 100)
    with pytest.raises(ValueError):
        ss.get_rates("fedex", "78703", "US", "20500", 0)
    with pytest.raises(ValueError):
        ss.get_rates("fedex", "78703", "US", "20500", 10, confirmation="adult")
    assert script.requests == []
    assert ss.get_rates("ups", "78703", "US", "20500", 100, to_state="DC") == []


def test_mark_as_shipped() -> None:
    script = Script([ok({"orderId": 123456789, "orderNumber": "ABC123"}),
                     respond(503, text="down"), ok({"orderId": 1, "orderNumber": "1"})])
    ss = client(script)
    marked = ss.mark_as_shipped(123456789, "usps", ship_date=date(2026, 11, 2),
                                tracking_number="9400111899561704681189")
    assert (marked.order_id, marked.order_number) == (123456789, "ABC123")
    assert script.body(0) == {"orderId": 123456789, "carrierCode": "usps",
                              "shipDate": "2026-11-02", "notifyCustomer": False,
                              "notifySalesChannel": False,
                              "trackingNumber": "9400111899561704681189"}
    with pytest.raises(TransientError):  # it would email: never sent twice
        ss.mark_as_shipped(1, "usps", ship_date=date(2026, 11, 2), notify_customer=True)
    assert len(script.requests) == 2


def test_cancel_order_sends_the_whole_order_back_cancelled() -> None:
    order = {"orderId": 94113592, "orderNumber": "1001", "orderKey": "1001",
             "orderStatus": "awaiting_shipment", "items": [{"sku": "A-1", "quantity": 2}],
             "advancedOptions": {"customField1": "gid://shopify/Order/1001", "source": "shipflow"}}
    script = Script([ok(order), ok(dict(order, orderStatus="cancelled"))])
    cancelled = client(script).cancel_order(94113592)
    assert cancelled.order_status == "cancelled"
    assert [(r.method, r.url.path) for r in script.requests] == [
        ("GET", "/shipstation/orders/94113592"), ("POST", "/shipstation/orders/createorder")]
    assert script.body(1) == dict(order, orderStatus="cancelled")

    done = Script([ok(dict(order, orderStatus="cancelled"))])
    assert client(done).cancel_order(94113592).order_status == "cancelled"
    assert len(done.requests) == 1
    shipped = Script([ok(dict(order, orderStatus="shipped"))])
    with pytest.raises(RejectedRequest, match="is shipped and cannot be cancelled"):
        client(shipped).cancel_order(94113592)
    assert len(shipped.requests) == 1


def test_delete_order_and_list_tags() -> None:
    script = Script([
        ok({"success": True, "message": "The requested order has been deleted."}),
        ok([{"tagId": 53974, "name": "Backorder", "color": "#FF9900"},
            {"tagId": 1, "name": "Canada", "color": None}]),
    ])
    ss = client(script)
    ss.delete_order(94113592)
    assert (script.requests[0].method, script.requests[0].url.path) == (
        "DELETE", "/shipstation/orders/94113592")
    assert script.requests[0].content == b""
    tags = ss.list_tags()
    assert [(t.tag_id, t.name, t.color) for t in tags] == [
        (53974, "Backorder", "#FF9900"), (1, "Canada", None)]
    assert script.requests[1].url.path == "/shipstation/accounts/listtags"
    refused = Script([ok({"success": False, "message": "Order not found"})])
    with pytest.raises(RejectedRequest, match="Order not found"):
        client(refused).delete_order(1)
