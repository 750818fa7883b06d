"""ShipStation v1: our order body has the docs example's shape, the docs' shipments, orders and
bulk results parse, SHIP_NOTIFY pointers parse, and the SSRF guard holds."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date, datetime, timezone
from typing import Any

import pytest

from shipflow.domain import keys
from shipflow.providers.errors import MalformedWebhook, UnexpectedResponse
from shipflow.providers.shipstation.mapping import (
    format_datetime,
    order_request,
    parse_carriers,
    parse_create_orders_response,
    parse_label,
    parse_order,
    parse_shipment,
    parse_shipments_page,
    read_datetime,
)
from shipflow.providers.shipstation.webhooks import (
    is_allowed_resource_url,
    parse_pointer,
    verify_token,
)
from shipflow.providers.shopify.webhooks import parse_order as parse_shopify_order

from .paths import FIXTURES

SS = FIXTURES / "shipstation"
SHOP = "snowdevil.myshopify.com"
SS_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}$")


def fixture(name: str) -> Any:
    return json.loads((SS / name).read_text())


def shopify_order() -> Any:
    order = parse_shopify_order(json.loads(
        (FIXTURES / "shopify" / "orders_create_docs_2026-07.json").read_text()), SHOP)
    # the docs sample is a voided test order; make it a paid one, as shipflow pushes
    return replace(order, financial_status="paid", cancelled_at=None, note="Leave at the door")


def _shape(value: Any) -> Any:
    """JSON type skeleton: objects by key, lists by their first element, scalars by kind."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "null"


def _assert_fits(ours: Any, docs: Any, path: str = "") -> None:
    """Every key we send is in the docs example, with a compatible JSON type."""
    if isinstance(ours, dict):
        assert isinstance(docs, dict), path
        for key, value in ours.items():
            assert key in docs, f"{path}.{key} is not in the docs example"
            _assert_fits(value, docs[key], f"{path}.{key}")
    elif isinstance(ours, list) and ours and docs:
        _assert_fits(ours[0], docs[0], f"{path}[0]")
    elif ours != "null" and docs != "null" and not isinstance(docs, list):
        assert ours == docs, f"{path}: {ours} where the docs have {docs}"


def test_order_request_has_the_docs_shape() -> None:
    order = shopify_order()
    body = order_request(order, order_key=keys.shipstation_order_key(order.shopify_order_id),
                         tag_ids=[53974], advanced_options={"storeId": 26815})
    docs = fixture("v1_createorder_request.docs.json")
    _assert_fits(_shape(body), _shape(docs))
    assert set(body["shipTo"]) == set(docs["shipTo"])
    assert set(body["billTo"]) == set(docs["billTo"])
    json.dumps(body)


def test_order_request_values() -> None:
    order = shopify_order()
    body = order_request(order, order_key="820982911946154508", confirmation="signature",
                         requested_service="UPS Ground")
    assert body["orderNumber"] == "9999"
    assert body["orderKey"] == "820982911946154508"
    assert body["orderStatus"] == "awaiting_shipment"
    # 2021-12-31T19:00:00-05:00 is 16:00 Pacific
    assert body["orderDate"] == "2021-12-31T16:00:00.0000000"
    assert SS_TIMESTAMP.match(body["paymentDate"])
    assert body["customerEmail"] == "jon@example.com"
    assert body["shipTo"] == {
        "name": "Steve Shipper", "company": "Shipping Company", "street1": "123 Shipping Street",
        "street2": None, "street3": None, "city": "Shippington", "state": "KY",
        "postalCode": "40003", "country": "US", "phone": "555-555-SHIP", "residential": False}
    assert body["billTo"]["name"] == "Steve Shipper"
    assert [i["lineItemKey"] for i in body["items"]] == [
        "487817672276298554", "789012345678901234", "890123456789012345", "976318377106520349",
        "315789986012684393"]
    first = body["items"][0]
    assert first == {"lineItemKey": "487817672276298554", "sku": "SKU2006-001",
                     "name": "Aviator sunglasses", "quantity": 1, "unitPrice": 89.99,
                     "weight": {"value": 100, "units": "grams"}, "adjustment": False}
    assert body["amountPaid"] == 404.95 and body["taxAmount"] == 0.0
    assert body["shippingAmount"] == 10.0
    assert body["requestedShippingService"] == "UPS Ground"
    assert body["confirmation"] == "signature"
    assert body["weight"] == {"value": 1600, "units": "grams"}
    assert body["customerNotes"] == "Leave at the door"
    assert body["advancedOptions"] == {
        "customField1": "gid://shopify/Order/820982911946154508", "source": "shipflow"}
    assert "tagIds" not in body and "holdUntilDate" not in body


def test_order_request_hold_and_defaults() -> None:
    order = shopify_order()
    body = order_request(order, order_key="k", hold_until=date(2026, 12, 1),
                         advanced_options={"customField1": "mine", "warehouseId": 24079})
    assert body["orderStatus"] == "on_hold" and body["holdUntilDate"] == "2026-12-01"
    assert body["requestedShippingService"] == "Generic Shipping"
    assert body["advancedOptions"]["customField1"] == "gid://shopify/Order/820982911946154508"
    assert body["advancedOptions"]["warehouseId"] == 24079
    with pytest.raises(ValueError):
        order_request(order, order_key="k", confirmation="adult")
    with pytest.raises(ValueError):
        order_request(order, order_key="")
    with pytest.raises(ValueError):
        order_request(replace(order, shipping_address=None), order_key="k")
    unpaid = order_request(replace(order, financial_status="pending"), order_key="k")
    assert unpaid["paymentDate"] is None


def test_timestamps() -> None:
    assert format_datetime(datetime(2026, 7, 1, 12, 0, tzinfo=timezone.utc)) == (
        "2026-07-01T05:00:00.0000000")  # PDT
    assert format_datetime(datetime(2026, 1, 1, 12, 0, 0, 123456)) == (
        "2026-01-01T04:00:00.1234560")  # naive = UTC; PST
    parsed = read_datetime("2015-07-16T14:00:34.8230000")
    assert parsed is not None and parsed.utcoffset() is not None
    assert parsed.astimezone(timezone.utc) == datetime(2015, 7, 16, 21, 0, 34, 823000,
                                                       tzinfo=timezone.utc)


def test_parse_docs_shipment() -> None:
    shipment = parse_shipment(fixture("v1_shipment.docs.json"))
    assert shipment.shipment_id == "33974374"
    assert shipment.order_key == "8061c220f0794a9b92460b8bae6837e4"
    assert shipment.order_number == "100038-1"
    assert shipment.tracking_number == "9400111899561704681189"
    assert (shipment.carrier_code, shipment.service_code) == ("stamps_com",
                                                              "usps_first_class_mail")
    assert shipment.ship_date == date(2014, 10, 3)
    assert not shipment.voided
    assert [(i.sku, i.name, i.quantity) for i in shipment.items] == [
        ("SQ3785739", "Potato Kitten -", 1)]
    assert shipment.shopify_order_id is None  # not an order shipflow pushed


def test_parse_shipments_page_keeps_good_rows() -> None:
    good = fixture("v1_shipment.docs.json")
    ours = dict(good, shipmentId=33974375, orderKey="820982911946154508", shipmentItems=None)
    broken = dict(good, shipmentId=1, trackingNumber=None)
    page = parse_shipments_page({"shipments": [good, ours, broken], "total": 3, "page": 1,
                                 "pages": 1})
    assert [s.shipment_id for s in page.shipments] == ["33974374", "33974375"]
    assert page.shipments[1].shopify_order_id == 820982911946154508
    assert page.shipments[1].items == ()
    assert page.skipped[0].shipment_id == "1"
    assert page.skipped[0].reason == "shipments[2].trackingNumber: must not be null"
    assert (page.total, page.page, page.pages) == (3, 1, 1)
    with pytest.raises(UnexpectedResponse):
        parse_shipments_page({"orders": []})


def test_parse_docs_order() -> None:
    order = parse_order(fixture("v1_order_get_response.docs.json"))
    assert order.order_id == 94113592 and order.order_number == "TEST-ORDER-API-DOCS"
    assert order.order_key == "0f6bec18-9-4771-83aa-f392d84f4c74"
    assert order.order_status == "awaiting_shipment" and order.is_open
    assert [(i.line_item_key, i.sku, i.quantity, i.adjustment) for i in order.items] == [
        ("vd08-MSLbtx", "ABC123", 2, False), (None, "DISCOUNT CODE", 1, True)]
    assert order.ship_date == date(2015, 7, 2) and order.hold_until_date is None
    assert (order.carrier_code, order.service_code) == ("fedex", "fedex_home_delivery")
    assert order.source == "Webstore"
    assert order.tag_ids == ()
    assert order.modified_at is not None


def test_our_order_reads_back() -> None:
    """What we send, echoed back as ShipStation's full order, parses to what we meant."""
    body = order_request(shopify_order(), order_key="820982911946154508")
    echoed = {**body, "orderId": 1, "items": [dict(i, orderItemId=n)
                                              for n, i in enumerate(body["items"])]}
    order = parse_order(echoed)
    assert order.shopify_order_gid == "gid://shopify/Order/820982911946154508"
    assert order.source == "shipflow" and order.order_number == "9999"
    assert [i.line_item_key for i in order.items] == [i["lineItemKey"] for i in body["items"]]


def test_parse_docs_bulk_results() -> None:
    result = parse_create_orders_response(fixture("v1_createorders_response.docs.json"))
    assert not result.has_errors and result.failed == ()
    assert [(r.order_id, r.order_number, r.order_key, r.success) for r in result.results] == [
        (168426889, "TEST-ORDER-API-DOCS-01", "0f6bec18-3e89-4881-83aa-f392d84f4c74", True),
        (168432343, "TEST-ORDER-API-DOCS-02", "0d6bec18-3e79-4981-83ca-f392d84f4c19", True)]
    failed = parse_create_orders_response({"hasErrors": True, "results": [
        {"orderId": 0, "orderNumber": "1", "orderKey": "1", "success": False,
         "errorMessage": "The order is shipped and cannot be updated"}]})
    assert failed.has_errors and failed.failed[0].error_message


def test_parse_docs_carriers_and_label() -> None:
    carriers = parse_carriers(fixture("v1_carriers_list_response.docs.json"))
    assert [c.code for c in carriers] == ["stamps_com", "stamps_com", "ups", "fedex", "endicia"]
    assert carriers[3].account_number == "297929999"  # a number in the docs
    assert carriers[1].nickname == "Stamps.com 2" and carriers[0].balance == 24.27
    label = parse_label(fixture("v1_createlabelfororder_response.docs.json"))
    assert (label.shipment_id, label.tracking_number, label.shipment_cost) == (
        "72513480", "248201115029520", 7.3)
    assert label.label_data is not None and label.label_data.startswith("JVBERi0")


# -- webhooks ----------------------------------------------------------------------------------
def test_parse_ship_notify_pointer() -> None:
    raw = (b'{"resource_url":"https://ssapi.shipstation.com/shipments?batchId=144015674'
           b'&includeShipmentItems=False","resource_type":"SHIP_NOTIFY"}')
    pointer = parse_pointer(raw)
    assert pointer.resource_type == "SHIP_NOTIFY"
    assert pointer.resource_url == (
        "https://ssapi.shipstation.com/shipments?batchId=144015674&includeShipmentItems=False")
    order_notify = parse_pointer(json.dumps({
        "resource_url": "https://ssapi13.shipstation.com/orders?importBatch="
                        "6c4f2d15-7698-6113-4b90-d8cd13d32a24",
        "resource_type": "order_notify"}).encode())
    assert order_notify.resource_type == "ORDER_NOTIFY"


@pytest.mark.parametrize(("raw", "reason"), [
    (b"not json", "body is not valid JSON"),
    (b"\xff\xfe", "body is not valid JSON"),
    (b"[]", "body: expected an object, got an array"),
    (b'{"resource_type":"SHIP_NOTIFY"}', "resource_url: is missing"),
    (b'{"resource_url":"","resource_type":"SHIP_NOTIFY"}', "resource_url: must not be empty"),
    (b'{"resource_url":5,"resource_type":"SHIP_NOTIFY"}',
     "resource_url: expected a string, got an integer"),
    (b'{"resource_url":"https://ssapi.shipstation.com/shipments"}', "resource_type: is missing"),
    (b'{"resource_url":"/shipments?batchId=1","resource_type":"SHIP_NOTIFY"}',
     "resource_url: expected an absolute http(s) URL"),
    (b'{"resource_url":"file:///etc/passwd","resource_type":"SHIP_NOTIFY"}',
     "resource_url: expected an absolute http(s) URL"),
])
def test_malformed_pointers(raw: bytes, reason: str) -> None:
    with pytest.raises(MalformedWebhook) as caught:
        parse_pointer(raw)
    assert str(caught.value) == reason


def test_verify_token() -> None:
    assert verify_token("s3cret-token", "s3cret-token")
    assert not verify_token("s3cret-tokeN", "s3cret-token")
    assert not verify_token("", "")
    assert not verify_token("anything", "")


SANDBOX = "http://127.0.0.1:8100/shipstation"
REAL = "https://ssapi.shipstation.com"


@pytest.mark.parametrize(("url", "base", "allowed"), [
    (f"{SANDBOX}/shipments?batchId=1&includeShipmentItems=False", SANDBOX, True),
    (f"{SANDBOX}/orders?importBatch=6c4f", SANDBOX, True),
    (f"{SANDBOX}/shipments", SANDBOX + "/", True),
    ("http://127.0.0.1:8100/shipstation", SANDBOX, False),  # the base itself, no resource
    ("http://127.0.0.1:8100/shipstationx/shipments", SANDBOX, False),
    ("http://127.0.0.1:8100/_sandbox/reset", SANDBOX, False),
    ("http://127.0.0.1:8100/shopify/admin/api/2026-07/graphql.json", SANDBOX, False),
    ("http://127.0.0.1:8101/shipstation/shipments", SANDBOX, False),
    ("https://127.0.0.1:8100/shipstation/shipments", SANDBOX, False),
    ("http://localhost:8100/shipstation/shipments", SANDBOX, False),
    ("http://127.0.0.1:8100/shipstation/../_sandbox/reset", SANDBOX, False),
    ("http://127.0.0.1:8100/shipstation/%2e%2e/_sandbox/reset", SANDBOX, False),
    ("http://127.0.0.1:8100/shipstation/shipments\\..\\x", SANDBOX, False),
    ("http://user:pw@127.0.0.1:8100/shipstation/shipments", SANDBOX, False),
    ("http://127.0.0.1:8100@169.254.169.254/shipstation/shipments", SANDBOX, False),
    ("http://169.254.169.254/latest/meta-data/", SANDBOX, False),
    (f"{REAL}/shipments?batchId=144015674&includeShipmentItems=False", REAL, True),
    ("https://ssapi13.shipstation.com/orders?importBatch=6c4f2d15", REAL, True),
    ("https://ssapi6.shipstation.com/shipments?storeID=171654", REAL, True),
    ("https://SSAPI11.ShipStation.com/shipments?batchId=1", REAL, True),
    ("https://ssapi.shipstation.com:443/shipments?batchId=1", REAL, True),
    ("http://ssapi.shipstation.com/shipments?batchId=1", REAL, False),
    ("https://ssapi.shipstation.com:8443/shipments", REAL, False),
    ("https://ssapi.shipstation.com.evil.example/shipments", REAL, False),
    ("https://evilssapi.shipstation.com/shipments", REAL, False),
    ("https://ssapiX.shipstation.com/shipments", REAL, False),
    ("https://api.shipstation.com/v2/labels", REAL, False),
    ("https://ssapi13.shipstation.com/shipments", SANDBOX, False),  # numbered hosts: real only
    ("ftp://ssapi.shipstation.com/shipments", REAL, False),
    ("", REAL, False),
    ("https://ssapi.shipstation.com/shipments", "", False),
    ("http://127.0.0.1:8100/shipstation/shipments?x=1 2", SANDBOX, False),
    ("http://127.0.0.1:99999/shipstation/shipments", SANDBOX, False),
])
def test_ssrf_guard(url: str, base: str, allowed: bool) -> None:
    assert is_allowed_resource_url(url, base) is allowed
