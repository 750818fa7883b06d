"""`shipflow doctor`: is this installation healthy? Read-only.

It reports, in plain words, with `problem` for what needs an operator (exit code 1):

- the database answers (`SELECT 1`), and its migrations are current (`store.migrate.pending`:
  a pending migration means this shipflow is newer than the schema; `shipflow serve` or
  `shipflow worker` applies it at start-up);
- the workers' heartbeats (`executors`): each `shipflow worker --id` beats on every sweep; one
  silent for longer than `SHIPFLOW_EXECUTOR_TTL` is down (and its work is adopted by a live
  one, once). `shipflow serve` alone runs its own worker and beats nowhere, so no heartbeat at
  all is only a note;
- webhook freshness: the last accepted delivery per provider and topic (the inbox). No Shopify
  delivery ever accepted is a problem (nothing reaches shipflow: check `shipflow connect`);
  none for 24 hours, or a topic that has had none yet, is a note (a shop may go days without
  a cancellation);
- every provider check of `shipflow connect`, with nothing changed (`apply=False`);
- how orders enter ShipStation: `policy.shipstation.source` against what ShipStation shows
  (`ops/order_entry.py`).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Callable

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from shipflow.config import Settings
from shipflow.ops.connect import QUICK, TIMEOUT, Report, run_connect
from shipflow.ops.order_entry import RECENT, order_entry
from shipflow.providers.errors import ProviderError
from shipflow.providers.shipstation import ShipStationClient
from shipflow.providers.shopify.subscriptions import SHIPFLOW_TOPICS
from shipflow.rules import RulesFileError, load_configured
from shipflow.store.db import Database
from shipflow.store.migrate import pending
from shipflow.store.queries import health

Now = Callable[[], datetime]
# A shop of the size shipflow serves (50-2,000 orders a day) is rarely this quiet.
QUIET = timedelta(hours=24)
# What shipflow expects to receive, by provider as the inbox names them.
EXPECTED = {
    "shopify": tuple(SHIPFLOW_TOPICS),
    "shipstation": ("SHIP_NOTIFY",),
    "shipstation-v2": ("TRACK_EVENT_V2",),
}


def _utc(stamp: datetime) -> datetime:
    """SQLite gives timestamps back without their zone; shipflow writes them in UTC."""
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)


def ago(delta: timedelta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return f"{seconds} s ago"


def check_store(settings: Settings, report: Report, now: Now) -> None:
    url = settings.database_url
    db = Database.connect(url, pool_size=1)
    try:
        try:
            with db.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        except SQLAlchemyError as exc:
            report.add("database", "problem", f"cannot reach the database ({db.dialect}): "
                                              f"{type(exc).__name__}: {_first_line(exc)}")
            return
        report.add("database", "ok", f"reachable ({db.dialect})")
        try:
            waiting = pending(url)
        except SQLAlchemyError as exc:
            report.add("migrations", "problem", f"cannot read the schema version: {_first_line(exc)}")
            return
        if waiting:
            report.add("migrations", "problem", f"{len(waiting)} migration(s) not applied ("
                       + ", ".join(waiting) + "): start `shipflow serve` or `shipflow worker` "
                       "once to apply them (heartbeats and deliveries are read after that)")
            return  # the tables read below may not exist yet, or not in this shape
        report.add("migrations", "ok", "the schema is current")
        _heartbeats(db, settings, report, now)
        _deliveries(db, report, now)
    finally:
        db.dispose()


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__


def _heartbeats(db: Database, settings: Settings, report: Report, now: Now) -> None:
    ttl = timedelta(seconds=settings.executor_ttl)
    try:
        beats = health.heartbeats(db)
    except SQLAlchemyError as exc:
        report.add("workers", "problem", f"cannot read the heartbeats: {_first_line(exc)}")
        return
    if not beats:
        report.add("workers", "note", "no worker heartbeat recorded (normal when `shipflow "
                                      "serve` runs the work itself; `shipflow worker` "
                                      "processes beat here)")
        return
    live = 0
    for beat in beats:
        age = now() - _utc(beat.heartbeat_at)
        if age <= ttl:
            live += 1
            report.add("workers", "ok", f"{beat.executor_id} beat {ago(age)}")
        elif beat.adopted:
            report.add("workers", "note", f"{beat.executor_id} stopped {ago(age)}; its work "
                                          f"was taken over by {beat.adopted_by}")
        else:
            report.add("workers", "problem", f"{beat.executor_id} last beat {ago(age)} (more "
                       f"than SHIPFLOW_EXECUTOR_TTL={settings.executor_ttl:g} s): it is down "
                       "or cannot reach the database; restart it with the same --id")
    if not live:
        report.add("workers", "problem", "no worker is alive: nothing runs the work")


def _deliveries(db: Database, report: Report, now: Now) -> None:
    try:
        rows = health.last_deliveries(db)
    except SQLAlchemyError as exc:
        report.add("webhooks", "problem", f"cannot read the webhook inbox: {_first_line(exc)}")
        return
    seen = {(provider, topic): (when, count) for provider, topic, when, count in rows}
    shopify = [_utc(when) for (provider, _), (when, _) in seen.items() if provider == "shopify"]
    if not shopify:
        report.add("webhooks", "problem", "no Shopify webhook has been accepted yet: check "
                                          "`shipflow connect` and SHIPFLOW_PUBLIC_URL")
    elif now() - max(shopify) > QUIET:
        report.add("webhooks", "note", f"no Shopify webhook for {ago(now() - max(shopify))[:-4]}"
                                       ": if the shop took orders meanwhile, deliveries are not "
                                       "reaching shipflow (run `shipflow connect`)")
    for provider, expected in EXPECTED.items():
        for topic in expected:
            if (provider, topic) in seen:
                when, count = seen[(provider, topic)]
                report.add("webhooks", "ok", f"{provider} {topic}: last delivery "
                                             f"{ago(now() - _utc(when))} ({count} in all)")
            else:
                report.add("webhooks", "note", f"{provider} {topic}: no delivery yet")
    for (provider, maybe_topic), (when, count) in sorted(
            seen.items(), key=lambda item: (item[0][0], item[0][1] or "")):
        if maybe_topic not in EXPECTED.get(provider, ()):
            report.add("webhooks", "ok", f"{provider} {maybe_topic or '(no topic)'}: last delivery "
                                         f"{ago(now() - _utc(when))} ({count} in all)")


def run_doctor(settings: Settings, *, providers: bool = True,
               now: Now = lambda: datetime.now(timezone.utc)) -> Report:
    """The store's checks, then (unless `providers` is False) the provider checks, read-only."""
    report = Report()
    check_store(settings, report, now)
    if providers:
        report.findings.extend(run_connect(settings, apply=False).findings)
        check_order_entry(settings, report)
    return report


def check_order_entry(settings: Settings, report: Report) -> None:
    """`policy.shipstation.source` against the Shopify store's newest ShipStation orders."""
    if "SHIPFLOW_SHIPSTATION_API_KEY" in settings.missing_credentials():
        return
    try:
        source = load_configured(settings.rules_path).policies.shipstation.source
    except (RulesFileError, OSError) as exc:
        report.add("order entry", "problem", f"cannot read the rules file: {_first_line(exc)}")
        return
    try:
        with ShipStationClient(settings.shipstation_base_url, settings.shipstation_api_key,
                               settings.shipstation_api_secret, retry=QUICK,
                               timeout=TIMEOUT) as client:
            stores = client.list_stores()
            store_id = settings.shipstation_store_id or next(
                (s.store_id for s in stores if s.is_shopify and s.active), None)
            recent = (client.list_orders(store_id=store_id, sort_by="CreateDate",
                                         sort_dir="DESC", page_size=RECENT).orders
                      if store_id else ())
    except ProviderError as exc:
        report.add("order entry", "problem", f"cannot read ShipStation's stores and orders: {exc}")
        return
    found = order_entry(source, stores, recent, settings.shipstation_store_id or None)
    report.add("order entry", found.status, found.message)
