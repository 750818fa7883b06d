"""The simulated ShipStation API v2: auth, errors, rates, labels, voids, limits, v1 twins."""

from __future__ import annotations

import copy
import time
import uuid

import httpx
import pytest
from sandbox_helpers import fixture_json
from v2_helpers import FEDEX, UPS, USPS, V2, shipment


def assert_envelope(response: httpx.Response, status: int, error_type: str, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"request_id", "errors"}
    uuid.UUID(body["request_id"])
    [error] = body["errors"]
    assert set(error) == {"error_source", "error_type", "error_code", "message"}
    assert (error["error_source"], error["error_type"], error["error_code"]) == (
        "ShipStation", error_type, code)
    return error


@pytest.fixture(scope="module")
def v2(request) -> V2:
    from shipflow_sandbox import SandboxConfig, running_sandbox

    context = running_sandbox(SandboxConfig(seed=21, time_scale=86400 * 20))
    sandbox = context.__enter__()
    request.addfinalizer(lambda: context.__exit__(None, None, None))
    return V2(sandbox)


@pytest.mark.parametrize("headers", [{}, {"API-Key": "wrong"}])
def test_api_key_is_required(v2, headers):
    response = v2.request("GET", "/v2/carriers", headers=headers)
    assert_envelope(response, 401, "security", "unauthorized")
    lower = v2.request("GET", "/v2/carriers",
                       headers={"api-key": v2.sandbox.config.shipstation_v2_api_key})
    assert lower.status_code == 200


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"shipment": shipment(ship_to=None)}, "field_value_required", "shipment.ship_to"),
        ({"shipment": shipment(service_code=None)}, "field_value_required",
         "shipment.service_code"),
        ({"shipment": shipment(service_code="fedex_2day")}, "invalid_field_value",
         "shipment.service_code"),
        ({"shipment": shipment(packages=[{"weight": {"value": 0, "unit": "ounce"}}])},
         "invalid_field_value", "shipment.packages[0].weight.value"),
        ({"shipment": shipment(packages=[{"weight": {"value": 1, "unit": "stone"}}])},
         "invalid_field_value", "shipment.packages[0].weight.unit"),
        ({"shipment": shipment(warehouse_id=None)}, "field_value_required",
         "shipment.ship_from"),
        ({"shipment": shipment(confirmation="maybe")}, "invalid_field_value",
         "shipment.confirmation"),
        ({"shipment": {**shipment(), "ship_to": {**shipment()["ship_to"], "postal_code": ""}}},
         "field_value_required", "shipment.ship_to.postal_code"),
    ],
)
def test_label_validation_errors_name_the_field(v2, body, code, field):
    error = assert_envelope(v2.request("POST", "/v2/labels", json=body), 400, "validation", code)
    assert error["message"].startswith(field + " ")


def test_unknown_ids_get_the_404_envelope(v2):
    for path in ("/v2/labels/se-1", "/v2/labels/se-1/track", "/v2/environment/webhooks/se-9",
                 "/v2/carriers/se-1"):
        error = assert_envelope(v2.request("GET", path), 404, "validation", "invalid_identifier")
        assert "se-" in error["message"]
    missing_rate = v2.request("POST", "/v2/labels/rates/se-404", json={})
    assert_envelope(missing_rate, 404, "validation", "invalid_identifier")


def test_rates_then_label_from_rate(v2):
    body = {"rate_options": {"carrier_ids": [USPS, FEDEX]},
            "shipment": shipment(carrier_id=None, service_code=None,
                                 confirmation="signature")}
    quoted = v2.request("POST", "/v2/rates", json=body).json()
    rates = quoted["rate_response"]["rates"]
    assert {r["carrier_id"] for r in rates} == {USPS, FEDEX}
    assert quoted["rate_response"]["status"] == "completed"
    for rate in rates:
        total = sum(rate[k]["amount"] for k in ("shipping_amount", "insurance_amount",
                                               "confirmation_amount", "other_amount"))
        assert total > 0 and rate["confirmation_amount"]["amount"] > 0
        assert rate["shipping_amount"]["currency"] == "usd"
        assert rate["delivery_days"] >= 1 and rate["estimated_delivery_date"].endswith("T00:00:00Z")
    cheapest = min(rates, key=lambda r: r["shipping_amount"]["amount"])
    label = v2.request("POST", f"/v2/labels/rates/{cheapest['rate_id']}", json={}).json()
    assert label["service_code"] == cheapest["service_code"]
    assert label["shipment_id"] == quoted["shipment_id"]
    assert label["shipment_cost"]["amount"] == pytest.approx(
        sum(cheapest[k]["amount"] for k in ("shipping_amount", "confirmation_amount",
                                           "other_amount")))
    by_shipment = v2.request("GET", "/v2/labels",
                             params={"shipment_id": quoted["shipment_id"]}).json()
    assert [x["label_id"] for x in by_shipment["labels"]] == [label["label_id"]]
    conflict = v2.request("POST", "/v2/rates", json={**body, "shipment_id": "se-1"})
    assert_envelope(conflict, 400, "validation", "field_conflict")
    no_carriers = v2.request("POST", "/v2/rates", json={"rate_options": {"carrier_ids": []},
                                                        "shipment": shipment()})
    assert_envelope(no_carriers, 400, "validation", "field_value_required")


def test_label_shape_pagination_download_and_void(v2):
    real = fixture_json("shipstation/v2_label_created_v2_resource_url_response.real.json")
    labels = [v2.label(external_shipment_id=f"order-{n}") for n in range(3)]
    assert list(labels[0]) == list(real["labels"][0])
    assert labels[0]["tracking_number"].startswith("1Z")
    page = v2.request("GET", "/v2/labels", params={"page_size": 2, "carrier_id": UPS}).json()
    assert page["page"] == 1 and page["pages"] >= 2 and len(page["labels"]) == 2
    assert page["links"]["prev"] == {} and "page=2" in page["links"]["next"]["href"]
    newest = page["labels"][0]["created_at"] >= page["labels"][1]["created_at"]
    assert newest
    pdf = httpx.get(labels[0]["label_download"]["pdf"])
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")


def test_void_before_pickup_stops_tracking(sandbox):
    v2 = V2(sandbox)  # real time: the carrier has not picked the parcel up yet
    fresh = v2.label()
    voided = v2.request("PUT", f"/v2/labels/{fresh['label_id']}/void").json()
    assert voided["approved"] is True
    twice = v2.request("PUT", f"/v2/labels/{fresh['label_id']}/void").json()
    assert (twice["approved"], twice["reason_code"]) == (False, "label_already_voided")
    again = v2.request("GET", f"/v2/labels/{fresh['label_id']}").json()
    assert (again["status"], again["voided"]) == ("voided", True) and again["voided_at"]
    parcel = sandbox.state.carrier.parcels[fresh["tracking_number"]]
    assert parcel.voided and all(t.cancelled for t in parcel.timers)


def test_used_labels_cannot_be_voided(v2):
    label = v2.label()
    time.sleep(0.4)  # eight simulated days: picked up and delivered
    refused = v2.request("PUT", f"/v2/labels/{label['label_id']}/void").json()
    assert (refused["approved"], refused["reason_code"]) == (False, "label_already_used")


def test_carriers_and_webhook_subscriptions(v2):
    carriers = v2.request("GET", "/v2/carriers").json()
    assert carriers["errors"] == [] and len(carriers["carriers"]) == 3
    fedex = next(c for c in carriers["carriers"] if c["carrier_code"] == "fedex")
    assert fedex["carrier_id"] == FEDEX and "fedex_ground" in {
        s["service_code"] for s in fedex["services"]}
    created = v2.request("POST", "/v2/environment/webhooks",
                         json={"url": "https://example.invalid/h", "event": "track_event_v2"})
    hook = created.json()
    assert hook["webhook_id"].startswith("se-") and hook["event"] == "track_event_v2"
    duplicate = v2.request("POST", "/v2/environment/webhooks",
                           json={"url": "https://example.invalid/h", "event": "track_event_v2"})
    assert_envelope(duplicate, 409, "validation", "webhook_event_type_conflict")
    bad = v2.request("POST", "/v2/environment/webhooks",
                     json={"url": "https://example.invalid/h", "event": "nope"})
    assert_envelope(bad, 400, "validation", "invalid_field_value")
    assert hook in v2.request("GET", "/v2/environment/webhooks").json()
    moved = v2.request("PUT", f"/v2/environment/webhooks/{hook['webhook_id']}",
                       json={"url": "https://example.invalid/moved"})
    assert moved.status_code == 204
    deleted = v2.request("DELETE", f"/v2/environment/webhooks/{hook['webhook_id']}")
    assert deleted.status_code == 204
    assert v2.request("GET", f"/v2/environment/webhooks/{hook['webhook_id']}").status_code == 404


def test_rate_limit_200_per_minute_with_retry_after(make_sandbox):
    sandbox = make_sandbox(shipstation_v2_rate_limit=3)
    v2 = V2(sandbox)
    statuses = [v2.request("GET", "/v2/carriers") for _ in range(4)]
    assert [r.status_code for r in statuses] == [200, 200, 200, 429]
    error = assert_envelope(statuses[-1], 429, "system", "rate_limit_exceeded")
    assert error["message"]
    assert 1 <= int(statuses[-1].headers["Retry-After"]) <= 60
    assert [r.headers["X-Rate-Limit-Remaining"] for r in statuses] == ["2", "1", "0", "0"]
    assert statuses[0].headers["X-Rate-Limit-Limit"] == "3"
    quiet = make_sandbox(shipstation_v2_rate_headers=False)
    assert "X-Rate-Limit-Limit" not in V2(quiet).request("GET", "/v2/carriers").headers
    assert sandbox.config.replace(shipstation_v2_rate_limit=200).shipstation_v2_rate_limit == 200
    unlimited = make_sandbox(shipstation_v2_rate_limit=1, enforce_rate_limits=False)
    assert all(V2(unlimited).request("GET", "/v2/carriers").status_code == 200 for _ in range(3))


def test_v1_shipments_have_a_twin_v2_label(make_sandbox):
    sandbox = make_sandbox(time_scale=86400 * 20)
    credentials = (sandbox.config.shipstation_api_key, sandbox.config.shipstation_api_secret)
    body = copy.deepcopy(fixture_json("shipstation/v1_createorder_request.docs.json"))
    body.update(carrierCode=None, serviceCode=None, requestedShippingService="FedEx 2Day")
    order = httpx.post(sandbox.url("/shipstation/orders/createorder"), json=body,
                       auth=credentials).json()
    httpx.post(sandbox.url("/_sandbox/shipstation/ship"), json={})
    [v1] = httpx.get(sandbox.url("/shipstation/shipments"), auth=credentials).json()["shipments"]
    v2 = V2(sandbox)
    [label] = v2.request("GET", "/v2/labels",
                         params={"tracking_number": v1["trackingNumber"]}).json()["labels"]
    assert label["external_shipment_id"] == str(v1["shipmentId"])
    assert label["external_order_id"] == str(order["orderId"])
    assert (label["carrier_code"], label["service_code"]) == ("fedex", "fedex_2day")
    assert label["shipment_cost"]["amount"] == v1["shipmentCost"]
    info = v2.track(label["label_id"])
    assert info["tracking_number"] == v1["trackingNumber"]
    assert info["events"][-1]["status_code"] == "NY"
