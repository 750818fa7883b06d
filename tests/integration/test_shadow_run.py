"""A shadow run end to end on the sandbox, on SQLite and PostgreSQL: shipflow runs with
`policy.mode: shadow` while a scripted "manual process" (the merchant's staff) does the work in
the sandbox, with known disagreements; then the rules file switches to live.

The simulated week (the sandbox calendar runs 40,000x; the manual process's Shopify
fulfillments are stamped at scripted moments by pinning the sandbox clock):
- A: two kettles (over $150): shipflow wants a signature, staff skip it. Printed, fulfilled with
  the right tracking 1 h after shipflow would have, emailed 2 h after.
- B: a mug: staff hold it in ShipStation, shipflow would not.
- C: filters and a mug: agreed; staff mistype the tracking number in Shopify (3 h late) and
  never send the shipping email.
- D: a mug outside the contiguous US: both hold it for address review.
- E: a mug: staff pick another service than the rule's; the parcel is undeliverable, so
  shipflow would have sent a `Delivery Exception`, and nobody tells the customer. Fulfilled 5 h
  late, emailed 26 h late.
- G: filters and a tee that is out of stock: shipflow splits it (the tee's part on hold until
  restock), staff send it as one order, not held.

Asserted: shipflow made no write (every provider request the sandbox received without the
script's marker header is a read) and every ledger row is `recorded`; the report (CLI and API)
has exactly the script's figures. Then the rules file says `mode: live` and shipflow restarts:
staff release and ship D (an old order): shipflow only records; a new order F is pushed,
fulfilled and told by shipflow.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from shipflow.cli import app
from shipflow.ops.shadow_sources import reporter
from shipflow.store.queries.shadow import live_writes, shadow_orders
from tests.conftest import FIXTURES
from tests.integration.lifecycle_env import TOKEN, Scenario, running, wait_until
from tests.integration.test_record_only import (
    SETUP_HEADER,
    WireRecorder,
    shipflow_writes,
    wait_quiet,
)

SCALE = 40_000
RULES = """
version: 1
policy:
  mode: {mode}
  default_backorder: split
  timers: {{review_days_default: 365}}  # no review request within the test's week
rules:
  - name: signature-above-threshold
    when: order.total_price > 150
    then: {{confirmation: signature}}
  - name: address-review
    when: "!order.destination.contiguous_us"
    then: {{hold: {{reason: address_review, note: "Check the address before any label"}}}}
  - name: ground
    when: "true"
    then: {{service: {{carrier: ups, service: ups_ground}}}}
"""
SKUS = ("KTL-GOOSE-BK", "MUG-CER-16", "FLT-PAPER-100", "TEE-LOGO-M")
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)


class ManualProcess:
    """The merchant's staff, in the sandbox: every request carries the script's marker header."""

    def __init__(self, s: Scenario) -> None:
        self.s = s
        settings = s.service.settings
        self.auth = (settings.shipstation_api_key, settings.shipstation_api_secret)
        self.shopify_token = settings.shopify_access_token
        self.klaviyo_key = settings.klaviyo_api_key
        self.ss_ids: dict[int, int] = {}

    def _post(self, path: str, body: Any, **kwargs: Any) -> Any:
        response = self.s.http.post(f"{self.s.sandbox}{path}", json=body,
                                    headers={SETUP_HEADER: "1", **kwargs.pop("headers", {})},
                                    **kwargs)
        assert response.status_code < 300, response.text
        return response.json() if response.content else None

    def to_shipstation(self, order_id: int, *, confirmation: str = "none",
                       service: str = "ups_ground", hold: bool = False) -> None:
        order = self.s.shopify_order(order_id)["order"]
        body = copy.deepcopy(json.loads(
            (FIXTURES / "shipstation" / "v1_createorder_request.docs.json").read_text()))
        body.update(orderNumber=order["name"].lstrip("#"), orderKey=str(order_id),
                    orderStatus="on_hold" if hold else "awaiting_shipment",
                    confirmation=confirmation, carrierCode=service.split("_")[0],
                    serviceCode=service)
        answer = self._post("/shipstation/orders/createorder", body, auth=self.auth)
        self.ss_ids[order_id] = int(answer["orderId"])

    def release(self, order_id: int) -> None:
        self._post("/shipstation/orders/restorefromhold", {"orderId": self.ss_ids[order_id]},
                   auth=self.auth)

    def print_label(self, order_id: int, outcome: str) -> str:
        """Print one label (its parcel's carrier outcome forced); returns its tracking number."""
        self.s.http.post(f"{self.s.sandbox}/_sandbox/carrier/plan",
                         json={"next": True, "outcome": outcome}).raise_for_status()
        printed = self.s.http.post(f"{self.s.sandbox}/_sandbox/shipstation/ship",
                                   json={"orderIds": [self.ss_ids[order_id]]})
        printed.raise_for_status()
        assert printed.json()["skipped"] == [], printed.json()
        shipments = self.s.http.get(f"{self.s.sandbox}/shipstation/shipments",
                                    params={"orderId": self.ss_ids[order_id]}, auth=self.auth,
                                    headers={SETUP_HEADER: "1"}).json()["shipments"]
        [live] = [x for x in shipments if not x["voided"]]
        return str(live["trackingNumber"])

    def fulfil(self, order_id: int, tracking: str, at: datetime) -> None:
        """Typed into Shopify at `at` (the sandbox clock pinned there for the one call)."""
        fos = [fo["id"] for fo in self.s.shopify_order(order_id)["fulfillment_orders"]
               if fo["status"] in ("OPEN", "IN_PROGRESS", "open", "in_progress")]
        assert fos, self.s.shopify_order(order_id)["fulfillment_orders"]
        mutation = """mutation($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f) {
            fulfillment { id } userErrors { field message } } }"""
        self.pin(at)
        try:
            answer = self._post(
                "/shopify/admin/api/2026-07/graphql.json",
                {"query": mutation, "variables": {"f": {
                    "lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fo} for fo in fos],
                    "trackingInfo": {"number": tracking, "company": "UPS"},
                    "notifyCustomer": False}}},
                headers={"X-Shopify-Access-Token": self.shopify_token})
        finally:
            self.pin(None)
        assert not answer["data"]["fulfillmentCreate"]["userErrors"], answer

    def email(self, order_id: int, at: datetime) -> None:
        body = {"data": {"type": "event", "attributes": {
            "properties": {"OrderId": order_id}, "time": stamp(at),
            "metric": {"data": {"type": "metric", "attributes": {"name": "Fulfilled Order"}}},
            "profile": {"data": {"type": "profile",
                                 "attributes": {"email": f"c{order_id}@shop.test"}}}}}}
        self._post("/klaviyo/api/events", body, headers={
            "Authorization": f"Klaviyo-API-Key {self.klaviyo_key}", "revision": "2026-07-15",
            "Content-Type": "application/vnd.api+json"})

    def pin(self, at: datetime | None) -> None:
        self.s.http.post(f"{self.s.sandbox}/_sandbox/clock",
                         json={"pin": None if at is None else stamp(at)}).raise_for_status()


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def place(s: Scenario, items: list[tuple[str, int]], destination: str = "contiguous") -> int:
    [order_id] = s.place(line_items=[{"sku": k, "quantity": n} for k, n in items],
                         destination=destination)
    return order_id


def recorded(s: Scenario, order_id: int, operation: str) -> datetime:
    """When shipflow recorded (would have made) its first write of `operation` for the order."""
    def find() -> datetime | None:
        for o in shadow_orders(s.service.store.db, EARLIEST):
            if o.shopify_order_id == order_id:
                return next((w.at for w in o.writes if w.operation == operation), None)
        return None

    wait_until(lambda: find() is not None, 60, lambda: f"{order_id}: no {operation} recorded")
    found = find()
    assert found is not None
    return found


@pytest.fixture
def wire() -> Iterator[list[WireRecorder]]:
    yield []


def test_shadow_week_then_live(tmp_path: Path, database_url: str,
                               wire: list[WireRecorder]) -> None:
    def wrap(sandbox: Any) -> WireRecorder:
        wire.append(WireRecorder(sandbox))
        return wire[-1]

    settings: list[Any] = []  # the report reads the providers with the service's settings

    def report(db: Any, now: datetime, since: str) -> dict[str, Any]:
        return reporter(settings[0])(db, now, since)

    with running(tmp_path, database_url, RULES.format(mode="shadow"), time_scale=SCALE,
                 limits=False, auto_ship=False, wrap_sandbox=wrap, shadow_report=report) as s:
        settings.append(s.service.settings)
        [recorder] = wire
        for sku in SKUS:
            s.set_stock(sku, 500)
        staff = ManualProcess(s)
        a = place(s, [("KTL-GOOSE-BK", 2)])
        b = place(s, [("MUG-CER-16", 1)])
        c = place(s, [("FLT-PAPER-100", 2), ("MUG-CER-16", 1)])
        d = place(s, [("MUG-CER-16", 1)], "noncontiguous")
        e = place(s, [("MUG-CER-16", 1)])
        s.set_stock("TEE-LOGO-M", 0)
        g = place(s, [("FLT-PAPER-100", 1), ("TEE-LOGO-M", 1)])
        for order_id in (a, b, c, d, e, g):
            recorded(s, order_id, "createorders")

        staff.to_shipstation(a, confirmation="none")  # skips the signature
        staff.to_shipstation(b, hold=True)  # holds one it should not
        staff.to_shipstation(c)
        staff.to_shipstation(d, hold=True)
        staff.to_shipstation(e, service="usps_priority_mail")
        staff.to_shipstation(g)  # one order, not split, not held
        tracking = {a: staff.print_label(a, "on_time"), c: staff.print_label(c, "on_time"),
                    e: staff.print_label(e, "undeliverable")}
        shipped_at = {o: recorded(s, o, "fulfillmentCreate") for o in tracking}
        told_at = {o: recorded(s, o, "event:Order Shipped") for o in tracking}
        staff.fulfil(a, tracking[a], shipped_at[a] + timedelta(hours=1))
        staff.email(a, told_at[a] + timedelta(hours=2))
        mistyped = tracking[c][:-1] + ("0" if tracking[c][-1] != "0" else "1")
        staff.fulfil(c, mistyped, shipped_at[c] + timedelta(hours=3))
        staff.fulfil(e, tracking[e], shipped_at[e] + timedelta(hours=5))
        staff.email(e, told_at[e] + timedelta(hours=26))
        recorded(s, e, "event:Delivery Exception")
        wait_until(lambda: all(scan["emitted"] for scan in s.http.get(
            f"{s.sandbox}/_sandbox/carrier/plans",
            params={"tracking_number": tracking[e]}).json()["plans"][0]["scans"]), 60)
        wait_quiet(s)

        # shadow mode made no write
        assert shipflow_writes(recorder) == []
        rows = s.service.store.ledger.rows()
        assert rows and {r.status for r in rows} == {"recorded"}
        assert any(c.path.startswith("/shipstation/shipments") for c in recorder.shipflow_calls())

        raised = sorted({r.operation.removeprefix("event:") for r in rows if r.operation in (
            "event:Delivery Exception", "event:Shipment Delayed")})
        assert "Delivery Exception" in raised
        exceptions = len(raised)
        expected = {
            "orders_compared": 6,
            "agreement": {
                "hold": {"compared": 6, "agreed": 4, "pct": 66.67},
                "signature": {"compared": 6, "agreed": 5, "pct": 83.33},
                "service": {"compared": 6, "agreed": 5, "pct": 83.33},
                "split": {"compared": 6, "agreed": 5, "pct": 83.33},
            },
            "tracking": {"compared": 3, "correct": 2, "wrong": 1, "no_tracking": 0,
                         "not_fulfilled": 0, "accuracy_pct": 66.67},
            "timing": {
                "notification": {"metric": "Fulfilled Order", "count": 2, "p50_hours": 2.0,
                                 "p90_hours": 26.0, "never_notified": 1},
                "fulfillment": {"count": 3, "p50_hours": 3.0, "p90_hours": 5.0},
            },
            "exceptions": {"would_raise": exceptions, "unhandled": exceptions},
        }
        disagreements = sorted([
            (a, "signature", "signature", "none"),
            (b, "hold", False, True),
            (c, "tracking", [tracking[c]], [mistyped]),
            (c, "notification", "Order Shipped", None),
            (e, "service", "ups_ground", "usps_priority_mail"),
            (g, "hold", True, False),
            (g, "split", True, False),
        ] + [(e, "exception", metric, None) for metric in raised],
            key=str)

        def check(report: dict[str, Any]) -> None:
            assert {k: report[k] for k in expected} == expected, json.dumps(report, indent=1)
            assert sorted(((d["order"], d["kind"], d["shipflow"], d["manual"])
                           for d in report["disagreements"]), key=str) == disagreements
            assert "not_recorded" in report["notifications"]
            assert sorted(o["order"] for o in report["orders"]) == sorted([a, b, c, d, e, g])

        api = s.http.get(f"{s.shipflow}/api/shadow/report", params={"since": "30d"},
                         headers={"Authorization": f"Bearer {TOKEN}"})
        assert api.status_code == 200, api.text
        check(api.json())
        assert s.http.get(f"{s.shipflow}/api/shadow/report").status_code == 401
        assert s.http.get(f"{s.shipflow}/api/shadow/report", params={"since": "soon"},
                          headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 400
        env = cli_environment(s)
        result = CliRunner().invoke(app, ["shadow-report", "--since", "2000-01-01", "--json"],
                                    env=env)
        assert result.exit_code == 0, result.output
        check(json.loads(result.output))
        text = CliRunner().invoke(app, ["shadow-report", "--since", "2000-01-01"], env=env)
        assert text.exit_code == 0 and mistyped in text.output, text.output
        shadow_pks = [o.pk for o in shadow_orders(s.service.store.db, EARLIEST)]
        # A Klaviyo key that cannot read events: the rest of the report still stands.
        s.http.post(f"{s.sandbox}/_sandbox/klaviyo/scopes",
                    json={"scopes": ["events:write"]}).raise_for_status()
        partial = s.http.get(f"{s.shipflow}/api/shadow/report", params={"since": "30d"},
                             headers={"Authorization": f"Bearer {TOKEN}"}).json()
        assert "events:read" in partial["timing"]["notification"]["not_measured"]
        assert partial["agreement"] == expected["agreement"]
        s.http.post(f"{s.sandbox}/_sandbox/klaviyo/scopes",
                    json={"scopes": None}).raise_for_status()

        # -- one setting: live ---------------------------------------------------------------
        (tmp_path / "rules.yaml").write_text(RULES.format(mode="live"))
        before = len(recorder.calls())
        s.restart()
        staff.release(d)
        tracking[d] = staff.print_label(d, "on_time")
        recorded(s, d, "fulfillmentCreate")
        f = place(s, [("MUG-CER-16", 1)])
        s.wait_state(f, "in_shipstation", timeout=60)
        f_ss = s.shipstation_order(str(f))
        assert f_ss is not None
        staff.ss_ids[f] = int(f_ss["orderId"])
        staff.print_label(f, "on_time")
        s.wait_state(f, "shipped", "delivered", timeout=60)
        wait_until(lambda: s.events_for(f, "Order Shipped"), 60)
        wait_quiet(s)

        assert live_writes(s.service.store.db, shadow_pks) == 0
        after = [(kind, call) for kind, call in shipflow_writes(recorder)
                 if recorder.calls().index(call) >= before]
        kinds = {kind for kind, _ in after}
        assert "shipstation orders/createorders" in kinds
        assert "shopify fulfillmentCreate" in kinds
        for kind, call in after:  # every write is about F, none about D or the others
            body = call.body.decode()
            assert str(d) not in body and tracking[d] not in body, (kind, body[:300])
        assert not s.events_for(d)
        assert [o.pk for o in shadow_orders(s.service.store.db, EARLIEST)] == shadow_pks
        assert all(r.status == "recorded" for r in s.service.store.ledger.rows()
                   if r.order_pk in shadow_pks)


def cli_environment(s: Scenario) -> dict[str, str]:
    settings = s.service.settings
    return {
        "SHIPFLOW_DATABASE_URL": settings.database_url,
        "SHIPFLOW_SHOPIFY_SHOP_URL": settings.shopify_shop_url,
        "SHIPFLOW_SHOPIFY_ACCESS_TOKEN": settings.shopify_access_token,
        "SHIPFLOW_SHIPSTATION_BASE_URL": settings.shipstation_base_url,
        "SHIPFLOW_SHIPSTATION_API_KEY": settings.shipstation_api_key,
        "SHIPFLOW_SHIPSTATION_API_SECRET": settings.shipstation_api_secret,
        "SHIPFLOW_KLAVIYO_BASE_URL": settings.klaviyo_base_url,
        "SHIPFLOW_KLAVIYO_API_KEY": settings.klaviyo_api_key,
    }
