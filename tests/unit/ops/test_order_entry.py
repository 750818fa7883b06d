"""`shipflow doctor`'s order-entry check: the configured source against ShipStation's stores
and the Shopify store's newest orders."""

from __future__ import annotations

from shipflow.domain.policy import ShipStationSource
from shipflow.ops.order_entry import order_entry
from shipflow.providers.shipstation.mapping import ShipStationOrder
from shipflow.providers.shipstation.stores import Store

SHOPIFY = Store(171655, "snowdevil", 26, "Shopify", True)
MANUAL = Store(171654, "Manual Orders", 0, "ShipStation", True)
PUSH, IMPORT = ShipStationSource.PUSH, ShipStationSource.STORE_IMPORT


def order(number: str, source: str | None) -> ShipStationOrder:
    return ShipStationOrder(1, number, number, "awaiting_shipment", source=source,
                            store_id=171655)


def test_push_beside_a_connection_that_imports_is_a_problem() -> None:
    found = order_entry(PUSH, [MANUAL, SHOPIFY], [order("1001", "shopify"),
                                                  order("1002", "shipflow")])
    assert found.status == "problem"
    assert "1 of the newest 2" in found.message and "1001" in found.message
    assert order_entry(PUSH, [MANUAL, SHOPIFY], [order("1002", "shipflow")]).status == "ok"
    assert order_entry(PUSH, [MANUAL], []).status == "ok"


def test_store_import_needs_a_shopify_store() -> None:
    assert order_entry(IMPORT, [MANUAL], []).status == "problem"
    assert order_entry(IMPORT, [MANUAL], [], store_id=99).status == "ok"
    assert order_entry(IMPORT, [SHOPIFY], [order("1001", "shopify")]).status == "ok"
    assert order_entry(IMPORT, [SHOPIFY], [order("1001", "shipflow")]).status == "ok"
