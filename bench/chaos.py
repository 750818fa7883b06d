"""Chaos: the whole lifecycle with every fault on, processes killed with SIGKILL throughout, and
hostile intake; then count, from the providers' own records, what was lost or done twice.

PostgreSQL (default): one web process (`serve --web-only`) and two workers, all killed with
SIGKILL and restarted throughout, plus a third worker killed for good part-way (a live one must
adopt its work). SQLite (`--sqlite`): one `shipflow serve`, killed and restarted throughout.

The sandbox runs with time compressed (`--time-scale`, default 5,000: a simulated day in about
17 s), sharing its calendar with shipflow (SHIPFLOW_CLOCK_*), so parcels reach delivery and the
review and reorder timers fire. During the chaos window it injects:
- provider faults on every API: 5xx, 429s, slow answers, lost answers on every write endpoint
  (Shopify's answers arrive after the client's timeout; ShipStation's and Klaviyo's connections
  drop once the write is done), duplicated webhooks, reordered tracking;
- intake faults: 10% of Shopify deliveries duplicated, 10% held back so the next overtakes them,
  and, sent by this script, 1% malformed (correctly signed) and 1% forged deliveries.
Then the faults stop and the run waits until every order has settled (delivered and its timers
fired, or a parcel that never arrives) or `--timeout` passes.

Counted at the end, from the sandbox's records (`GET /_sandbox/records`) and shipflow's inbox:
orders lost, labels never fulfilled, duplicate ShipStation orders, duplicate Shopify
fulfillments, duplicate customer messages, forged deliveries accepted, malformed deliveries not
kept (or accepted), and orders not finished. One JSON line; `--check` exits 1 unless every one
of those is zero.

    python bench/chaos.py                      # 2,000 orders, PostgreSQL, >= 10 kills
    python bench/chaos.py --sqlite --orders 300
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import random
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from common import ROOT, emit, fresh_postgres_database, start

sys.path.insert(0, str(ROOT / "src"))
from shipflow.demo import make_environment  # noqa: E402
from shipflow.netutil import free_port  # noqa: E402

RULES = """\
version: 1
policy:
  timers:
    review_days_default: 2
    reorder_days_by_sku: {BEAN-ETH-340: 3, BEAN-COL-1K: 6}
  delays: {no_scan_business_days: 2}
rules:
  - name: signature-above-500
    when: order.total_price > 500.0
    then: {confirmation: signature}
"""
# Parcels the carrier never delivers: no "Order Delivered", no review request.
NEVER_DELIVERED = {"undeliverable", "lost"}
# Messages a customer gets at most once per order (per SKU for reorder reminders).
ONCE_PER_ORDER = ("Order Shipped", "Order Delivered", "Review Request Due")


def provider_faults() -> dict[str, Any]:
    """Every fault on, at rates a bad day at the providers could reach."""
    common = {"error_rate": 0.04, "slow": 0.2, "slow_fraction": 0.05}
    return {
        # Shopify's answers to writes come after the client's 15 s read timeout.
        "shopify": {**common, "lose_response": 0.04, "lose_response_after": 16.0,
                    "duplicate_webhooks": 0.1, "reorder_webhooks": 0.1},
        # Few, bulk writes (createorders of up to 100 orders, event bulk jobs): lost more often.
        "shipstation_v1": {**common, "lose_response": 0.1, "duplicate_webhooks": 0.1,
                           "reorder_webhooks": 0.1},
        "shipstation_v2": {**common, "lose_response": 0.1, "duplicate_webhooks": 0.1,
                           "reorder_tracking": 0.2},
        "klaviyo": {**common, "lose_response": 0.1},
    }


class Proc:
    """One shipflow (or sandbox) process that can be killed with SIGKILL and started again."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], logdir: Path) -> None:
        self.name, self.args, self.env = name, args, env
        self.log = logdir / f"{name}.log"
        self.popen: subprocess.Popen[bytes] | None = None

    def start(self) -> Proc:
        self.popen = start(self.args, self.env, self.log)
        return self

    def kill9(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait(timeout=10)

    def stop(self) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        self.popen.terminate()
        try:
            self.popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(timeout=5)

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None


class PatientClient(httpx.Client):
    """The driver's loopback calls, retried when a connection drops: on two busy cores a
    server's accept queue can overflow and reset one. A retried POST that had landed places
    an extra order at worst, which no figure counts (figures are over the orders the driver
    recorded as placed)."""

    def request(self, *args: Any, **kwargs: Any) -> httpx.Response:  # type: ignore[override]
        for attempt in range(6):
            try:
                return super().request(*args, **kwargs)
            except httpx.TransportError:
                if attempt == 5:
                    raise
                time.sleep(0.5 * (attempt + 1))
        raise AssertionError("unreachable")


def wait_http(url: str, timeout: float, procs: list[Proc]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        for p in procs:
            if not p.alive():
                raise RuntimeError(f"{p.name} exited:\n{p.log.read_text()[-3000:]}")
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


class Chaos:
    def __init__(self, args: argparse.Namespace, workdir: Path, database_url: str) -> None:
        self.args = args
        self.rng = random.Random(args.seed)
        self.workdir = workdir
        self.port, self.sandbox_port = free_port(), free_port()
        env = make_environment(workdir, self.port, self.sandbox_port,
                               time_scale=args.time_scale, rules=RULES)
        self.settings = env.settings
        self.sandbox_url, self.shipflow_url = env.sandbox_url, env.shipflow_url
        self.database_url = database_url
        origin = datetime.now(timezone.utc).isoformat()
        s = env.settings
        self.env = {
            "SHIPFLOW_DATABASE_URL": database_url,
            "SHIPFLOW_RULES": str(s.rules),
            "SHIPFLOW_API_TOKEN": str(s.api_token),
            "SHIPFLOW_SHOPIFY_SHOP_URL": s.shopify_shop_url,
            "SHIPFLOW_SHOPIFY_SHOP_DOMAIN": s.shopify_shop_domain,
            "SHIPFLOW_SHOPIFY_ACCESS_TOKEN": s.shopify_access_token,
            "SHIPFLOW_SHOPIFY_WEBHOOK_SECRET": s.shopify_webhook_secret,
            "SHIPFLOW_SHIPSTATION_BASE_URL": s.shipstation_base_url,
            "SHIPFLOW_SHIPSTATION_API_KEY": s.shipstation_api_key,
            "SHIPFLOW_SHIPSTATION_API_SECRET": s.shipstation_api_secret,
            "SHIPFLOW_SHIPSTATION_WEBHOOK_TOKEN": s.shipstation_webhook_token,
            "SHIPFLOW_SHIPSTATION_V2_BASE_URL": s.shipstation_v2_base_url,
            "SHIPFLOW_SHIPSTATION_V2_API_KEY": s.shipstation_v2_api_key,
            "SHIPFLOW_KLAVIYO_BASE_URL": s.klaviyo_base_url,
            "SHIPFLOW_KLAVIYO_API_KEY": s.klaviyo_api_key,
            "SHIPFLOW_SHIPSTATION_RATE_LIMIT": s.shipstation_rate_limit,
            "SHIPFLOW_CLOCK_SCALE": str(args.time_scale),
            "SHIPFLOW_CLOCK_ORIGIN": origin,
            "SHIPFLOW_EXECUTOR_TTL": str(args.executor_ttl),
            # Four shipflow processes at 4 x 5 connections each fit PostgreSQL's default
            # max_connections (100) with room for the driver and a dying process's leftovers.
            "SHIPFLOW_DATABASE_POOL_SIZE": "5",
            "SHIPFLOW_SWEEP_INTERVAL": "0.2",
            "SHIPFLOW_DELAY_SWEEP_INTERVAL": "1.0",
            "SHIPFLOW_SANDBOX_TIME_SCALE": str(args.time_scale),
            "SHIPFLOW_SANDBOX_CLOCK_ORIGIN": origin,
            "SHIPFLOW_SANDBOX_WEBHOOK_RETRY_FLOOR": "1.0",
            "SHIPFLOW_SANDBOX_SEED": str(args.seed),
            # Rate limits stay on: at this scale a window lasts milliseconds of real time.
        }
        self.procs: dict[str, Proc] = {}
        self.kills: Counter[str] = Counter()
        self.restarts: Counter[str] = Counter()  # exits nobody caused, started again
        self.legit: list[int] = []
        self.forged: list[int] = []
        self.malformed: dict[str, int] = {}  # X-Shopify-Webhook-Id -> order id
        self.malformed_hashes: list[str] = []
        self.malformed_answers: Counter[str] = Counter()
        self.forged_answers: Counter[int] = Counter()
        self.http = PatientClient(timeout=30)  # the driver's own reads and controls
        self.raw = httpx.Client(timeout=10)  # deliveries: `deliver` retries them itself

    # -- processes ---------------------------------------------------------------------------

    def proc(self, name: str, args: list[str]) -> Proc:
        p = Proc(name, args, self.env, self.workdir).start()
        self.procs[name] = p
        return p

    def shipflow_names(self) -> list[str]:
        return ["serve"] if self.args.sqlite else ["w1", "web", "w2"]

    def start(self) -> None:
        auto_ship = str(0.5 * self.args.time_scale)  # the warehouse prints after 0.5 real s
        self.proc("sandbox", ["sandbox", "--port", str(self.sandbox_port), "--shipflow-url",
                              self.shipflow_url, "--auto-ship-after", auto_ship])
        if self.args.sqlite:
            self.proc("serve", ["serve", "--port", str(self.port), "--log-level", "WARNING"])
        else:
            self.proc("web", ["serve", "--web-only", "--port", str(self.port), "--id", "web-1",
                              "--log-level", "WARNING"])
            for name in ("w1", "w2", "w3"):
                self.proc(name, ["worker", "--id", name, "--log-level", "WARNING"])
        procs = list(self.procs.values())
        wait_http(f"{self.sandbox_url}/_sandbox/summary", 60, procs)
        wait_http(f"{self.shipflow_url}/healthz", 90, procs)
        # Every SKU stocked high: no backorders in this run, so every order ships.
        stock = self.http.get(f"{self.sandbox_url}/_sandbox/shopify/inventory").json()
        for sku in sorted({row["sku"] for row in stock["inventory"]}):
            self.http.post(f"{self.sandbox_url}/_sandbox/shopify/inventory",
                           json={"sku": sku, "available": 100_000, "deliver": False}
                           ).raise_for_status()

    def kill(self, name: str, restart_after: float | None) -> None:
        self.procs[name].kill9()
        self.kills[name] += 1
        if restart_after is not None:
            time.sleep(restart_after)
            self.procs[name].start()

    def supervise(self) -> None:
        """Start again what exited on its own (as systemd's Restart=always would): a process
        can fail at start-up while the database refuses connections. The doomed worker stays
        dead."""
        for name, p in self.procs.items():
            if name != "w3" and not p.alive():
                self.restarts[name] += 1
                p.start()

    def stop(self) -> None:
        for p in self.procs.values():
            p.stop()

    # -- traffic ------------------------------------------------------------------------------

    def set_faults(self, on: bool) -> None:
        url = f"{self.sandbox_url}/_sandbox/faults"
        if on:
            self.http.post(url, json=provider_faults()).raise_for_status()
        else:
            self.http.delete(url).raise_for_status()

    def place(self, count: int) -> None:
        placed = self.http.post(f"{self.sandbox_url}/_sandbox/shopify/orders",
                                json={"count": count, "destination": "contiguous"})
        placed.raise_for_status()
        self.legit += [o["id"] for o in placed.json()["orders"]]

    def silent_order(self) -> dict[str, Any]:
        """A real order the shop never announces: the body of a forged or malformed delivery."""
        placed = self.http.post(f"{self.sandbox_url}/_sandbox/shopify/orders",
                                json={"count": 1, "deliver": False})
        placed.raise_for_status()
        order_id = placed.json()["orders"][0]["id"]
        return dict(self.http.get(f"{self.sandbox_url}/_sandbox/shopify/orders/{order_id}")
                    .json()["order"])

    def deliver(self, body: bytes, secret: str, webhook_id: str) -> int:
        """POST one Shopify delivery as Shopify would, retrying while shipflow is down."""
        digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": "orders/paid",
            "X-Shopify-Hmac-Sha256": base64.b64encode(digest).decode(),
            "X-Shopify-Shop-Domain": self.settings.shopify_shop_domain,
            "X-Shopify-Webhook-Id": webhook_id,
            "X-Shopify-Event-Id": str(uuid.uuid4()),
            "X-Shopify-Triggered-At": datetime.now(timezone.utc).isoformat(),
            "X-Shopify-API-Version": "2026-07",
        }
        for _ in range(120):
            try:
                return self.raw.post(f"{self.shipflow_url}/webhooks/shopify", content=body,
                                     headers=headers).status_code
            except httpx.HTTPError:
                time.sleep(0.5)
        return 0

    def forge(self) -> None:
        order = self.silent_order()
        self.forged.append(int(order["id"]))
        body = json.dumps(order).encode()
        status = self.deliver(body, "not-the-shop-secret-" + uuid.uuid4().hex, str(uuid.uuid4()))
        self.forged_answers[status] += 1

    def malform(self) -> None:
        order = self.silent_order()
        kind = self.rng.choice(["id_too_big", "empty_lines", "negative_quantity", "not_json",
                                "deep_nesting"])
        if kind == "id_too_big":
            order["id"] = 2**63 + int(order["id"]) % 1000
        elif kind == "empty_lines":
            order["line_items"] = []
        elif kind == "negative_quantity":
            order["line_items"][0]["quantity"] = -3
        elif kind == "deep_nesting":
            nested: Any = "x"
            for _ in range(200):
                nested = {"n": nested}
            order["note_attributes"] = [{"name": "x", "value": nested}]
        body = json.dumps(order).encode()
        if kind == "not_json":
            body = body[: len(body) // 2]
        webhook_id = str(uuid.uuid4())
        self.malformed[webhook_id] = int(order["id"]) % 2**63
        self.malformed_hashes.append(hashlib.sha256(body).hexdigest())
        status = self.deliver(body, self.settings.shopify_webhook_secret, webhook_id)
        self.malformed_answers[f"{kind}:{status}"] += 1

    # -- the run ------------------------------------------------------------------------------

    def chaos(self) -> None:
        """Orders in waves over the chaos window, with kills and hostile deliveries between."""
        args = self.args
        waves = max(1, args.waves)
        per_wave = [args.orders // waves + (1 if i < args.orders % waves else 0)
                    for i in range(waves)]
        hostile = max(2, round(args.orders * 0.01))
        forged_at = set(self.rng.sample(range(waves), min(waves, hostile)))
        kill_every = args.window / max(1, args.kills)
        next_kill = time.monotonic() + kill_every / 2
        doomed_at = time.monotonic() + args.window / 3
        started = time.monotonic()
        wave_gap = args.window / waves
        victims = self.shipflow_names()
        forged_left = malformed_left = hostile
        for i, n in enumerate(per_wave):
            # Each wave, every API's next two requests get a 429 and its next write loses its
            # answer, whatever the odds: short runs see every fault too.
            self.http.post(f"{self.sandbox_url}/_sandbox/faults", json={
                s: {"force_429": 2, "force_lose_response": 1}
                for s in ("shopify", "shipstation_v1", "klaviyo")})
            if n:
                self.place(n)
            share = -(-hostile // waves) if i not in forged_at else -(-hostile // len(forged_at))
            for _ in range(min(share, forged_left)):
                self.forge()
                forged_left -= 1
            for _ in range(min(share, malformed_left)):
                self.malform()
                malformed_left -= 1
            wave_end = started + wave_gap * (i + 1)
            while time.monotonic() < wave_end:
                now = time.monotonic()
                if not args.sqlite and "w3" in self.procs and now >= doomed_at \
                        and self.kills["w3"] == 0:
                    self.kill("w3", None)  # never comes back: w1 or w2 adopts its work
                elif now >= next_kill and sum(self.kills.values()) < args.kills + 1:
                    name = victims[sum(self.kills[v] for v in victims) % len(victims)]
                    self.kill(name, restart_after=self.rng.uniform(0.2, 1.5))
                    next_kill = now + kill_every
                self.supervise()
                time.sleep(0.1)
        for _ in range(forged_left):
            self.forge()
        for _ in range(malformed_left):
            self.malform()

    def records(self) -> dict[str, Any]:
        return dict(self.http.get(f"{self.sandbox_url}/_sandbox/records", timeout=60).json())

    def plans(self) -> dict[str, str]:
        found = self.http.get(f"{self.sandbox_url}/_sandbox/carrier/plans",
                              params={"limit": 100_000}, timeout=60).json()["plans"]
        return {p["tracking_number"]: p["outcome"] for p in found}

    def sql(self, query: str, **params: Any) -> list[Any]:
        url = self.database_url
        if url.startswith("postgresql://"):
            url = url.replace("postgresql://", "postgresql+psycopg://", 1)
        engine = sa.create_engine(url)
        try:
            with engine.connect() as conn:
                return list(conn.execute(sa.text(query), params))
        finally:
            engine.dispose()

    def pending_timers(self) -> int:
        return int(self.sql("SELECT count(*) FROM timers WHERE state IN ('pending', 'firing')")
                   [0][0])

    def settle(self) -> tuple[bool, float]:
        """Wait until every order is finished (or the timeout); (finished, seconds waited)."""
        began = time.monotonic()
        while time.monotonic() - began < self.args.timeout:
            counts = count(self.records(), self.plans(), self.legit)
            if counts["orders_not_finished"] == 0 and self.pending_timers() == 0:
                return True, time.monotonic() - began
            self.supervise()
            time.sleep(2)
        return False, time.monotonic() - began


def order_of(order_key: str) -> int | None:
    """The Shopify order id in shipflow's ShipStation orderKey (`<id>`, or `<id>-<part>`)."""
    head = order_key.split("-")[0]
    return int(head) if head.isdigit() else None


def count(records: dict[str, Any], plans: dict[str, str], legit: list[int]) -> dict[str, int]:
    """The loss and duplicate figures, from what the providers hold."""
    ss_orders: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for o in records["shipstation"]["orders"]:
        oid = order_of(o["orderKey"])
        if oid is not None:
            ss_orders[oid].append(o)
    keys: dict[int, set[str]] = defaultdict(set)
    for oid, found in ss_orders.items():
        keys[oid] = {o["orderKey"] for o in found}
    labels: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for s in records["shipstation"]["shipments"]:
        oid = order_of(s.get("orderKey") or "")
        if oid is not None and not s["voided"]:
            labels[oid].append(s)
    shop = {o["id"]: o for o in records["shopify"]["orders"]}
    events: dict[int, Counter[str]] = defaultdict(Counter)
    reorder: Counter[tuple[int, str]] = Counter()
    for e in records["klaviyo"]["events"]:
        if not str(e["order_id"]).isdigit():
            continue
        oid = int(e["order_id"])
        events[oid][e["metric"]] += 1
        if e["metric"] == "Reorder Reminder Due":
            reorder[(oid, str(e.get("sku")))] += 1

    lost = never_fulfilled = dup_ss = dup_fulfil = dup_msgs = unfinished = 0
    for oid in legit:
        found = ss_orders.get(oid, [])
        if not found:
            lost += 1
        dup_ss += len(found) - len(keys[oid])
        fulfilments = shop.get(oid, {}).get("fulfillments", [])
        tracked = Counter(n for f in fulfilments for n in f["tracking_numbers"])
        dup_fulfil += sum(n - 1 for n in tracked.values() if n > 1)
        dup_fulfil += max(0, len(fulfilments) - max(1, len(labels[oid])))
        missing = [s for s in labels[oid] if s["trackingNumber"] not in tracked]
        never_fulfilled += len(missing)
        told = events[oid]
        dup_msgs += sum(max(0, told[m] - 1) for m in ONCE_PER_ORDER)
        finished = bool(labels[oid]) and not missing and told["Order Shipped"] >= 1
        for s in labels[oid]:
            if plans.get(s["trackingNumber"]) not in NEVER_DELIVERED:
                finished = finished and told["Order Delivered"] >= 1 \
                    and told["Review Request Due"] >= 1
        unfinished += not finished
    dup_msgs += sum(n - 1 for n in reorder.values() if n > 1)
    return {
        "orders_lost": lost,
        "labels_never_fulfilled": never_fulfilled,
        "duplicate_shipstation_orders": dup_ss,
        "duplicate_shopify_fulfillments": dup_fulfil,
        "duplicate_customer_messages": dup_msgs,
        "orders_not_finished": unfinished,
    }


def hostile_figures(chaos: Chaos, records: dict[str, Any]) -> dict[str, int]:
    pushed = {order_of(o["orderKey"]) for o in records["shipstation"]["orders"]}
    token = {"Authorization": f"Bearer {chaos.settings.api_token}"}
    forged_accepted = 0
    for oid in chaos.forged:
        seen = chaos.http.get(f"{chaos.shipflow_url}/api/orders/{oid}", headers=token)
        forged_accepted += oid in pushed or seen.status_code != 404
    kept = {row[0] for row in chaos.sql(
        "SELECT body_sha256 FROM webhook_inbox WHERE status = 'rejected' AND provider = 'shopify'"
        " AND http_status = 400")}
    return {
        "forged_deliveries_accepted": forged_accepted,
        "malformed_deliveries_not_kept": sum(h not in kept for h in chaos.malformed_hashes),
        "malformed_deliveries_accepted": sum(oid in pushed for oid in chaos.malformed.values()),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--sqlite", action="store_true", help="one `shipflow serve` on SQLite")
    parser.add_argument("--kills", type=int, default=12, help="SIGKILLs during the window")
    parser.add_argument("--window", type=float, default=240.0,
                        help="real seconds of chaos (orders arrive in waves across it)")
    parser.add_argument("--waves", type=int, default=40)
    parser.add_argument("--time-scale", type=float, default=5_000.0)
    parser.add_argument("--executor-ttl", type=float, default=5.0)
    parser.add_argument("--timeout", type=float, default=900.0,
                        help="real seconds to wait for every order to finish after the window")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--check", action="store_true",
                        help="exit 1 unless every loss and duplicate figure is zero")
    parser.add_argument("--keep", type=Path, default=None,
                        help="a folder for the processes' logs (default: a temporary one)")
    args = parser.parse_args()

    workdir = args.keep or Path(__import__("tempfile").mkdtemp(prefix="shipflow-chaos-"))
    workdir.mkdir(parents=True, exist_ok=True)
    drop = None
    if args.sqlite:
        database_url = f"sqlite:///{workdir / 'shipflow.db'}"
    else:
        database_url, drop = fresh_postgres_database()
    chaos = Chaos(args, workdir, database_url)
    began = time.monotonic()
    try:
        chaos.start()
        chaos.set_faults(True)
        chaos.chaos()
        faults_fired = chaos.http.get(f"{chaos.sandbox_url}/_sandbox/summary").json().get(
            "faults", {})
        chaos.set_faults(False)
        finished, settle_s = chaos.settle()
        records = chaos.records()
        (workdir / "records.json").write_text(json.dumps(records))
        figures: dict[str, Any] = {
            "bench": "chaos",
            "database": "sqlite" if args.sqlite else "postgresql",
            "orders": len(chaos.legit),
            "forged_sent": len(chaos.forged),
            "malformed_sent": len(chaos.malformed),
            "forged_answers": {str(k): v for k, v in chaos.forged_answers.items()},
            "malformed_answers": {str(k): v for k, v in chaos.malformed_answers.items()},
            "kills": sum(chaos.kills.values()),
            "kills_by_process": dict(chaos.kills),
            "unexpected_exits": dict(chaos.restarts),
            "faults_fired": faults_fired,
            "time_scale": args.time_scale,
            "finished": finished,
            "settle_seconds": round(settle_s, 1),
            "wall_seconds": round(time.monotonic() - began, 1),
            "shipstation_labels": sum(not s["voided"] for s in records["shipstation"]["shipments"]),
            "klaviyo_events": len(records["klaviyo"]["events"]),
            "klaviyo_duplicates_dropped": records["klaviyo"]["duplicates_dropped"],
            "pending_timers": chaos.pending_timers(),
            "logs": str(workdir),
            **count(records, chaos.plans(), chaos.legit),
            **hostile_figures(chaos, records),
        }
    finally:
        chaos.stop()
        chaos.http.close()
        chaos.raw.close()
        if drop is not None:
            drop()
    emit(figures)
    zero = ("orders_lost", "labels_never_fulfilled", "duplicate_shipstation_orders",
            "duplicate_shopify_fulfillments", "duplicate_customer_messages",
            "orders_not_finished", "forged_deliveries_accepted",
            "malformed_deliveries_not_kept", "malformed_deliveries_accepted")
    if args.check and any(figures[k] for k in zero):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
