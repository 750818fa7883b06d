"""ShipStation v2: every body `v2_wire` builds validates against the official v2 spec and, where
the operation exists there, against the ShipEngine spec (`/v1`); the real v2 payloads parse to
the domain objects they describe."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

import pytest

from shipflow.domain.order import Address, Order
from shipflow.domain.tracking_events import TrackingMilestone, TrackingStatus, read_scan
from shipflow.providers.errors import MalformedWebhook, UnexpectedResponse
from shipflow.providers.shipstation_v2 import wire
from shipflow.providers.shipstation_v2.rating import order_rate_request, order_shipment
from shipflow.providers.shipstation_v2.webhooks import parse_webhook
from shipflow.providers.shopify.webhooks import parse_order

from .openapi import OpenApiValidator, load_spec
from .paths import FIXTURES, SPECS

SS = FIXTURES / "shipstation"
SHOP = "snowdevil.myshopify.com"
# Errata: `required` entries of the specs that the API does not enforce (see v2_wire's module
# docstring). `shipment.tags` is read-only in the newer ShipEngine spec, whose label request
# (`shipment_request`) has no `tags`; a rate request's shipment needs no carrier or service,
# the rate options name the carriers (ShipEngine's own rate examples send neither).
# A shipment sent from one of the account's warehouses names it by `warehouse_id` alone: both
# specs' `shipment` description says "Either `ship_from` or `warehouse_id` must be set", and
# `return_to` "Defaults to the `ship_from` address", yet both are listed as required.
V2_ERRATA = {"shipment": ["tags", "ship_from", "return_to"],
             "address_validating_shipment": ["carrier_id", "service_code", "ship_from"]}
SE_ERRATA = {"address_validating_shipment": ["carrier_id", "service_code", "ship_from"]}
WAREHOUSE = Address(name="Shipflow Fulfilment", company="Shipflow", address1="4009 Marathon Blvd",
                    city="Austin", province_code="TX", zip="78756", country_code="US",
                    phone="+1 512-555-0100")
WAREHOUSE_ID = wire.Warehouse("se-24079", "Shipflow Fulfilment", WAREHOUSE, is_default=True)


@pytest.fixture(scope="module")
def v2(shipstation_v2_openapi: OpenApiValidator) -> OpenApiValidator:
    return OpenApiValidator(load_spec(SPECS / "shipstation-v2-openapi.yaml"), name="ssv2-errata",
                            not_required=V2_ERRATA)


@pytest.fixture(scope="module")
def shipengine(shipengine_openapi: OpenApiValidator) -> OpenApiValidator:
    return OpenApiValidator(load_spec(SPECS / "shipengine-openapi.yaml"),
                            name="shipengine-errata", not_required=SE_ERRATA)


def fixture(name: str) -> Any:
    data = json.loads((SS / name).read_text())
    data.pop("_captured_at", None)  # added by the fixture repository, not sent by ShipStation
    return data


def an_order() -> Order:
    order = parse_order(json.loads(
        (FIXTURES / "shopify" / "orders_create_docs_2026-07.json").read_text()), SHOP)
    return replace(order, financial_status="paid", cancelled_at=None)


def a_shipment(**changes: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "external_shipment_id": "820982911946154508-1", "ship_date": date(2026, 11, 2)}
    arguments.update(changes)
    order = arguments.pop("order", an_order())
    packages = arguments.pop("packages", [wire.Package(1600, (30.0, 20.0, 10.0))])
    return wire.shipment_request(order, WAREHOUSE, packages, **arguments)


def both(v2: OpenApiValidator, shipengine: OpenApiValidator, method: str, path: str,
         body: Any) -> list[str]:
    """Errors against the v2 spec and, when ShipEngine has the operation, its `/v1` twin."""
    errors = [f"v2 {e}" for e in v2.request_errors(method, path, body)]
    v1 = "/v1/" + path.removeprefix("/v2/")
    if shipengine.has_operation(method, v1):
        errors += [f"shipengine {e}" for e in shipengine.request_errors(method, v1, body)]
    return errors


# -- requests ----------------------------------------------------------------------------------
def test_shipment_fields() -> None:
    shipment = a_shipment(confirmation="signature")
    assert shipment["external_shipment_id"] == "820982911946154508-1"
    assert shipment["external_order_id"] == "820982911946154508"
    assert shipment["ship_date"] == "2026-11-02" and shipment["confirmation"] == "signature"
    assert "carrier_id" not in shipment and "service_code" not in shipment
    assert shipment["ship_to"] == {
        "name": "Steve Shipper", "phone": "555-555-SHIP", "company_name": "Shipping Company",
        "address_line1": "123 Shipping Street", "address_line2": None, "address_line3": None,
        "city_locality": "Shippington", "state_province": "KY", "postal_code": "40003",
        "country_code": "US", "address_residential_indicator": "no"}
    assert shipment["ship_from"]["address_residential_indicator"] == "no"
    assert shipment["return_to"] == shipment["ship_from"]
    assert shipment["packages"] == [{
        "package_code": "package", "weight": {"value": 1600, "unit": "gram"},
        "dimensions": {"unit": "centimeter", "length": 30.0, "width": 20.0, "height": 10.0}}]
    assert shipment["items"][0] == {"name": "Aviator sunglasses", "sku": "SKU2006-001",
                                    "quantity": 1, "external_order_item_id": "487817672276298554"}
    assert shipment["customs"] is None and "tags" not in shipment


def test_ship_to_phone_falls_back_and_residential_follows_company() -> None:
    order = an_order()
    assert order.shipping_address is not None
    home = replace(order.shipping_address, phone=None, company=None, province_code=None, zip="")
    shipment = a_shipment(order=replace(order, shipping_address=home))
    ship_to = shipment["ship_to"]
    assert ship_to["phone"] == WAREHOUSE.phone  # no customer phone either
    assert ship_to["address_residential_indicator"] == "yes"
    assert ship_to["company_name"] is None
    assert "state_province" not in ship_to and "postal_code" not in ship_to


@pytest.mark.parametrize("changes", [
    {"external_shipment_id": ""}, {"external_shipment_id": "x" * 51},
    {"confirmation": "adult"}, {"packages": []}, {"packages": [wire.Package(0)]},
])
def test_shipment_refuses_what_shipstation_would(changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        a_shipment(**changes)
    with pytest.raises(ValueError, match="no shipping address"):
        a_shipment(order=replace(an_order(), shipping_address=None))
    with pytest.raises(ValueError, match="ship_from: a phone"):
        wire.shipment_request(an_order(), replace(WAREHOUSE, phone=None), [wire.Package(10)],
                              external_shipment_id="x", ship_date=date(2026, 11, 2))


def request_examples() -> list[tuple[str, str, str, dict[str, Any]]]:
    order = an_order()
    assert order.shipping_address is not None
    canada = replace(order, shipping_address=replace(
        order.shipping_address, country_code="CA", province_code="ON", zip="M5V 2T6",
        city="Toronto"))
    bought = a_shipment(carrier_id="se-2077423", service_code="fedex_ground")
    return [
        ("rates, inline shipment", "post", "/v2/rates", wire.rates_request(
            a_shipment(), ["se-2077423", "se-3"])),
        ("rates, every option", "post", "/v2/rates", wire.rates_request(
            a_shipment(confirmation="adult_signature"), ["se-2077423"],
            service_codes=["fedex_ground"], package_types=["package"], preferred_currency="USD",
            calculate_tax_amount=False, is_return=False)),
        ("rates, by shipment id", "post", "/v2/rates", wire.rates_request(
            "se-394477236", ["se-2077423"])),
        ("label", "post", "/v2/labels", wire.label_request(bought)),
        ("label, test, validated, zpl", "post", "/v2/labels", wire.label_request(
            bought, label_format="zpl", label_layout="4x6", label_download_type="inline",
            test_label=True, validate_address="validate_and_clean")),
        ("label, international", "post", "/v2/labels", wire.label_request(
            a_shipment(order=canada, carrier_id="se-2077423", service_code="fedex_ground"))),
        ("label from rate", "post", "/v2/labels/rates/se-53425", wire.label_from_rate_request()),
        ("label from rate, letter png", "post", "/v2/labels/rates/se-53425",
         wire.label_from_rate_request(label_format="png", label_layout="letter",
                                      validate_address="no_validation")),
        ("webhook", "post", "/v2/environment/webhooks", wire.webhook_request(
            "track", "https://shipflow.example/webhooks/shipstation-v2",
            {"X-Shipflow-Token": "s3cret"})),
        ("void", "put", "/v2/labels/se-184976210/void", None),  # type: ignore[list-item]
        ("rates, api label mode from a warehouse", "post", "/v2/rates", order_rate_request(
            order, WAREHOUSE_ID, ["se-2077421", "se-2077422"],
            external_shipment_id="820982911946154508-1", ship_date=date(2026, 11, 2),
            confirmation="signature", items={487817672276298554: 1})),
        ("label, from a warehouse", "post", "/v2/labels", wire.label_request(dict(
            order_shipment(order, WAREHOUSE_ID, external_shipment_id="820982911946154508-2",
                           ship_date=date(2026, 11, 2)),
            carrier_id="se-2077422", service_code="ups_ground"))),
    ]


@pytest.mark.parametrize(("name", "method", "path", "body"), request_examples(),
                         ids=[e[0] for e in request_examples()])
def test_every_request_body_validates(v2: OpenApiValidator, shipengine: OpenApiValidator,
                                      name: str, method: str, path: str, body: Any) -> None:
    assert both(v2, shipengine, method, path, body) == []


def test_international_labels_carry_customs() -> None:
    label = request_examples()[5][3]
    assert label["shipment"]["customs"] == {"contents": "merchandise",
                                            "non_delivery": "return_to_sender"}
    assert label["shipment"]["ship_to"]["country_code"] == "CA"


def test_the_validators_refuse_what_shipstation_refuses(v2: OpenApiValidator,
                                                         shipengine: OpenApiValidator) -> None:
    """The rewrites of the spec (openapi.py) loosen only what they say they loosen."""
    both_ways = wire.rates_request(a_shipment(), ["se-1"])
    both_ways["shipment_id"] = "se-394477236"  # one or the other, never both
    assert any("is valid under each of" in e for e in v2.request_errors(
        "post", "/v2/rates", both_ways))
    label = wire.label_request(a_shipment(carrier_id="se-1", service_code="ups_ground"))
    label["shipment"]["ship_to"]["county"] = "Travis"
    label["shipment"]["packages"][0]["weight"]["unit"] = "stone"
    label["shipment"]["confirmation"] = "adult"
    label["label_colour"] = "red"
    errors = "\n".join(both(v2, shipengine, "post", "/v2/labels", label))
    for problem in ("'county' was unexpected", "'stone' is not one of",
                    "'adult' is not one of", "'label_colour'"):
        assert problem in errors
    no_carriers = wire.rates_request(a_shipment(), ["se-1"])
    no_carriers["rate_options"]["carrier_ids"] = []
    assert "rate_options/carrier_ids: [] should be non-empty" in v2.request_errors(
        "post", "/v2/rates", no_carriers)
    webhook = wire.webhook_request("track", "https://x.example/h")
    webhook["name"] = "shipflow"
    assert v2.request_errors("post", "/v2/environment/webhooks", webhook) == [
        "<root>: Additional properties are not allowed ('name' was unexpected)"]
    unlabelled = a_shipment(carrier_id="se-1")  # no service code
    with pytest.raises(ValueError, match="carrier_id and service_code"):
        wire.label_request(unlabelled)


def test_errata_are_needed(shipstation_v2_openapi: OpenApiValidator,
                           shipengine_openapi: OpenApiValidator) -> None:
    """Without the errata the specs refuse exactly what the errata describe, nothing else."""
    assert shipstation_v2_openapi.request_errors("post", "/v2/labels", wire.label_request(
        a_shipment(carrier_id="se-1", service_code="ups_ground"))) == [
        "<root>: Unevaluated properties are not allowed ('label_download_type', 'label_format', "
        "'label_layout', 'shipment', 'test_label' were unexpected)",
        "shipment: 'tags' is a required property"]
    rates = wire.rates_request(a_shipment(), ["se-1"])
    for spec in (shipstation_v2_openapi, shipengine_openapi):
        path = "/v2/rates" if spec is shipstation_v2_openapi else "/v1/rates"
        assert any("is not valid under any of the given schemas" in e
                   for e in spec.request_errors("post", path, rates))
    # the ShipEngine label request schema has no `tags` at all
    assert shipengine_openapi.request_errors("post", "/v1/labels", wire.label_request(
        a_shipment(carrier_id="se-1", service_code="ups_ground"))) == []


def test_webhook_events_outside_the_spec_enum() -> None:
    """The v2 copy's `webhook_event` enum lacks the ShipStation-only `*_v2` events
    (shipstation.md §2.4); the builder passes them through lower-cased."""
    assert wire.webhook_request("TRACK_EVENT_V2", "https://x.example/h") == {
        "event": "track_event_v2", "url": "https://x.example/h"}


# -- responses ---------------------------------------------------------------------------------
def test_label_created_webhook_and_its_resource() -> None:
    raw = (SS / "v2_label_created_v2_webhook.real.json").read_bytes()
    webhook = parse_webhook(raw)  # `_captured_at` is simply ignored
    assert webhook.resource_type == "LABEL_CREATED_V2" and webhook.is_pointer
    assert webhook.resource_url == "https://api.shipstation.com/v2/labels?batch_id=se-64616278"
    assert webhook.tracking is None

    page = wire.parse_labels_page(fixture("v2_label_created_v2_resource_url_response.real.json"))
    assert (page.total, page.page, page.pages, page.next_url) == (1, 1, 1, None)
    [label] = page.labels
    assert label.label_id == "se-184976210" and label.status == "completed"
    assert label.shipment_id == "se-394477236" and label.batch_id == "se-64616278"
    assert label.external_shipment_id == "SEAuto-PFQMq_1lRUCdjj_UHKBsJg"
    assert label.tracking_number == "383144378470"
    assert (label.carrier_id, label.carrier_code, label.service_code) == (
        "se-2077423", "fedex", "fedex_ground")
    assert label.ship_date == date(2026, 8, 12)
    assert label.created_at == datetime(2026, 8, 12, 19, 46, 28, 800000, tzinfo=timezone.utc)
    assert label.shipment_cost == wire.Money(Decimal("21.96"), "USD")
    assert label.insurance_cost == wire.Money(Decimal("0"), "USD")
    assert not label.voided and label.voided_at is None and label.trackable
    assert label.tracking_status == "in_transit" and label.confirmation == "none"
    assert label.tracking_url == (
        "https://www.fedex.com/fedextrack/?action=track&trackingnumber=383144378470")
    assert label.label_download.pdf == label.label_download.href == (
        "https://api.shipstation.com/v2/downloads/14/VpExq9PlBEe9qTiY1EKe0A/label-184976210.pdf")
    assert label.package_tracking_numbers == ("383144378470",)


def test_single_label_object_parses_like_a_list_row() -> None:
    """`POST /v2/labels` returns the same label object, not wrapped in a list."""
    row = fixture("v2_label_created_v2_resource_url_response.real.json")["labels"][0]
    assert wire.parse_label(row) == wire.parse_labels_page({"labels": [row]}).labels[0]
    with pytest.raises(UnexpectedResponse, match="label_id: is missing"):
        wire.parse_label({k: v for k, v in row.items() if k != "label_id"})


def test_ups_delivered_track_event() -> None:
    raw = json.dumps(fixture("v2_track_event_v2_ups_delivered.real.json")).encode()
    webhook = parse_webhook(raw)
    assert webhook.resource_type == "TRACK_EVENT_V2" and not webhook.is_pointer
    tracking = webhook.tracking
    assert tracking is not None
    assert tracking.label_id == "se-974696XXX"  # from the resource_url
    assert tracking.tracking_number == "1ZXXXG2702XXXXX791"
    assert tracking.carrier_code == "ups"
    assert tracking.status_code is TrackingStatus.DELIVERED
    assert tracking.status_detail_code is None  # UPS sends none
    assert tracking.actual_delivery == datetime(2026, 9, 3, 16, 18, 41, tzinfo=timezone.utc)
    assert tracking.estimated_delivery == datetime(2026, 9, 3, tzinfo=timezone.utc)
    assert tracking.tracking_url is not None and "tracknum=1ZXXXG2702XXXXX791" in (
        tracking.tracking_url)

    scans = tracking.scans
    assert len(scans) == 16
    assert [s.occurred_at for s in scans] == sorted(s.occurred_at for s in scans)
    first, last = scans[0], scans[-1]
    assert first.occurred_at == datetime(2026, 9, 1, 20, 34, tzinfo=timezone.utc)
    assert first.carrier_detail_code == "XD" and first.location == "Houston, TX, US"
    assert last == tracking.latest
    assert last.status_code is TrackingStatus.DELIVERED and last.carrier_detail_code == "FS"
    assert last.occurred_at == tracking.actual_delivery  # occurred_at, not carrier local time
    assert (last.city, last.state, last.postal_code, last.country_code) == (
        "ROYAL OAK", "MI", "48067", "US")
    assert last.location == "ROYAL OAK, MI, US" and last.signer is None
    assert read_scan(last).milestone is TrackingMilestone.DELIVERED
    assert all(s.status_detail_code is None for s in scans)  # kept null, not guessed

    [out] = [s for s in scans if s.carrier_detail_code == "OT"]
    assert out.description == "Out for Delivery"
    assert out.occurred_at == datetime(2026, 9, 3, 13, 50, 54, tzinfo=timezone.utc)
    assert read_scan(out).milestone is TrackingMilestone.OUT_FOR_DELIVERY
    loaded = next(s for s in scans if s.carrier_detail_code == "OD")
    assert read_scan(loaded).milestone is TrackingMilestone.IN_TRANSIT
    milestones = [read_scan(s).milestone for s in scans]
    assert milestones.count(TrackingMilestone.OUT_FOR_DELIVERY) == 1
    assert all(read_scan(s).exception is None for s in scans)


def test_cumulative_repeats_are_deduped_and_sorted() -> None:
    """Each delivery repeats the whole history, newest first but not reliably sorted (§2.4)."""
    data = fixture("v2_track_event_v2_ups_delivered.real.json")["data"]
    events = data["events"]
    shuffled = events[5:] + events[:5] + events[3:9]  # out of order, six repeats
    update = wire.parse_tracking_information(dict(data, events=shuffled))
    assert len(update.scans) == 16
    assert update.scans == wire.parse_tracking_information(data).scans


def test_fedex_naive_times_are_utc_and_carrier_local_time_is_ignored() -> None:
    event = {"occurred_at": "2026-08-19T10:00:00", "carrier_occurred_at": "2026-08-19T05:00:00Z",
             "status_code": "EX", "status_detail_code": "UNSPECIFIED_EXCEPTION",
             "carrier_status_code": "DE", "description": "Delivery exception",
             "city_locality": "Memphis", "state_province": "TN", "country_code": "US",
             "signer": ""}
    update = wire.parse_tracking_information({
        "tracking_number": "383144378470", "carrier_code": "fedex_walleted", "status_code": "EX",
        "status_detail_code": "UNSPECIFIED_EXCEPTION", "events": [
            event, {"description": "no time"}, dict(event, occurred_at="yesterday")]})
    [scan] = update.scans  # the two unreadable events are skipped, not fatal
    assert scan.occurred_at == datetime(2026, 8, 19, 10, tzinfo=timezone.utc)
    assert scan.status_code is TrackingStatus.EXCEPTION and scan.signer is None
    assert read_scan(scan).exception is not None
    assert update.status_detail_code == "UNSPECIFIED_EXCEPTION"


def test_unknown_status_codes_read_as_unknown() -> None:
    update = wire.parse_tracking_information({
        "tracking_number": "1", "status_code": "COLLECTION_FAILED",  # the v2 spec's example
        "events": [{"occurred_at": "2026-09-01T00:00:00Z", "status_code": "ZZ"}]})
    assert update.status_code is TrackingStatus.UNKNOWN
    assert update.scans[0].status_code is TrackingStatus.UNKNOWN


@pytest.mark.parametrize(("raw", "reason"), [
    (b"{", "body is not valid JSON"),
    (b'{"resource_type":"TRACK_EVENT_V2"}', "resource_url: is missing"),
    (b'{"resource_url":"/v2/labels/se-1/track","resource_type":"TRACK_EVENT_V2","data":{}}',
     "resource_url: expected an absolute http(s) URL"),
    (b'{"resource_url":"https://api.shipstation.com/v2/labels/se-1/track",'
     b'"resource_type":"TRACK_EVENT_V2"}', "data: is missing"),
    (b'{"resource_url":"https://api.shipstation.com/v2/labels/se-1/track",'
     b'"resource_type":"API_TRACK","data":{"events":[]}}', "data.tracking_number: is missing"),
])
def test_malformed_v2_webhooks(raw: bytes, reason: str) -> None:
    with pytest.raises(MalformedWebhook) as caught:
        parse_webhook(raw)
    assert str(caught.value) == reason


def test_api_track_and_unknown_types() -> None:
    data = fixture("v2_track_event_v2_ups_delivered.real.json")["data"]
    body = {"resource_url": "https://api.shipengine.com/v1/tracking?carrier_code=ups&"
                            "tracking_number=1ZXXXG2702XXXXX791",
            "resource_type": "API_TRACK", "data": dict(data, label_url=None)}
    webhook = parse_webhook(json.dumps(body).encode())
    assert webhook.tracking is not None and webhook.tracking.label_id is None
    assert webhook.tracking.status_code is TrackingStatus.DELIVERED
    batch = parse_webhook(b'{"resource_url":"https://api.shipstation.com/v2/batches/se-1",'
                          b'"resource_type":"batch_processed_v2"}')
    assert batch.resource_type == "BATCH_PROCESSED_V2" and batch.is_pointer


def test_rate_response() -> None:
    def money(amount: float) -> dict[str, Any]:
        return {"currency": "usd", "amount": amount}

    def rate(rate_id: str, service: str, shipping: float, other: float = 0.0,
             **extra: Any) -> dict[str, Any]:
        return {"rate_id": rate_id, "rate_type": "shipment", "carrier_id": "se-2077423",
                "shipping_amount": money(shipping), "insurance_amount": money(0),
                "confirmation_amount": money(0), "other_amount": money(other), "zone": 5,
                "package_type": "package", "delivery_days": 3, "guaranteed_service": False,
                "estimated_delivery_date": "2026-11-05T00:00:00Z", "negotiated_rate": False,
                "service_type": service.replace("_", " ").title(), "service_code": service,
                "trackable": True, "carrier_code": "fedex", "carrier_nickname": "FedEx",
                "carrier_friendly_name": "FedEx", "validation_status": "valid",
                "warning_messages": [], "error_messages": [], **extra}

    body = {"shipment_id": "se-394477236", "rate_response": {
        "rate_request_id": 501, "shipment_id": "se-394477236", "status": "partial",
        "created_at": "2026-11-02T10:00:00Z", "errors": [{
            "error_source": "carrier", "error_type": "integrations", "error_code": "unspecified",
            "message": "UPS: account not authorized", "carrier_code": "ups"}],
        "rates": [rate("se-1", "fedex_ground", 14.17, 7.79),
                  rate("se-2", "fedex_2day", 31.5, warning_messages=["residential surcharge"]),
                  {"rate_id": "se-bad"}],
        "invalid_rates": [rate("se-3", "fedex_first_overnight", 90, error_messages=["too far"])],
    }}
    parsed = wire.parse_rate_response(body)
    assert (parsed.shipment_id, parsed.rate_request_id, parsed.status) == (
        "se-394477236", "501", "partial")
    assert [r.rate_id for r in parsed.rates] == ["se-1", "se-2"]  # the unreadable one skipped
    ground = parsed.rates[0]
    assert ground.total == wire.Money(Decimal("21.96"), "USD")
    assert ground.shipping_amount == wire.Money(Decimal("14.17"), "USD")
    assert (ground.carrier_code, ground.service_code, ground.delivery_days) == (
        "fedex", "fedex_ground", 3)
    assert ground.estimated_delivery_date == datetime(2026, 11, 5, tzinfo=timezone.utc)
    assert parsed.rates[1].warning_messages == ("residential surcharge",)
    assert parsed.invalid_rates[0].error_messages == ("too far",)
    assert str(parsed.errors[0]) == "UPS: account not authorized"
    bare = wire.parse_rate_response(body["rate_response"])  # GET /v2/shipments/{id}/rates
    assert bare.rates == parsed.rates


def test_error_envelope() -> None:
    request_id, errors = wire.parse_errors({
        "request_id": "aa3d8e8e-0ba8-4b2a-8ad7-8b8c1c5e3f5a", "errors": [
            {"error_source": "shipengine", "error_type": "validation",
             "error_code": "field_value_required", "message": "Phone number is required.",
             "field_name": "shipment.ship_to.phone_number"},
            {"error_source": "ShipStation", "error_type": "validation",
             "error_code": "invalid_field_value", "message": "ship_to.postal_code is invalid"},
            "not an object"]})
    assert request_id == "aa3d8e8e-0ba8-4b2a-8ad7-8b8c1c5e3f5a"
    assert [str(e) for e in errors] == [
        "shipment.ship_to.phone_number: Phone number is required.",
        "ship_to.postal_code is invalid"]
    assert errors[0].error_type == "validation" and errors[1].error_source == "ShipStation"
    assert wire.parse_errors("<html>") == (None, [])


def test_carriers_void_and_webhooks_parse() -> None:
    carriers = wire.parse_carriers({"carriers": [{
        "carrier_id": "se-2077423", "carrier_code": "fedex", "account_number": 297929999,
        "nickname": "FedEx", "friendly_name": "FedEx", "primary": True,
        "services": [{"carrier_id": "se-2077423", "carrier_code": "fedex",
                      "service_code": "fedex_ground", "name": "FedEx Ground®",
                      "domestic": True, "international": False}]}],
        "request_id": "x", "errors": []})
    assert carriers[0].account_number == "297929999" and carriers[0].primary
    assert carriers[0].services[0].name == "FedEx Ground®"
    void = wire.parse_void({"approved": False, "message": "too late",
                            "reason_code": "label_not_found_within_void_period"})
    assert not void.approved and void.reason_code == "label_not_found_within_void_period"
    hooks = wire.parse_webhook_list([{"webhook_id": "se-28529731", "event": "track",
                                      "url": "https://x.example/h",
                                      "headers": [{"key": "X-Token", "value": "s"}]}])
    assert hooks[0].headers == (("X-Token", "s"),)
    with pytest.raises(UnexpectedResponse):
        wire.parse_webhook_list({"webhooks": []})
