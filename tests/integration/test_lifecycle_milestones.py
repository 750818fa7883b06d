"""Each customer milestone end to end on the sandbox, on SQLite and PostgreSQL, with time running
20,000x (a simulated day is ~4.3 s): the exact Klaviyo events the sandbox recorded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.integration.lifecycle_env import Scenario, running, wait_until

SCALE = 40_000
RULES = """
version: 1
policy:
  timers:
    review_days_default: 1
    review_days_by_category: {{coffee: {coffee_days}}}
    reorder_days_by_sku: {{BEAN-ETH-340: 2}}
  delays: {{no_scan_business_days: 2}}
rules:
  - name: signature-above-500
    when: order.total_price > 500.0
    then: {{confirmation: signature}}
"""


def rules(coffee_days: float = 1.5) -> str:
    return RULES.format(coffee_days=coffee_days)


def force_next(s: Scenario, outcome: str) -> None:
    s.http.post(f"{s.sandbox}/_sandbox/carrier/plan",
                json={"next": True, "outcome": outcome}).raise_for_status()


def one(s: Scenario, order_id: int, metric: str, timeout: float = 90) -> dict[str, Any]:
    wait_until(lambda: s.events_for(order_id, metric), timeout,
               lambda: f"no {metric!r}; got {[e['metric'] for e in s.events_for(order_id)]}")
    events = s.events_for(order_id, metric)
    assert len(events) == 1, events
    return events[0]["properties"]


def test_on_time_parcel_shipped_out_for_delivery_delivered_review_and_reorder(
        tmp_path: Path, database_url: str) -> None:
    with running(tmp_path, database_url, rules(), time_scale=SCALE, limits=False) as s:
        force_next(s, "on_time")
        [order_id] = s.place(line_items=[{"sku": "BEAN-ETH-340", "quantity": 2},
                                         {"sku": "MUG-CER-16", "quantity": 1}],
                             destination="contiguous")
        shipped = one(s, order_id, "Order Shipped")
        assert shipped["TrackingUrl"].startswith("https://")
        assert {i["SKU"] for i in shipped["Items"]} == {"BEAN-ETH-340", "MUG-CER-16"}
        ofd = one(s, order_id, "Shipment Out For Delivery")
        assert ofd["TrackingNumber"] == shipped["TrackingNumber"]
        delivered = one(s, order_id, "Order Delivered")
        assert delivered["DeliveredAt"] and delivered["DeliveryLocation"]
        s.wait_state(order_id, "delivered")
        review = one(s, order_id, "Review Request Due")
        assert review["DaysSinceDelivery"] == 1.5  # the coffee category's wait
        reorder = one(s, order_id, "Reorder Reminder Due")
        assert reorder["SKU"] == "BEAN-ETH-340"
        assert reorder["QuantityLastOrdered"] == 2
        assert not s.events_for(order_id, "Delivery Exception")
        assert not s.events_for(order_id, "Shipment Delayed")
        # Nothing is told twice, whatever the carrier resent.
        uids = [e["unique_id"] for e in s.events_for(order_id)]
        assert len(uids) == len(set(uids))


def test_late_parcel_is_told_delayed_once(tmp_path: Path, database_url: str) -> None:
    with running(tmp_path, database_url, rules(), time_scale=SCALE, limits=False) as s:
        force_next(s, "stalled")
        [order_id] = s.place(line_items=[{"sku": "MUG-CER-16", "quantity": 1}],
                             destination="contiguous")
        delayed = one(s, order_id, "Shipment Delayed")
        assert delayed["DelayReason"] in ("no_scan", "estimate_passed")
        s.wait_state(order_id, "delivered", timeout=120)
        reasons = [e["properties"]["DelayReason"]
                   for e in s.events_for(order_id, "Shipment Delayed")]
        assert len(reasons) == len(set(reasons))  # once per delay


def test_undeliverable_parcel_raises_a_delivery_exception(tmp_path: Path,
                                                          database_url: str) -> None:
    with running(tmp_path, database_url, rules(), time_scale=SCALE, limits=False) as s:
        force_next(s, "undeliverable")
        [order_id] = s.place(line_items=[{"sku": "MUG-CER-16", "quantity": 1}],
                             destination="contiguous")
        exception = one(s, order_id, "Delivery Exception")
        assert exception["ExceptionType"] == "address_issue"
        assert exception["ActionRequired"] is True
        assert not s.events_for(order_id, "Order Delivered")


def test_refund_after_delivery_cancels_the_timers(tmp_path: Path, database_url: str) -> None:
    with running(tmp_path, database_url, rules(coffee_days=30), time_scale=SCALE,
                 limits=False) as s:
        force_next(s, "on_time")
        [order_id] = s.place(line_items=[{"sku": "BEAN-ETH-340", "quantity": 1}],
                             destination="contiguous")
        s.wait_state(order_id, "delivered", timeout=120)
        s.http.post(f"{s.sandbox}/_sandbox/shopify/orders/{order_id}/refund",
                    json={"restock": False}).raise_for_status()
        s.wait_state(order_id, "cancelled")
        view = s.view(order_id)
        assert any(e["kind"] == "cancelled" and "timer" in e["message"] for e in view["timeline"])
        counts = s.service.store.timers.counts()
        assert counts.get("review_request:cancelled") == 1, counts
        assert not s.events_for(order_id, "Review Request Due")


def test_duplicated_and_reordered_tracking_never_tells_twice(tmp_path: Path,
                                                             database_url: str) -> None:
    with running(tmp_path, database_url, rules(), time_scale=SCALE, limits=False) as s:
        s.http.post(f"{s.sandbox}/_sandbox/faults", json={"shipstation_v2": {
            "duplicate_webhooks": 1.0, "reorder_tracking": 0.5}}).raise_for_status()
        ids = s.place(count=5, line_items=[{"sku": "MUG-CER-16", "quantity": 1}],
                      destination="contiguous")
        for order_id in ids:
            s.wait_state(order_id, "delivered", "shipped", timeout=120)
        wait_until(lambda: all(s.events_for(i, "Order Delivered") or
                               s.events_for(i, "Delivery Exception") for i in ids), 120)
        for order_id in ids:
            metrics = [e["metric"] for e in s.events_for(order_id)]
            assert metrics.count("Order Delivered") <= 1
            assert metrics.count("Shipment Out For Delivery") <= 1
            assert metrics.count("Order Shipped") == 1


def test_timers_survive_a_restart(tmp_path: Path, database_url: str) -> None:
    with running(tmp_path, database_url, rules(coffee_days=4), time_scale=SCALE,
                 limits=False) as s:
        force_next(s, "on_time")
        [order_id] = s.place(line_items=[{"sku": "BEAN-ETH-340", "quantity": 1}],
                             destination="contiguous")
        s.wait_state(order_id, "delivered", timeout=120)
        assert s.service.store.timers.counts().get("review_request:pending") == 1
        s.restart()  # four simulated days (~17 s) are still to go
        review = one(s, order_id, "Review Request Due", timeout=120)
        assert review["DaysSinceDelivery"] == 4
