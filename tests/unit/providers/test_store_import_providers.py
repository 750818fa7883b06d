"""`store_import` on the provider side, without a network: ShipStation stores, finding the
import, the amendment's createorder body, and adopting the store connection's fulfillment."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from shipflow.domain.effects import AmendImported
from shipflow.domain.fulfilment import Part, PartLine, PartStatus
from shipflow.domain.routing import Confirmation, HoldReason, ServiceChoice
from shipflow.domain.tracking import tracking_info
from shipflow.providers.errors import TransientError, UnexpectedResponse
from shipflow.providers.shipstation.label_platform import ShipStationLabelPlatform, amend_body
from shipflow.providers.shipstation.stores import parse_stores, shopify_store
from shipflow.providers.shopify.order_source import ShopifyOrderSource

from .helpers import Script, respond
from .test_label_platform import push
from .test_shipstation_client import client
from .test_shopify_client import client as shopify_client

SINCE = datetime(2026, 12, 1, tzinfo=timezone.utc)
STORE = {"storeId": 171654, "storeName": "Snow Devil", "marketplaceId": 26,
         "marketplaceName": "Shopify", "accountName": None, "email": None,
         "integrationUrl": "https://snowdevil.myshopify.com", "active": True,
         "companyName": "", "phone": "", "publicEmail": "", "website": "",
         "refreshDate": "2026-12-01T10:00:00.0000000", "lastRefreshAttempt": None,
         "createDate": "2026-01-01T10:00:00.0000000", "modifyDate": None,
         "autoRefresh": True, "statusMappings": None}
MANUAL = {**STORE, "storeId": 1, "storeName": "Manual Orders", "marketplaceId": 0,
          "marketplaceName": "ShipStation"}


def test_the_shopify_store_is_found_by_marketplace_name_and_an_active_one_wins() -> None:
    stores = parse_stores([MANUAL, {**STORE, "storeId": 9, "active": False}, STORE])
    found = shopify_store(stores)
    assert found is not None and found.store_id == 171654
    assert shopify_store(parse_stores([MANUAL])) is None
    with pytest.raises(UnexpectedResponse):
        parse_stores({"stores": []})


def amendment(imported: int | None = 555, status: PartStatus = PartStatus.ON_HOLD,
              number: int = 1, tags: tuple[str, ...] = ()) -> AmendImported:
    p = push(1001)
    part = Part(number, (PartLine(1, "MUG-01", 2),), status,
                HoldReason.ADDRESS_REVIEW if status is PartStatus.ON_HOLD else None)
    key = "1001" if number == 1 else f"1001-{number}"
    decided = type(p)(p.order_pk, p.order, part, key, number > 1, Confirmation.SIGNATURE,
                      ServiceChoice("ups", "ups_ground"))
    return AmendImported(decided, imported, 171654, tags)


def test_the_amendment_updates_the_import_by_its_key_and_id_with_the_decisions() -> None:
    body = amend_body(amendment())
    assert body["orderKey"] == "1001" and body["orderId"] == 555
    assert body["orderStatus"] == "on_hold" and body["confirmation"] == "signature"
    assert (body["carrierCode"], body["serviceCode"]) == ("ups", "ups_ground")
    assert body["advancedOptions"]["storeId"] == 171654
    further = amend_body(amendment(None, PartStatus.AWAITING_SHIPMENT, number=2))
    assert "orderId" not in further and further["orderKey"] == "1001-2"
    assert further["orderNumber"] == "1001-2"


def test_find_imported_keeps_exact_numbers_and_amend_adds_known_tags() -> None:
    order = {"orderId": 555, "orderNumber": "1001", "orderKey": "1001",
             "orderStatus": "awaiting_shipment", "advancedOptions": {"storeId": 171654}}
    script = Script([
        respond(200, {"orders": [order, {**order, "orderId": 556, "orderNumber": "10010"}],
                      "total": 2, "page": 1, "pages": 1}),
        respond(200, {"orderId": 555, "orderNumber": "1001", "orderKey": "1001"}),
        respond(200, [{"tagId": 7, "name": "VIP", "color": "#FF0000"}]),
        respond(200, {"success": True, "message": "Tag added successfully."}),
    ])
    platform = ShipStationLabelPlatform(client(script))
    found = platform.find_imported(["1001"], 171654, SINCE)["1001"]
    assert [o.platform_order_id for o in found] == [555] and not found[0].made_by_shipflow
    assert script.requests[0].url.params["orderNumber"] == "1001"
    assert script.requests[0].url.params["storeId"] == "171654"
    results = platform.amend([amendment(tags=("vip", "not-in-shipstation"))])
    assert results["1001"].ok and results["1001"].platform_order_id == 555
    assert script.requests[1].url.path.endswith("/orders/createorder")
    assert script.body(3) == {"orderId": 555, "tagId": 7}
    assert len(script.requests) == 4


def test_many_numbers_are_matched_on_a_listing_of_the_store_page_by_page() -> None:
    def row(i: int, number: str) -> dict[str, Any]:
        return {"orderId": i, "orderNumber": number, "orderKey": number,
                "orderStatus": "awaiting_shipment", "advancedOptions": {"storeId": 171654}}

    script = Script([
        respond(200, {"orders": [row(1, "1001"), row(2, "1002")], "total": 3, "page": 1,
                      "pages": 2}),
        respond(200, {"orders": [row(3, "10030"), row(4, "1004")], "total": 3, "page": 2,
                      "pages": 2}),
    ])
    found = ShipStationLabelPlatform(client(script)).find_imported(
        ["1001", "1002", "1003", "1004"], 171654, SINCE)
    assert sorted(found) == ["1001", "1002", "1004"]
    assert len(script.requests) == 2
    params = script.requests[0].url.params
    assert params["storeId"] == "171654" and params["pageSize"] == "500"
    assert "orderDateStart" in params and "orderNumber" not in params


# -- Shopify: the store connection's fulfillment ------------------------------------------------
TRACKING = tracking_info("ups", "1Z999AA10123456784")


def fulfillments(*entries: tuple[str, list[str]]) -> dict[str, Any]:
    return {"data": {"order": {"id": "gid://shopify/Order/1001", "fulfillments": [
        {"id": fid, "status": "SUCCESS", "trackingInfo": [
            {"number": n, "company": "UPS", "url": None} for n in numbers]}
        for fid, numbers in entries]}}}


def updated(fid: str) -> dict[str, Any]:
    return {"data": {"fulfillmentTrackingInfoUpdate": {
        "fulfillment": {"id": fid, "status": "SUCCESS", "trackingInfo": []},
        "userErrors": []}}}


def source(script: Script) -> ShopifyOrderSource:
    return ShopifyOrderSource(shopify_client(script))


def test_the_connections_fulfillment_with_our_tracking_is_found_and_nothing_written() -> None:
    script = Script([respond(200, fulfillments(("gid://shopify/Fulfillment/1",
                                                 [TRACKING.number])))])
    fid, action = source(script).adopt_fulfilment(push(1001).order, TRACKING, None, attempt=1)
    assert (fid, action) == ("gid://shopify/Fulfillment/1", "found")
    assert len(script.requests) == 1


@pytest.mark.parametrize("numbers", [[], ["1ZVOIDED0000000000"]])
def test_missing_or_wrong_tracking_is_corrected_on_the_existing_fulfillment(
        numbers: list[str]) -> None:
    fid = "gid://shopify/Fulfillment/2"
    script = Script([respond(200, fulfillments((fid, numbers))), respond(200, updated(fid))])
    got = source(script).adopt_fulfilment(push(1001).order, TRACKING, None, attempt=1)
    assert got == (fid, "tracking corrected")
    assert "fulfillmentTrackingInfoUpdate" in script.requests[1].content.decode()


def test_no_fulfillment_yet_waits_for_the_store_connection() -> None:
    script = Script([respond(200, fulfillments())])
    with pytest.raises(TransientError):
        source(script).adopt_fulfilment(push(1001).order, TRACKING, None, attempt=1)
