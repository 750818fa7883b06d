"""ShipStation v1 order statuses as the routing feature sets them through createorder
(awaiting_shipment, on_hold, cancelled), the warehouse that leaves held and cancelled orders
alone, mark-as-shipped (a fulfillment, no SHIP_NOTIFY) and the v2 warehouse and shipment reads."""

from __future__ import annotations

import copy
import time

import httpx
from sandbox_helpers import fixture_json, wait_until


def auth(sandbox) -> tuple[str, str]:
    return (sandbox.config.shipstation_api_key, sandbox.config.shipstation_api_secret)


def upsert(sandbox, key: str, **changes) -> httpx.Response:
    body = copy.deepcopy(fixture_json("shipstation/v1_createorder_request.docs.json"))
    body.update(orderNumber=key.upper(), orderKey=key, carrierCode=None, serviceCode=None)
    body.update(changes)
    return httpx.post(sandbox.url("/shipstation/orders/createorder"), json=body,
                      auth=auth(sandbox))


def control(sandbox, key: str) -> dict:
    [order] = httpx.get(sandbox.url("/_sandbox/shipstation/orders"),
                        params={"orderKey": key}).json()["orders"]
    return order


def test_upsert_keeps_what_routing_sets_and_the_control_shows_it(sandbox):
    created = upsert(sandbox, "k1", orderStatus="on_hold", confirmation="adult_signature",
                     requestedShippingService="Express (1-2 business days)",
                     carrierCode="ups", serviceCode="ups_next_day_air", tagIds=[48212],
                     advancedOptions={"storeId": 171654, "customField1": "gid://shopify/Order/1",
                                      "customField2": "part 1", "customField3": "hold: address",
                                      "source": "shipflow"},
                     items=[{"lineItemKey": "1", "sku": "MUG-CER-12", "name": "Mug",
                             "quantity": 2, "unitPrice": 24.0}])
    assert created.status_code == 200, created.text
    shown = control(sandbox, "k1")
    assert shown["orderId"] == created.json()["orderId"]
    assert (shown["orderStatus"], shown["confirmation"], shown["carrierCode"],
            shown["serviceCode"], shown["tagIds"]) == (
        "on_hold", "adult_signature", "ups", "ups_next_day_air", [48212])
    assert shown["requestedShippingService"] == "Express (1-2 business days)"
    assert {k: shown["advancedOptions"][k] for k in (
        "storeId", "customField1", "customField2", "customField3", "source")} == {
        "storeId": 171654, "customField1": "gid://shopify/Order/1", "customField2": "part 1",
        "customField3": "hold: address", "source": "shipflow"}
    assert [(i["sku"], i["quantity"]) for i in shown["items"]] == [("MUG-CER-12", 2)]
    by_status = httpx.get(sandbox.url("/_sandbox/shipstation/orders"),
                          params={"orderStatus": "on_hold"}).json()["orders"]
    assert [o["orderKey"] for o in by_status] == ["k1"]


def test_held_and_cancelled_orders_are_never_printed(make_sandbox):
    sandbox = make_sandbox(auto_ship_after=0.05)
    held = upsert(sandbox, "held", orderStatus="on_hold").json()
    cancelled = upsert(sandbox, "gone", orderStatus="cancelled").json()
    ready = upsert(sandbox, "ready").json()
    wait_until(lambda: control(sandbox, "ready")["orderStatus"] == "shipped")
    time.sleep(0.2)  # several more auto-ship rounds
    assert control(sandbox, "held")["orderStatus"] == "on_hold"
    assert control(sandbox, "gone")["orderStatus"] == "cancelled"
    staff = httpx.post(sandbox.url("/_sandbox/shipstation/ship"), json={
        "orderIds": [held["orderId"], cancelled["orderId"], ready["orderId"]]}).json()
    assert staff == {"batches": [], "skipped": [
        {"orderId": held["orderId"], "reason": "on_hold"},
        {"orderId": cancelled["orderId"], "reason": "cancelled"},
        {"orderId": ready["orderId"], "reason": "shipped"}]}
    label = httpx.post(sandbox.url("/shipstation/orders/createlabelfororder"), auth=auth(
        sandbox), json={"orderId": cancelled["orderId"], "carrierCode": "ups",
                        "serviceCode": "ups_ground", "confirmation": "none",
                        "shipDate": "2026-11-25"})
    assert label.status_code == 500 and "cancelled" in label.json()["ExceptionMessage"]
    refused = upsert(sandbox, "ready", orderStatus="awaiting_shipment")
    assert refused.status_code == 500
    assert "shipped" in refused.json()["ExceptionMessage"]
    assert httpx.post(sandbox.url("/shipstation/orders/restorefromhold"), auth=auth(sandbox),
                      json={"orderId": held["orderId"]}).json()["success"] is True
    wait_until(lambda: control(sandbox, "held")["orderStatus"] == "shipped")
    assert control(sandbox, "gone")["orderStatus"] == "cancelled"


def test_an_upsert_that_keeps_an_order_on_hold_keeps_its_date(sandbox):
    order = upsert(sandbox, "k1").json()
    httpx.post(sandbox.url("/shipstation/orders/holduntil"), auth=auth(sandbox),
               json={"orderId": order["orderId"], "holdUntilDate": "2031-01-15"})
    assert control(sandbox, "k1")["holdUntilDate"] == "2031-01-15"
    upsert(sandbox, "k1", orderStatus="on_hold", customerNotes="still held")
    assert control(sandbox, "k1")["holdUntilDate"] == "2031-01-15"
    upsert(sandbox, "k1", orderStatus="awaiting_shipment")
    assert control(sandbox, "k1")["holdUntilDate"] is None


def test_mark_as_shipped_is_a_fulfillment_without_ship_notify(make_sandbox, receiver):
    sandbox = make_sandbox(shipstation_webhook_urls=[receiver.url("/hook")])
    order = upsert(sandbox, "api-1").json()
    marked = httpx.post(sandbox.url("/shipstation/orders/markasshipped"), auth=auth(sandbox),
                        json={"orderId": order["orderId"], "carrierCode": "ups",
                              "shipDate": "2026-11-25", "trackingNumber": "1Z999AA10123456784",
                              "notifyCustomer": False, "notifySalesChannel": False})
    assert marked.json() == {"orderId": order["orderId"], "orderNumber": "API-1"}
    assert control(sandbox, "api-1")["orderStatus"] == "shipped"
    listed = httpx.get(sandbox.url("/shipstation/fulfillments"), auth=auth(sandbox),
                       params={"orderId": order["orderId"]}).json()
    assert listed["total"] == 1 and listed["pages"] == 1
    [row] = listed["fulfillments"]
    assert (row["trackingNumber"], row["carrierCode"], row["shipDate"], row["voided"],
            row["marketplaceNotified"]) == ("1Z999AA10123456784", "ups", "2026-11-25", False,
                                            False)
    shipments = httpx.get(sandbox.url("/shipstation/shipments"), auth=auth(sandbox)).json()
    assert shipments["shipments"] == []
    time.sleep(0.3)
    assert receiver.received == []  # no SHIP_NOTIFY: nothing is in /shipments
    by_tracking = httpx.get(sandbox.url("/shipstation/fulfillments"), auth=auth(sandbox),
                            params={"trackingNumber": "nope"}).json()
    assert by_tracking["fulfillments"] == []


def test_v2_warehouse_and_shipment_reads(sandbox):
    headers = {"API-Key": sandbox.config.shipstation_v2_api_key}
    base = sandbox.url("/shipstation/v2")
    [warehouse] = httpx.get(f"{base}/warehouses", headers=headers).json()["warehouses"]
    assert warehouse["warehouse_id"] == "se-24079" and warehouse["is_default"] is True
    assert warehouse["origin_address"]["postal_code"] == "40213"
    assert httpx.get(f"{base}/warehouses/se-24079", headers=headers).json() == warehouse
    assert httpx.get(f"{base}/warehouses/se-1", headers=headers).status_code == 404
    shipment = {"warehouse_id": "se-24079", "external_shipment_id": "5800000000001-1",
                "ship_to": {"name": "Ann Smith", "phone": "313-555-0100",
                            "address_line1": "411 W 4th St", "city_locality": "Royal Oak",
                            "state_province": "MI", "postal_code": "48067",
                            "country_code": "US"},
                "packages": [{"weight": {"value": 900, "unit": "gram"}}]}
    rated = httpx.post(f"{base}/rates", headers=headers, json={
        "shipment": shipment, "rate_options": {"carrier_ids": ["se-2077421", "se-2077422"]}})
    assert rated.status_code == 200, rated.text
    body = rated.json()
    assert all(r["delivery_days"] and r["estimated_delivery_date"]
               for r in body["rate_response"]["rates"])
    pending = httpx.get(f"{base}/shipments/external_shipment_id/5800000000001-1",
                        headers=headers).json()
    assert pending["shipment_id"] == body["shipment_id"]
    assert pending["shipment_status"] == "pending" and pending["warehouse_id"] == "se-24079"
    label = httpx.post(f"{base}/labels/rates/{body['rate_response']['rates'][0]['rate_id']}",
                       headers=headers, json={}).json()
    bought = httpx.get(f"{base}/shipments/{label['shipment_id']}", headers=headers).json()
    assert bought["shipment_status"] == "label_purchased"
    again = httpx.post(f"{base}/rates", headers=headers, json={
        "shipment": shipment, "rate_options": {"carrier_ids": ["se-2077421"]}}).json()
    assert again["shipment_id"] != body["shipment_id"]
    found = httpx.get(f"{base}/shipments/external_shipment_id/5800000000001-1",
                      headers=headers).json()
    assert found["shipment_id"] == body["shipment_id"]  # the one with the label
    assert httpx.get(f"{base}/shipments/external_shipment_id/none",
                     headers=headers).status_code == 404
    assert httpx.get(f"{base}/shipments/se-1", headers=headers).status_code == 404
