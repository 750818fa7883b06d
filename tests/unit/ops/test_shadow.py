"""The shadow report's figures from known inputs: shipflow's recorded writes on one side, what
the current process did (ShipStation orders, Shopify fulfillments, Klaviyo events) on the other."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from shipflow.domain.policy import RunMode
from shipflow.ops.shadow import NOTIFICATIONS_NOTE, Observed, compare, would_be
from shipflow.providers.klaviyo.history import PastEvent
from shipflow.providers.shipstation.mapping import ShipStationOrder
from shipflow.providers.shopify.history import PastFulfillment, PastHold, PastOrder
from shipflow.providers.shopify.models import FulfillmentTracking
from shipflow.rules import compile_rules
from shipflow.store.queries.shadow import RecordedWrite, ShadowOrder

T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def push(key: str, *, status: str = "awaiting_shipment", confirmation: str | None = None,
         service: str | None = None, hold: str | None = None) -> RecordedWrite:
    return RecordedWrite("createorders", "shipstation_order", {
        "order_key": key, "status": status, "lines": None, "confirmation": confirmation,
        "carrier_code": "ups" if service else None, "service_code": service,
        "hold_reason": hold}, at(0))


def fulfil(shipment: str, number: str, hours: float) -> RecordedWrite:
    return RecordedWrite("fulfillmentCreate", "shopify_fulfillment", {
        "order": 0, "shipment_id": shipment, "tracking_number": number, "carrier": "UPS",
        "lines": None}, at(hours))


def told(metric: str, hours: float) -> RecordedWrite:
    return RecordedWrite(f"event:{metric}", "customer_event",
                         {"metric": metric, "unique_id": f"{metric}:{hours}"}, at(hours))


def order(ident: int, *writes: RecordedWrite) -> ShadowOrder:
    return ShadowOrder(ident, ident, f"#{ident}", at(0), writes)


def ss(key: str, *, status: str = "shipped", confirmation: str | None = "none",
       service: str | None = None, number: str | None = None) -> ShipStationOrder:
    return ShipStationOrder(order_id=hash(key) % 10**6, order_number=number or key,
                            order_key=key, order_status=status, confirmation=confirmation,
                            service_code=service)


def shopify(ident: int, *fulfillments: tuple[str | None, float],
            holds: int = 0) -> PastOrder:
    return PastOrder(ident, f"#{ident}", at(0), False, "FULFILLED", tuple(
        PastFulfillment(f"gid://shopify/Fulfillment/{ident}{i}", "SUCCESS", at(h), at(h),
                        (FulfillmentTracking(number),) if number else ())
        for i, (number, h) in enumerate(fulfillments)),
        tuple(PastHold("fo", "OTHER", at(0)) for _ in range(holds)))


def email(ident: int, hours: float, metric_key: str = "OrderId") -> PastEvent:
    value: Any = ident if metric_key == "OrderId" else f"#{ident}"
    return PastEvent(f"ev{ident}{hours}", at(hours), {metric_key: value})


def test_would_be_reads_the_recorded_writes_and_applies_relabels() -> None:
    mine = would_be((
        push("1", confirmation="signature", service="ups_ground"),
        push("1-2", status="on_hold", hold="backorder"),
        fulfil("s1", "1Z1", 2),
        RecordedWrite("fulfillmentTrackingInfoUpdate", "shopify_tracking_update",
                      {"shipment_id": "s2", "replaces": "s1", "tracking_number": "1Z2"}, at(3)),
        told("Order Shipped", 2.5), told("Delivery Exception", 40)))
    assert mine.hold and mine.signature == "signature" and mine.service == "ups_ground"
    assert mine.tracking == ("1Z2",)
    assert mine.fulfilled_at == at(2) and mine.notified_at == at(2.5)
    assert mine.exceptions == ("Delivery Exception",)


def test_the_figures_match_the_known_disagreements() -> None:
    orders = [
        # 101: everything agrees; the old process emailed 3 h after shipflow would have.
        order(101, push("101"), fulfil("s101", "T101", 1), told("Order Shipped", 1)),
        # 102: high value: shipflow wants a signature, staff skipped it.
        order(102, push("102", confirmation="signature"), fulfil("s102", "T102", 2),
              told("Order Shipped", 2)),
        # 103: staff held it in ShipStation; shipflow would not have.
        order(103, push("103")),
        # 104: the tracking number was mistyped in Shopify; never emailed.
        order(104, push("104"), fulfil("s104", "T104", 1), told("Order Shipped", 1)),
        # 105: shipflow held it for address review, and so did staff (Shopify hold).
        order(105, push("105", status="on_hold", hold="address_review")),
        # 106: shipflow splits it in two and picks a service; staff sent one order, other service.
        order(106, push("106", service="ups_ground"), push("106-2", service="ups_ground"),
              fulfil("s106", "T106", 4), told("Order Shipped", 4),
              told("Delivery Exception", 30), told("Shipment Delayed", 20)),
        # 107: the old process never put it in ShipStation.
        order(107, push("107")),
    ]
    observed = Observed(
        shipstation=[
            ss("101", number="101"), ss("102", confirmation="none"),
            ss("103", status="on_hold"), ss("104"),
            ss("", status="awaiting_shipment", number="105", confirmation=None),
            ss("106", service="usps_priority"),
            ss("999"),  # an order outside the shadow run
            ss("107", status="cancelled"),  # cancelled orders are not the process's choice
        ],
        shopify=[shopify(101, ("T101", 2)), shopify(102, ("T102", 5)), shopify(103),
                 shopify(104, ("T1O4", 1.5)), shopify(105, holds=1),
                 shopify(106, ("T106", 10))],
        emails=[email(101, 4), email(102, 3, "OrderName"), email(106, 6), email(999, 1)],
        exception_events={"Delivery Exception": [email(106, 31)], "Shipment Delayed": []},
    )
    report = compare(orders, observed, at(0), at(168))
    data = report.to_json()
    assert data["orders_compared"] == 7
    assert data["agreement"] == {
        "hold": {"compared": 6, "agreed": 5, "pct": 83.33},
        "signature": {"compared": 6, "agreed": 5, "pct": 83.33},
        "service": {"compared": 1, "agreed": 0, "pct": 0.0},
        "split": {"compared": 6, "agreed": 5, "pct": 83.33},
    }
    assert data["tracking"] == {"compared": 4, "correct": 3, "wrong": 1, "no_tracking": 0,
                                "not_fulfilled": 0, "accuracy_pct": 75.0}
    # notification deltas: 101 +3, 102 +1, 106 +2; 104 never emailed
    assert data["timing"]["notification"] == {"metric": "Fulfilled Order", "count": 3,
                                              "p50_hours": 2.0, "p90_hours": 3.0,
                                              "never_notified": 1}
    # fulfillment deltas: 101 +1, 102 +3, 104 +0.5, 106 +6
    assert data["timing"]["fulfillment"] == {"count": 4, "p50_hours": 1.0, "p90_hours": 6.0}
    assert data["exceptions"] == {"would_raise": 2, "unhandled": 1}
    assert data["notifications"] == {"not_recorded": NOTIFICATIONS_NOTE}
    assert sorted((d["name"], d["kind"], str(d["shipflow"]), str(d["manual"]))
                  for d in data["disagreements"]) == sorted([
        ("#102", "signature", "signature", "none"),
        ("#103", "hold", "False", "True"),
        ("#104", "tracking", "['T104']", "['T1O4']"),
        ("#104", "notification", "Order Shipped", "None"),
        ("#106", "service", "ups_ground", "usps_priority"),
        ("#106", "split", "True", "False"),
        ("#106", "exception", "Shipment Delayed", "None"),
        ("#107", "shipstation_order", "1", "0"),
    ])
    text = report.to_text()
    assert any(line.startswith("agreement: signature") and "5/6" in line
               for line in text.splitlines())
    assert "#104" in text and "T1O4" in text


def test_without_klaviyo_the_notification_figures_say_why() -> None:
    report = compare([order(1, push("1"), told("Order Shipped", 1))],
                     Observed([ss("1")], [shopify(1)], None, None,
                              klaviyo_note="no Klaviyo key"), at(0), at(1))
    data = report.to_json()
    assert data["timing"]["notification"]["not_measured"] == "no Klaviyo key"
    assert data["exceptions"] == {"not_measured": "no Klaviyo key"}
    assert "not measured: no Klaviyo key" in report.to_text()


def test_policy_mode_is_read_from_the_rules_file() -> None:
    ruleset, errors = compile_rules("version: 1\npolicy: {mode: shadow}\nrules: []\n")
    assert not errors and ruleset is not None
    assert ruleset.policies.mode is RunMode.SHADOW
    ruleset, errors = compile_rules("version: 1\nrules: []\n")
    assert ruleset is not None and ruleset.policies.mode is RunMode.LIVE
    _, errors = compile_rules("version: 1\npolicy: {mode: dry}\nrules: []\n")
    assert [e.message for e in errors] == [
        "policy.mode: expected one of live, shadow, got 'dry'"]
