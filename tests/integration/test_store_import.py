"""`policy.shipstation.source: store_import` end to end on the sandbox, on SQLite and
PostgreSQL: ShipStation's own Shopify store connection imports the orders and notifies Shopify
of labels; shipflow amends the imports, adopts the connection's fulfillment (no second one),
fixes a relabel's tracking, and tells the customer every milestone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shipflow.config import Settings
from shipflow.ops.connect import Report
from shipflow.ops.doctor import check_order_entry
from tests.integration.lifecycle_env import Scenario, running, wait_until

SCALE = 40_000
SHOPIFY_STORE = 171655
RULES = """
version: 1
policy:
  shipstation: {{source: {source}}}
rules:
  - name: signature-for-all
    when: order.total_price > 0.0
    then: {{confirmation: signature, tags: [checked]}}
  - name: ground-in-the-lower-48
    when: order.destination.contiguous_us
    then: {{service: {{carrier: ups, service: ups_ground}}}}
  - name: address-review
    when: "!order.destination.contiguous_us"
    then: {{hold: {{reason: address_review, note: "Check the address before any label"}}}}
"""


def rules(source: str = "store_import") -> str:
    return RULES.format(source=source)


def connection(after_seconds: float | None) -> dict[str, Any]:
    """The sandbox's Shopify store connection, importing `after_seconds` of real time."""
    return {"store_import_after": None if after_seconds is None else after_seconds * SCALE}


def records(s: Scenario) -> dict[str, Any]:
    return s.http.get(f"{s.sandbox}/_sandbox/records").json()


def shipstation_orders(s: Scenario, order_id: int) -> list[dict[str, Any]]:
    """Every ShipStation order of that Shopify order (its number, or a split part of it)."""
    name = s.shopify_order(order_id)["order"]["name"].removeprefix("#")
    return [o for o in records(s)["shipstation"]["orders"]
            if o["orderNumber"] == name or o["orderNumber"].startswith(name + "-")]


def fulfillments(s: Scenario, order_id: int) -> list[dict[str, Any]]:
    [shop] = [o for o in records(s)["shopify"]["orders"] if o["id"] == order_id]
    return [f for f in shop["fulfillments"] if f["status"] == "SUCCESS"]


def ship(s: Scenario, ss_order_id: int, relabel: bool = False) -> None:
    s.http.post(f"{s.sandbox}/_sandbox/shipstation/ship",
                json={"orderIds": [ss_order_id], "relabel": relabel}).raise_for_status()


def one_event(s: Scenario, order_id: int, metric: str, timeout: float = 90) -> dict[str, Any]:
    wait_until(lambda: s.events_for(order_id, metric), timeout,
               lambda: f"no {metric!r}; got {[e['metric'] for e in s.events_for(order_id)]}")
    events = s.events_for(order_id, metric)
    assert len(events) == 1, events
    return events[0]["properties"]


def timeline(s: Scenario, order_id: int) -> list[str]:
    return [e["message"] for e in (s.view(order_id) or {}).get("timeline", [])]


def test_a_whole_lifecycle_on_imported_orders(tmp_path: Path, database_url: str) -> None:
    with running(tmp_path, database_url, rules(), time_scale=SCALE, limits=False,
                 auto_ship=False, sandbox=connection(1.0),
                 settings={"store_import_wait": 60.0}) as s:
        s.http.post(f"{s.sandbox}/_sandbox/carrier/plan",
                    json={"next": True, "outcome": "on_time"}).raise_for_status()
        [order_id] = s.place(line_items=[{"sku": "MUG-CER-16", "quantity": 1}],
                             destination="contiguous")
        [held_id] = s.place(line_items=[{"sku": "MUG-CER-16", "quantity": 1}],
                            destination="noncontiguous")
        s.wait_state(order_id, "in_shipstation")
        s.wait_state(held_id, "on_hold")
        # One ShipStation order each: the import, amended in its store with the decisions.
        [ss] = shipstation_orders(s, order_id)
        assert ss["storeId"] == SHOPIFY_STORE and ss["orderKey"] == str(order_id)
        amended = s.shipstation_order(str(order_id))
        assert amended["confirmation"] == "signature"
        assert (amended["carrierCode"], amended["serviceCode"]) == ("ups", "ups_ground")
        [held] = shipstation_orders(s, held_id)
        assert held["orderStatus"] == "on_hold" and held["storeId"] == SHOPIFY_STORE
        assert any("imported order" in m and "amended" in m for m in timeline(s, order_id))
        # The warehouse prints the label; the connection fulfils in Shopify; shipflow adopts it.
        ship(s, ss["orderId"])
        shipped = one_event(s, order_id, "Order Shipped")
        [fulfilled] = fulfillments(s, order_id)
        assert fulfilled["tracking_numbers"] == [shipped["TrackingNumber"]]
        wait_until(lambda: any("already fulfilled by ShipStation's store connection" in m
                               for m in timeline(s, order_id)), 30,
                   lambda: f"timeline: {timeline(s, order_id)}")
        one_event(s, order_id, "Order Delivered")
        s.wait_state(order_id, "delivered")
        assert len(fulfillments(s, order_id)) == 1  # the connection's, never a second
        assert len(shipstation_orders(s, order_id)) == 1
        notes = records(s)["shipstation"]["store_connection"]["notifications"]
        assert [n["shopify_order_id"] for n in notes] == [order_id]
        uids = [e["unique_id"] for e in s.events_for(order_id)]
        assert len(uids) == len(set(uids))


def test_a_relabel_outside_shipflow_gets_its_tracking_on_the_existing_fulfillment(
        tmp_path: Path, database_url: str) -> None:
    with running(tmp_path, database_url, rules(), time_scale=SCALE, limits=False,
                 auto_ship=False, sandbox=connection(0.5),
                 settings={"store_import_wait": 60.0}) as s:
        [order_id] = s.place(line_items=[{"sku": "MUG-CER-16", "quantity": 1}],
                             destination="contiguous")
        s.wait_state(order_id, "in_shipstation")
        [ss] = shipstation_orders(s, order_id)
        ship(s, ss["orderId"])
        first = one_event(s, order_id, "Order Shipped")["TrackingNumber"]
        ship(s, ss["orderId"], relabel=True)  # void + reprint: ShipStation tells Shopify nothing
        live = [sh for sh in records(s)["shipstation"]["shipments"]
                if sh["orderId"] == ss["orderId"] and not sh["voided"]]
        assert len(live) == 1 and live[0]["trackingNumber"] != first
        wait_until(lambda: [f["tracking_numbers"] for f in fulfillments(s, order_id)]
                   == [[live[0]["trackingNumber"]]], 60,
                   lambda: f"fulfillments: {fulfillments(s, order_id)}")
        # Shopify has it before shipflow's timeline does (written once the call returned).
        wait_until(lambda: any("relabel" in m for m in timeline(s, order_id)), 30,
                   lambda: f"timeline: {timeline(s, order_id)}")
        assert len(shipstation_orders(s, order_id)) == 1


def test_an_import_that_never_comes_needs_a_person(tmp_path: Path, database_url: str) -> None:
    with running(tmp_path, database_url, rules(), time_scale=SCALE, limits=False,
                 auto_ship=False, sandbox=connection(10_000.0),
                 settings={"store_import_wait": 2.0}) as s:
        [order_id] = s.place(line_items=[{"sku": "MUG-CER-16", "quantity": 1}],
                             destination="contiguous")
        s.wait_state(order_id, "needs_attention", timeout=60)
        assert any("never imported" in m and "SHIPFLOW_STORE_IMPORT_WAIT" in m
                   for m in timeline(s, order_id)), timeline(s, order_id)
        assert shipstation_orders(s, order_id) == []  # shipflow created nothing


def test_doctor_warns_when_imported_orders_appear_in_push_mode(tmp_path: Path,
                                                               database_url: str) -> None:
    with running(tmp_path, database_url, rules("push"), time_scale=SCALE, limits=False,
                 auto_ship=False, sandbox=connection(None)) as s:
        settings: Settings = s.service.settings
        report = Report()
        check_order_entry(settings, report)
        assert [(f.status, "no Shopify store" in f.message) for f in report.findings] == \
            [("ok", True)]
        [order_id] = s.place(line_items=[{"sku": "MUG-CER-16", "quantity": 1}],
                             destination="contiguous")
        s.wait_state(order_id, "in_shipstation")
        # The merchant connects ShipStation's own Shopify import while shipflow pushes.
        s.http.post(f"{s.sandbox}/_sandbox/shipstation/store-connection",
                    json={"import_after": 0}).raise_for_status()
        s.http.post(f"{s.sandbox}/_sandbox/shipstation/store-connection",
                    json={"import_now": True}).raise_for_status()
        report = Report()
        check_order_entry(settings, report)
        [finding] = report.findings
        assert finding.status == "problem", finding
        assert "store connection" in finding.message and "push" in finding.message
        # ...and what it warns of: the order is in ShipStation twice, pushed and imported.
        assert sorted(o["storeId"] for o in shipstation_orders(s, order_id)) == \
            [171654, SHOPIFY_STORE]
