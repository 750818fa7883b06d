"""ShipStation as the label platform: one order's bad value refuses that order only."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from shipflow.domain.effects import PushPart
from shipflow.domain.fulfilment import Part, PartLine, PartStatus
from shipflow.domain.order import LineItem
from shipflow.providers.shipstation.label_platform import ShipStationLabelPlatform
from tests.unit.domain.factories import an_order

from .helpers import Script, respond
from .test_shipstation_client import client


def push(n: int, **overrides: object) -> PushPart:
    order = replace(an_order(**overrides), shopify_order_id=n, name=f"#{n}")
    part = Part(1, (PartLine(1, "MUG-01", 2),), PartStatus.AWAITING_SHIPMENT)
    return PushPart(n, order, part, str(n), False, None, None)


def test_a_value_shipstation_cannot_take_refuses_its_order_and_the_others_go() -> None:
    script = Script([respond(200, {"hasErrors": False, "results": [
        {"orderId": 11, "orderNumber": "1", "orderKey": "1", "success": True,
         "errorMessage": None}]})])
    huge = (LineItem(1, "MUG-01", "Mug", 2, Decimal("1e40")),)
    results = ShipStationLabelPlatform(client(script)).push([push(1), push(2, line_items=huge)])
    assert results["1"].ok and results["1"].platform_order_id == 11
    assert not results["2"].ok and "cannot be sent" in str(results["2"].error)
    assert [o["orderKey"] for o in script.body()] == ["1"]  # the bad one never went out
