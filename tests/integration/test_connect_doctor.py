"""`shipflow connect` and `shipflow doctor` end to end: the real CLI commands against a sandbox
over HTTP, shipflow's web app serving the subscribed addresses, on SQLite and PostgreSQL.

The sandbox starts with no webhook subscription at all (a fresh account), so whatever reaches
shipflow was subscribed by `connect`."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator

import httpx
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from shipflow.cli import app as cli
from shipflow.config import Settings
from shipflow.ops.doctor import run_doctor
from shipflow.store import Database, Store, upgrade
from shipflow.store.executors import Executors
from shipflow.store.queries import health
from shipflow.store.tables import executors
from shipflow.web.app import create_app
from shipflow_sandbox import RunningSandbox, SandboxConfig, ThreadedServer
from tests.integration.conftest import RecordingStarter

SHOPIFY_TOPICS = ["orders/create", "orders/paid", "orders/updated", "orders/cancelled",
                  "refunds/create", "inventory_levels/update"]


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    running = RunningSandbox(SandboxConfig(seed=5, enforce_rate_limits=False)).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def shipflow(database_url: str, sandbox: RunningSandbox) -> Iterator[tuple[str, Store]]:
    """shipflow's web app (the engine replaced by a recorder) on a loopback port."""
    upgrade(database_url)
    store = Store(Database.connect(database_url))
    settings = Settings.from_env({**sandbox.config.orchestrator_env(), "SHIPFLOW_API_INSECURE": "1"})
    server = ThreadedServer(create_app(settings, store, RecordingStarter())).start()
    try:
        yield server.base_url, store
    finally:
        server.stop()
        store.db.dispose()


def environment(sandbox: RunningSandbox, database_url: str, public_url: str,
                **changes: str) -> dict[str, str]:
    env = {**sandbox.config.orchestrator_env(), "SHIPFLOW_DATABASE_URL": database_url,
           "SHIPFLOW_PUBLIC_URL": public_url}
    env.update(changes)
    return env


def run(command: str, env: dict[str, str], *args: str) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(cli, [command, "--json", *args], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, json.loads(result.stdout)


def messages(report: dict[str, Any], status: str, area: str | None = None) -> list[str]:
    return [f["message"] for f in report["findings"]
            if f["status"] == status and (area is None or f["area"] == area)]


def shopify_subscriptions(sandbox: RunningSandbox) -> list[tuple[str, str]]:
    query = "{ webhookSubscriptions(first: 100) { nodes { topic uri } } }"
    answer = httpx.post(sandbox.url("/shopify/admin/api/2026-07/graphql.json"),
                        json={"query": query},
                        headers={"X-Shopify-Access-Token": sandbox.config.shopify_access_token})
    return sorted((n["topic"], n["uri"]) for n in
                  answer.json()["data"]["webhookSubscriptions"]["nodes"])


def test_connect_subscribes_everything_once_and_the_sandbox_delivers_there(
        sandbox: RunningSandbox, shipflow: tuple[str, Store], database_url: str) -> None:
    base, store = shipflow
    env = environment(sandbox, database_url, base)
    code, first = run("connect", env)
    assert code == 0, first
    changed = messages(first, "changed")
    assert sorted(changed) == sorted(
        [f"subscribed {t} -> {base}/webhooks/shopify" for t in SHOPIFY_TOPICS]
        + [f"subscribed SHIP_NOTIFY -> {base}/webhooks/shipstation/***",
           f"subscribed track_event_v2 (carrier tracking) -> {base}/webhooks/shipstation-v2",
           f"subscribed label_created_v2 (labels) -> {base}/webhooks/shipstation-v2"])
    assert first["changes"] == 9 and first["problems"] == 0
    assert sandbox.config.shipstation_webhook_token not in json.dumps(first)  # never printed
    assert shopify_subscriptions(sandbox) == sorted(
        (t.upper().replace("/", "_"), f"{base}/webhooks/shopify") for t in SHOPIFY_TOPICS)
    v1 = httpx.get(sandbox.url("/shipstation/webhooks"), auth=(
        sandbox.config.shipstation_api_key, sandbox.config.shipstation_api_secret)).json()
    assert [(h["HookType"], h["Url"]) for h in v1["webhooks"]] == [
        ("SHIP_NOTIFY", f"{base}/webhooks/shipstation/{sandbox.config.shipstation_webhook_token}")]

    code, second = run("connect", env)
    assert code == 0 and second["changes"] == 0, second
    assert len(shopify_subscriptions(sandbox)) == len(SHOPIFY_TOPICS)
    again = httpx.get(sandbox.url("/shipstation/webhooks"), auth=(
        sandbox.config.shipstation_api_key, sandbox.config.shipstation_api_secret)).json()
    assert len(again["webhooks"]) == 1  # v1 would take a second one: connect looked first
    assert any("privacy topics" in m for m in messages(second, "note", "shopify"))

    # The subscriptions are real: the shop's next order reaches shipflow's inbox, once.
    placed = httpx.post(sandbox.url("/_sandbox/shopify/orders"), json={"count": 1})
    placed.raise_for_status()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        topics = {topic for _, topic, _, _ in health.last_deliveries(store.db)}
        if {"orders/create", "orders/paid"} <= topics:
            break
        time.sleep(0.1)
    rows = {(p, t): n for p, t, _, n in health.last_deliveries(store.db)}
    assert rows[("shopify", "orders/create")] == 1 and rows[("shopify", "orders/paid")] == 1

    # The privacy topics come from the app's configuration: pointed at the same address,
    # shipflow answers them (the note connect printed is true).
    httpx.post(sandbox.url("/_sandbox/shopify/app-config"),
               json={"compliance_webhook_url": f"{base}/webhooks/shopify"}).raise_for_status()
    httpx.post(sandbox.url("/_sandbox/shopify/customers/data_request"),
               json={"order_id": placed.json()["orders"][0]["id"]}).raise_for_status()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not any(
            t == "customers/data_request" for _, t, _, _ in health.last_deliveries(store.db)):
        time.sleep(0.1)
    [redact] = [d for d in sandbox.state.dispatcher.deliveries
                if d.topic == "customers/data_request"]
    assert redact.state == "delivered" and redact.attempts[-1].status_code == 200

    # doctor: healthy (a live worker, current schema, deliveries, everything subscribed).
    Executors(store.db, lambda: datetime.now(timezone.utc)).beat("worker-1")
    code, doctor = run("doctor", env)
    assert code == 0, doctor
    assert doctor["changes"] == 0
    assert "reachable" in messages(doctor, "ok", "database")[0]
    assert messages(doctor, "ok", "migrations") == ["the schema is current"]
    assert messages(doctor, "ok", "workers")[0].startswith("worker-1 beat ")
    assert any(m.startswith("shopify orders/paid: last delivery ") for m in
               messages(doctor, "ok", "webhooks"))

    # Two days on, without a delivery or a beat since.
    later = run_doctor(Settings.from_env(env), providers=False,
                       now=lambda: datetime.now(timezone.utc) + timedelta(days=2))
    assert not later.ok
    assert any(f.message.startswith("no Shopify webhook for 2 d: ") for f in later.findings)
    assert any(f.message.startswith("worker-1 last beat 2 d ago") for f in later.findings)


def test_missing_scopes_are_named_and_nothing_is_subscribed_without_them(
        sandbox: RunningSandbox, database_url: str) -> None:
    httpx.post(sandbox.url("/_sandbox/shopify/access-scopes"),
               json={"scopes": ["read_orders", "write_merchant_managed_fulfillment_orders",
                                "read_products"]}).raise_for_status()
    httpx.post(sandbox.url("/_sandbox/klaviyo/scopes"),
               json={"scopes": ["metrics:read", "profiles:write"]}).raise_for_status()
    env = environment(sandbox, database_url, "http://127.0.0.1:9")
    code, report = run("connect", env)
    assert code == 1
    problems = messages(report, "problem")
    assert any("lacks the `write_orders` scope" in m and "tag orders" in m for m in problems)
    assert any("lacks the `read_inventory` scope" in m for m in problems)
    assert not any("read_merchant_managed_fulfillment_orders" in m for m in problems)  # implied
    assert "inventory_levels/update cannot be subscribed until the token has the " \
           "`read_inventory` scope" in problems
    assert any("lacks the `events:write` scope" in m for m in messages(report, "problem",
                                                                         "klaviyo"))
    assert ("INVENTORY_LEVELS_UPDATE", "http://127.0.0.1:9/webhooks/shopify") not in \
        shopify_subscriptions(sandbox)
    assert sandbox.state.klaviyo.counts()["events"] == 0  # the scope probe sent nothing


def test_bad_credentials_are_reported_in_plain_words(sandbox: RunningSandbox,
                                                     database_url: str) -> None:
    env = environment(sandbox, database_url, "http://127.0.0.1:9",
                      SHIPFLOW_SHOPIFY_ACCESS_TOKEN="shpat_" + "0" * 32,
                      SHIPFLOW_SHIPSTATION_API_SECRET="secret-7f3a",
                      SHIPFLOW_SHIPSTATION_V2_API_KEY="v2-key-7f3a",
                      SHIPFLOW_KLAVIYO_API_KEY="pk_" + "x" * 34)
    code, report = run("connect", env)
    assert code == 1 and report["changes"] == 0
    for area, what in (("shopify", "the Shopify access token was refused"),
                       ("shipstation", "the ShipStation API key or secret was refused"),
                       ("shipstation-v2", "the ShipStation v2 API key was refused"),
                       ("klaviyo", "the Klaviyo private key was refused")):
        [message] = messages(report, "problem", area)
        assert message.startswith(what), message
    assert "7f3a" not in json.dumps(report)  # credentials are never echoed


def test_doctor_on_an_unhealthy_setup(sandbox: RunningSandbox, database_url: str) -> None:
    upgrade(database_url)
    db = Database.connect(database_url)
    try:
        Executors(db, lambda: datetime.now(timezone.utc)).beat("worker-7")
        with db.engine.begin() as conn:  # on PostgreSQL a beat takes the server's clock
            conn.execute(sa.update(executors).values(
                heartbeat_at=datetime.now(timezone.utc) - timedelta(minutes=10)))
    finally:
        db.dispose()
    env = environment(sandbox, database_url, "http://127.0.0.1:9")
    code, report = run("doctor", env)
    assert code == 1
    problems = messages(report, "problem")
    assert messages(report, "ok", "migrations") == ["the schema is current"]
    assert any(m.startswith("worker-7 last beat 10 min ago") for m in problems)
    assert "no worker is alive: nothing runs the work" in problems
    assert any(m.startswith("no Shopify webhook has been accepted yet") for m in problems)
    assert "shopify orders/paid: no delivery yet" in messages(report, "note", "webhooks")
    # read-only: the subscriptions are reported missing, not made
    assert "orders/paid is not subscribed to http://127.0.0.1:9/webhooks/shopify: run " \
           "`shipflow connect`" in problems
    assert report["changes"] == 0 and shopify_subscriptions(sandbox) == []


def test_doctor_names_a_pending_migration(database_url: str) -> None:
    upgrade(database_url, "0010")  # one migration behind this shipflow
    code, report = run("doctor", {"SHIPFLOW_DATABASE_URL": database_url}, "--offline")
    assert code == 1
    assert messages(report, "problem", "migrations") == [
        "1 migration(s) not applied (0011): start `shipflow serve` or `shipflow worker` once "
        "to apply them (heartbeats and deliveries are read after that)"]
    upgrade(database_url)
    code, report = run("doctor", {"SHIPFLOW_DATABASE_URL": database_url}, "--offline")
    assert messages(report, "ok", "migrations") == ["the schema is current"]


def test_doctor_names_an_unreachable_database(tmp_path: Any) -> None:
    env = {"SHIPFLOW_DATABASE_URL": f"sqlite:///{tmp_path}/missing/dir/shipflow.db"}
    code, report = run("doctor", env, "--offline")
    assert code == 1
    [message] = messages(report, "problem", "database")
    assert message.startswith("cannot reach the database (sqlite): OperationalError")


def test_without_a_public_url_credentials_are_still_checked_and_nothing_is_subscribed(
        sandbox: RunningSandbox, database_url: str) -> None:
    env = environment(sandbox, database_url, "")
    result = CliRunner().invoke(cli, ["connect"], env=env)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert any(line.startswith("webhooks") and "problem" in line
               and "SHIPFLOW_PUBLIC_URL is not set" in line for line in lines)
    assert any(line.startswith("klaviyo") and " ok " in line for line in lines)
    assert lines[-1] == "0 changed, 1 problem"
    assert shopify_subscriptions(sandbox) == []
