"""The `shipflow` command."""

from __future__ import annotations

import os
import signal
import sys
import threading
from typing import TYPE_CHECKING, Optional

import typer
import uvicorn

from shipflow import logs
from shipflow.config import Settings

if TYPE_CHECKING:
    from shipflow.ops.connect import Report

app = typer.Typer(help="shipflow: Shopify -> ShipStation -> Klaviyo fulfillment orchestrator.",
                  no_args_is_help=True, add_completion=False)


# How `shipflow serve` runs uvicorn, sized for webhook senders (not browsers):
# - timeout_keep_alive 75 s: Shopify and ShipStation reuse connections between deliveries; a
#   short keep-alive (uvicorn's default is 5 s) makes them reconnect (1 s connect timeout at
#   Shopify) under a flash sale, a long one lets idle or hostile clients hold sockets. 75 s is
#   above common load-balancer idle timeouts (60 s), so the proxy, not us, closes first.
# - h11_max_incomplete_event_size 64 KiB: the request line and headers of a webhook are a few
#   KiB; this caps what a slow or hostile client can make us buffer before the body starts
#   (the body itself is capped at MAX_WEBHOOK_BYTES while it is read).
# - limit_concurrency 512: past that many open connections/tasks uvicorn answers 503 at once
#   (Shopify and ShipStation retry a 5xx) instead of queueing until memory or the database
#   pool gives out; a flash sale's burst is far below it on one process.
# - backlog 2048: bursts of new connections wait in the kernel rather than being refused.
# - timeout_graceful_shutdown 10 s: in-flight deliveries finish on restart; not forever.
# uvicorn has no body-read timeout: the app gives up on a body not received within
# BODY_READ_TIMEOUT (web/app.py) and answers 408.
KEEP_ALIVE_SECONDS = 75
MAX_HEADER_BYTES = 64 * 1024
MAX_CONCURRENCY = 512
BACKLOG = 2048
GRACEFUL_SHUTDOWN_SECONDS = 10


def _settings(**overrides: object) -> Settings:
    settings = Settings.from_env()
    changes = {k: v for k, v in overrides.items() if v is not None}
    return settings.with_overrides(**changes) if changes else settings


def _fail(message: str) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(2)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    web_only: bool = typer.Option(False, "--web-only",
                                  help="Take webhooks and serve the API, but leave the work to "
                                       "`shipflow worker` processes (PostgreSQL only)."),
    executor_id: Optional[str] = typer.Option(None, "--id",
                                              help="Stable name of this process for recovery."),
    log_level: str = typer.Option("INFO", help="DEBUG, INFO, WARNING or ERROR."),
) -> None:
    """Run the web server and a worker in one process (the embedded default)."""
    from shipflow.ops.shadow_sources import reporter
    from shipflow.service import ConfigurationError, Service

    logs.configure(log_level)
    if not web_only:
        # Web and engine share one interpreter: a 1 ms GIL switch interval (default 5 ms) lets
        # the event loop answer webhooks between engine steps (flash-sale intake p99 589 -> 314 ms).
        sys.setswitchinterval(0.001)
    settings = _settings(executor_id=executor_id)
    if web_only and settings.database_url.startswith("sqlite"):
        _fail("--web-only needs a shared database: set SHIPFLOW_DATABASE_URL to PostgreSQL")
    try:
        service = Service.start(settings, role="web" if web_only else "all",
                                shadow_report=reporter(settings))
    except ConfigurationError as exc:
        _fail(str(exc))
    try:
        # No access log: ShipStation webhook URLs carry a secret token in the path.
        uvicorn.run(service.app, host=host, port=port, access_log=False, log_level="warning",
                    timeout_keep_alive=KEEP_ALIVE_SECONDS,
                    h11_max_incomplete_event_size=MAX_HEADER_BYTES,
                    limit_concurrency=MAX_CONCURRENCY, backlog=BACKLOG,
                    timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS)
    finally:
        service.stop()


@app.command()
def worker(
    executor_id: Optional[str] = typer.Option(
        None, "--id", help="Stable name of this worker: a restarted worker with the same name "
                           "resumes the workflows it was running (default SHIPFLOW_EXECUTOR_ID)."),
    concurrency: Optional[int] = typer.Option(None, help="Workflows run at once per queue."),
    log_level: str = typer.Option("INFO"),
) -> None:
    """Run workflows only (several workers share the work through PostgreSQL)."""
    from shipflow.service import ConfigurationError, Service

    logs.configure(log_level)
    settings = _settings(executor_id=executor_id, worker_concurrency=concurrency)
    if not settings.executor_id:
        _fail("give each worker a stable name with --id (or SHIPFLOW_EXECUTOR_ID)")
    try:
        service = Service.start(settings, role="worker")
    except ConfigurationError as exc:
        _fail(str(exc))
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    typer.echo(f"worker {settings.executor_id} running; Ctrl-C to stop")
    stop.wait()
    service.stop()


@app.command()
def sandbox(
    host: str = typer.Option("127.0.0.1"),
    port: int = typer.Option(8100),
    shipflow_url: str = typer.Option(
        "http://127.0.0.1:8000", help="The shipflow the simulated providers send webhooks to."),
    shopify_webhook_url: Optional[str] = typer.Option(
        None, help="Override where Shopify webhooks go ('' sends none)."),
    ship_notify_url: Optional[str] = typer.Option(
        None, help="Override where SHIP_NOTIFY goes ('' sends none)."),
    tracking_url: Optional[str] = typer.Option(
        None, help="Override where v2 tracking webhooks go ('' sends none)."),
    auto_ship_after: Optional[float] = typer.Option(
        None, help="Simulated seconds after which the warehouse prints labels by itself."),
    time_scale: Optional[float] = typer.Option(
        None, min=0.001, help="Compress time: 60 makes a simulated minute last a real second "
                              "(rate-limit windows, retries, carrier transit). Default 1, or "
                              "SHIPFLOW_SANDBOX_TIME_SCALE."),
    rate_limits: Optional[bool] = typer.Option(
        None, "--rate-limits/--no-rate-limits", help="Enforce the published rate limits."),
    no_subscriptions: bool = typer.Option(
        False, "--no-subscriptions", help="Start with no webhook subscription, as a new "
                                          "account: `shipflow connect` makes them."),
) -> None:
    """Run the simulated Shopify, ShipStation (v1, v2, carriers) and Klaviyo on one port."""
    from shipflow_sandbox.config import SandboxConfig
    from shipflow_sandbox.server import serve as serve_sandbox

    logs.configure("INFO")
    config, generated = SandboxConfig.from_env()
    base = shipflow_url.rstrip("/")

    def target(override: Optional[str], default: str) -> list[str]:
        chosen = default if override is None else override
        if no_subscriptions and override is None:
            return []
        return [chosen] if chosen else []

    shopify = target(shopify_webhook_url, f"{base}/webhooks/shopify")
    config = config.replace(
        public_base_url=f"http://{host}:{port}",
        shopify_webhook_url=shopify[0] if shopify else None,
        # The app's configuration sends the privacy topics to the same address.
        shopify_compliance_webhook_url=(config.shopify_compliance_webhook_url
                                        or (shopify[0] if shopify else None)),
        shipstation_webhook_urls=target(
            ship_notify_url, f"{base}/webhooks/shipstation/{config.shipstation_webhook_token}"),
        shipstation_v2_webhook_urls=target(tracking_url, f"{base}/webhooks/shipstation-v2"),
        auto_ship_after=auto_ship_after,
    )
    if time_scale is not None:
        config = config.replace(time_scale=time_scale)
    if rate_limits is not None:
        config = config.replace(enforce_rate_limits=rate_limits)
    if generated:
        typer.echo("credentials (export these for shipflow):")
        for name, value in generated.items():
            typer.echo(f"  export {name}={value}")  # printed once for the user, never logged
    typer.echo(f"the simulated shop is {config.shop_domain}: point shipflow at it with "
               f"export SHIPFLOW_SHOPIFY_SHOP_DOMAIN={config.shop_domain}")
    typer.echo(f"sandbox on http://{host}:{port} (/shopify, /shipstation, /klaviyo, /_sandbox)")
    serve_sandbox(config, host=host, port=port)


@app.command()
def demo(
    headless: bool = typer.Option(False, "--headless", help="Run to completion, print, exit."),
    orders: int = typer.Option(50, "--orders", "-n", min=1, max=100_000),
    port: int = typer.Option(8000, help="shipflow's port (a free one with --headless)."),
    sandbox_port: int = typer.Option(8100, help="The sandbox's port (a free one with --headless)."),
    timeout: float = typer.Option(300.0, help="Seconds --headless waits for every order."),
) -> None:
    """Sandbox + orchestrator on a fresh SQLite file, with a realistic store's traffic."""
    from shipflow.demo import run_demo

    logs.configure("WARNING")
    sys.exit(run_demo(orders=orders, headless=headless, port=port, sandbox_port=sandbox_port,
                      timeout=timeout))


def _report(report: "Report", as_json: bool) -> None:
    import json

    if as_json:
        typer.echo(json.dumps(report.to_json(), indent=2))
    else:
        for line in report.lines():
            typer.echo(line)
    raise typer.Exit(0 if report.ok else 1)


@app.command()
def connect(
    as_json: bool = typer.Option(False, "--json", help="Print the findings as JSON."),
) -> None:
    """Check every credential against its provider and subscribe shipflow's webhooks where
    they are missing (SHIPFLOW_PUBLIC_URL). Safe to run again: the second run changes nothing.
    Exit 1 when something needs you."""
    from shipflow.ops.connect import run_connect

    logs.configure("ERROR")  # the report says what went wrong; retries' log lines add nothing
    _report(run_connect(_settings(), apply=True), as_json)


@app.command()
def doctor(
    as_json: bool = typer.Option(False, "--json", help="Print the findings as JSON."),
    offline: bool = typer.Option(False, "--offline", help="Skip the provider checks."),
) -> None:
    """Read-only health check: database, migrations, worker heartbeats, the last webhook per
    topic, and the checks of `shipflow connect` without changing anything. Exit 1 when
    something is wrong."""
    from shipflow.ops.doctor import run_doctor

    logs.configure("ERROR")
    _report(run_doctor(_settings(), providers=not offline), as_json)


@app.command()
def replay(
    rules: str = typer.Option(..., "--rules", help="The rules file (YAML) to try."),
    since: str = typer.Option("14d", help="Orders received since: 14d, 36h, 90m or a date."),
    against: str = typer.Option(
        "recorded", help="Compare with the 'recorded' decisions (what happened) or with the "
                         "'current' rules file (SHIPFLOW_RULES) on the same orders."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Run the stored orders through another rules file, with no side effects, and print every
    decision that would change."""
    import json
    from datetime import datetime, timezone

    from shipflow.ops.replay import parse_since
    from shipflow.ops.replay import replay as run_replay
    from shipflow.rules import RulesFileError, load_configured, load_rules
    from shipflow.store import Database

    if against not in ("recorded", "current"):
        _fail("--against is 'recorded' or 'current'")
    settings = _settings()
    try:
        new_rules = load_rules(rules)
        current = load_configured(settings.rules_path) if against == "current" else None
        start = parse_since(since, datetime.now(timezone.utc))
    except RulesFileError as exc:
        for error in exc.errors:
            typer.echo(error.format(exc.source), err=True)
        raise typer.Exit(1) from None
    except ValueError as exc:
        _fail(str(exc))
    import sqlalchemy as sa

    if sa.engine.make_url(settings.database_url).get_backend_name() == "sqlite":
        path = sa.engine.make_url(settings.database_url).database
        if not path or not os.path.exists(path):  # connecting would create an empty file
            _fail(f"no shipflow database at {path or '(memory)'} (SHIPFLOW_DATABASE_URL)")
    db = Database.connect(settings.database_url, pool_size=1)
    try:
        report = run_replay(db, new_rules, start,
                            baseline="current" if against == "current" else "recorded",
                            current=current)
    except sa.exc.SQLAlchemyError as exc:
        # No URL in the message: it may carry a password.
        cause = getattr(exc, "orig", None) or exc
        _fail("cannot read shipflow's database (SHIPFLOW_DATABASE_URL): "
              f"{type(cause).__name__}; is it the database shipflow serve uses?")
    finally:
        db.dispose()
    typer.echo(json.dumps(report.to_json(), indent=2) if as_json else report.to_text())


@app.command()
def audit(
    days: int = typer.Option(30, min=1, max=366, help="The window: this many days."),
    until: Optional[str] = typer.Option(
        None, help="The window's end (ISO time, default now); durations of what is still open "
                   "(holds, exceptions) run to it."),
    email_metric: str = typer.Option(
        "Fulfilled Order", help="The Klaviyo metric that starts the customer's shipping email."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Read past orders, labels and emails from Shopify, ShipStation and Klaviyo and report
    today's manual baseline (nothing is written anywhere)."""
    import json
    from datetime import datetime, timedelta, timezone

    from shipflow.ops.audit import baseline
    from shipflow.ops.audit_sources import missing_settings, read_history
    from shipflow.providers.errors import ProviderError

    settings = _settings()
    missing = missing_settings(settings)
    if missing:
        _fail("the audit reads Shopify and ShipStation; set " + ", ".join(missing))
    end = datetime.now(timezone.utc)
    if until:
        try:
            end = datetime.fromisoformat(until.replace("Z", "+00:00"))
        except ValueError:
            _fail(f"--until {until!r}: give an ISO time such as 2026-11-30T00:00:00Z")
        end = end if end.tzinfo else end.replace(tzinfo=timezone.utc)
    try:
        history = read_history(settings, end - timedelta(days=days), end, email_metric)
    except ProviderError as exc:
        _fail(f"reading {exc.provider or 'a provider'} failed: {type(exc).__name__}: {exc}")
    report = baseline(history)
    typer.echo(json.dumps(report.to_json(), indent=2) if as_json else report.to_text())


@app.command("shadow-report")
def shadow_report(
    since: str = typer.Option("7d", help="Orders received since: 7d, 36h, 90m or a date."),
    email_metric: str = typer.Option(
        "Fulfilled Order", help="The Klaviyo metric of the current process's shipping email."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Compare what shipflow would have done in shadow mode (policy.mode: shadow) with what the
    current process did: agreement per decision, tracking, timing, unhandled exceptions."""
    import json
    from datetime import datetime, timezone

    import sqlalchemy as sa

    from shipflow.ops.audit_sources import missing_settings
    from shipflow.ops.replay import parse_since
    from shipflow.ops.shadow_sources import shadow_report as run_report
    from shipflow.providers.errors import ProviderError
    from shipflow.store import Database

    settings = _settings()
    missing = missing_settings(settings)
    if missing:
        _fail("the shadow report reads Shopify and ShipStation; set " + ", ".join(missing))
    now = datetime.now(timezone.utc)
    try:
        start = parse_since(since, now)
    except ValueError as exc:
        _fail(str(exc))
    url = sa.engine.make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and not (url.database and os.path.exists(url.database)):
        _fail(f"no shipflow database at {url.database or '(memory)'} (SHIPFLOW_DATABASE_URL)")
    db = Database.connect(settings.database_url, pool_size=1)
    try:
        report = run_report(db, settings, start, now, email_metric)
    except ProviderError as exc:
        _fail(f"reading {exc.provider or 'a provider'} failed: {type(exc).__name__}: {exc}")
    except sa.exc.SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc  # no URL in the message: it may hold a password
        _fail(f"cannot read shipflow's database (SHIPFLOW_DATABASE_URL): {type(cause).__name__}")
    finally:
        db.dispose()
    typer.echo(json.dumps(report.to_json(), indent=2) if as_json else report.to_text())


@app.command()
def reconcile(
    since: str = typer.Option("7d", help="Look back this far: 7d, 36h, 90m or a date."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Report the gaps, repair nothing."),
) -> None:
    """Compare Shopify, ShipStation and shipflow's records and repair every gap (missed
    webhooks, relabels, orders paid before shipflow was connected) through the normal
    workflows; the report is stored. Repairs are queued for `shipflow serve`/`worker`."""
    from shipflow.reconciling import run_reconcile

    code = run_reconcile(_settings(), since, as_json=as_json, dry_run=dry_run,
                         echo=typer.echo, progress=lambda m: typer.echo(m, err=True))
    if code:
        raise typer.Exit(code)


rules_app = typer.Typer(help="Work with a routing-rules file (SHIPFLOW_RULES).", no_args_is_help=True)
app.add_typer(rules_app, name="rules")


@rules_app.command("check")
def rules_check(
    file: str = typer.Argument(..., help="The rules file (YAML) to check."),
) -> None:
    """Check a rules file: print FILE:LINE:COL: message for every error (exit 1), or OK."""
    from shipflow.rules import RulesFileError, load_rules

    try:
        rules = load_rules(file)
    except RulesFileError as exc:
        for error in exc.errors:
            typer.echo(error.format(file))
        raise typer.Exit(1) from None
    typer.echo(f"{file}: OK ({len(rules)} rules)")


if __name__ == "__main__":  # pragma: no cover
    app()
