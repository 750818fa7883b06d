"""The simulated ShipStation v1 API and warehouse."""

from __future__ import annotations

import base64
import copy
import json
import re

import httpx
import pytest
from sandbox_helpers import fixture_json, wait_until


def auth(sandbox) -> tuple[str, str]:
    return (sandbox.config.shipstation_api_key, sandbox.config.shipstation_api_secret)


def order_body(number: str = "1001", key: str = "gid://shopify/Order/1", **changes) -> dict:
    body = copy.deepcopy(fixture_json("shipstation/v1_createorder_request.docs.json"))
    body.update(orderNumber=number, orderKey=key, carrierCode=None, serviceCode=None, **changes)
    return body


def create(sandbox, body) -> httpx.Response:
    return httpx.post(sandbox.url("/shipstation/orders/createorder"), json=body, auth=auth(sandbox))


@pytest.mark.parametrize("credentials", [None, ("wrong", "creds")])
def test_bad_credentials_get_401(sandbox, credentials):
    response = httpx.get(sandbox.url("/shipstation/orders"), auth=credentials)
    assert response.status_code == 401
    assert response.json() == {"message": "Invalid API credentials"}


def test_createorder_returns_the_full_order_with_rate_limit_headers(sandbox):
    response = create(sandbox, fixture_json("shipstation/v1_createorder_request.docs.json"))
    assert response.status_code == 200
    assert response.headers["X-Rate-Limit-Limit"] == "40"
    assert response.headers["X-Rate-Limit-Remaining"] == "39"
    assert 0 < int(response.headers["X-Rate-Limit-Reset"]) <= 60
    order = response.json()
    sample = fixture_json("shipstation/v1_order_get_response.docs.json")
    assert list(order) == list(sample)
    assert list(order["shipTo"]) == list(sample["shipTo"])
    assert list(order["items"][0]) == list(sample["items"][0])
    assert order["orderTotal"] == 194.43 and order["weight"] == {"value": 48.0, "units": "ounces"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}", order["createDate"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}", order["items"][0]["createDate"])
    assert order["orderDate"] == "2015-06-29T08:46:27.0000000"
    fetched = httpx.get(sandbox.url(f"/shipstation/orders/{order['orderId']}"), auth=auth(sandbox))
    assert fetched.json() == order


def test_createorder_upserts_by_order_key(sandbox):
    first = create(sandbox, order_body()).json()
    second = create(sandbox, order_body(internalNotes="address checked")).json()
    assert second["orderId"] == first["orderId"]
    assert second["internalNotes"] == "address checked"
    assert second["items"][0]["orderItemId"] == first["items"][0]["orderItemId"]
    other = create(sandbox, order_body("1002", "gid://shopify/Order/2")).json()
    assert other["orderId"] != first["orderId"]
    listed = httpx.get(sandbox.url("/shipstation/orders"), auth=auth(sandbox)).json()
    assert listed["total"] == 2 and listed["page"] == 1 and listed["pages"] == 1


def test_shipped_orders_cannot_be_updated(sandbox):
    order = create(sandbox, order_body()).json()
    httpx.post(sandbox.url("/_sandbox/shipstation/ship"), json={"orderIds": [order["orderId"]]})
    response = create(sandbox, order_body())
    assert response.status_code == 500
    assert "shipped" in response.json()["ExceptionMessage"]


def test_validation_errors_use_the_aspnet_exception_shape(sandbox):
    body = order_body()
    body["shipTo"]["postalCode"] = None
    response = create(sandbox, body)
    assert response.status_code == 500
    error = response.json()
    assert error["ExceptionMessage"] == "Ship To: Postal Code must be provided."
    assert error["Message"] == "An error has occurred."
    assert error["ExceptionType"] == "System.Exception" and "StackTrace" in error


def test_createorders_reports_each_order_and_caps_at_100(sandbox):
    bad = order_body("1003", "k3")
    bad["shipTo"]["postalCode"] = ""
    bodies = [order_body("1001", "k1"), bad, order_body("1002", "k2")]
    url = sandbox.url("/shipstation/orders/createorders")
    result = httpx.post(url, json=bodies, auth=auth(sandbox)).json()
    assert result["hasErrors"] is True
    assert [r["success"] for r in result["results"]] == [True, False, True]
    assert result["results"][1]["errorMessage"] == "Ship To: Postal Code must be provided."
    assert list(result["results"][0]) == [
        "orderId",
        "orderNumber",
        "orderKey",
        "success",
        "errorMessage",
    ]
    too_many = [order_body(str(n), f"key-{n}") for n in range(101)]
    response = httpx.post(url, json=too_many, auth=auth(sandbox))
    assert response.status_code == 400
    assert httpx.get(sandbox.url("/shipstation/orders"), auth=auth(sandbox)).json()["total"] == 2


def test_list_orders_filters_and_pages(sandbox):
    for n in range(5):
        create(sandbox, order_body(f"#10{n}", f"k{n}"))
    url = sandbox.url("/shipstation/orders")
    page = httpx.get(url, params={"pageSize": 2, "page": 3}, auth=auth(sandbox)).json()
    assert (page["total"], page["page"], page["pages"], len(page["orders"])) == (5, 3, 3, 1)
    one = httpx.get(url, params={"orderNumber": "#103"}, auth=auth(sandbox)).json()
    assert [o["orderNumber"] for o in one["orders"]] == ["#103"]
    none = httpx.get(url, params={"orderStatus": "shipped"}, auth=auth(sandbox)).json()
    assert none["total"] == 0


def test_ship_notify_arrives_and_its_resource_url_returns_the_shipments(make_sandbox, receiver):
    sandbox = make_sandbox(shipstation_webhook_urls=[receiver.url("/webhooks/shipstation/tok")])
    ids = [
        create(sandbox, order_body(f"#20{n}", f"s{n}", requestedShippingService=service)).json()[
            "orderId"
        ]
        for n, service in enumerate(["UPS Ground", "Priority Mail", "FedEx 2Day"])
    ]
    result = httpx.post(sandbox.url("/_sandbox/shipstation/ship"), json={}).json()
    assert result["batches"][0]["orderIds"] == ids
    notice = wait_until(lambda: receiver.received)[0]
    assert notice.path == "/webhooks/shipstation/tok"
    body = json.loads(notice.body)
    assert body["resource_type"] == "SHIP_NOTIFY"
    assert body["resource_url"].startswith(sandbox.base_url + "/shipstation/shipments?batchId=")
    assert body["resource_url"].endswith("&includeShipmentItems=False")
    shipments = httpx.get(body["resource_url"], auth=auth(sandbox)).json()
    assert shipments["total"] == 3
    sample = fixture_json("shipstation/v1_shipment.docs.json")
    for shipment in shipments["shipments"]:
        assert set(sample) <= set(shipment) and shipment["shipmentItems"] is None
        assert shipment["orderId"] in ids and shipment["voided"] is False
    numbers = {s["carrierCode"]: s["trackingNumber"] for s in shipments["shipments"]}
    assert re.fullmatch(r"1Z[0-9A-Z]{16}", numbers["ups"])
    assert re.fullmatch(r"94\d{20}", numbers["stamps_com"])
    assert re.fullmatch(r"\d{12}", numbers["fedex"])
    with_items = httpx.get(body["resource_url"].replace("=False", "=True"), auth=auth(sandbox))
    assert with_items.json()["shipments"][0]["shipmentItems"][0]["sku"] == "ABC123"
    order = httpx.get(sandbox.url(f"/shipstation/orders/{ids[0]}"), auth=auth(sandbox)).json()
    assert order["orderStatus"] == "shipped" and order["carrierCode"] == "ups"
    summary = httpx.get(sandbox.url("/_sandbox/summary")).json()["shipstation"]
    assert summary["shipments"] == 3 and summary["orders_by_status"] == {"shipped": 3}
    wait_until(
        lambda: (
            httpx.get(sandbox.url("/_sandbox/summary")).json()["shipstation"]["ship_notify_sent"]
            == 1
        )
    )


def test_auto_ship_prints_waiting_orders_in_batches(make_sandbox, receiver):
    # 1 s of waiting lets all three orders arrive first even on a busy machine (at 0.2 s the
    # warehouse sometimes printed before the third was created, in batches of 1).
    sandbox = make_sandbox(
        shipstation_webhook_urls=[receiver.url("/hook")], auto_ship_after=1.0, ship_batch_size=2
    )
    for n in range(3):
        create(sandbox, order_body(f"#30{n}", f"a{n}"))

    def totals() -> list[int]:
        urls = [json.loads(r.body)["resource_url"] for r in receiver.received]
        return sorted(httpx.get(u, auth=auth(sandbox)).json()["total"] for u in urls)

    wait_until(lambda: sum(totals()) == 3)
    assert max(totals()) == 2  # batches of at most ship_batch_size, every order printed


def test_createlabelfororder_buys_a_label(make_sandbox, receiver):
    sandbox = make_sandbox(shipstation_webhook_urls=[receiver.url("/hook")])
    order = create(sandbox, order_body()).json()
    request = {
        "orderId": order["orderId"],
        "carrierCode": "ups",
        "serviceCode": "ups_ground",
        "confirmation": "none",
        "shipDate": "2026-11-25",
    }
    response = httpx.post(
        sandbox.url("/shipstation/orders/createlabelfororder"), json=request, auth=auth(sandbox)
    )
    label = response.json()
    assert list(label) == list(
        fixture_json("shipstation/v1_createlabelfororder_response.docs.json")
    )
    assert base64.b64decode(label["labelData"]).startswith(b"%PDF-")
    assert label["trackingNumber"].startswith("1Z")
    wait_until(lambda: receiver.received)
    shipments = httpx.get(
        sandbox.url("/shipstation/shipments"),
        params={"trackingNumber": label["trackingNumber"]},
        auth=auth(sandbox),
    )
    assert shipments.json()["shipments"][0]["shipDate"] == "2026-11-25"


def test_webhook_subscriptions_and_carriers(sandbox):
    url = sandbox.url("/shipstation/webhooks/subscribe")
    hook = {
        "target_url": "https://example.invalid/hook",
        "event": "SHIP_NOTIFY",
        "store_id": None,
        "friendly_name": "shipflow",
    }
    hook_id = httpx.post(url, json=hook, auth=auth(sandbox)).json()["id"]
    listed = httpx.get(sandbox.url("/shipstation/webhooks"), auth=auth(sandbox)).json()
    assert [(h["WebHookID"], h["HookType"], h["Url"]) for h in listed["webhooks"]] == [
        (hook_id, "SHIP_NOTIFY", "https://example.invalid/hook")
    ]
    deleted = httpx.delete(sandbox.url(f"/shipstation/webhooks/{hook_id}"), auth=auth(sandbox))
    assert deleted.status_code == 200
    assert httpx.get(sandbox.url("/shipstation/webhooks"), auth=auth(sandbox)).json() == {
        "webhooks": []
    }
    carriers = httpx.get(sandbox.url("/shipstation/carriers"), auth=auth(sandbox)).json()
    assert {"stamps_com", "ups", "fedex"} <= {c["code"] for c in carriers}


def test_rate_limit_is_40_per_minute(make_sandbox):
    sandbox = make_sandbox(shipstation_rate_limit=5)
    url = sandbox.url("/shipstation/carriers")
    responses = [httpx.get(url, auth=auth(sandbox)) for _ in range(6)]
    assert [r.status_code for r in responses] == [200] * 5 + [429]
    assert [r.headers["X-Rate-Limit-Remaining"] for r in responses] == [
        "4",
        "3",
        "2",
        "1",
        "0",
        "0",
    ]
    assert int(responses[-1].headers["X-Rate-Limit-Reset"]) >= 1
    unlimited = make_sandbox(shipstation_rate_limit=2, enforce_rate_limits=False)
    for _ in range(4):
        assert httpx.get(unlimited.url("/shipstation/carriers"), auth=auth(unlimited)).is_success
