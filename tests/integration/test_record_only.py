"""Record-only mode end to end: the whole lifecycle run twice on the sandbox, once live and once
with `Service.start(record_only=True)`, on SQLite and PostgreSQL.

The issue's acceptance criterion: in record-only mode the sandbox receives no write from
shipflow, and the recorded effects equal the writes of the same run in live mode.

The lifecycle (both runs): six paid orders reach shipflow (three to the contiguous US, one of
them with kettles that get tags and a signature; three outside it, held for address review,
one with kettles, so tagged too); the warehouse prints the labels of the three that are not
held (one batch, one SHIP_NOTIFY); one hold is released through shipflow's API and its label
printed; one held order is cancelled in Shopify; one stays held.

How the two runs get the same inputs:
- Orders: the six REST orders are generated once by the sandbox's own seeded generator and
  placed in each sandbox with the `/_sandbox/shopify/orders` control (`{"orders": [...]}`),
  so both sandboxes hold the same order ids, line item ids and contents. (Placing them with
  `{"count": 1, ...}` would draw ids from the sandbox's one shared id sequence, which the live
  run's holds and fulfillments also draw from, so the ids could differ between the runs.)
- Labels: a label's shipment id comes from a counter and its tracking number from a seeded
  random sequence, both in the order labels are printed, and both appear in effect keys and
  payloads (`shopify:fulfillmentCreate:<shipment id>`, `Order Shipped` unique ids). So the
  warehouse does not print on its own timer (`auto_ship` off): the test prints through the
  `/_sandbox/shipstation/ship` control, the same orders in the same order in both runs; the
  warehouse then sends SHIP_NOTIFY to shipflow as it would have.
- In record-only mode shipflow creates no ShipStation order, so there would be nothing to
  print. Here the test stands in for the merchant's existing process (ShipStation's own store
  import, the warehouse staff): once shipflow has recorded its pushes, it creates in the
  record-run sandbox the same ShipStation orders the live run's shipflow sent (the
  `createorders` bodies seen on the live sandbox's wire, posted through the ShipStation API
  with the test's marker header), and before printing the released order it takes it off hold
  in ShipStation (`restorefromhold`) as the live shipflow did. The labels printed from them
  are then the live run's labels, and shipflow hears of them by SHIP_NOTIFY as in production.

What is asserted:
- live: every ledger row is `done`, and the writes the sandbox received match the ledger kind
  by kind (order keys, tracking numbers, unique ids, tags, fulfillment orders);
- record-only: the sandbox received no write from shipflow (every request under `/shopify`,
  `/shipstation` and `/klaviyo` is seen by a middleware; the test's own requests carry a
  marker header and `/_sandbox/` controls are not provider APIs), every ledger row is
  `recorded`, and the (effect, key, payload) multiset equals the live run's.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import pytest

from shipflow.store.ledger import LedgerRow
from shipflow_sandbox.config import SandboxConfig
from shipflow_sandbox.shopify.ids import IdAllocator
from shipflow_sandbox.shopify.orders import OrderGenerator
from tests.conftest import fresh_postgres_database
from tests.integration.lifecycle_env import Scenario, running, wait_until

RULES = """
version: 1
policy:
  default_backorder: split
rules:
  - name: signature-above-threshold
    when: order.total_price > 150
    then: {confirmation: signature}
  - name: address-review
    when: "!order.destination.contiguous_us"
    then: {hold: {reason: address_review, note: "Check the address before any label"}}
  - name: tag-kettles
    when: "'KTL-GOOSE-BK' in order.skus"
    then: {tags: [kettle, gift-check]}
"""

# (line items, destination) of the six orders, in this order: kettles (tags, signature), mug,
# filters, released (held, then released), cancelled (held, tagged, then cancelled), held.
TEMPLATES: list[tuple[list[tuple[str, int]], str]] = [
    ([("KTL-GOOSE-BK", 2)], "contiguous"),
    ([("MUG-CER-16", 1)], "contiguous"),
    ([("FLT-PAPER-100", 2), ("MUG-CER-16", 1)], "contiguous"),
    ([("MUG-CER-16", 1)], "noncontiguous"),
    ([("KTL-GOOSE-BK", 1)], "military"),
    ([("TEE-LOGO-M", 1)], "noncontiguous"),
]

SETUP_HEADER = "x-record-only-test"  # the test's own requests to provider paths
CONTROLS = "/_sandbox/"


# -- what the sandbox receives ------------------------------------------------------------------
@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: bytes
    status: int | None
    setup: bool  # sent by the test itself, not by shipflow

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class WireRecorder:
    """ASGI middleware around the sandbox app: every HTTP request, with its body and status."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._calls: list[Call] = []
        self._lock = threading.Lock()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks, more = [], True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Any:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        status: list[int] = []

        async def watch(message: Any) -> None:
            if message["type"] == "http.response.start":
                status.append(int(message["status"]))
            await send(message)

        headers = {k.decode().lower() for k, _ in scope.get("headers", [])}
        try:
            await self.app(scope, replay, watch)
        finally:
            with self._lock:
                self._calls.append(Call(scope["method"], scope["path"], body,
                                        status[0] if status else None, SETUP_HEADER in headers))

    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    def shipflow_calls(self) -> list[Call]:
        """Provider API requests made by shipflow (not the test's, not the controls)."""
        return [c for c in self.calls() if not c.setup and not c.path.startswith(CONTROLS)]


_MUTATION = re.compile(r"^\s*mutation\b[^{]*\{\s*(\w+)")


def write_kind(call: Call) -> str | None:
    """What write a provider request is (None: a read). Shopify GraphQL: the mutation's root
    field; ShipStation v1: the path; Klaviyo: the path. Unknown non-GET requests are writes."""
    path = call.path
    if path.startswith("/shopify/"):
        if path.endswith("/graphql.json") and call.method == "POST":
            query = str((call.json() or {}).get("query", ""))
            found = _MUTATION.match(query)
            return f"shopify {found.group(1)}" if found else None
        return None if call.method == "GET" else f"shopify {call.method} {path}"
    if path.startswith("/shipstation/"):
        if call.method == "GET" or path.endswith("/getrates") or "/rates" in path:
            return None
        return f"shipstation {path.removeprefix('/shipstation/')}"
    if path.startswith("/klaviyo/"):
        return None if call.method == "GET" else f"klaviyo {path.removeprefix('/klaviyo/')}"
    return None


def shipflow_writes(wire: WireRecorder) -> list[tuple[str, Call]]:
    return [(kind, c) for c in wire.shipflow_calls() if (kind := write_kind(c)) is not None]


# -- the two runs --------------------------------------------------------------------------------
def generated_orders() -> list[dict[str, Any]]:
    """The six REST orders, from the sandbox's seeded generator (the sandboxes' seed)."""
    seed = SandboxConfig().seed
    ids = IdAllocator(seed)
    generator = OrderGenerator(seed, ids, SandboxConfig().shop_domain)
    now = datetime.now(timezone.utc)
    return [generator.generate(now, lines=lines, destination=destination)
            for lines, destination in TEMPLATES]


def ledger_rows(s: Scenario) -> list[LedgerRow]:
    return s.service.store.ledger.rows()


def wait_ledger(s: Scenario, expected: dict[str, int], timeout: float = 30.0) -> None:
    """Until the ledger holds at least `expected` settled rows of each effect kind."""
    def counts() -> Counter[str]:
        return Counter(r.effect or "" for r in ledger_rows(s) if r.status in ("done", "recorded"))

    wait_until(lambda: all(counts()[k] >= n for k, n in expected.items()), timeout,
               lambda: f"ledger has {dict(counts())}, wanted at least {expected}")


def wait_quiet(s: Scenario, seconds: float = 1.5, timeout: float = 20.0) -> None:
    """Until no webhook is pending in the sandbox and the ledger did not change for `seconds`."""
    deadline = time.monotonic() + timeout

    def snapshot() -> list[tuple[str, str]]:
        return [(r.key, r.status) for r in ledger_rows(s)]

    before = snapshot()
    while True:
        time.sleep(seconds)
        pending = s.http.get(f"{s.sandbox}/_sandbox/deliveries",
                             params={"state": "pending"}).json()["deliveries"]
        after = snapshot()
        if after == before and not pending:
            return
        assert time.monotonic() < deadline, "the ledger never stopped changing"
        before = after


def ss_order_id(s: Scenario, shopify_order_id: int) -> int:
    found = s.shipstation_order(str(shopify_order_id))
    assert found is not None, f"no ShipStation order for {shopify_order_id}"
    return int(found["orderId"])


def print_labels(s: Scenario, shopify_order_ids: list[int]) -> None:
    """The warehouse prints these orders' labels, in this order, as one batch (SHIP_NOTIFY)."""
    ids = [ss_order_id(s, o) for o in shopify_order_ids]
    printed = s.http.post(f"{s.sandbox}/_sandbox/shipstation/ship", json={"orderIds": ids})
    printed.raise_for_status()
    assert printed.json()["skipped"] == [], printed.json()


class ExistingProcess:
    """The merchant's own way into ShipStation, in the record-only run (see the module doc)."""

    def __init__(self, s: Scenario, live_pushes: list[list[dict[str, Any]]]) -> None:
        self.s = s
        self.live_pushes = live_pushes
        settings = s.service.settings
        self.auth = (settings.shipstation_api_key, settings.shipstation_api_secret)

    def _post(self, path: str, body: Any) -> None:
        self.s.http.post(f"{self.s.sandbox}/shipstation/{path}", json=body, auth=self.auth,
                         headers={SETUP_HEADER: "1"}).raise_for_status()

    def create_orders(self) -> None:
        for bodies in self.live_pushes:
            self._post("orders/createorders", bodies)

    def restore(self, shopify_order_id: int) -> None:
        self._post("orders/restorefromhold", {"orderId": ss_order_id(self.s, shopify_order_id)})


def lifecycle(s: Scenario, orders: list[dict[str, Any]],
              existing: ExistingProcess | None = None) -> None:
    kettles, mug, filters, released, cancelled, held = (int(o["id"]) for o in orders)
    placed = s.http.post(f"{s.sandbox}/_sandbox/shopify/orders", json={"orders": orders})
    placed.raise_for_status()
    assert [o["id"] for o in placed.json()["orders"]] == [int(o["id"]) for o in orders]
    for order_id in (kettles, mug, filters):
        s.wait_state(order_id, "in_shipstation", timeout=30)
    for order_id in (released, cancelled, held):
        s.wait_state(order_id, "on_hold", timeout=30)
    wait_ledger(s, {"shipstation_order": 6, "shopify_hold": 3, "shopify_tags": 2})
    if existing is not None:
        existing.create_orders()

    print_labels(s, [kettles, mug, filters])
    for order_id in (kettles, mug, filters):
        s.wait_state(order_id, "shipped", timeout=30)
    wait_ledger(s, {"shopify_fulfillment": 3, "customer_event": 3})

    assert s.release(released).status_code == 202
    s.wait_state(released, "in_shipstation", timeout=30)
    wait_ledger(s, {"shipstation_restore_from_hold": 1, "shopify_release": 1})
    if existing is not None:
        existing.restore(released)
    print_labels(s, [released])
    s.wait_state(released, "shipped", timeout=30)
    wait_ledger(s, {"shopify_fulfillment": 4, "customer_event": 4})

    s.cancel(cancelled)
    s.wait_state(cancelled, "cancelled", timeout=30)
    wait_ledger(s, {"shipstation_cancel": 1})
    wait_quiet(s)
    assert s.state(held) == "on_hold"


def effects(rows: list[LedgerRow]) -> Counter[tuple[str, str, str]]:
    return Counter((r.effect or "", r.key, json.dumps(r.payload, sort_keys=True)) for r in rows)


# -- the live ledger against the live wire ------------------------------------------------------
def fulfillment_order_owners(s: Scenario, order_ids: list[int]) -> dict[str, int]:
    return {fo["id"]: order_id for order_id in order_ids
            for fo in s.shopify_order(order_id)["fulfillment_orders"]}


def assert_ledger_matches_wire(s: Scenario, rows: list[LedgerRow], wire: WireRecorder,
                               order_ids: list[int]) -> None:
    writes = shipflow_writes(wire)
    failed = [(kind, c.status) for kind, c in writes if c.status is None or c.status >= 300]
    assert failed == [], f"writes the sandbox refused: {failed}"
    by_kind: dict[str, list[Call]] = {}
    for kind, call in writes:
        by_kind.setdefault(kind, []).append(call)

    def payloads(effect: str) -> list[dict[str, Any]]:
        return [r.payload or {} for r in rows if r.effect == effect]

    def variables(kind: str) -> list[dict[str, Any]]:
        return [c.json()["variables"] for c in by_kind.pop(kind, [])]

    # ShipStation: createorders (bulk) = pushes; cancel = GET orders/{id} + createorder cancelled
    pushed = [b["orderKey"] for c in by_kind.pop("shipstation orders/createorders", [])
              for b in c.json()]
    assert sorted(pushed) == sorted(p["order_key"] for p in payloads("shipstation_order"))
    cancels = [c.json() for c in by_kind.pop("shipstation orders/createorder", [])]
    assert all(b["orderStatus"] == "cancelled" for b in cancels), cancels
    assert sorted(b["orderKey"] for b in cancels) == sorted(
        p["order_key"] for p in payloads("shipstation_cancel"))
    reads = [c for c in wire.shipflow_calls()
             if c.method == "GET" and re.fullmatch(r"/shipstation/orders/\d+", c.path)]
    assert len(reads) == len(payloads("shipstation_cancel"))
    ss_keys = {o["orderId"]: o["orderKey"] for o in s.http.get(
        f"{s.sandbox}/_sandbox/shipstation/orders").json()["orders"]}
    restored = [ss_keys[c.json()["orderId"]]
                for c in by_kind.pop("shipstation orders/restorefromhold", [])]
    assert sorted(restored) == sorted(
        p["order_key"] for p in payloads("shipstation_restore_from_hold"))

    # Shopify: one mutation per hold, release, tags and fulfillment
    owners = fulfillment_order_owners(s, order_ids)
    held = [owners[v["id"]] for v in variables("shopify fulfillmentOrderHold")]
    assert sorted(held) == sorted(p["order"] for p in payloads("shopify_hold"))
    released = [owners[v["id"]] for v in variables("shopify fulfillmentOrderReleaseHold")]
    assert sorted(released) == sorted(p["order"] for p in payloads("shopify_release"))
    tagged = [(int(v["id"].rsplit("/", 1)[1]), v["tags"]) for v in variables("shopify tagsAdd")]
    assert sorted(tagged) == sorted((p["order"], p["tags"]) for p in payloads("shopify_tags"))
    fulfilled = [v["fulfillment"]["trackingInfo"]["number"]
                 for v in variables("shopify fulfillmentCreate")]
    assert sorted(fulfilled) == sorted(
        p["tracking_number"] for p in payloads("shopify_fulfillment"))

    # Klaviyo: every event of every bulk job = customer events
    told = [e["attributes"]["unique_id"]
            for c in by_kind.pop("klaviyo api/event-bulk-create-jobs", [])
            for entry in c.json()["data"]["attributes"]["events-bulk-create"]["data"]
            for e in entry["attributes"]["events"]["data"]]
    assert sorted(told) == sorted(p["unique_id"] for p in payloads("customer_event"))

    assert by_kind == {}, f"writes no ledger kind accounts for: {sorted(by_kind)}"


# -- the test ------------------------------------------------------------------------------------
@pytest.fixture
def second_database_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A fresh database of the same kind, for the record-only run."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'record-only.db'}"
        return
    url, drop = fresh_postgres_database()
    try:
        yield url
    finally:
        drop()


def run(tmp_path: Path, database_url: str, orders: list[dict[str, Any]], *, record_only: bool,
        live_pushes: list[list[dict[str, Any]]] | None = None
        ) -> tuple[list[LedgerRow], WireRecorder, dict[int, str | None]]:
    tmp_path.mkdir()
    recorders: list[WireRecorder] = []

    def wrap(app: Any) -> WireRecorder:
        recorders.append(WireRecorder(app))
        return recorders[-1]

    with running(tmp_path, database_url, RULES, auto_ship=False, record_only=record_only,
                 wrap_sandbox=wrap) as s:
        [wire] = recorders
        existing = ExistingProcess(s, live_pushes or []) if record_only else None
        lifecycle(s, orders, existing)
        rows = ledger_rows(s)
        states = {int(o["id"]): s.state(int(o["id"])) for o in orders}
        if not record_only:
            assert_ledger_matches_wire(s, rows, wire, list(states))
    return rows, wire, states


def test_record_only_records_the_live_runs_writes_and_sends_none(
        tmp_path: Path, database_url: str, second_database_url: str) -> None:
    orders = generated_orders()

    live_rows, live_wire, live_states = run(tmp_path / "live", database_url, orders,
                                            record_only=False)
    assert live_rows and {r.status for r in live_rows} == {"done"}, \
        [(r.key, r.status, r.error) for r in live_rows if r.status != "done"]
    assert Counter(r.effect for r in live_rows) == {
        "shipstation_order": 6, "shopify_hold": 3, "shopify_tags": 2,
        "shopify_fulfillment": 4, "customer_event": 4,
        "shipstation_restore_from_hold": 1, "shopify_release": 1, "shipstation_cancel": 1}
    live_pushes = [c.json() for kind, c in shipflow_writes(live_wire)
                   if kind == "shipstation orders/createorders"]

    rec_rows, rec_wire, rec_states = run(tmp_path / "record", second_database_url, orders,
                                         record_only=True, live_pushes=live_pushes)
    assert shipflow_writes(rec_wire) == [], "the sandbox received writes in record-only mode"
    assert {r.status for r in rec_rows} == {"recorded"}
    assert all(r.attempts == 1 and r.result is None and r.error is None for r in rec_rows)
    assert rec_states == live_states
    live_effects, recorded = effects(live_rows), effects(rec_rows)
    assert recorded == live_effects, (
        f"only recorded: {sorted((recorded - live_effects).elements())}\n"
        f"only live: {sorted((live_effects - recorded).elements())}")
    # The record-only run still read from the providers and heard SHIP_NOTIFY (so its
    # fulfillments were driven by the same labels), and the test's own calls did reach it.
    assert any(c.path.startswith("/shipstation/shipments") for c in rec_wire.shipflow_calls())
    assert any(c.setup for c in rec_wire.calls())
