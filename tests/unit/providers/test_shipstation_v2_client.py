"""ShipStationV2Client against scripted answers: API-Key, paths, the error envelope, 429 and
Retry-After, paging by `links.next`, label purchases never repeated, webhooks."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from shipflow.domain.order import Address, Customer, LineItem, Order
from shipflow.domain.tracking_events import TrackingStatus
from shipflow.providers.errors import (
    AuthenticationError,
    NotFound,
    RateLimited,
    RejectedRequest,
    TransientError,
    UnexpectedResponse,
)
from shipflow.providers.shipstation_v2 import ShipStationV2Client, jwks_fetcher, wire

from .helpers import FAST_RETRY, FakeClock, Script, raise_, respond, seeded
from .paths import FIXTURES

BASE = "http://127.0.0.1:8100/shipstation"
REQUEST_ID = "aa3d8e8e-0ba8-4b2a-8ad7-8b8c1c5e3f5a"


def fixture(name: str) -> Any:
    data = json.loads((FIXTURES / "shipstation" / name).read_text())
    data.pop("_captured_at", None)
    return data


LABELS = fixture("v2_label_created_v2_resource_url_response.real.json")
LABEL = LABELS["labels"][0]
TRACKING = fixture("v2_track_event_v2_ups_delivered.real.json")["data"]


def envelope(status_type: str, code: str, message: str, **extra: str) -> dict[str, Any]:
    return {"request_id": REQUEST_ID, "errors": [
        {"error_source": "ShipStation", "error_type": status_type, "error_code": code,
         "message": message, **extra}]}


def client(script: Script, clock: FakeClock | None = None, base: str = BASE
           ) -> ShipStationV2Client:
    return ShipStationV2Client(base, "TEST_key", transport=script.transport,
                               clock=clock or FakeClock(), retry=FAST_RETRY, rng=seeded())


def shipment(**changes: Any) -> dict[str, Any]:
    order = Order(
        shopify_order_id=1001, shop_domain="x.myshopify.com", name="#1001",
        created_at=datetime(2026, 11, 2), updated_at=datetime(2026, 11, 2),
        financial_status="paid", currency="USD", total_price=Decimal("20"),
        line_items=(LineItem(1, "A-1", "Widget", 2, Decimal("10"), 250),),
        customer=Customer(7, "c@example.org", "+15005550006"),
        shipping_address=Address("Ann Buyer", "1 Elm St", "Dayton", "US", "45402", "OH"))
    origin = Address("Shipflow", "4009 Marathon Blvd", "Austin", "US", "78756", "TX",
                     phone="+15125550100")
    return wire.shipment_request(order, origin, [wire.Package(500)],
                                 external_shipment_id="1001-1", ship_date=date(2026, 11, 2),
                                 **changes)


def test_api_key_header_and_rates() -> None:
    rates = {"shipment_id": "se-1", "rate_response": {"status": "completed", "rates": [
        {"rate_id": "se-b", "carrier_id": "se-2", "carrier_code": "ups", "service_code": "ups_2nd",
         "shipping_amount": {"currency": "usd", "amount": 20.0}},
        {"rate_id": "se-a", "carrier_id": "se-2", "carrier_code": "ups",
         "service_code": "ups_ground", "shipping_amount": {"currency": "usd", "amount": 9.5},
         "other_amount": {"currency": "usd", "amount": 1.0}},
    ], "invalid_rates": [{"rate_id": "se-c", "service_code": "ups_next_day_air",
                          "shipping_amount": {"currency": "usd", "amount": 1},
                          "error_messages": ["no"]}]}}
    script = Script([respond(200, rates)])
    found = client(script).rates(shipment(), ["se-2"], service_codes=["ups_ground"])
    assert [r.rate_id for r in found] == ["se-a", "se-b"]  # cheapest total first
    assert str(found[0].total.amount) == "10.5"
    request = script.requests[0]
    assert str(request.url) == f"{BASE}/v2/rates"
    assert request.headers["API-Key"] == "TEST_key"
    assert request.headers["Content-Type"] == "application/json"
    body = script.body()
    assert body["rate_options"] == {"carrier_ids": ["se-2"], "service_codes": ["ups_ground"]}
    assert body["shipment"]["external_shipment_id"] == "1001-1"
    by_id = Script([respond(200, rates)])
    client(by_id).rates("se-394477236", ["se-2"])
    assert by_id.body() == {"shipment_id": "se-394477236", "rate_options": {"carrier_ids": ["se-2"]}}


def test_rates_with_only_errors_are_a_rejection() -> None:
    body = {"rate_response": {"status": "error", "rates": [], "errors": [
        {"error_source": "carrier", "error_type": "business_rules",
         "error_code": "no_rates_returned", "message": "No rates for this destination"}]}}
    with pytest.raises(RejectedRequest, match="No rates for this destination") as caught:
        client(Script([respond(200, body)])).rates(shipment(), ["se-2"])
    assert caught.value.code == "no_rates_returned"
    empty = {"rate_response": {"status": "completed", "rates": [], "errors": []}}
    assert client(Script([respond(200, empty)])).rates(shipment(), ["se-2"]) == []


def test_create_label_and_label_from_rate() -> None:
    script = Script([respond(200, LABEL), respond(200, LABEL)])
    ss = client(script)
    label = ss.create_label(shipment(carrier_id="se-2077423", service_code="fedex_ground"),
                            test_label=True)
    assert label.label_id == "se-184976210" and label.tracking_number == "383144378470"
    body = script.body(0)
    assert body["test_label"] is True and body["label_format"] == "pdf"
    assert body["shipment"]["service_code"] == "fedex_ground"
    again = ss.label_from_rate("se-53425", label_format="zpl")
    assert again.label_id == "se-184976210"
    assert str(script.requests[1].url) == f"{BASE}/v2/labels/rates/se-53425"
    assert script.body(1) == {"label_format": "zpl", "label_layout": "4x6",
                              "label_download_type": "url"}


def test_label_purchase_is_never_repeated_after_it_may_have_reached_shipstation() -> None:
    for failure in (respond(502, text="Bad Gateway"), raise_(httpx.ReadTimeout("slow"))):
        script = Script([failure, respond(200, LABEL)])
        with pytest.raises(TransientError):
            client(script).create_label(shipment(carrier_id="se-1", service_code="ups_ground"))
        assert len(script.requests) == 1
    never_sent = Script([raise_(httpx.ConnectError("refused")), respond(200, LABEL)])
    client(never_sent).create_label(shipment(carrier_id="se-1", service_code="ups_ground"))
    assert len(never_sent.requests) == 2


def test_429_waits_retry_after_and_is_retried_even_for_labels() -> None:
    clock = FakeClock()
    script = Script([
        respond(429, envelope("system", "rate_limit_exceeded", "You have exceeded the rate "
                              "limit."), headers={"Retry-After": "7"}),
        respond(200, LABEL)])
    client(script, clock).create_label(shipment(carrier_id="se-1", service_code="ups_ground"))
    assert len(script.requests) == 2 and 7.0 <= clock.slept < 8.0


def test_persistent_429_is_raised_with_the_envelope() -> None:
    script = Script([respond(429, envelope("system", "rate_limit_exceeded", "Slow down."),
                             headers={"Retry-After": "2"})])
    with pytest.raises(RateLimited) as caught:
        client(script).get_label("se-1")
    error = caught.value
    assert (error.retry_after, error.code, error.request_id) == (2.0, "rate_limit_exceeded",
                                                                REQUEST_ID)
    assert len(script.requests) == FAST_RETRY.max_attempts
    no_hint = Script([respond(429, envelope("carrier", "rate_limit_exceeded", "UPS busy")),
                      respond(200, LABEL)])
    clock = FakeClock()
    client(no_hint, clock).get_label("se-1")  # backed off without a hint
    assert 0.25 <= clock.slept <= 0.75


def test_validation_errors_name_the_field_and_are_not_retried() -> None:
    body = envelope("validation", "field_value_required", "Phone number is required.",
                    field_name="shipment.ship_to.phone_number")
    script = Script([respond(400, body)])
    with pytest.raises(RejectedRequest) as caught:
        client(script).rates(shipment(), ["se-2"])
    error = caught.value
    assert str(error) == ("shipstation HTTP 400: shipment.ship_to.phone_number: Phone number "
                          "is required.")
    assert error.details[0].pointer == "shipment.ship_to.phone_number"
    assert error.code == "field_value_required" and error.request_id == REQUEST_ID
    assert len(script.requests) == 1
    no_field = Script([respond(400, envelope("validation", "invalid_field_value",
                                             "ship_to.postal_code is invalid"))])
    with pytest.raises(RejectedRequest, match="ship_to.postal_code is invalid"):
        client(no_field).rates(shipment(), ["se-2"])


def test_auth_not_found_and_server_errors() -> None:
    with pytest.raises(AuthenticationError, match="API key"):
        client(Script([respond(401, envelope("security", "unauthorized",
                                             "The API key is invalid."))])).carriers()
    with pytest.raises(AuthenticationError):
        client(Script([respond(401, text="")])).carriers()
    with pytest.raises(NotFound, match="label not found"):
        client(Script([respond(404, envelope("validation", "invalid_identifier",
                                             "label not found"))])).get_label("se-404")
    flaky = Script([respond(500, envelope("system", "unspecified", "oops")),
                    respond(200, TRACKING)])
    assert client(flaky).track("se-1").status_code is TrackingStatus.DELIVERED
    assert len(flaky.requests) == 2


def test_track_void_carriers_and_ids_in_paths() -> None:
    script = Script([
        respond(200, TRACKING),
        respond(200, {"approved": True, "message": "Request for refund submitted."}),
        respond(200, {"carriers": [{"carrier_id": "se-2077423", "carrier_code": "fedex"}],
                      "request_id": REQUEST_ID, "errors": []}),
        respond(200, LABEL),
    ])
    ss = client(script)
    update = ss.track("se-184976210")
    assert update.label_id == "se-184976210" and len(update.scans) == 16
    assert ss.void_label("se-184976210").approved
    assert [c.carrier_id for c in ss.carriers()] == ["se-2077423"]
    ss.get_label("se-1/../../admin")
    paths = [(r.method, r.url.raw_path.decode()) for r in script.requests]
    assert paths == [
        ("GET", "/shipstation/v2/labels/se-184976210/track"),
        ("PUT", "/shipstation/v2/labels/se-184976210/void"),
        ("GET", "/shipstation/v2/carriers"),
        ("GET", "/shipstation/v2/labels/se-1%2F..%2F..%2Fadmin"),
    ]
    with pytest.raises(ValueError):
        ss.track(" ")


def page(labels: list[dict[str, Any]], number: int, pages: int, next_href: str | None
         ) -> dict[str, Any]:
    return {"labels": labels, "total": len(labels) * pages, "page": number, "pages": pages,
            "links": {"first": {"href": "x"}, "last": {"href": "x"}, "prev": {},
                      "next": {"href": next_href} if next_href else {}}}


def test_labels_follow_links_next() -> None:
    second = f"{BASE}/v2/labels?batch_id=se-64616278&page=2&page_size=25"
    script = Script([
        respond(200, page([LABEL], 1, 2, second)),
        respond(200, page([dict(LABEL, label_id="se-2")], 2, 2, None)),
    ])
    labels = client(script).labels(batch_id="se-64616278")
    assert [label.label_id for label in labels] == ["se-184976210", "se-2"]
    first, following = script.requests
    assert first.url.params["batch_id"] == "se-64616278" and "page" not in first.url.params
    assert str(following.url) == second


def test_labels_from_a_webhook_resource_and_the_ssrf_guard() -> None:
    script = Script([respond(200, LABELS)])
    real = client(script, base="https://api.shipstation.com")
    labels = real.labels_from_resource("https://api.shipstation.com/v2/labels?batch_id=se-646")
    assert labels[0].tracking_number == "383144378470"
    with pytest.raises(ValueError):
        real.labels_from_resource("http://169.254.169.254/latest/meta-data")
    evil_next = Script([respond(200, page([LABEL], 1, 2, "https://evil.example/v2/labels"))])
    with pytest.raises(UnexpectedResponse, match="outside the configured host"):
        client(evil_next).labels(shipment_id="se-1")
    assert len(evil_next.requests) == 1


def test_shipment_id_for_an_external_id() -> None:
    script = Script([respond(200, {"shipment_id": "se-394477236", "shipment_status": "pending"}),
                     respond(404, envelope("validation", "invalid_identifier", "not found"))])
    ss = client(script)
    assert ss.shipment_id_for("1001-1") == "se-394477236"
    assert ss.shipment_id_for("1001-2") is None
    assert script.requests[0].url.path == (
        "/shipstation/v2/shipments/external_shipment_id/1001-1")


def test_webhooks() -> None:
    created = {"webhook_id": "se-28529731", "url": "https://shipflow.example/h",
               "event": "track_event_v2", "headers": [{"key": "X-Token", "value": "s"}]}
    script = Script([respond(200, created), respond(200, [created]), respond(204)])
    ss = client(script)
    hook = ss.create_webhook("TRACK_EVENT_V2", "https://shipflow.example/h", {"X-Token": "s"})
    assert hook.webhook_id == "se-28529731" and hook.headers == (("X-Token", "s"),)
    assert script.body(0) == {"event": "track_event_v2", "url": "https://shipflow.example/h",
                              "headers": [{"key": "X-Token", "value": "s"}]}
    assert [h.event for h in ss.list_webhooks()] == ["track_event_v2"]
    ss.delete_webhook("se-28529731")
    assert [(r.method, r.url.path) for r in script.requests] == [
        ("POST", "/shipstation/v2/environment/webhooks"),
        ("GET", "/shipstation/v2/environment/webhooks"),
        ("DELETE", "/shipstation/v2/environment/webhooks/se-28529731")]
    conflict = Script([respond(409, envelope("business_rules", "webhook_event_type_conflict",
                                             "A webhook for this event already exists"))])
    with pytest.raises(RejectedRequest, match="already exists"):
        client(conflict).create_webhook("track", "https://x.example")
    assert len(conflict.requests) == 1


def test_budget_from_headers_waits_for_the_window() -> None:
    clock = FakeClock()
    limits = {"X-Rate-Limit-Limit": "200", "X-Rate-Limit-Remaining": "0",
              "X-Rate-Limit-Reset": "13"}
    script = Script([respond(200, TRACKING, headers=limits), respond(200, TRACKING)])
    ss = client(script, clock)
    ss.track("se-1")
    ss.track("se-1")
    assert clock.sleeps == [13.0]


def test_jwks_fetcher() -> None:
    keys = {"keys": []}
    getter = jwks_fetcher(transport=Script([respond(200, keys)]).transport)
    assert getter("https://api.shipengine.com/jwks") == keys
    for answer in (respond(503, text="down"), respond(302, headers={"Location": "https://x"}),
                   respond(200, text="<html>"), raise_(httpx.ConnectError("refused"))):
        with pytest.raises(TransientError):
            jwks_fetcher(transport=Script([answer]).transport)("https://api.shipengine.com/jwks")


def test_a_2xx_that_is_not_json_is_an_unexpected_response() -> None:
    with pytest.raises(UnexpectedResponse, match="not JSON"):
        client(Script([respond(200, text="<html>maintenance</html>")])).get_label("se-1")
