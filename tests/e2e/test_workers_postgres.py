"""PostgreSQL with a web process and separate workers, as real processes: the work is shared,
and a worker killed with SIGKILL mid-order finishes it after a restart without duplicating any
outbound effect."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Iterator

import httpx
import pytest
import sqlalchemy as sa

from shipflow.demo import NO_RULES, make_environment
from shipflow.netutil import free_port
from tests.conftest import _postgres_available, fresh_postgres_database
from tests.e2e.procs import Proc, http_ok, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


@pytest.fixture
def pg_url() -> Iterator[str]:
    if not _postgres_available():
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not reachable on 127.0.0.1:5432 in CI")
        pytest.skip("PostgreSQL is not reachable")
    url, drop = fresh_postgres_database()
    try:
        yield url
    finally:
        drop()


class Cluster:
    """A sandbox, a web-only shipflow and named workers, all separate processes."""

    def __init__(self, tmp_path: Path, pg_url: str, *, sandbox_latency: float = 0.0) -> None:
        self.port, self.sandbox_port = free_port(), free_port()
        env = make_environment(tmp_path, self.port, self.sandbox_port, rules=NO_RULES)
        self.sandbox_url, self.shipflow_url = env.sandbox_url, env.shipflow_url
        self.pg_url = pg_url
        common = {
            "SHIPFLOW_DATABASE_URL": pg_url,
            "SHIPFLOW_RULES": str(env.settings.rules),
            "SHIPFLOW_SHOPIFY_SHOP_URL": env.settings.shopify_shop_url,
            "SHIPFLOW_SHOPIFY_SHOP_DOMAIN": env.settings.shopify_shop_domain,
            "SHIPFLOW_API_INSECURE": "1",  # the test reads /api/summary
            "SHIPFLOW_SHOPIFY_ACCESS_TOKEN": env.settings.shopify_access_token,
            "SHIPFLOW_SHOPIFY_WEBHOOK_SECRET": env.settings.shopify_webhook_secret,
            "SHIPFLOW_SHIPSTATION_BASE_URL": env.settings.shipstation_base_url,
            "SHIPFLOW_SHIPSTATION_API_KEY": env.settings.shipstation_api_key,
            "SHIPFLOW_SHIPSTATION_API_SECRET": env.settings.shipstation_api_secret,
            "SHIPFLOW_SHIPSTATION_WEBHOOK_TOKEN": env.settings.shipstation_webhook_token,
            "SHIPFLOW_KLAVIYO_BASE_URL": env.settings.klaviyo_base_url,
            "SHIPFLOW_KLAVIYO_API_KEY": env.settings.klaviyo_api_key,
            "SHIPFLOW_SHIPSTATION_RATE_LIMIT": env.settings.shipstation_rate_limit,
            "SHIPFLOW_SANDBOX_TIME_SCALE": str(env.sandbox_config.time_scale),
            "SHIPFLOW_SANDBOX_LATENCY": str(sandbox_latency),
        }
        self.env = common
        self.tmp = tmp_path
        self.procs: dict[str, Proc] = {}

    def start(self, name: str, args: list[str]) -> Proc:
        proc = Proc(name, args, self.env, self.tmp).start()
        self.procs[name] = proc
        return proc

    def start_base(self) -> None:
        self.start("sandbox", ["sandbox", "--port", str(self.sandbox_port),
                               "--shipflow-url", self.shipflow_url, "--auto-ship-after", "20"])
        self.start("web", ["serve", "--web-only", "--port", str(self.port), "--id", "web-1"])
        wait_for(lambda: http_ok(f"{self.sandbox_url}/_sandbox/summary"), 30, "the sandbox",
                 list(self.procs.values()))
        wait_for(lambda: http_ok(f"{self.shipflow_url}/healthz"), 60, "shipflow web",
                 list(self.procs.values()))

    def worker(self, name: str, concurrency: int = 16) -> Proc:
        return self.start(name, ["worker", "--id", name, "--log-level", "WARNING",
                                 "--concurrency", str(concurrency)])

    def summary(self) -> dict:
        return httpx.get(f"{self.shipflow_url}/api/summary", timeout=5).json()

    def shipped(self) -> int:
        return int(self.summary()["orders_by_state"].get("shipped", 0))

    def sandbox_summary(self) -> dict:
        return httpx.get(f"{self.sandbox_url}/_sandbox/summary", timeout=5).json()

    def send_orders(self, n: int, waves: int = 1) -> None:
        for _ in range(waves):
            httpx.post(f"{self.sandbox_url}/_sandbox/shopify/orders", json={"count": n // waves},
                       timeout=30).raise_for_status()
            time.sleep(0.3)

    def sql(self, query: str) -> list[sa.Row]:
        engine = sa.create_engine(self.pg_url.replace("postgresql://", "postgresql+psycopg://"))
        try:
            with engine.connect() as conn:
                return list(conn.execute(sa.text(query)))
        finally:
            engine.dispose()

    def stop(self) -> None:
        for proc in self.procs.values():
            proc.stop()


@pytest.fixture
def cluster_factory(tmp_path: Path, pg_url: str) -> Iterator:
    made: list[Cluster] = []

    def make(**kwargs: float) -> Cluster:
        c = Cluster(tmp_path, pg_url, **kwargs)
        made.append(c)
        return c

    yield make
    for c in made:
        c.stop()


def assert_exactly_once(cluster: Cluster, n: int) -> None:
    theirs = cluster.sandbox_summary()
    assert theirs["shipstation"]["orders"] == n
    assert theirs["shopify"]["fulfillments"] == n
    assert theirs["shopify"]["fulfillments_with_tracking"] == n
    assert theirs["klaviyo"]["events_by_metric"]["Order Shipped"] == n
    creates = sum(v for k, v in theirs["requests"].items() if "fulfillmentCreate" in k)
    assert creates == n, theirs["requests"]
    unfinished = cluster.sql("SELECT count(*) FROM outbound_ledger WHERE status <> 'done'")
    assert unfinished[0][0] == 0


def test_two_workers_share_the_work(cluster_factory) -> None:
    cluster = cluster_factory()
    cluster.start_base()
    # One workflow at a time each, and orders in waves: several batches wait at once, so both
    # workers must take some.
    workers = [cluster.worker("w1", concurrency=1), cluster.worker("w2", concurrency=1)]
    cluster.send_orders(40, waves=8)
    wait_for(lambda: cluster.shipped() == 40, 120, "40 shipped orders",
             list(cluster.procs.values()))
    assert_exactly_once(cluster, 40)
    executors = {row[0] for row in cluster.sql(
        "SELECT DISTINCT executor_id FROM dbos.workflow_status "
        "WHERE name IN ('push_orders', 'handle_ship_notify')")}
    assert executors == {"w1", "w2"}, executors
    assert all(w.alive() for w in workers)


def test_worker_killed_mid_order_finishes_after_restart(cluster_factory) -> None:
    cluster = cluster_factory(sandbox_latency=0.25)
    cluster.start_base()
    cluster.worker("w1")
    cluster.send_orders(20)
    procs = list(cluster.procs.values())

    def mid_fulfillment() -> bool:  # some parcels fulfilled in Shopify, a label batch still running
        done = cluster.sandbox_summary()["shopify"]["fulfillments"]
        running = cluster.sql("SELECT count(*) FROM dbos.workflow_status WHERE status = 'PENDING' "
                              "AND executor_id = 'w1' AND name = 'handle_ship_notify'")[0][0]
        return 0 < done < 20 and running > 0

    wait_for(mid_fulfillment, 60, "a label batch half fulfilled", procs)
    cluster.procs["w1"].kill9()
    pending = cluster.sql("SELECT count(*) FROM dbos.workflow_status "
                          "WHERE status = 'PENDING' AND executor_id = 'w1'")[0][0]
    assert pending > 0, "the kill should have caught workflows mid-flight"
    assert cluster.shipped() < 20
    cluster.worker("w1")  # same name: it resumes what the dead one was running
    wait_for(lambda: cluster.shipped() == 20, 120, "20 shipped orders after restart",
             list(cluster.procs.values()))
    assert_exactly_once(cluster, 20)


def assert_no_duplicates_at_the_providers(cluster: Cluster, n: int) -> None:
    """What the sandbox recorded, record by record: one ShipStation order per orderKey, one
    Shopify fulfillment per order (no line fulfilled twice), one Klaviyo event per unique_id."""
    base = f"{cluster.sandbox_url}/_sandbox"
    ss_orders = httpx.get(f"{base}/shipstation/orders", timeout=10).json()["orders"]
    keys = [o["orderKey"] for o in ss_orders]
    assert len(keys) == n and len(set(keys)) == n, keys
    for brief in httpx.get(f"{base}/shopify/orders", timeout=10).json()["orders"]:
        detail = httpx.get(f"{base}/shopify/orders/{brief['id']}", timeout=10).json()
        assert len(detail["fulfillments"]) == 1, (brief["name"], detail["fulfillments"])
        fulfilled: dict[str, int] = {}
        for f in detail["fulfillments"]:
            for line in f["line_items"]:
                fulfilled[line["sku"]] = fulfilled.get(line["sku"], 0) + line["quantity"]
        ordered: dict[str, int] = {}
        for line in detail["order"]["line_items"]:
            if line.get("requires_shipping", True):
                ordered[line["sku"]] = ordered.get(line["sku"], 0) + line["quantity"]
        assert fulfilled == ordered, (brief["name"], fulfilled, ordered)
    events = httpx.get(f"{base}/klaviyo/events", timeout=10).json()["events"]
    unique_ids = [e["unique_id"] for e in events]
    assert len(unique_ids) == len(set(unique_ids)), sorted(unique_ids)
    shipped = [e for e in events if e["metric"] == "Order Shipped"]
    assert len(shipped) == n


def test_a_dead_worker_is_adopted_by_a_live_one(cluster_factory) -> None:
    """Worker A dies for good (SIGKILL, never restarted) in the middle of a label batch; worker
    B, alive before A died, takes A's workflows over once A's heartbeat is older than
    SHIPFLOW_EXECUTOR_TTL, and every order ships with no outbound effect duplicated."""
    ttl = 4.0
    n = 20
    cluster = cluster_factory()
    cluster.env["SHIPFLOW_EXECUTOR_TTL"] = str(ttl)
    cluster.start_base()
    faults = f"{cluster.sandbox_url}/_sandbox/faults"
    # A slow Shopify keeps A's label batch (a fulfillment per order) running long enough for B
    # to start beside it; A alone at first, so the batch is A's.
    httpx.post(faults, json={"shopify": {"slow": 1.5}}, timeout=5).raise_for_status()
    cluster.worker("wa")
    cluster.send_orders(n)

    def a_runs_the_label_batch() -> bool:
        return cluster.sql("SELECT count(*) FROM dbos.workflow_status WHERE status = 'PENDING' "
                           "AND executor_id = 'wa' AND name = 'handle_ship_notify'")[0][0] > 0

    wait_for(a_runs_the_label_batch, 45, "worker A running the label batch",
             list(cluster.procs.values()))
    cluster.worker("wb")
    wait_for(lambda: cluster.sql("SELECT count(*) FROM executors WHERE executor_id = 'wb'")[0][0],
             30, "worker B's first heartbeat", list(cluster.procs.values()))
    wait_for(lambda: cluster.sandbox_summary()["shopify"]["fulfillments"] > 0, 30,
             "A's first fulfillment", list(cluster.procs.values()))
    cluster.procs["wa"].kill9()
    killed_at = time.time()
    httpx.delete(faults, timeout=5).raise_for_status()
    assert cluster.sandbox_summary()["shopify"]["fulfillments"] < n, "A finished before the kill"
    orphans = {row[0] for row in cluster.sql(
        "SELECT workflow_uuid FROM dbos.workflow_status "
        "WHERE status = 'PENDING' AND executor_id = 'wa'")}
    assert orphans, "the kill should have caught workflows mid-flight"

    live = [cluster.procs[name] for name in ("sandbox", "web", "wb")]
    wait_for(lambda: cluster.shipped() == n, 45, f"{n} shipped orders without worker A", live)
    assert not cluster.procs["wa"].alive()

    [(adopted_by, adopted_at, last_beat)] = cluster.sql(
        "SELECT adopted_by, adopted_at, heartbeat_at FROM executors WHERE executor_id = 'wa'")
    assert adopted_by == "wb"
    # Not before A's heartbeat expired, and soon after (B beats and looks every second).
    assert (adopted_at - last_beat).total_seconds() >= ttl
    assert adopted_at.timestamp() - killed_at < ttl + 10
    finished = cluster.sql("SELECT workflow_uuid, status, executor_id FROM dbos.workflow_status "
                           "WHERE workflow_uuid IN ('" + "','".join(orphans) + "')")
    assert {(row[1], row[2]) for row in finished} == {("SUCCESS", "wb")}, finished
    assert_exactly_once(cluster, n)
    assert_no_duplicates_at_the_providers(cluster, n)
