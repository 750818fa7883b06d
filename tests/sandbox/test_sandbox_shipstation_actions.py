"""ShipStation v1 order actions: holds, tags, rates, mark-as-shipped, delete, cancel, relabel."""

from __future__ import annotations

import copy
import json
from datetime import timedelta

import httpx
from sandbox_helpers import fixture_json, wait_until

DAY = 86400.0


def auth(sandbox) -> tuple[str, str]:
    return (sandbox.config.shipstation_api_key, sandbox.config.shipstation_api_secret)


def create(sandbox, number: str, key: str, **changes) -> dict:
    body = copy.deepcopy(fixture_json("shipstation/v1_createorder_request.docs.json"))
    body.update(orderNumber=number, orderKey=key, carrierCode=None, serviceCode=None, **changes)
    response = httpx.post(
        sandbox.url("/shipstation/orders/createorder"), json=body, auth=auth(sandbox)
    )
    assert response.status_code == 200, response.text
    return response.json()


def post(sandbox, path: str, body) -> httpx.Response:
    return httpx.post(sandbox.url("/shipstation" + path), json=body, auth=auth(sandbox))


def order(sandbox, order_id: int) -> dict:
    return httpx.get(sandbox.url(f"/shipstation/orders/{order_id}"), auth=auth(sandbox)).json()


def ship(sandbox, ids=None, relabel=False) -> dict:
    body = {"orderIds": ids, "relabel": relabel} if ids is not None else {}
    return httpx.post(sandbox.url("/_sandbox/shipstation/ship"), json=body).json()


def test_hold_until_stops_the_warehouse_and_expires_on_the_simulated_date(make_sandbox):
    sandbox = make_sandbox(time_scale=DAY * 4)  # a simulated day every 0.25 s
    held = create(sandbox, "#1", "k1")
    other = create(sandbox, "#2", "k2")
    until = (sandbox.state.clock.calendar() + timedelta(days=3)).date().isoformat()
    answer = post(sandbox, "/orders/holduntil", {"orderId": held["orderId"],
                                                 "holdUntilDate": until})
    assert answer.json() == {"success": True, "message": "Order held successfully."}
    assert (order(sandbox, held["orderId"])["orderStatus"],
            order(sandbox, held["orderId"])["holdUntilDate"]) == ("on_hold", until)
    printed = ship(sandbox)
    assert printed["batches"][0]["orderIds"] == [other["orderId"]]
    explicit = ship(sandbox, [held["orderId"]])
    assert explicit["skipped"] == [{"orderId": held["orderId"], "reason": "on_hold"}]
    label = post(sandbox, "/orders/createlabelfororder", {
        "orderId": held["orderId"], "carrierCode": "ups", "serviceCode": "ups_ground",
        "confirmation": "none", "shipDate": "2026-11-25"})
    assert label.status_code == 500 and "on_hold" in label.json()["ExceptionMessage"]
    wait_until(lambda: order(sandbox, held["orderId"])["orderStatus"] == "awaiting_shipment",
               timeout=3)
    assert order(sandbox, held["orderId"])["holdUntilDate"] is None
    assert ship(sandbox)["batches"][0]["orderIds"] == [held["orderId"]]


def test_restore_from_hold_tags_and_bad_requests(sandbox):
    first = create(sandbox, "#1", "k1")
    far = "2099-01-01"
    post(sandbox, "/orders/holduntil", {"orderId": first["orderId"], "holdUntilDate": far})
    restored = post(sandbox, "/orders/restorefromhold", {"orderId": first["orderId"]})
    assert restored.json() == {"success": True,
                               "message": "The requested order has been restored"}
    assert order(sandbox, first["orderId"])["orderStatus"] == "awaiting_shipment"
    again = post(sandbox, "/orders/restorefromhold", {"orderId": first["orderId"]})
    assert again.status_code == 400 and "not on hold" in again.json()["message"]
    tags = httpx.get(sandbox.url("/shipstation/accounts/listtags"), auth=auth(sandbox)).json()
    assert {"tagId", "name", "color"} == set(tags[0]) and len(tags) >= 3
    tagged = post(sandbox, "/orders/addtag", {"orderId": first["orderId"],
                                             "tagId": tags[0]["tagId"]})
    assert tagged.json() == {"success": True, "message": "Tag added successfully."}
    post(sandbox, "/orders/addtag", {"orderId": first["orderId"], "tagId": tags[0]["tagId"]})
    assert order(sandbox, first["orderId"])["tagIds"].count(tags[0]["tagId"]) == 1
    assert post(sandbox, "/orders/addtag", {"orderId": first["orderId"],
                                            "tagId": 1}).status_code == 400
    missing = post(sandbox, "/orders/holduntil", {"orderId": 1, "holdUntilDate": far})
    assert missing.status_code == 404
    bad_date = post(sandbox, "/orders/holduntil", {"orderId": first["orderId"],
                                                   "holdUntilDate": "soon"})
    assert bad_date.status_code == 400


def test_getrates_one_carrier_per_call_deterministic_with_confirmation_fee(sandbox):
    request = {"carrierCode": "fedex", "fromPostalCode": "40213", "toState": "MI",
               "toCountry": "US", "toPostalCode": "48067",
               "weight": {"value": 24, "units": "ounces"}}
    plain = post(sandbox, "/shipments/getrates", request).json()
    assert isinstance(plain, list) and plain
    assert all(set(r) == {"serviceName", "serviceCode", "shipmentCost", "otherCost"}
               for r in plain)
    assert {r["serviceCode"] for r in plain} == {
        "fedex_ground", "fedex_home_delivery", "fedex_2day", "fedex_standard_overnight"}
    assert post(sandbox, "/shipments/getrates", request).json() == plain
    signed = post(sandbox, "/shipments/getrates", {**request, "confirmation": "signature"})
    for a, b in zip(plain, signed.json(), strict=True):
        assert b["shipmentCost"] == a["shipmentCost"] and b["otherCost"] > a["otherCost"]
    heavier = post(sandbox, "/shipments/getrates", {**request, "weight": {"value": 10,
                                                                          "units": "pounds"}})
    farther = post(sandbox, "/shipments/getrates", {**request, "toPostalCode": "98103",
                                                    "toState": "WA"})
    assert heavier.json()[0]["shipmentCost"] > plain[0]["shipmentCost"]
    assert farther.json()[0]["shipmentCost"] > plain[0]["shipmentCost"]
    abroad = post(sandbox, "/shipments/getrates", {**request, "toCountry": "GB",
                                                   "toPostalCode": "SW1A 2AA"}).json()
    assert [r["serviceCode"] for r in abroad] == ["fedex_international_economy"]
    ups = post(sandbox, "/shipments/getrates", {**request, "carrierCode": "ups", "toState": None})
    assert ups.status_code == 400 and "toState" in ups.json()["message"]


def test_markasshipped_delete_and_cancel_keep_orders_from_the_warehouse(sandbox):
    marked = create(sandbox, "#1", "k1")
    deleted = create(sandbox, "#2", "k2")
    cancelled = create(sandbox, "#3", "k3")
    answer = post(sandbox, "/orders/markasshipped", {
        "orderId": marked["orderId"], "carrierCode": "usps", "shipDate": "2026-11-25",
        "trackingNumber": "9400100000000000000000", "notifyCustomer": False,
        "notifySalesChannel": True})
    assert answer.json() == {"orderId": marked["orderId"], "orderNumber": "#1"}
    assert order(sandbox, marked["orderId"])["orderStatus"] == "shipped"
    gone = httpx.delete(sandbox.url(f"/shipstation/orders/{deleted['orderId']}"),
                        auth=auth(sandbox))
    assert gone.json() == {"success": True, "message": "The requested order has been deleted."}
    listed = httpx.get(sandbox.url("/shipstation/orders"), auth=auth(sandbox)).json()
    assert deleted["orderId"] not in [o["orderId"] for o in listed["orders"]]
    assert order(sandbox, deleted["orderId"])["orderId"] == deleted["orderId"]  # soft delete
    again = create(sandbox, "#3", "k3", orderStatus="cancelled")
    assert again["orderId"] == cancelled["orderId"] and again["orderStatus"] == "cancelled"
    assert ship(sandbox) == {"batches": [], "skipped": []}
    reopened = httpx.post(sandbox.url("/shipstation/orders/createorder"), auth=auth(sandbox),
                          json={**fixture_json("shipstation/v1_createorder_request.docs.json"),
                                "orderKey": "k3", "orderNumber": "#3"})
    assert reopened.status_code == 500 and "cancelled" in reopened.json()["ExceptionMessage"]
    summary = httpx.get(sandbox.url("/_sandbox/summary")).json()
    assert summary["shipstation"]["shipments"] == 0
    assert summary["shipstation_v2"]["carrier"]["parcels"] == 0


def test_relabel_voids_the_old_shipment_and_notifies_the_new_one(make_sandbox, receiver):
    sandbox = make_sandbox(shipstation_webhook_urls=[receiver.url("/hook")])
    created = create(sandbox, "#1", "k1", requestedShippingService="UPS Ground")
    ship(sandbox)
    wait_until(lambda: len(receiver.received) == 1)
    [first] = httpx.get(json.loads(receiver.received[0].body)["resource_url"],
                        auth=auth(sandbox)).json()["shipments"]
    result = ship(sandbox, [created["orderId"]], relabel=True)
    wait_until(lambda: len(receiver.received) == 2)
    urls = [json.loads(r.body)["resource_url"] for r in receiver.received]
    assert urls[0] != urls[1]
    # The relabel's SHIP_NOTIFY resource lists the voided label beside the new one.
    old, new = httpx.get(urls[1], auth=auth(sandbox)).json()["shipments"]
    assert [new["shipmentId"]] == result["batches"][0]["shipmentIds"]
    assert old["shipmentId"] == first["shipmentId"] and old["voided"] is True and old["voidDate"]
    assert new["voided"] is False and new["voidDate"] is None
    assert old["trackingNumber"] != new["trackingNumber"]
    assert (old["orderId"], old["orderKey"]) == (new["orderId"], new["orderKey"]) == (
        created["orderId"], "k1")
    assert order(sandbox, created["orderId"])["orderStatus"] == "shipped"
    v2 = sandbox.state.shipstation_v2
    old_label = v2.labels[v2.twins[old["shipmentId"]]]
    assert old_label["voided"] is True and old_label["status"] == "voided"
    assert v2.carrier.parcels[old["trackingNumber"]].voided
    assert v2.labels[v2.twins[new["shipmentId"]]]["voided"] is False
    plans = httpx.get(sandbox.url("/_sandbox/carrier/plans"),
                      params={"tracking_number": new["trackingNumber"]}).json()
    assert plans["total"] == 1  # the carrier follows the new tracking number
    assert not v2.carrier.parcels[new["trackingNumber"]].voided
    relabelled_again = ship(sandbox, [created["orderId"]], relabel=True)
    latest = httpx.get(sandbox.url("/shipstation/shipments"), auth=auth(sandbox), params={
        "batchId": relabelled_again["batches"][0]["batchId"]}).json()["shipments"]
    assert [s["shipmentId"] for s in latest if s["voided"]] == [new["shipmentId"]]
