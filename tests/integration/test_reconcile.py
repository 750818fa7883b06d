"""Reconciliation end to end on the sandbox, on SQLite and PostgreSQL: webhooks lost on
purpose (orders/create + orders/paid, a SHIP_NOTIFY, a parcel's tracking), a relabel made in
ShipStation with no notification, and an order paid before shipflow was connected. One sweep
repairs each through the normal workflows; the providers' records show each repair happened
once; a second sweep finds nothing."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from shipflow.domain.tracking import tracking_info
from shipflow.engine.flows.reconcile import Busy
from shipflow.providers.shopify.client import ShopifyClient
from shipflow.store.reconcile_runs import StoredRun
from tests.integration.lifecycle_env import TOKEN, Scenario, running, wait_until

SCALE = 40_000  # a simulated day is ~2.2 s
RULES = """
version: 1
policy:
  timers:
    review_days_default: 90
rules:
  - name: signature-above-5000
    when: order.total_price > 5000.0
    then: {confirmation: signature}
"""
SETTINGS = {"reconcile_interval": "0", "reconcile_settle": "12h"}  # 12 h simulated: ~1 s


def sweep(s: Scenario) -> StoredRun:
    engine = s.service.engine
    return engine.reconciler().run(engine.runtime.clock() - timedelta(days=7), "sweep")


def found(run: StoredRun) -> dict[str, int]:
    return {check: c["found"] for check, c in run.counts.items() if c["found"]}


def fixed(run: StoredRun) -> dict[str, int]:
    return {check: c["fixed"] for check, c in run.counts.items() if c["fixed"]}


def drop(s: Scenario, topic: str, count: int, contains: str | None = None) -> None:
    s.http.post(f"{s.sandbox}/_sandbox/webhooks/drop",
                json={"topic": topic, "count": count, "contains": contains}).raise_for_status()


def ship(s: Scenario, order_ids: list[int], *, relabel: bool = False,
         notify: bool = True) -> None:
    ss_ids = [s.shipstation_order(str(o))["orderId"] for o in order_ids]  # type: ignore[index]
    s.http.post(f"{s.sandbox}/_sandbox/shipstation/ship",
                json={"orderIds": ss_ids, "relabel": relabel, "notify": notify}
                ).raise_for_status()


def v1(s: Scenario) -> httpx.Client:
    settings = s.service.settings
    return httpx.Client(base_url=settings.shipstation_base_url, timeout=10,
                        auth=(settings.shipstation_api_key, settings.shipstation_api_secret))


def live_tracking(s: Scenario, order_id: int) -> str:
    ss_id = s.shipstation_order(str(order_id))["orderId"]  # type: ignore[index]
    with v1(s) as client:
        rows = client.get("/shipments", params={"orderId": ss_id}).json()["shipments"]
    live = [r["trackingNumber"] for r in rows if not r["voided"]]
    assert len(live) == 1, rows
    return str(live[0])


def carrier_status(s: Scenario, tracking: str) -> str | None:
    settings = s.service.settings
    headers = {"API-Key": settings.shipstation_v2_api_key}
    base = settings.shipstation_v2_base_url.rstrip("/")
    labels = s.http.get(f"{base}/v2/labels", params={"tracking_number": tracking},
                        headers=headers).json()["labels"]
    if not labels:
        return None
    info = s.http.get(f"{base}/v2/labels/{labels[0]['label_id']}/track", headers=headers)
    return str(info.json().get("status_code")) if info.status_code == 200 else None


def listed_in_shipstation(s: Scenario, order: dict[str, Any]) -> bool:
    with v1(s) as client:
        rows = client.get("/orders", params={"orderNumber": order["orderNumber"]}).json()
    return any(r["orderKey"] == order["orderKey"] for r in rows["orders"])


def place_silently(s: Scenario) -> int:
    response = s.http.post(f"{s.sandbox}/_sandbox/shopify/orders",
                           json={"count": 1, "deliver": False, "destination": "contiguous"})
    response.raise_for_status()
    return int(response.json()["orders"][0]["id"])


def fulfillments(s: Scenario, order_id: int) -> list[dict[str, Any]]:
    return [f for f in s.shopify_order(order_id)["fulfillments"]
            if str(f.get("status", "success")).lower() not in ("cancelled", "error", "failure")]


def tracking_of(fulfillment: dict[str, Any]) -> list[str]:
    if "tracking_numbers" in fulfillment:
        return list(fulfillment["tracking_numbers"])
    return [t["number"] for t in fulfillment.get("tracking_info", fulfillment.get("trackingInfo", []))]


def test_a_sweep_repairs_every_gap_once_and_a_second_finds_nothing(
        tmp_path: Path, database_url: str) -> None:
    with running(tmp_path, database_url, RULES, time_scale=SCALE, limits=False,
                 auto_ship=False, settings=SETTINGS) as s:
        before = place_silently(s)  # paid before shipflow was connected: never sent to it
        a, b, c, d, e = s.place(count=5, destination="contiguous")
        for order in (a, b, c, d, e):
            s.wait_state(order, "in_shipstation")
        lost = s.shipstation_order(str(d))
        assert lost is not None
        with v1(s) as client:  # deleted in ShipStation's screens
            client.delete(f"/orders/{lost['orderId']}").raise_for_status()
        drop(s, "orders/create", 1)
        drop(s, "orders/paid", 1)
        [missed] = s.place(count=1, destination="contiguous")

        drop(s, "SHIP_NOTIFY", 1)
        ship(s, [a])  # printed, but its SHIP_NOTIFY is lost
        s.http.post(f"{s.sandbox}/_sandbox/carrier/plan",
                    json={"next": True, "outcome": "on_time"}).raise_for_status()
        ship(s, [c])
        drop(s, "TRACK_EVENT_V2", 10_000, contains=live_tracking(s, c))  # its scans are lost
        ship(s, [b, e])
        s.wait_state(b, "shipped")
        s.wait_state(e, "shipped")
        live_e = live_tracking(s, e)
        [fulfillment_e] = fulfillments(s, e)
        settings = s.service.settings
        with ShopifyClient(settings.shopify_shop_url, settings.shopify_access_token) as shopify:
            # changed in Shopify's admin: the fulfillment no longer shows the live label
            shopify.update_tracking(str(fulfillment_e["id"]), tracking_info("ups", "1ZWRONG0001"))
        s.wait_state(c, "shipped")
        old_b = live_tracking(s, b)
        ship(s, [b], relabel=True, notify=False)  # relabelled in ShipStation, nobody told
        new_b = live_tracking(s, b)
        assert new_b != old_b
        wait_until(lambda: carrier_status(s, live_tracking(s, c)) == "DE", 60,
                   lambda: f"parcel of {c} is {carrier_status(s, live_tracking(s, c))}")
        time.sleep(1.5)  # past the settle window (12 simulated hours)

        assert s.state(missed) is None and s.state(before) is None
        assert s.state(a) == "in_shipstation"
        assert s.state(c) == "shipped"

        first = sweep(s)
        assert first.status == "done", first.error
        assert found(first) == {"missed_orders": 2, "missing_in_shipstation": 1,
                                "unfulfilled_labels": 1, "relabels": 2, "milestones": 1}, \
            first.items
        assert fixed(first) == found(first)
        by_check = {(i["check"], i["order_id"]) for i in first.items}
        assert by_check == {("missed_orders", missed), ("missed_orders", before),
                            ("missing_in_shipstation", d), ("unfulfilled_labels", a),
                            ("relabels", b), ("relabels", e), ("milestones", c)}

        s.wait_state(missed, "in_shipstation")
        s.wait_state(before, "in_shipstation")
        s.wait_state(a, "shipped", "delivered")
        s.wait_state(c, "delivered")
        wait_until(lambda: [tracking_of(f) for f in fulfillments(s, b)] == [[new_b]], 30,
                   lambda: f"order {b}'s fulfillments: {fulfillments(s, b)}")
        wait_until(lambda: s.events_for(c, "Order Delivered"), 30)
        wait_until(lambda: listed_in_shipstation(s, lost), 30)
        wait_until(lambda: [tracking_of(f) for f in fulfillments(s, e)] == [[live_e]], 30,
                   lambda: f"order {e}'s fulfillments: {fulfillments(s, e)}")
        time.sleep(1.5)

        second = sweep(s)
        assert found(second) == {}, second.items

        # Each repair happened once on the providers' side.
        orders = s.http.get(f"{s.sandbox}/_sandbox/shipstation/orders").json()["orders"]
        keys = Counter(o["orderKey"] for o in orders)
        assert all(keys[str(o)] == 1 for o in (a, b, c, d, e, missed, before)), keys
        assert s.shipstation_order(str(d))["orderId"] == lost["orderId"]  # type: ignore[index]
        for order in (a, b, c, e):
            assert len(fulfillments(s, order)) == 1, fulfillments(s, order)
        events = [e for o in (a, b, c, missed, before) for e in s.events_for(o)]
        uids = [e["unique_id"] for e in events]
        assert len(uids) == len(set(uids))
        assert len(s.events_for(a, "Order Shipped")) == 1
        assert len(s.events_for(c, "Order Delivered")) == 1

        # The reports are stored and served.
        listed = s.http.get(f"{s.shipflow}/api/reconcile/runs",
                            headers={"Authorization": f"Bearer {TOKEN}"})
        assert listed.status_code == 200
        assert [r["id"] for r in listed.json()["runs"]] == [second.id, first.id]
        one = s.http.get(f"{s.shipflow}/api/reconcile/runs/{first.id}",
                         headers={"Authorization": f"Bearer {TOKEN}"}).json()
        assert one["counts"]["missed_orders"] == {"found": 2, "fixed": 2}
        assert {i["order_id"] for i in one["items"]} == {missed, before, a, b, c, d, e}


def test_first_start_backfills_orders_paid_before(tmp_path: Path, database_url: str) -> None:
    placed: list[int] = []

    def before_start(sandbox: str) -> None:
        response = httpx.post(f"{sandbox}/_sandbox/shopify/orders",
                              json={"count": 2, "deliver": False, "destination": "contiguous"})
        response.raise_for_status()
        placed.extend(int(o["id"]) for o in response.json()["orders"])

    with running(tmp_path, database_url, RULES, time_scale=SCALE, limits=False,
                 auto_ship=False, prepare=before_start,
                 settings={"reconcile_interval": "1h"}) as s:
        for order in placed:
            s.wait_state(order, "in_shipstation")
        [run] = s.service.store.reconcile_runs.latest()
        assert run.trigger == "first_start"
        assert run.counts["missed_orders"] == {"found": 2, "fixed": 2}
        [late] = s.place(count=1, destination="contiguous")  # after start: its webhook came
        s.wait_state(late, "in_shipstation")
        assert len(s.service.store.reconcile_runs.latest()) == 1  # the next waits an hour


def test_one_sweep_at_a_time(tmp_path: Path, database_url: str) -> None:
    with running(tmp_path, database_url, RULES, time_scale=SCALE, limits=False,
                 auto_ship=False, settings=SETTINGS) as s:
        runs = s.service.store.reconcile_runs
        assert runs.take_lease("another-process", timedelta(minutes=5))
        with pytest.raises(Busy):
            sweep(s)
        runs.drop_lease("another-process")
        run = sweep(s)
        assert run.status == "done" and found(run) == {}


def cli_env(s: Scenario) -> dict[str, str]:
    """The running shipflow's settings as a worker process would read them, on the sandbox's
    calendar (SHIPFLOW_CLOCK_ORIGIN and SCALE: the same time in every process)."""
    settings = s.service.settings
    env = {f"SHIPFLOW_{f.name.upper()}": str(getattr(settings, f.name))
           for f in dataclasses.fields(settings) if getattr(settings, f.name) is not None}
    calendar = s.sandbox_app.state.sandbox.clock
    env["SHIPFLOW_CLOCK_ORIGIN"] = calendar.calendar_origin.isoformat()
    env["SHIPFLOW_CLOCK_SCALE"] = str(calendar.time_scale)
    return env


def shipflow_command(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """The command as an operator runs it: a process of its own."""
    return subprocess.run([sys.executable, "-c", "from shipflow.cli import app; app()", *args],
                          env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=120)


def test_the_command_reports_and_repairs(tmp_path: Path, database_url: str) -> None:
    with running(tmp_path, database_url, RULES, time_scale=SCALE, limits=False,
                 auto_ship=False, settings=SETTINGS) as s:
        missed = place_silently(s)
        env = cli_env(s)
        s.stop()
        time.sleep(1.5)  # past the settle window
        dry = shipflow_command(env, "reconcile", "--json", "--dry-run")
        assert dry.returncode == 0, dry.stderr
        report = json.loads(dry.stdout)
        assert report["dry_run"] is True and report["trigger"] == "cli"
        assert report["counts"]["missed_orders"] == {"found": 1, "fixed": 0}
        assert [i["order_id"] for i in report["items"]] == [missed]

        # 30 simulated days: at this speed the order is days old already
        done = shipflow_command(env, "reconcile", "--since", "30d")
        assert done.returncode == 0, done.stderr
        assert "missed_orders           1      1" in done.stdout, done.stdout
        assert "reading paid orders" in done.stderr
        again = shipflow_command(env, "reconcile", "--json", "--since", "30d")
        assert json.loads(again.stdout)["counts"]["missed_orders"] == {"found": 0, "fixed": 0}
        s.restart()  # the queued repair runs in the next worker
        s.wait_state(missed, "in_shipstation")
