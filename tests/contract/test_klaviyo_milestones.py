"""Every milestone the domain builds, sent through the real Klaviyo wire builder, validates
against the official OpenAPI spec (revision 2026-07-15), alone and in one bulk job."""

from __future__ import annotations

import json
from datetime import date

import pytest

from shipflow.domain.milestone import Milestone, MilestoneEvent
from shipflow.domain.shipment import Shipment, ShipmentItem
from shipflow.providers.klaviyo.properties import properties
from shipflow.providers.klaviyo.wire import bulk_events_request, event_request, event_time
from shipflow.providers.shopify.webhooks import parse_order
from tests.unit.domain.factories import a_shipment, an_order, every_milestone

from .openapi import OpenApiValidator
from .paths import FIXTURES

EVENTS = "/api/events"
BULK = "/api/event-bulk-create-jobs"


def fixture_events() -> dict[str, MilestoneEvent]:
    """The docs' `orders/create` payload (a real Shopify shape) and a two-item parcel."""
    order = parse_order(json.loads(
        (FIXTURES / "shopify" / "orders_create_docs_2026-07.json").read_text()),
        "snowdevil.myshopify.com")
    shipment = Shipment("33974374", str(order.shopify_order_id), "9999", "1Z001985YW99744790",
                        "ups", "ups_ground", date(2026, 11, 2),
                        (ShipmentItem("SKU2006-001", "x", 1), ShipmentItem("SKU2006-020", "y", 1)))
    return every_milestone(order, shipment)


CASES = {
    **{f"factory-{k}": v for k, v in every_milestone(an_order(), a_shipment()).items()},
    **{f"fixture-{k}": v for k, v in fixture_events().items()},
}


@pytest.mark.parametrize("name", CASES)
def test_milestone_event_request_validates(klaviyo_openapi: OpenApiValidator, name: str) -> None:
    event = CASES[name]
    body = event_request(event)
    assert klaviyo_openapi.errors(EVENTS, "post", body) == []
    attributes = body["data"]["attributes"]
    assert attributes["metric"]["data"]["attributes"] == {"name": event.milestone.value}
    assert attributes["unique_id"] == event.unique_id
    assert attributes["time"] == event_time(event.time)
    assert "value" not in attributes and "value_currency" not in attributes
    # `properties()` already builds plain JSON: nothing is converted or dropped on the way
    assert attributes["properties"] == properties(event)
    json.dumps(body)


@pytest.mark.parametrize("source", ["factory", "fixture"])
def test_every_milestone_fits_in_one_bulk_job(klaviyo_openapi: OpenApiValidator,
                                              source: str) -> None:
    events = [e for name, e in CASES.items() if name.startswith(source)]
    assert {e.milestone for e in events} == set(Milestone)
    body = bulk_events_request(events)
    assert klaviyo_openapi.errors(BULK, "post", body) == []
    [entry] = body["data"]["attributes"]["events-bulk-create"]["data"]  # one customer
    assert len(entry["attributes"]["events"]["data"]) == len(events)  # no id repeats
