"""The audit's read parsers on real-shaped payloads: a ShipStation v1 shipment (the docs'
example), Klaviyo event and metric pages, a Shopify orders page."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from shipflow.providers.klaviyo import history as klaviyo
from shipflow.providers.shipstation import history as shipstation
from shipflow.providers.shopify import history as shopify
from shipflow.providers.shopify.graphql import data_of
from tests.conftest import FIXTURES


def test_a_v1_shipment_row_gives_its_label_times() -> None:
    row = json.loads((FIXTURES / "shipstation" / "v1_shipment.docs.json").read_text())
    voided = dict(row, shipmentId=2, voided=True, voidDate="2014-10-04T09:00:00.0000000")
    page = shipstation.parse_past_labels_page({"shipments": [row, voided], "total": 2,
                                               "page": 1, "pages": 1})
    first, second = page.labels
    pacific = ZoneInfo("America/Los_Angeles")
    assert first.created_at == datetime(2014, 10, 3, 6, 51, 33, 627000, tzinfo=pacific)
    assert (first.shipment_id, first.order_number, first.tracking_number, first.voided) == (
        "33974374", "100038-1", "9400111899561704681189", False)
    assert second.voided and second.voided_at == datetime(2014, 10, 4, 9, tzinfo=pacific)


def test_klaviyo_pages_and_the_filter() -> None:
    since = datetime(2026, 11, 1, tzinfo=timezone.utc)
    assert klaviyo.events_filter("Y6Hmxn", since) == (
        'equals(metric_id,"Y6Hmxn"),greater-or-equal(datetime,2026-11-01T00:00:00Z)')
    metrics, after = klaviyo.parse_metrics_page({"data": [
        {"type": "metric", "id": "Y6Hmxn", "attributes": {"name": "Fulfilled Order"},
         "links": {"self": "x"}}], "links": {"self": "x", "next": "https://a/next"}})
    assert metrics == [("Fulfilled Order", "Y6Hmxn")] and after == "https://a/next"
    events, after = klaviyo.parse_events_page({"data": [
        {"type": "event", "id": "4vRpBT", "links": {"self": "x"}, "attributes": {
            "timestamp": 1667870625, "datetime": "2022-11-08T01:23:45+00:00",
            "event_properties": {"OrderId": 1, "$event_id": "1"}, "uuid": "u"}}],
        "links": {"self": "x"}})
    assert after is None
    assert events[0].at == datetime(2022, 11, 8, 1, 23, 45, tzinfo=timezone.utc)
    assert events[0].properties == {"OrderId": 1, "$event_id": "1"}


def test_a_shopify_orders_page() -> None:
    body = {"data": {"orders": {"pageInfo": {"hasNextPage": True, "endCursor": "abc"}, "nodes": [{
        "id": "gid://shopify/Order/5", "legacyResourceId": "5", "name": "#1005",
        "createdAt": "2026-11-01T10:00:00Z", "cancelledAt": None,
        "displayFulfillmentStatus": "ON_HOLD",
        "fulfillments": [{"id": "gid://shopify/Fulfillment/9", "status": "SUCCESS",
                          "createdAt": "2026-11-01T11:00:00Z",
                          "updatedAt": "2026-11-01T12:00:00Z",
                          "trackingInfo": [{"company": "UPS", "number": None, "url": None}]}],
        "fulfillmentOrders": {"nodes": [{"id": "gid://shopify/FulfillmentOrder/3",
                                         "status": "ON_HOLD",
                                         "updatedAt": "2026-11-01T10:30:00Z",
                                         "fulfillmentHolds": [{"reason": "OTHER"}]}]}}]}}}
    orders, after = shopify.parse_orders_page(data_of(body))
    [order] = orders
    assert after == "abc" and (order.id, order.name, order.cancelled) == (5, "#1005", False)
    assert order.fulfillments[0].tracking_numbers == () and order.fulfillments[0].active
    assert order.holds[0].reason == "OTHER"
    assert order.holds[0].since == datetime(2026, 11, 1, 10, 30, tzinfo=timezone.utc)
    assert "created_at:>='2026-11-01T00:00:00Z'" in shopify.orders_query(
        datetime(2026, 11, 1, tzinfo=timezone.utc))
