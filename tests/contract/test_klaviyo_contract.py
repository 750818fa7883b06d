"""Every body the Klaviyo wire module builds validates against the official OpenAPI spec
(revision 2026-07-15), and so do the real example bodies (which proves the validator)."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from shipflow.domain.messages import order_shipped
from shipflow.domain.milestone import (
    Milestone,
    MilestoneEvent,
    OrderSummary,
    ProductLine,
    ShipmentSummary,
    ShippedFacts,
)
from shipflow.domain.shipment import Shipment, ShipmentItem
from shipflow.domain.tracking import tracking_info
from shipflow.providers.klaviyo.wire import (
    KlaviyoProfile,
    ProfileLocation,
    bulk_events_request,
    bulk_requests,
    e164,
    event_request,
    json_properties,
    parse_errors,
    profile_from_order,
    profile_import_request,
)
from shipflow.providers.shopify.webhooks import parse_order

from .openapi import OpenApiValidator
from .paths import FIXTURES

EVENTS = "/api/events"
BULK = "/api/event-bulk-create-jobs"
AT = datetime(2026, 11, 2, 10, 4, 5, 999999, tzinfo=timezone(timedelta(hours=-5)))
OFFSET_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")


def klaviyo_fixtures() -> list[Path]:
    files = sorted((FIXTURES / "klaviyo").glob("*.json"))
    assert files, "no Klaviyo fixtures found"
    return files


@pytest.mark.parametrize("path", klaviyo_fixtures(), ids=lambda p: p.name)
def test_real_example_bodies_validate(klaviyo_openapi: OpenApiValidator, path: Path) -> None:
    endpoint = BULK if path.name.startswith("bulk_create_events_request") else EVENTS
    assert path.name.startswith(("bulk_create_events_request", "create_event_request"))
    assert klaviyo_openapi.errors(endpoint, "post", json.loads(path.read_text())) == []


def test_validator_rejects_what_klaviyo_rejects(klaviyo_openapi: OpenApiValidator) -> None:
    body = event_request(an_event())
    body["data"]["attributes"]["profile"]["data"]["attributes"]["nickname"] = "x"
    del body["data"]["attributes"]["metric"]
    body["data"]["attributes"]["time"] = "tomorrow"
    body["data"]["type"] = "events"
    assert klaviyo_openapi.errors(EVENTS, "post", body) == [
        "data/attributes/profile/data/attributes: Additional properties are not allowed "
        "('nickname' was unexpected)",
        "data/attributes/time: 'tomorrow' is not a 'date-time'",
        "data/attributes: 'metric' is a required property",
        "data/type: 'events' is not one of ['event']",
    ]


PARCEL = ShipmentSummary(
    shipment_id="33974374", tracking=tracking_info("ups", "1Z001985YW99744790"),
    service_code="ups_ground", shipping_method=None, ship_date=date(2026, 11, 2),
    estimated_delivery=None, items=(ProductLine("Mug", "A-1", None, None, 2),), partial=False,
    destination=None)


def an_event(**changes: Any) -> MilestoneEvent:
    fields: dict[str, Any] = {
        "milestone": Milestone.ORDER_SHIPPED,
        "unique_id": "order-shipped:snowdevil.myshopify.com:820982911946154508:33974374",
        "time": AT,
        "email": "sarah.mason@klaviyo-demo.com",
        "phone": "+1 (500) 555-0006",
        "first_name": "Sarah",
        "last_name": "Mason",
        "external_id": "115310627314723954",
        "order": OrderSummary(820982911946154508, "#9999"),
        "facts": ShippedFacts(PARCEL),
    }
    fields.update(changes)
    return MilestoneEvent(**fields)


@pytest.mark.parametrize("changes", [
    {},
    {"phone": None, "first_name": None, "last_name": None, "external_id": None},
    {"email": None, "external_id": None, "phone": "+15005550006"},
    {"email": None, "phone": None},  # external id only
    {"email": " ", "phone": "555-555-SHIP"},  # not E.164: left out, external id identifies
    {"time": datetime(2026, 11, 2, 15, 4, 5)},  # naive: UTC
], ids=["full", "email-only", "phone-only", "external-id-only", "bad-phone", "naive-time"])
def test_event_request_validates(klaviyo_openapi: OpenApiValidator,
                                 changes: dict[str, Any]) -> None:
    body = event_request(an_event(**changes))
    assert klaviyo_openapi.errors(EVENTS, "post", body) == []
    attributes = body["data"]["attributes"]
    assert "value" not in attributes and "value_currency" not in attributes
    assert OFFSET_TIME.match(attributes["time"])
    profile = attributes["profile"]["data"]["attributes"]
    assert all(v not in (None, "") for v in profile.values())
    assert attributes["metric"]["data"]["attributes"] == {"name": "Order Shipped"}


def test_event_request_fields() -> None:
    body = event_request(an_event())
    attributes = body["data"]["attributes"]
    assert attributes["time"] == "2026-11-02T10:04:05-05:00"
    assert attributes["unique_id"] == (
        "order-shipped:snowdevil.myshopify.com:820982911946154508:33974374")
    assert attributes["profile"]["data"]["attributes"] == {
        "email": "sarah.mason@klaviyo-demo.com", "phone_number": "+15005550006",
        "external_id": "115310627314723954", "first_name": "Sarah", "last_name": "Mason"}
    assert attributes["properties"] == {
        "OrderId": "820982911946154508", "OrderName": "#9999", "ShipmentId": "33974374",
        "TrackingNumber": "1Z001985YW99744790",
        "TrackingUrl": "https://www.ups.com/track?tracknum=1Z001985YW99744790",
        "Carrier": "UPS", "CarrierCode": "ups", "ServiceCode": "ups_ground",
        "ShipDate": "2026-11-02", "ItemNames": ["Mug"], "ItemCount": 2,
        "Items": [{"SKU": "A-1", "ProductName": "Mug", "Quantity": 2}],
        "IsPartialShipment": False, "Source": "shipflow"}
    json.dumps(body)  # plain JSON types only


def test_properties_are_sent_as_plain_json() -> None:
    assert json_properties({
        "OrderId": "820982911946154508", "OrderName": "#9999", "ItemCount": 2,
        "Amount": Decimal("19.99"), "ShipDate": date(2026, 11, 2), "LastScanAt": AT,
        "Items": ({"SKU": "A-1", "Quantity": 2},), "Nothing": None,
        "Milestone": Milestone.ORDER_SHIPPED,
    }) == {
        "OrderId": "820982911946154508", "OrderName": "#9999", "ItemCount": 2,
        "Amount": 19.99, "ShipDate": "2026-11-02", "LastScanAt": "2026-11-02T10:04:05-05:00",
        "Items": [{"SKU": "A-1", "Quantity": 2}], "Milestone": "Order Shipped"}
    with pytest.raises(ValueError, match="at most 400 properties"):
        json_properties({f"P{i}": i + 1 for i in range(401)})


def test_an_event_without_properties_validates(klaviyo_openapi: OpenApiValidator) -> None:
    body = event_request(an_event())
    body["data"]["attributes"]["properties"] = json_properties({})
    assert klaviyo_openapi.errors(EVENTS, "post", body) == []


def test_order_shipped_from_the_fixture_order_validates(
        klaviyo_openapi: OpenApiValidator) -> None:
    order = parse_order(json.loads(
        (FIXTURES / "shopify" / "orders_create_docs_2026-07.json").read_text()),
        "snowdevil.myshopify.com")
    shipment = Shipment("33974374", "820982911946154508", "9999", "1Z001985YW99744790", "ups",
                        "ups_ground", date(2026, 11, 2), (ShipmentItem("SKU2006-001", "x", 1),))
    event = order_shipped(order, shipment, tracking_info("ups", "1Z001985YW99744790"), AT)
    body = event_request(event)
    assert klaviyo_openapi.errors(EVENTS, "post", body) == []
    properties = body["data"]["attributes"]["properties"]
    assert properties["TrackingUrl"] == "https://www.ups.com/track?tracknum=1Z001985YW99744790"
    assert properties["Carrier"] == "UPS"
    # the fixture's customer phone is null and the address phone is not E.164
    assert "phone_number" not in body["data"]["attributes"]["profile"]["data"]["attributes"]


def test_bulk_request_groups_per_profile_and_validates(
        klaviyo_openapi: OpenApiValidator) -> None:
    events = [
        an_event(unique_id="a:1"),
        an_event(unique_id="a:2", email="SARAH.MASON@klaviyo-demo.com", first_name=None),
        an_event(unique_id="b:1", email="bill.joel@klaviyo-demo.com", phone=None,
                 external_id=None, first_name="Bill", last_name=None),
        an_event(unique_id="a:1", first_name="Other"),  # repeat: would fail the whole request
        an_event(unique_id="c:1", email=None, phone="+15005550006", external_id=None),
    ]
    body = bulk_events_request(events)
    assert klaviyo_openapi.errors(BULK, "post", body) == []
    entries = body["data"]["attributes"]["events-bulk-create"]["data"]
    assert [e["type"] for e in entries] == ["event-bulk-create"] * 3
    unique_ids = [[ev["attributes"]["unique_id"] for ev in e["attributes"]["events"]["data"]]
                  for e in entries]
    assert unique_ids == [["a:1", "a:2"], ["b:1"], ["c:1"]]
    first_profile = entries[0]["attributes"]["profile"]["data"]["attributes"]
    assert first_profile["email"] == "sarah.mason@klaviyo-demo.com"
    assert first_profile["first_name"] == "Sarah"
    for entry in entries:
        for ev in entry["attributes"]["events"]["data"]:
            assert "profile" not in ev["attributes"] and "value" not in ev["attributes"]
    # no (profile, metric, unique_id) repeats inside the request
    seen = [(i, u) for i, ids in enumerate(unique_ids) for u in ids]
    assert len(seen) == len(set(seen))


def test_bulk_requests_respect_the_limits(klaviyo_openapi: OpenApiValidator) -> None:
    events = [an_event(unique_id=f"e:{n}", email=f"c{n % 300}@klaviyo-demo.com")
              for n in range(2501)]
    bodies = bulk_requests(events)
    counts = [sum(len(e["attributes"]["events"]["data"])
                  for e in b["data"]["attributes"]["events-bulk-create"]["data"])
              for b in bodies]
    assert counts == [1000, 1000, 501]
    assert klaviyo_openapi.errors(BULK, "post", bodies[-1]) == []
    with pytest.raises(ValueError):
        bulk_events_request(events)


def test_big_events_split_under_five_megabytes() -> None:
    blob = "x" * 90_000
    events = [an_event(unique_id=f"e:{n}", order=OrderSummary(n, blob)) for n in range(120)]
    bodies = bulk_requests(events)
    assert len(bodies) > 1
    for body in bodies:
        assert len(json.dumps(body, separators=(",", ":")).encode()) <= 5 * 1024 * 1024


def test_e164() -> None:
    assert e164("+1 (500) 555-0006") == "+15005550006"
    assert e164("+44 20 7946 0958") == "+442079460958"
    assert e164("555-555-SHIP") is None
    assert e164("5005550006") is None  # no country code: cannot be guessed
    assert e164(None) is None


def test_parse_errors_on_real_shapes() -> None:
    throttled = {"errors": [{"id": "4a1e", "status": 429, "code": "throttled",
                             "title": "Request was throttled.",
                             "detail": "Request was throttled. Expected available in 1 second.",
                             "source": {"pointer": "/data/"}, "links": {}, "meta": {}}]}
    include = {"errors": [{"id": "5b", "status": 400, "code": "invalid",
                           "title": "Invalid input.",
                           "detail": "'profiless' is not an allowed include parameter for this "
                                     "resource.", "source": {"parameter": "include"}}]}
    old_404 = {"errors": [{"detail": "No valid revisions found for method"}]}
    [t] = parse_errors(throttled)
    assert (t.code, t.status, t.pointer, t.id) == ("throttled", 429, "/data/", "4a1e")
    [i] = parse_errors(json.dumps(include).encode())
    assert i.parameter == "include" and str(i).endswith("(?include)")
    [n] = parse_errors(old_404)
    assert n.detail == "No valid revisions found for method" and n.code is None
    assert parse_errors("<html>400 Bad Request</html>") == []
    assert parse_errors(None) == []


# -- profiles ----------------------------------------------------------------------------------
PROFILE_IMPORT = "/api/profile-import"


def fixture_order() -> Any:
    return parse_order(json.loads(
        (FIXTURES / "shopify" / "orders_create_docs_2026-07.json").read_text()),
        "snowdevil.myshopify.com")


@pytest.mark.parametrize("profile", [
    KlaviyoProfile(email="sarah.mason@klaviyo-demo.com", phone_number="+1 (500) 555-0006",
                   external_id="115310627314723954", first_name="Sarah", last_name="Mason",
                   location=ProfileLocation("89 E 42nd St", "1st floor", "New York", "NY",
                                            "10017", "US")),
    KlaviyoProfile(email="sarah.mason@klaviyo-demo.com"),
    KlaviyoProfile(phone_number="+15005550006"),
    KlaviyoProfile(external_id="115310627314723954", location=ProfileLocation(country="CA")),
    KlaviyoProfile(email="a@klaviyo-demo.com", location=ProfileLocation()),  # empty: left out
], ids=["full", "email", "phone", "external-id", "empty-location"])
def test_profile_import_validates(klaviyo_openapi: OpenApiValidator,
                                  profile: KlaviyoProfile) -> None:
    body = profile_import_request(profile)
    assert klaviyo_openapi.request_errors("post", PROFILE_IMPORT, body) == []
    attributes = body["data"]["attributes"]
    assert body["data"]["type"] == "profile" and "id" not in body["data"]
    # null would *clear* the field in an upsert: unknown values are left out, never null
    assert None not in attributes.values()
    assert None not in attributes.get("location", {}).values()


def test_profile_from_the_fixture_order(klaviyo_openapi: OpenApiValidator) -> None:
    profile = profile_from_order(fixture_order())
    assert profile == KlaviyoProfile(
        email="jon@example.com", phone_number="555-555-SHIP", external_id="115310627314723954",
        first_name="John", last_name="Smith",
        location=ProfileLocation("123 Shipping Street", None, "Shippington", "KY", "40003",
                                 "US"))
    body = profile_import_request(profile)
    assert klaviyo_openapi.request_errors("post", PROFILE_IMPORT, body) == []
    assert body["data"]["attributes"] == {
        "email": "jon@example.com", "external_id": "115310627314723954", "first_name": "John",
        "last_name": "Smith",  # the address phone is not E.164: left out
        "location": {"address1": "123 Shipping Street", "city": "Shippington", "region": "KY",
                     "zip": "40003", "country": "US"}}


def test_profile_import_refuses_unknown_attributes(klaviyo_openapi: OpenApiValidator) -> None:
    body = profile_import_request(KlaviyoProfile(email="a@klaviyo-demo.com"))
    body["data"]["attributes"]["nickname"] = "x"
    body["data"]["attributes"]["location"] = {"country_code": "US"}
    assert klaviyo_openapi.request_errors("post", PROFILE_IMPORT, body) == [
        # location is `$ref` + nullable, hence "any of" (the object or null)
        "data/attributes/location: {'country_code': 'US'} is not valid under any of the given "
        "schemas",
        "data/attributes: Additional properties are not allowed ('nickname' was unexpected)"]
    with pytest.raises(ValueError, match="needs an email"):
        profile_import_request(KlaviyoProfile(phone_number="555-555-SHIP", first_name="x"))
