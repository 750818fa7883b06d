"""`shipflow demo`: the simulated providers and the orchestrator on a fresh SQLite file.

Everything runs in this one process over real loopback HTTP: the sandbox's Shopify sends
signed webhooks to shipflow, shipflow pushes to the sandbox's ShipStation, whose warehouse
prints labels and sends SHIP_NOTIFY back, and shipflow fulfils in Shopify and tells Klaviyo.
"""

from __future__ import annotations

import secrets
import string
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import typer

from shipflow.config import Settings
from shipflow.netutil import BackgroundServer, free_port
from shipflow.service import Service
from shipflow.store.queries import Summary, summary
from shipflow_sandbox.app import create_app as create_sandbox_app
from shipflow_sandbox.config import SandboxConfig


def _token(prefix: str = "", n: int = 32) -> str:
    alphabet = string.ascii_letters + string.digits
    return prefix + "".join(secrets.choice(alphabet) for _ in range(n))


@dataclass
class DemoEnvironment:
    settings: Settings
    sandbox_config: SandboxConfig
    sandbox_url: str
    shipflow_url: str


# The sandbox enforces the providers' published rate limits with time compressed 60x (a minute
# lasts a second), and shipflow's ShipStation budget is told the same: 40 requests a "minute".
TIME_SCALE = 60.0


# Rules that route nothing: every order ships as it came (benchmarks and plumbing tests).
NO_RULES = "version: 1\nrules: []\n"


def make_environment(workdir: Path, port: int, sandbox_port: int,
                     time_scale: float = TIME_SCALE, rules: str | None = None
                     ) -> DemoEnvironment:
    """`rules`: the text of a rules file to use (None: the shipped default rules)."""
    sandbox_url = f"http://127.0.0.1:{sandbox_port}"
    shipflow_url = f"http://127.0.0.1:{port}"
    webhook_token = _token()
    rules_path = None
    if rules is not None:
        rules_path = workdir / "rules.yaml"
        rules_path.write_text(rules)
    settings = Settings(
        api_token=_token(n=40),  # /api is closed without one (see README, Configuration)
        rules=str(rules_path) if rules_path else None,
        database_url=f"sqlite:///{workdir / 'shipflow.db'}",
        shopify_shop_url=f"{sandbox_url}/shopify",
        shopify_access_token=_token("shpat_"),
        shopify_webhook_secret=_token(),
        shipstation_base_url=f"{sandbox_url}/shipstation",
        shipstation_api_key=_token(),
        shipstation_api_secret=_token(),
        shipstation_webhook_token=webhook_token,
        shipstation_v2_base_url=f"{sandbox_url}/shipstation",
        shipstation_v2_api_key=_token(),
        klaviyo_base_url=f"{sandbox_url}/klaviyo",
        klaviyo_api_key=_token("pk_", 34),
        shipstation_rate_limit=f"40/{60 / time_scale:g}",
    )
    sandbox_config = SandboxConfig(
        shopify_access_token=settings.shopify_access_token,
        shopify_webhook_secret=settings.shopify_webhook_secret,
        shipstation_api_key=settings.shipstation_api_key,
        shipstation_api_secret=settings.shipstation_api_secret,
        shipstation_webhook_token=webhook_token,
        klaviyo_api_key=settings.klaviyo_api_key,
        public_base_url=sandbox_url,
        shopify_webhook_url=f"{shipflow_url}/webhooks/shopify",
        shipstation_webhook_urls=[f"{shipflow_url}/webhooks/shipstation/{webhook_token}"],
        shipstation_v2_api_key=settings.shipstation_v2_api_key,
        shipstation_v2_webhook_urls=[f"{shipflow_url}/webhooks/shipstation-v2"],
        auto_ship_after=0.5 * time_scale,  # half a second of real time
        enforce_rate_limits=True,
        time_scale=time_scale,
    )
    # The sandbox's shop signs its webhooks as this domain; shipflow accepts no other.
    settings = settings.with_overrides(shopify_shop_domain=sandbox_config.shop_domain)
    return DemoEnvironment(settings, sandbox_config, sandbox_url, shipflow_url)


def summarize(ours: Summary, theirs: dict[str, Any]) -> list[tuple[str, int, int]]:
    """(what, shipflow's count, the sandbox's count) for each hand-off of the lifecycle."""
    shipped_events = theirs["klaviyo"]["events_by_metric"].get("Order Shipped", 0)
    return [
        ("orders received", ours.orders, theirs["shopify"]["orders"]),
        ("orders in ShipStation (split parts count)", ours.outbound_done.get("createorders", 0),
         theirs["shipstation"]["orders"]),
        ("fulfilled in Shopify with tracking", ours.fulfilled_shipments,
         theirs["shopify"]["fulfillments_with_tracking"]),
        ("Klaviyo 'Order Shipped' events", ours.events_by_metric.get("Order Shipped", 0),
         shipped_events),
    ]


# Where an order rests until something outside shipflow happens (a label, a release, stock).
SETTLED = ("shipped", "delivered", "on_hold", "backordered", "partially_shipped",
           "nothing_to_ship", "needs_attention", "cancelled")


def run_demo(*, orders: int, headless: bool, port: int, sandbox_port: int, timeout: float) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="shipflow-demo-"))
    if headless:
        port, sandbox_port = free_port(), free_port()
    env = make_environment(workdir, port, sandbox_port)
    typer.echo(f"shipflow demo: {orders} orders, database {workdir / 'shipflow.db'}")
    with BackgroundServer(create_sandbox_app(env.sandbox_config), port=sandbox_port):
        service = Service.start(env.settings)
        try:
            with BackgroundServer(service.app, port=port), httpx.Client(timeout=30) as http:
                typer.echo(f"  sandbox  {env.sandbox_url}  (/_sandbox/summary)")
                typer.echo(f"  shipflow {env.shipflow_url}  (/api/orders/<id>, /healthz)")
                typer.echo(f"  API token (Authorization: Bearer ...) {env.settings.api_token}")
                http.post(f"{env.sandbox_url}/_sandbox/shopify/orders",
                          json={"count": orders}).raise_for_status()
                done = _wait_for_settled(service, orders, timeout)
                theirs = http.get(f"{env.sandbox_url}/_sandbox/summary").json()
                counts = summary(service.store.db)
                rows = summarize(counts, theirs)
                _print_summary(rows, counts)
                ok = done and counts.orders == orders and all(a == b for _, a, b in rows)
                if headless:
                    typer.echo("every order shipped or waits where the rules put it" if ok else
                               "NOT every order reached a settled state")
                    return 0 if ok else 1
                return _keep_serving(http, env)
        finally:
            service.stop()


def _wait_for_settled(service: Service, expected: int, timeout: float) -> bool:
    """Until every order shipped or rests where the rules put it (held, backordered)."""
    deadline = time.monotonic() + timeout
    last: tuple[int, int] = (-1, -1)
    while time.monotonic() < deadline:
        counts = summary(service.store.db)
        by_state = counts.orders_by_state
        settled = sum(by_state.get(s, 0) for s in SETTLED)
        shipped = by_state.get("shipped", 0)
        if (counts.orders, shipped) != last:
            typer.echo(f"  {counts.orders:>5} received  {shipped:>5} shipped")
            last = (counts.orders, shipped)
        told = counts.events_by_metric.get("Order Shipped", 0)
        if counts.orders >= expected and settled >= expected \
                and told >= counts.fulfilled_shipments:
            return True
        time.sleep(0.5)
    return False


def _print_summary(rows: list[tuple[str, int, int]], counts: Summary) -> None:
    typer.echo("")
    typer.echo(f"  {'':42} {'shipflow':>9} {'sandbox':>9}")
    for what, ours, theirs in rows:
        mark = "" if ours == theirs else "   <- mismatch"
        typer.echo(f"  {what:42} {ours:>9} {theirs:>9}{mark}")
    typer.echo("")
    by_state = counts.orders_by_state
    typer.echo("  orders by state: " + ", ".join(f"{k} {v}" for k, v in sorted(by_state.items())))
    if by_state.get("on_hold"):
        typer.echo("  held for address review: release with POST /api/orders/<id>/release")
    typer.echo("")


def _keep_serving(http: httpx.Client, env: DemoEnvironment) -> int:
    """Interactive demo: a new order every few seconds until Ctrl-C."""
    typer.echo("serving; a new order every 5 s. Ctrl-C to stop.")
    try:
        while True:
            time.sleep(5)
            http.post(f"{env.sandbox_url}/_sandbox/shopify/orders", json={"count": 1})
    except KeyboardInterrupt:
        return 0
