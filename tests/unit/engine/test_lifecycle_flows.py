"""Every flow after the push, in-process on fake ports: ship, relabel, holds and their release,
restock, api labels, tracking and timers, delays, cancellation; each write once, each in the
ledger."""

from __future__ import annotations

from datetime import date, timedelta

from shipflow.domain.delays import DelayNotice
from shipflow.domain.effects import EffectKind
from shipflow.domain.order import OrderState
from shipflow.domain.tracking_events import TrackingScan, TrackingStatus, TrackingUpdate
from shipflow.engine.flows import cancel, holds, push, ship, timers, track
from shipflow.providers.errors import TransientError
from tests.unit.domain.factories import a_shipment

from ..rules.helpers import rules
from .harness import NOW, Harness, order

REVIEW_ALL = rules("""
version: 1
rules:
  - name: review everything
    when: "true"
    then: {hold: {reason: address_review, note: check it}, tags: [review]}
""")
SPLIT = rules("""
version: 1
policy: {default_backorder: split}
rules:  # an empty file skips the stock read; one rule is enough to route
  - name: never
    when: "false"
    then: {tags: [never]}
""")
STORE_IMPORT = rules("""
version: 1
policy:
  shipstation: {source: store_import}
rules: []
""")
API_LABELS = rules("""
version: 1
policy:
  labels: {mode: api}
  timers: {review_days_default: 7}
rules: []
""")


def shipped(h: Harness, n: int, url: str = "https://ss/shipments?batch=1", **kw: object) -> str:
    h.shipstation.labels.setdefault(url, []).append(a_shipment(
        shipment_id=kw.pop("shipment_id", f"s{n}"), order_key=str(1000 + n),
        order_number=str(1000 + n), tracking_number=kw.pop("tracking", f"1Z{n}"), **kw))
    return url


def scans(number: str, *steps: tuple[float, str, str | None]) -> TrackingUpdate:
    found = tuple(TrackingScan(NOW + timedelta(hours=hours), TrackingStatus(code),
                               status_detail_code=detail) for hours, code, detail in steps)
    return TrackingUpdate(number, "ups", found[-1].status_code, found,
                          estimated_delivery=NOW + timedelta(days=3))


def test_a_label_is_fulfilled_once_even_when_the_answer_is_lost(engine) -> None:
    h = engine()
    pks = h.paid(order(1), order(2))
    h.run(push.push_orders, pks)
    h.shopify.lose_answer("fulfil")  # fulfillmentCreate acted; the retry must look first
    url = shipped(h, 1)
    shipped(h, 2)
    assert h.run(ship.handle_ship_notify, url) == 2
    assert h.run(ship.handle_ship_notify, url, workflow_id="x") == 0  # a resent SHIP_NOTIFY
    assert [n for n, _ in h.shopify.writes] == ["fulfil", "fulfil"]
    assert h.klaviyo.metrics() == ["Order Shipped", "Order Shipped"]
    assert [h.state(pk) for pk in pks] == [OrderState.SHIPPED] * 2
    assert h.ledger() == {"shipstation_order:done": 2, "shopify_fulfillment:done": 2,
                          "customer_event:done": 2}


def test_a_relabel_updates_the_tracking_of_the_fulfillment_it_replaces(engine) -> None:
    h = engine()
    h.run(push.push_orders, h.paid(order(1)))
    h.run(ship.handle_ship_notify, shipped(h, 1, "u1"))
    h.run(ship.handle_ship_notify, shipped(h, 1, "u2", shipment_id="s1b", tracking="1Znew"))
    assert [n for n, _ in h.shopify.writes] == ["fulfil", "update_tracking"]
    assert set(h.shopify.fulfillments.values()) == {(1001, "1Znew")}
    assert h.ledger()["shopify_tracking_update:done"] == 1


def test_a_fulfillment_outage_is_retried_durably(engine) -> None:
    h = engine()
    h.run(push.push_orders, h.paid(order(1)))
    h.shopify.fail("fulfil", TransientError("502"), TransientError("502"))
    assert h.run(ship.handle_ship_notify, shipped(h, 1)) == 1
    assert [n for n, _ in h.shopify.writes] == ["fulfil"]


def test_a_hold_is_applied_then_released_on_both_sides(engine) -> None:
    h = engine(REVIEW_ALL)
    [pk] = h.paid(order(1))
    h.run(push.push_orders, [pk])
    assert h.state(pk) is OrderState.ON_HOLD
    assert h.shipstation.orders["1001"]["status"] == "on_hold"
    assert sorted(n for n, _ in h.shopify.writes) == ["add_tags", "hold"]
    h.run(holds.release_hold, pk)
    h.run(holds.release_hold, pk, workflow_id="again")  # a second click changes nothing
    assert h.state(pk) is OrderState.IN_SHIPSTATION
    assert h.shipstation.names() == ["push", "restore_from_hold"]
    assert h.shopify.held == set()
    assert h.ledger() == {"shipstation_order:done": 1, "shopify_hold:done": 1,
                          "shopify_tags:done": 1, "shipstation_restore_from_hold:done": 1,
                          "shopify_release:done": 1}


def test_a_split_backorder_resumes_on_restock_and_the_customer_hears_both(engine) -> None:
    h = engine(SPLIT)
    h.shopify.stock_by_sku = {"MUG-01": -2, "TEE-02": 5}
    h.shopify.inventory_items = {77: "MUG-01"}
    [pk] = h.paid(order(1))
    h.run(push.push_orders, [pk])
    assert h.shipstation.orders["1001"]["status"] == "awaiting_shipment"
    assert h.shipstation.orders["1001-2"]["status"] == "on_hold"
    assert h.shopify.stock_reads == [["MUG-01", "TEE-02"]]  # one read for the batch's SKUs
    h.shopify.stock_by_sku["MUG-01"] = 3
    assert h.run(holds.restock, 77) == 1
    assert h.run(holds.restock, 77, workflow_id="again") == 0
    assert h.shipstation.orders["1001-2"]["status"] == "awaiting_shipment"
    assert h.klaviyo.metrics() == ["Back In Stock", "Backorder Delayed"]
    assert h.ledger()["shipstation_restore_from_hold:done"] == 1


def test_api_mode_buys_each_label_once_even_when_the_answer_is_lost(engine) -> None:
    h = engine(API_LABELS)
    h.rates.lose_answer("buy")
    [pk] = h.paid(order(1))
    h.run(push.push_orders, [pk])
    assert h.rates.names() == ["buy"]  # the retry found the label the first attempt bought
    assert h.shipstation.orders["1001"]["status"] == "shipped"
    assert [n for n, _ in h.shopify.writes] == ["fulfil"]
    assert h.klaviyo.metrics() == ["Order Shipped"]
    assert h.state(pk) is OrderState.SHIPPED
    assert h.ledger() == {"shipstation_order:done": 1, "label_purchase:done": 1,
                          "shipstation_mark_shipped:done": 1, "shopify_fulfillment:done": 1,
                          "customer_event:done": 1}


def test_tracking_tells_each_milestone_once_and_delivery_plans_the_timers(engine) -> None:
    h = engine(API_LABELS)
    [pk] = h.paid(order(1))
    h.run(push.push_orders, [pk])
    number = h.store.parts.of([pk])[pk][0].order_key
    tracking = [s.shipment.tracking_number
                for s in h.store.shipments.live_of([number])[number]][0]
    out = scans(tracking, (0, "AC", None), (40, "IT", "OUT_FOR_DELIVERY"))
    delivered = scans(tracking, (0, "AC", None), (40, "IT", "OUT_FOR_DELIVERY"),
                      (44, "DE", "DELIVERED"))
    h.run(track.track_parcel, out)
    h.run(track.track_parcel, delivered)
    h.run(track.track_parcel, out, workflow_id="late")  # late and reordered: nothing new
    assert h.klaviyo.metrics() == ["Order Delivered", "Order Shipped",
                                   "Shipment Out For Delivery"]
    assert h.state(pk) is OrderState.DELIVERED
    h.clock.advance(days=30)
    due = h.store.timers.claim_due("timers:t", h.clock())
    assert h.run(timers.fire_timers, due) == len(due) >= 1
    assert "Review Request Due" in h.klaviyo.metrics()


def test_a_delay_is_told_once(engine) -> None:
    h = engine()
    h.run(push.push_orders, h.paid(order(1)))
    h.run(ship.handle_ship_notify, shipped(h, 1))
    notice = DelayNotice("estimate_passed", "2026-11-05", date(2026, 11, 5), None, 1)
    assert h.run(track.tell_delay, "s1", notice) == 1
    assert h.run(track.tell_delay, "s1", notice) == 0
    assert h.klaviyo.metrics() == ["Order Shipped", "Shipment Delayed"]


def test_a_cancelled_order_is_cancelled_in_shipstation_once(engine) -> None:
    h = engine()
    [pk] = h.paid(order(1))
    h.run(push.push_orders, [pk])
    h.shipstation.fail("cancel", TransientError("503"))
    h.run(cancel.stop_order, pk)
    h.run(cancel.stop_order, pk, workflow_id="again")
    assert h.shipstation.names() == ["push", "cancel"]
    assert h.state(pk) is OrderState.CANCELLED
    assert h.ledger()["shipstation_cancel:done"] == 1


def test_record_only_writes_the_same_ledger_and_sends_nothing(engine) -> None:
    def lifecycle(h: Harness) -> list[tuple[str | None, str, object]]:
        h.shopify.inventory_items = {77: "MUG-01"}
        [a, b] = h.paid(order(1), order(2))
        h.run(push.push_orders, [a, b])
        h.run(holds.release_hold, a)
        h.run(ship.handle_ship_notify, shipped(h, 2))
        h.run(cancel.stop_order, a)
        return sorted((r.effect, r.key, r.payload) for r in h.store.ledger.rows())

    live = lifecycle(engine(REVIEW_ALL))
    recorder = engine(REVIEW_ALL, record_only=True)
    recorded = lifecycle(recorder)
    assert recorded == live and len(live) >= 8
    assert recorder.shipstation.writes == recorder.shopify.writes == []
    assert recorder.klaviyo.writes == recorder.rates.writes == []
    assert {r.status for r in recorder.store.ledger.rows()} == {"recorded"}


def test_every_effect_kind_is_ledgered_as_it_is_sent(engine) -> None:
    """One write to a provider, one ledger row: counted per kind across every flow."""
    seen: dict[str, int] = {}
    writes: dict[str, int] = {}
    names = {"push": "shipstation_order", "restore_from_hold": "shipstation_restore_from_hold",
             "cancel": "shipstation_cancel", "mark_shipped": "shipstation_mark_shipped",
             "buy": "label_purchase", "fulfil": "shopify_fulfillment",
             "update_tracking": "shopify_tracking_update", "hold": "shopify_hold",
             "release": "shopify_release", "add_tags": "shopify_tags",
             "send_events": "customer_event", "amend": "shipstation_amend_imported",
             "adopt_fulfilment": "shopify_adopt_fulfillment"}

    def tally(h: Harness) -> None:
        for row in h.store.ledger.rows():
            seen[str(row.effect)] = seen.get(str(row.effect), 0) + 1
        for fake in (h.shipstation, h.shopify, h.rates, h.klaviyo):
            for name, what in fake.writes:
                n = len(what) if name in ("push", "send_events", "amend") else 1
                writes[names[name]] = writes.get(names[name], 0) + n

    h = engine(REVIEW_ALL)  # holds, tags, release, relabel, cancel
    [a, b] = h.paid(order(1), order(2))
    h.run(push.push_orders, [a, b])
    h.run(holds.release_hold, a)
    h.run(ship.handle_ship_notify, shipped(h, 2, "u1"))
    h.run(ship.handle_ship_notify, shipped(h, 2, "u2", shipment_id="s2b", tracking="1Znew"))
    h.run(cancel.stop_order, a)
    tally(h)
    h2 = engine(API_LABELS)
    h2.run(push.push_orders, h2.paid(order(5)))
    tally(h2)
    h3 = engine(STORE_IMPORT)  # amended imports, the store connection's fulfillment adopted
    h3.shipstation.import_order("1007", "1007")
    h3.run(push.push_orders, h3.paid(order(7)))
    h3.shopify.fulfilled_by_connection(1007, "1Z7")
    h3.run(ship.handle_ship_notify, shipped(h3, 7, "u7"))
    tally(h3)
    assert set(seen) == {k.value for k in EffectKind}
    assert seen == writes


class Crash(BaseException):
    """The process dies here: nothing after it runs, and DBOS records no outcome."""


def test_a_worker_killed_mid_workflow_resumes_on_restart_without_repeating_a_write(
        engine, tmp_path) -> None:
    h = engine()
    [pk] = h.paid(order(1))
    h.run(push.push_orders, [pk])
    url = shipped(h, 1)
    h.shopify.fail("fulfil", Crash())  # killed after the labels were recorded
    try:
        h.run(ship.handle_ship_notify, url, workflow_id="ship-notify:crash")
    except Crash:
        pass
    assert h.shopify.writes == []
    restarted = engine(same_database=True)  # the restart recovers the pending workflow
    restarted.shipstation.labels = h.shipstation.labels
    # the recovered workflow runs in DBOS's threads: wait for its last step
    restarted.wait(lambda: restarted.state(pk) is OrderState.SHIPPED)
    assert restarted.klaviyo.metrics() == ["Order Shipped"]
    assert [n for n, _ in restarted.shopify.writes] == ["fulfil"]
    assert restarted.shipstation.writes == []  # the push was done before the crash


def test_a_dead_workers_workflow_is_adopted_once_by_a_live_one(engine) -> None:
    from shipflow.engine import durable
    from shipflow.engine.loops.keepalive import keep_alive
    h = engine(executor_id="worker-1")
    [pk] = h.paid(order(1))
    h.run(push.push_orders, [pk])
    h.store.executors.beat("worker-1")
    h.shopify.fail("fulfil", Crash())  # worker-1 dies here and never comes back
    try:
        h.run(ship.handle_ship_notify, shipped(h, 1), workflow_id="ship-notify:orphan")
    except Crash:
        pass
    live = engine(same_database=True, executor_id="worker-2")  # recovers only its own at start
    live.shipstation.labels = h.shipstation.labels
    assert live.klaviyo.writes == []
    assert keep_alive(live.store.executors, "worker-2", timedelta(0), durable.adopt) \
        == ["worker-1"]
    assert keep_alive(live.store.executors, "worker-2", timedelta(0), durable.adopt) == []
    live.wait(lambda: live.state(pk) is OrderState.SHIPPED)
    assert live.klaviyo.metrics() == ["Order Shipped"]
    assert [n for n, _ in live.shopify.writes] == ["fulfil"]


def test_tracking_before_its_label_is_kept_and_applied_when_the_label_lands(engine) -> None:
    h = engine()
    [pk] = h.paid(order(1))
    h.run(push.push_orders, [pk])
    early = scans("1Zearly", (0, "AC", None), (30, "IT", "OUT_FOR_DELIVERY"),
                  (34, "DE", "DELIVERED"))
    assert h.run(track.track_parcel, early) == "parked"
    assert h.klaviyo.metrics() == []
    h.run(ship.handle_ship_notify, shipped(h, 1, tracking="1Zearly"))
    # the label's Order Shipped first, then only what is still news: delivered
    assert h.klaviyo.metrics() == ["Order Delivered", "Order Shipped"]
    assert h.state(pk) is OrderState.DELIVERED
