"""`shipflow reconcile`: one sweep from the command line, its report as a table or JSON.

Repairs are queued as workflows in the database (the engine runs here as a `web` role: it
enqueues and never runs work), so `shipflow serve` or `shipflow worker` carries them out."""

from __future__ import annotations

import json
from typing import Callable

import sqlalchemy as sa

from shipflow.config import Settings
from shipflow.engine import Engine
from shipflow.engine.flows.reconcile import Busy
from shipflow.ops.replay import parse_since
from shipflow.ops.table import render
from shipflow.providers.errors import ProviderError
from shipflow.rules import RulesFileError, load_configured
from shipflow.store import Database, Store, upgrade
from shipflow.store.clock import accelerated, utcnow
from shipflow.store.reconcile_runs import StoredRun


def report_text(run: StoredRun) -> str:
    rows = [(check, c.get("found", 0), c.get("fixed", 0)) for check, c in run.counts.items()]
    head = (f"reconciliation #{run.id} ({run.trigger}{', dry run' if run.dry_run else ''}) "
            f"since {run.since.isoformat(timespec='seconds')}: {run.status}")
    lines = [head, render(("check", "found", "fixed"), rows)]
    for item in run.items:
        lines.append(f"  {item['check']}: order {item.get('order_number') or '?'} "
                     f"({item.get('order_id')}) {item['detail']}"
                     f"{'' if item['fixed'] else ' [not repaired]'}")
    if run.error:
        lines.append(f"stopped early: {run.error}")
    return "\n".join(lines)


def run_reconcile(settings: Settings, since: str, *, as_json: bool, dry_run: bool,
                  echo: Callable[[str], None], progress: Callable[[str], None]) -> int:
    """Exit code: 0 done, 1 stopped by a provider error, 2 unusable input, 3 another sweep
    holds the lease."""
    missing = settings.missing_credentials()
    if missing:
        echo("error: set " + ", ".join(missing))
        return 2
    clock = (accelerated(settings.accelerated_from, settings.clock_scale)
             if settings.accelerated_from is not None else utcnow)
    try:
        start = parse_since(since, clock())
        rules = load_configured(settings.rules_path)
        settings.reconcile_spans  # noqa: B018 - refuse a bad span before connecting
    except (ValueError, RulesFileError) as exc:
        echo(f"error: {exc}")
        return 2
    upgrade(settings.database_url)
    store = Store(Database.connect(settings.database_url, pool_size=2),
                  clock=clock,
                  shipping=rules.policies.shipping)
    engine = Engine(settings, store, role="web", clock=clock, rules=rules)
    try:
        if not dry_run:
            engine.launch()
        try:
            run = engine.reconciler(progress).run(start, "cli", dry_run=dry_run)
        except Busy as exc:
            echo(f"error: {exc}; try again later")
            return 3
        except (ProviderError, sa.exc.SQLAlchemyError) as exc:
            echo(f"error: {type(exc).__name__}")
            return 1
    finally:
        engine.shutdown()
        store.db.dispose()
    echo(json.dumps(run.to_json(), indent=2) if as_json else report_text(run))
    return 1 if run.error else 0

