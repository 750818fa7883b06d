"""`store_import`: push_orders amends the orders ShipStation's store connection imported,
waits for a late import, and gives an order whose import never came to a person."""

from __future__ import annotations

import threading

from shipflow.domain.order import OrderState
from shipflow.engine.flows import amend, push
from shipflow.providers.ports import ImportedOrder
from shipflow.store.queries.orders import order_view

from ..rules.helpers import rules
from .harness import order

STORE_IMPORT = rules("""
version: 1
policy:
  shipstation: {source: store_import}
rules:
  - name: signature for everything
    when: "true"
    then: {confirmation: signature, tags: [vip]}
""")


def test_imported_orders_are_amended_and_none_is_created(engine) -> None:
    h = engine(STORE_IMPORT)
    h.shipstation.import_order("1001", "1001")
    h.shipstation.import_order("1002", "1002")
    pks = h.paid(order(1), order(2))
    assert h.run(push.push_orders, pks) == 2
    assert h.shipstation.names() == ["amend"]  # no push: nothing created
    [(_, amended)] = h.shipstation.writes
    assert sorted(k for k, _ in amended) == ["1001", "1002"]
    assert all(i is not None for _, i in amended)
    assert [h.state(pk) for pk in pks] == [OrderState.IN_SHIPSTATION] * 2
    assert h.ledger()["shipstation_amend_imported:done"] == 2
    assert "shipstation_order:done" not in h.ledger()


def test_a_late_import_is_waited_for(engine) -> None:
    h = engine(STORE_IMPORT)
    h.rt.store_import_wait = 20.0
    [pk] = h.paid(order(1))
    timer = threading.Timer(1.0, h.shipstation.import_order, ("1001", "1001"))
    timer.start()
    try:
        assert h.run(push.push_orders, [pk]) == 1
    finally:
        timer.cancel()
    assert h.state(pk) is OrderState.IN_SHIPSTATION


def test_an_import_that_never_comes_needs_a_person_with_the_reason(engine) -> None:
    h = engine(STORE_IMPORT)
    h.rt.store_import_wait = 1.0
    [pk] = h.paid(order(1))
    assert h.run(push.push_orders, [pk]) == 0
    assert h.state(pk) is OrderState.NEEDS_ATTENTION
    assert "amend" not in h.shipstation.names()
    view = order_view(h.store.db, 1001)
    assert view is not None
    notes = [e.message for e in view.timeline]
    assert any("never imported" in n and "1001" in n for n in notes), notes


def test_the_import_is_chosen_by_its_key_else_a_single_foreign_one() -> None:
    class R:  # the two fields choose_import reads of a routed order
        def __init__(self, shopify_order_id: int) -> None:
            self.order = type("O", (), {"shopify_order_id": shopify_order_id, "name": "#1001"})

    def imp(i: int, key: str, ours: bool = False, status: str = "awaiting_shipment"
            ) -> ImportedOrder:
        return ImportedOrder(i, key, "1001", status, 1, ours)

    r = R(5001)
    assert amend.choose_import(r, [imp(1, "x"), imp(2, "5001")]).platform_order_id == 2  # type: ignore[arg-type, union-attr]
    assert amend.choose_import(r, [imp(1, "x")]).platform_order_id == 1  # type: ignore[arg-type, union-attr]
    assert amend.choose_import(r, [imp(1, "x"), imp(3, "y")]) is None  # type: ignore[arg-type]
    assert amend.choose_import(r, [imp(1, "x", ours=True)]) is None  # type: ignore[arg-type]
    assert amend.poll_interval(1800) == 60 and amend.poll_interval(1) == 0.5


def test_labels_adopt_the_connections_fulfillment_and_a_relabel_updates_it(engine) -> None:
    from shipflow.engine.flows import ship
    from tests.unit.domain.factories import a_shipment

    h = engine(STORE_IMPORT)
    h.shipstation.import_order("1001", "1001")
    [pk] = h.paid(order(1))
    h.run(push.push_orders, [pk])
    fid = h.shopify.fulfilled_by_connection(1001, "1Zfirst")
    h.shipstation.labels["u1"] = [a_shipment(shipment_id="s1", order_key="1001",
                                             order_number="1001", tracking_number="1Zfirst")]
    assert h.run(ship.handle_ship_notify, "u1") == 1  # Order Shipped told once
    assert "fulfil" not in h.shopify.names()
    assert h.shopify.writes[-1] == ("adopt_fulfilment", (fid, "found"))
    # A relabel outside shipflow: ShipStation does not send it to Shopify; shipflow does.
    h.shipstation.labels["u2"] = [a_shipment(shipment_id="s2", order_key="1001",
                                             order_number="1001", tracking_number="1Zsecond")]
    h.run(ship.handle_ship_notify, "u2")
    assert h.shopify.fulfillments[fid] == (1001, "1Zsecond")
    assert "fulfil" not in h.shopify.names()


SPLIT_IMPORT = rules("""
version: 1
policy: {default_backorder: split, shipstation: {source: store_import}}
rules:
  - name: never
    when: "false"
    then: {tags: [never]}
""")


def test_a_split_amends_the_import_to_the_first_part_and_creates_the_rest_beside_it(
        engine) -> None:
    from shipflow.engine.flows import ship
    from tests.unit.domain.factories import a_shipment

    h = engine(SPLIT_IMPORT)
    h.shopify.stock_by_sku = {"MUG-01": -2, "TEE-02": 5}
    h.shipstation.import_order("1001", "1001")
    imported_id = h.shipstation.imported["1001"].platform_order_id
    [pk] = h.paid(order(1))
    assert h.run(push.push_orders, [pk]) == 1
    [(_, amended)] = [w for w in h.shipstation.writes if w[0] == "amend"]
    assert amended == [("1001", imported_id), ("1001-2", None)]
    assert h.shipstation.orders["1001"]["status"] == "awaiting_shipment"
    assert h.shipstation.orders["1001-2"]["status"] == "on_hold"
    # The second part's label is not the connection's to notify: shipflow fulfils it.
    h.shipstation.labels["u9"] = [a_shipment(shipment_id="s9", order_key="1001-2",
                                             order_number="1001-2", tracking_number="1Zpart2")]
    h.run(ship.handle_ship_notify, "u9")
    assert [n for n, _ in h.shopify.writes] == ["fulfil"]


def test_an_import_keyed_otherwise_is_amended_under_its_key_and_its_labels_still_map(
        engine) -> None:
    from shipflow.engine.flows import ship
    from tests.unit.domain.factories import a_shipment

    h = engine(STORE_IMPORT)
    h.shipstation.import_order("1001", "conn-7f3a")  # not the Shopify order id
    imported_id = h.shipstation.imported["1001"].platform_order_id
    [pk] = h.paid(order(1))
    assert h.run(push.push_orders, [pk]) == 1
    assert h.shipstation.writes[-1] == ("amend", [("conn-7f3a", imported_id)])
    assert h.store.parts.get("1001").shipstation_order_id == imported_id  # type: ignore[union-attr]
    fid = h.shopify.fulfilled_by_connection(1001, "1Zkeyed")
    h.shipstation.labels["u1"] = [a_shipment(shipment_id="s1", order_key="conn-7f3a",
                                             order_number="1001", tracking_number="1Zkeyed",
                                             platform_order_id=imported_id)]
    assert h.run(ship.handle_ship_notify, "u1") == 1
    assert h.shopify.writes[-1] == ("adopt_fulfilment", (fid, "found"))
    assert h.state(pk) is OrderState.SHIPPED
