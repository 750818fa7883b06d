"""`shipflow audit` end to end against the sandbox: a month of manual work is scripted at known
times (orders placed, labels printed in ShipStation, fulfillments typed into Shopify with and
without tracking, a relabel nobody copied, an order left on hold, shipping emails in Klaviyo),
and the report's figures are exactly the scripted ones. The audit reads providers only (no
store), so it runs once."""

from __future__ import annotations

import copy
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from shipflow.cli import app
from shipflow.domain.shipment import TrackingInfo
from shipflow.providers.shopify import graphql as gql
from shipflow.providers.shopify.client import ShopifyClient
from shipflow.providers.shopify.models import HoldReason
from shipflow_sandbox import RunningSandbox, SandboxConfig
from tests.conftest import FIXTURES

T0 = (datetime.now(UTC) - timedelta(days=5)).replace(minute=0, second=0, microsecond=0)


def at(hours: float) -> str:
    return (T0 + timedelta(hours=hours)).isoformat().replace("+00:00", "Z")


class Merchant:
    """The merchant's staff doing the hand-offs by hand, in the sandbox."""

    def __init__(self, sandbox: RunningSandbox) -> None:
        self.sandbox = sandbox
        self.http = httpx.Client(timeout=30)
        config = sandbox.config
        self.ss_auth = (config.shipstation_api_key, config.shipstation_api_secret)
        self.shopify = ShopifyClient(sandbox.url("/shopify"), config.shopify_access_token)

    def pin(self, hours: float | None) -> None:
        self.http.post(self.sandbox.url("/_sandbox/clock"),
                       json={"pin": None if hours is None else at(hours)}).raise_for_status()

    def place(self, count: int) -> list[dict[str, Any]]:
        response = self.http.post(self.sandbox.url("/_sandbox/shopify/orders"),
                                  json={"count": count, "deliver": False,
                                        "destination": "contiguous"})
        response.raise_for_status()
        return [self.http.get(self.sandbox.url(f"/_sandbox/shopify/orders/{o['id']}")).json()
                for o in response.json()["orders"]]

    def to_shipstation(self, order: dict[str, Any]) -> int:
        """What the Shopify-ShipStation integration does: the order, keyed by its id."""
        body = json.loads((FIXTURES / "shipstation" / "v1_createorder_request.docs.json")
                          .read_text())
        body = copy.deepcopy(body)
        body.update(orderNumber=order["order"]["name"], orderKey=str(order["order"]["id"]),
                    orderStatus="awaiting_shipment")
        response = self.http.post(self.sandbox.url("/shipstation/orders/createorder"),
                                  json=body, auth=self.ss_auth)
        response.raise_for_status()
        return int(response.json()["orderId"])

    def print_labels(self, order_ids: list[int], relabel: bool = False) -> None:
        self.http.post(self.sandbox.url("/_sandbox/shipstation/ship"),
                       json={"orderIds": order_ids, "relabel": relabel}).raise_for_status()

    def labels(self, ss_order_id: int) -> list[dict[str, Any]]:
        response = self.http.get(self.sandbox.url("/shipstation/shipments"),
                                 params={"orderId": ss_order_id}, auth=self.ss_auth)
        response.raise_for_status()
        return response.json()["shipments"]

    def live_tracking(self, ss_order_id: int) -> str:
        [live] = [s for s in self.labels(ss_order_id) if not s["voided"]]
        return str(live["trackingNumber"])

    def fulfil(self, order: dict[str, Any], tracking: str | None) -> str:
        fos = self.shopify.fulfillable_order_ids(order["order"]["id"])
        if tracking:
            return self.shopify.create_fulfillment(
                fos, TrackingInfo(tracking, "ups", "UPS", "")).id
        variables = gql.fulfillment_create_variables(fos, TrackingInfo("x", "ups", "UPS", ""))
        del variables["fulfillment"]["trackingInfo"]
        data = self.shopify.execute(gql.FULFILLMENT_CREATE, variables)
        return gql.parse_fulfillment_payload(data, gql.FULFILLMENT_CREATE).id

    def email(self, hours: float, **properties: Any) -> None:
        body = {"data": {"type": "event", "attributes": {
            "properties": properties, "time": at(hours),
            "metric": {"data": {"type": "metric", "attributes": {"name": "Fulfilled Order"}}},
            "profile": {"data": {"type": "profile", "attributes": {"email": "c@shop.test"}}}}}}
        response = self.http.post(self.sandbox.url("/klaviyo/api/events"), json=body, headers={
            "Authorization": f"Klaviyo-API-Key {self.sandbox.config.klaviyo_api_key}",
            "revision": "2026-07-15", "Content-Type": "application/vnd.api+json"})
        assert response.status_code == 202, response.text


@pytest.fixture
def sandbox() -> Any:
    running = RunningSandbox(SandboxConfig(seed=7, carrier_outcome="on_time")).start()
    try:
        yield running
    finally:
        running.stop()


def environment(sandbox: RunningSandbox) -> dict[str, str]:
    config = sandbox.config
    return {
        "SHIPFLOW_SHOPIFY_SHOP_URL": sandbox.url("/shopify"),
        "SHIPFLOW_SHOPIFY_ACCESS_TOKEN": config.shopify_access_token,
        "SHIPFLOW_SHIPSTATION_BASE_URL": sandbox.url("/shipstation"),
        "SHIPFLOW_SHIPSTATION_API_KEY": config.shipstation_api_key,
        "SHIPFLOW_SHIPSTATION_API_SECRET": config.shipstation_api_secret,
        "SHIPFLOW_SHIPSTATION_V2_BASE_URL": sandbox.url("/shipstation"),
        "SHIPFLOW_SHIPSTATION_V2_API_KEY": config.shipstation_v2_api_key,
        "SHIPFLOW_KLAVIYO_BASE_URL": sandbox.url("/klaviyo"),
        "SHIPFLOW_KLAVIYO_API_KEY": config.klaviyo_api_key,
    }


def test_audit_reports_the_scripted_manual_baseline(sandbox: RunningSandbox) -> None:
    m = Merchant(sandbox)
    m.pin(0)
    a, b, c, d, e, f = m.place(6)
    m.place(24)  # orders nobody shipped yet: 30 in all, two pages of Shopify's orders query
    m.pin(-24 * 40)
    m.place(1)  # placed before the window
    m.pin(0)
    ss = {name: m.to_shipstation(o) for name, o in zip("abcdef", (a, b, c, d, e, f),
                                                        strict=True)}
    m.pin(0.5)  # e waits for someone to check it
    [e_fo] = m.shopify.fulfillable_order_ids(e["order"]["id"])
    m.shopify.hold_fulfillment_order(e_fo, HoldReason.OTHER, reason_notes="check", handle="chk")
    m.pin(1)  # the warehouse prints labels for everything but e
    m.print_labels([ss[k] for k in "abcdf"])
    d_first = m.live_tracking(ss["d"])
    m.pin(1.25)
    m.fulfil(d, d_first)  # d's tracking is copied...
    m.pin(1.5)
    m.fulfil(a, m.live_tracking(ss["a"]))  # 0.5 h after its label
    m.pin(2)
    m.print_labels([ss["d"]], relabel=True)  # ...then d is relabelled and nobody copies it
    c_id = m.fulfil(c, None)  # c fulfilled without tracking, the number added at 7 h
    m.pin(3)
    m.fulfil(b, m.live_tracking(ss["b"]))  # 2 h after its label
    m.pin(4)
    m.fulfil(f, None)  # f's tracking never reaches Shopify
    m.pin(7)
    m.shopify.update_tracking(c_id, TrackingInfo(m.live_tracking(ss["c"]), "ups", "UPS", ""))
    m.pin(None)
    m.email(1.75, OrderId=a["order"]["id"])  # 0.75 h after a's label
    m.email(4, OrderId=str(b["order"]["id"]))  # 3 h
    m.email(8, OrderName=c["order"]["name"])  # 7 h
    m.email(1.3, OrderName=d["order"]["name"])  # before d's live label: not its email
    m.email(2.5, **{"$event_id": str(d["order"]["id"])})  # 0.5 h after d's relabel
    m.email(2, OrderId=999)  # another shop's order: matches nothing
    requests_before = dict(sandbox.state.requests)

    env = environment(sandbox)
    until = at(72)
    result = CliRunner().invoke(app, ["audit", "--days", "30", "--until", until, "--json"],
                                env=env)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)

    assert report["orders"] == 30
    assert report["labels"] == {"live": 5, "voided": 1, "unmatched": 0}
    assert report["label_to_shopify_tracking"] == {
        "count": 3, "p50_hours": 2.0, "p90_hours": 6.0, "never": 2}  # a 0.5, b 2, c 6; d, f
    assert report["label_to_shipping_email"] == {
        "metric": "Fulfilled Order", "count": 4, "p50_hours": 0.75, "p90_hours": 7.0,
        "never": 1}  # d 0.5, a 0.75, b 3, c 7; f none
    assert report["fulfillments_without_tracking"] == 1  # f
    assert report["relabels_never_synced"] == 1  # d
    assert report["orders_on_hold"] == {"count": 1, "p50_hours": 71.5, "max_hours": 71.5}
    assert report["exceptions"] == {"count": 0, "still_open": 0, "p50_hours_open": None,
                                    "p90_hours_open": None}
    assert report["manual_touchpoints"]["by_kind"] == {
        "tracking_copied": 3, "tracking_never_in_shopify": 2, "fulfillments_without_tracking": 1,
        "relabels_never_synced": 1, "orders_on_hold": 1, "exceptions": 0}
    assert report["manual_touchpoints"]["per_day"] == round(8 / 30, 2)

    # Reads only: nothing but GETs and GraphQL queries reached the providers.
    after = dict(sandbox.state.requests)
    new = {k: after.get(k, 0) - requests_before.get(k, 0) for k in after}
    assert {k for k, n in new.items() if n} == {
        "shopify POST /admin/api/{version}/graphql.json", "shopify graphql query orders",
        "shipstation GET /shipments", "klaviyo GET /api/metrics", "klaviyo GET /api/events",
        "shipstation GET /v2/labels", "shipstation GET /v2/labels/{label_id}/track"}
    assert new["shopify graphql query orders"] == 2  # 30 orders, 25 a page

    text = CliRunner().invoke(app, ["audit", "--days", "30", "--until", until], env=env)
    assert text.exit_code == 0, text.output
    assert "relabels never synced" in text.output and "2 h" in text.output
    assert "exceptions 0" in text.output and "tracking copied 3" in text.output

    without_klaviyo = {k: v for k, v in env.items() if "KLAVIYO" not in k}
    bare = CliRunner().invoke(app, ["audit", "--until", until, "--json"], env=without_klaviyo)
    assert json.loads(bare.output)["label_to_shipping_email"]["not_measured"] == (
        "no Klaviyo key (SHIPFLOW_KLAVIYO_API_KEY)")
    missing = CliRunner().invoke(app, ["audit"], env={"SHIPFLOW_SHOPIFY_SHOP_URL": ""})
    assert missing.exit_code == 2 and "SHIPFLOW_SHOPIFY_ACCESS_TOKEN" in missing.output


def test_audit_measures_how_long_carrier_exceptions_stayed_open() -> None:
    """Two parcels meet an exception (damaged, then delivered a day late; delayed, then moving
    again), one arrives on time. The carrier runs a simulated day a second here, so every scan
    has happened when the audit reads them; the figures are the plans' own times."""
    sandbox = RunningSandbox(SandboxConfig(seed=3, time_scale=86_400.0)).start()
    try:
        m = Merchant(sandbox)
        m.pin(0)
        orders = m.place(3)
        ids = [m.to_shipstation(o) for o in orders]
        m.pin(1)
        numbers = []
        for ss_id, outcome in zip(ids, ("damaged", "delayed", "on_time"), strict=True):
            m.http.post(sandbox.url("/_sandbox/carrier/plan"),
                        json={"next": True, "outcome": outcome}).raise_for_status()
            m.print_labels([ss_id])
            numbers.append(m.live_tracking(ss_id))
        m.pin(None)

        def plan(number: str) -> dict[str, Any]:
            found = m.http.get(sandbox.url("/_sandbox/carrier/plans"),
                               params={"tracking_number": number}).json()["plans"]
            return found[0]

        deadline = time.monotonic() + 60
        while not all(all(s["emitted"] for s in plan(n)["scans"]) for n in numbers):
            assert time.monotonic() < deadline, "the carrier did not finish its scans"
            time.sleep(0.2)
        expected = []
        for number in numbers:
            scans = plan(number)["scans"]
            start = next((s for s in scans if s["status_code"] == "EX"), None)
            if start is None:
                continue
            after = next(s for s in scans[scans.index(start):] if s["status_code"] != "EX")
            opened = datetime.fromisoformat(start["at"].replace("Z", "+00:00"))
            closed = datetime.fromisoformat(after["at"].replace("Z", "+00:00"))
            expected.append(round((closed - opened).total_seconds() / 3600, 4))
        assert len(expected) == 2

        result = CliRunner().invoke(app, ["audit", "--until", at(72), "--json"],
                                    env=environment(sandbox))
        assert result.exit_code == 0, result.output
        report = json.loads(result.output)
        assert report["exceptions"] == {"count": 2, "still_open": 0,
                                        "p50_hours_open": min(expected),
                                        "p90_hours_open": max(expected)}
        assert report["manual_touchpoints"]["by_kind"]["exceptions"] == 4
    finally:
        sandbox.stop()
