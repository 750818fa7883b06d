"""A SHIP_NOTIFY batch with a label whose values do not fit the tables, on SQLite and
PostgreSQL: that label is refused alone (its order needs a person, the field named on its
timeline) and the rest of the batch is fulfilled. On PostgreSQL the label used to fail the
batch's one insert, and with it every order of the batch."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Iterator

import pytest

from shipflow.domain.order import OrderState
from shipflow.domain.shipment import ShipmentItem
from shipflow.engine.flows import push, ship
from shipflow.store.queries import order_view
from tests.unit.engine.conftest import EMPTY
from tests.unit.engine.harness import Harness, order, start, stop
from tests.unit.engine.test_lifecycle_flows import shipped


@pytest.fixture
def h(database_url: str, tmp_path: Path) -> Iterator[Harness]:
    harness = start(tmp_path / "engine", EMPTY, database_url=database_url)
    try:
        yield harness
    finally:
        stop(harness)


CASES: list[tuple[str, dict[str, Any], str]] = [
    ("long tracking number", {"tracking": "1Z" + "9" * 200}, "shipment.trackingNumber"),
    ("tracking link too long once quoted", {"tracking": "\u20ac" * 120},
     "shipment.trackingNumber (as a tracking link)"),
    ("long carrier code", {"carrier_code": "c" * 65}, "shipment.carrierCode"),
    ("long service code", {"service_code": "s" * 129}, "shipment.serviceCode"),
    ("ship date in year 1", {"ship_date": date(1, 1, 1)}, "shipment.shipDate"),
    ("NUL in the tracking number", {"tracking": "1Z\x00"}, "shipment.trackingNumber"),
    ("absurd quantity", {"items": (ShipmentItem("MUG-01", "Mug", 10**12),)},
     "shipment.shipmentItems[0].quantity"),
    ("negative quantity", {"items": (ShipmentItem("MUG-01", "Mug", -1),)},
     "shipment.shipmentItems[0].quantity"),
    ("long sku", {"items": (ShipmentItem("S" * 256, "Mug", 1),)},
     "shipment.shipmentItems[0].sku"),
]


@pytest.mark.parametrize(("what", "bad", "path"), CASES, ids=[c[0] for c in CASES])
def test_a_label_that_does_not_fit_is_refused_alone(h: Harness, what: str, bad: dict[str, Any],
                                                    path: str) -> None:
    refused, fine = h.paid(order(1), order(2))
    h.run(push.push_orders, [refused, fine])
    url = shipped(h, 1, **bad)
    shipped(h, 2)
    assert h.run(ship.handle_ship_notify, url) == 1  # one customer told: the fitting label's
    assert h.state(fine) is OrderState.SHIPPED
    assert h.state(refused) is OrderState.NEEDS_ATTENTION
    assert [n for n, _ in h.shopify.writes] == ["fulfil"]
    view = order_view(h.store.db, 1001)
    assert view is not None and view.shipments == []
    [note] = [t.message for t in view.timeline if t.kind == "attention"]
    assert note.startswith(f"ShipStation label not recorded: {path}:"), note
    if "\x00" not in bad.get("tracking", ""):
        assert bad.get("tracking", "\x00") not in note  # the field is named, not echoed
