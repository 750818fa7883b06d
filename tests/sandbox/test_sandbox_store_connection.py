"""ShipStation's own Shopify store connection: `GET /stores`, imports on its own schedule,
the marketplace notification on a label, and none on a relabel."""

from __future__ import annotations

import httpx
from sandbox_helpers import wait_until

DAY = 86400.0


def auth(sandbox) -> tuple[str, str]:
    return (sandbox.config.shipstation_api_key, sandbox.config.shipstation_api_secret)


def place(sandbox, count: int = 1) -> list[dict]:
    response = httpx.post(sandbox.url("/_sandbox/shopify/orders"),
                          json={"count": count, "destination": "contiguous",
                                "line_items": [{"sku": "MUG-CER-16", "quantity": 1}]})
    response.raise_for_status()
    return response.json()["orders"]


def imported(sandbox, number: str) -> list[dict]:
    return httpx.get(sandbox.url("/shipstation/orders"), auth=auth(sandbox),
                     params={"orderNumber": number,
                             "storeId": sandbox.config.shipstation_shopify_store_id}
                     ).json()["orders"]


def records(sandbox) -> dict:
    return httpx.get(sandbox.url("/_sandbox/records")).json()


def test_without_a_connection_stores_lists_the_manual_store_only(make_sandbox):
    sandbox = make_sandbox(seed=3)
    stores = httpx.get(sandbox.url("/shipstation/stores"), auth=auth(sandbox)).json()
    assert [s["marketplaceName"] for s in stores] == ["ShipStation"]
    place(sandbox)
    assert records(sandbox)["shipstation"]["orders"] == []


def test_paid_orders_are_imported_after_the_delay_keyed_by_the_shopify_id(make_sandbox):
    sandbox = make_sandbox(seed=3, time_scale=600, store_import_after=600)  # ~1 s
    stores = httpx.get(sandbox.url("/shipstation/stores"), auth=auth(sandbox)).json()
    shopify = [s for s in stores if s["marketplaceName"] == "Shopify"]
    assert len(shopify) == 1 and shopify[0]["storeId"] == 171655 and shopify[0]["active"]
    assert set(shopify[0]) >= {"storeId", "storeName", "marketplaceId", "marketplaceName",
                               "integrationUrl", "autoRefresh", "statusMappings"}
    [order] = place(sandbox)
    number = order["name"].removeprefix("#")
    assert imported(sandbox, number) == []  # not yet: the connection runs on its schedule
    wait_until(lambda: imported(sandbox, number), timeout=10)
    [ss] = imported(sandbox, number)
    assert ss["orderKey"] == str(order["id"]) and ss["orderStatus"] == "awaiting_shipment"
    assert ss["advancedOptions"]["storeId"] == 171655
    assert ss["advancedOptions"]["source"] == "shopify"
    assert [i["sku"] for i in ss["items"]] == ["MUG-CER-16"]


def test_a_label_notifies_shopify_once_and_a_relabel_does_not(make_sandbox):
    sandbox = make_sandbox(seed=3, store_import_after=3600)
    [order] = place(sandbox)
    httpx.post(sandbox.url("/_sandbox/shipstation/store-connection"),
               json={"import_now": True}).raise_for_status()
    [ss] = imported(sandbox, order["name"].removeprefix("#"))
    httpx.post(sandbox.url("/_sandbox/shipstation/ship"),
               json={"orderIds": [ss["orderId"]]}).raise_for_status()
    shipments = httpx.get(sandbox.url("/shipstation/shipments"), auth=auth(sandbox),
                          params={"orderId": ss["orderId"]}).json()["shipments"]
    assert [s["marketplaceNotified"] for s in shipments] == [True]
    [shop] = [o for o in records(sandbox)["shopify"]["orders"] if o["id"] == order["id"]]
    assert [f["tracking_numbers"] for f in shop["fulfillments"]] == \
        [[shipments[0]["trackingNumber"]]]
    # Reshipping after a void: ShipStation does not tell the store the new tracking.
    httpx.post(sandbox.url("/_sandbox/shipstation/ship"),
               json={"orderIds": [ss["orderId"]], "relabel": True}).raise_for_status()
    after = httpx.get(sandbox.url("/shipstation/shipments"), auth=auth(sandbox),
                      params={"orderId": ss["orderId"]}).json()["shipments"]
    new = [s for s in after if not s["voided"]]
    assert len(new) == 1 and not new[0]["marketplaceNotified"]
    [shop] = [o for o in records(sandbox)["shopify"]["orders"] if o["id"] == order["id"]]
    assert [f["tracking_numbers"] for f in shop["fulfillments"]] == \
        [[shipments[0]["trackingNumber"]]]  # still the voided label's
    connection = records(sandbox)["shipstation"]["store_connection"]
    assert len(connection["notifications"]) == 1


def test_skipped_orders_are_never_imported(make_sandbox):
    sandbox = make_sandbox(seed=3, store_import_after=3600)  # not before the skip
    [order] = place(sandbox)
    httpx.post(sandbox.url("/_sandbox/shipstation/store-connection"),
               json={"skip": [order["id"]], "import_now": True}).raise_for_status()
    assert imported(sandbox, order["name"].removeprefix("#")) == []
    bad = httpx.post(sandbox.url("/_sandbox/shipstation/store-connection"),
                     json={"import_after": "soon"})
    assert bad.status_code == 400
