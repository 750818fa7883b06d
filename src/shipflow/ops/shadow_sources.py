"""The shadow report's readers: what the merchant's current process did, read from the providers
with the audit's read clients (`ops/audit_sources.py`; no write is ever called here), and the
report itself over shipflow's database."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from shipflow.config import Settings
from shipflow.ops.audit import DEFAULT_EMAIL_METRIC
from shipflow.ops.audit_sources import readers
from shipflow.ops.replay import parse_since
from shipflow.ops.shadow import EXCEPTION_METRICS, Observed, ShadowReport, compare
from shipflow.providers.errors import AuthenticationError, ProviderError
from shipflow.providers.klaviyo.client import KlaviyoClient
from shipflow.providers.klaviyo.history import PastEvent
from shipflow.providers.shipstation.client import ShipStationClient
from shipflow.providers.shipstation.mapping import ShipStationOrder
from shipflow.store.db import Database
from shipflow.store.queries.shadow import shadow_orders

log = logging.getLogger("shipflow.ops.shadow")
PAGE_SIZE = 500  # ShipStation's largest page (shipstation.md §1.4)
MAX_PAGES = 200


def shipstation_orders(client: ShipStationClient, since: datetime) -> list[ShipStationOrder]:
    """Every ShipStation order modified since `since` (created, held, shipped...), every page."""
    found: list[ShipStationOrder] = []
    for page in range(1, MAX_PAGES + 1):
        batch = client.list_orders(modify_date_start=since, page_size=PAGE_SIZE, page=page)
        found.extend(batch.orders)
        if page >= batch.pages:
            return found
    log.warning("ShipStation orders list has more than %d pages; stopped", MAX_PAGES)
    return found


def klaviyo_events(client: KlaviyoClient, metrics: tuple[str, ...], since: datetime
                   ) -> dict[str, list[PastEvent]]:
    """The events of each named metric since `since` (every metric of that name)."""
    ids = client.metric_ids()
    return {name: [e for ident in ids.get(name, []) for e in client.events(ident, since)]
            for name in metrics}


def observe(settings: Settings, since: datetime, email_metric: str) -> Observed:
    """Raises `ProviderError` when a provider cannot be read."""
    with readers(settings) as r:
        ss = shipstation_orders(r.shipstation, since)
        shopify = r.shopify.orders_since(since)
        if r.klaviyo is None:
            return Observed(ss, shopify, None, None, email_metric,
                            "no Klaviyo key (SHIPFLOW_KLAVIYO_API_KEY)")
        try:
            events = klaviyo_events(r.klaviyo, (email_metric, *EXCEPTION_METRICS), since)
        except AuthenticationError:  # a key with events:write only: the rest still counts
            return Observed(ss, shopify, None, None, email_metric,
                            "the Klaviyo key cannot read events (needs events:read and "
                            "metrics:read)")
        return Observed(ss, shopify, events[email_metric],
                        {m: events[m] for m in EXCEPTION_METRICS}, email_metric)


def shadow_report(db: Database, settings: Settings, since: datetime, until: datetime,
                  email_metric: str = DEFAULT_EMAIL_METRIC) -> ShadowReport:
    """shipflow's recorded writes against what the providers show; raises `ProviderError`."""
    orders = shadow_orders(db, since)
    try:
        observed = observe(settings, since, email_metric)
    except ProviderError:
        log.warning("the shadow report could not read a provider")
        raise
    return compare(orders, observed, since, until)


def reporter(settings: Settings) -> Callable[[Database, datetime, str], dict[str, Any]]:
    """The report as the API serves it (`GET /api/shadow/report?since=`): the web layer holds
    no provider client, so the CLI hands it this function. Raises `ValueError` for a `since`
    it cannot read and `ProviderError` when a provider cannot be read."""
    def report(db: Database, now: datetime, since: str) -> dict[str, Any]:
        return shadow_report(db, settings, parse_since(since, now), now).to_json()

    return report
