"""The audit's readers, built from the settings: the providers' read clients (no write is
ever called here) and the carrier tracking reader for exceptions."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime

from shipflow.config import Settings
from shipflow.domain.tracking_events import TrackingScan
from shipflow.ops.audit import DEFAULT_EMAIL_METRIC, History, collect
from shipflow.providers.errors import ProviderError, RejectedRequest
from shipflow.providers.klaviyo.client import KlaviyoClient
from shipflow.providers.shipstation.client import ShipStationClient
from shipflow.providers.shipstation.history import PastLabel
from shipflow.providers.shipstation_v2.client import ShipStationV2Client
from shipflow.providers.shopify.client import ShopifyClient

log = logging.getLogger("shipflow.ops.audit")
Tracking = Callable[[Sequence[PastLabel]], dict[str, Sequence[TrackingScan]]]


def missing_settings(settings: Settings) -> list[str]:
    """What the audit cannot run without (Klaviyo and ShipStation v2 are optional)."""
    needed = {
        "SHIPFLOW_SHOPIFY_SHOP_URL": settings.shopify_shop_url,
        "SHIPFLOW_SHOPIFY_ACCESS_TOKEN": settings.shopify_access_token,
        "SHIPFLOW_SHIPSTATION_API_KEY": settings.shipstation_api_key,
        "SHIPFLOW_SHIPSTATION_API_SECRET": settings.shipstation_api_secret,
    }
    return [name for name, value in needed.items() if not value]


def carrier_tracking(v2: ShipStationV2Client) -> Tracking:
    """Each label's scans: its v2 twin found by tracking number (`GET /v2/labels?
    tracking_number=`), then `GET /v2/labels/{id}/track`. Two reads a label, paced by the v2
    client's rate budget; a label ShipStation v2 does not know, or with no scan yet, is left
    out."""
    def read(labels: Sequence[PastLabel]) -> dict[str, Sequence[TrackingScan]]:
        scans: dict[str, Sequence[TrackingScan]] = {}
        for label in labels:
            if not label.tracking_number:
                continue
            twins = [t for t in v2.labels(tracking_number=label.tracking_number)
                     if not t.voided and t.status != "voided"]
            if not twins:
                continue
            try:
                scans[label.tracking_number] = v2.track(twins[0].label_id).scans
            except RejectedRequest:
                # 400 `tracking_not_supported` "has no tracking information yet": no scan.
                continue
        return scans

    return read


@dataclass(frozen=True)
class Readers:
    shopify: ShopifyClient
    shipstation: ShipStationClient
    klaviyo: KlaviyoClient | None
    tracking: Tracking | None
    tracking_note: str | None


@contextmanager
def readers(settings: Settings) -> Iterator[Readers]:
    with ExitStack() as stack:
        shopify = stack.enter_context(ShopifyClient(settings.shopify_shop_url,
                                                    settings.shopify_access_token))
        shipstation = stack.enter_context(ShipStationClient(
            settings.shipstation_base_url, settings.shipstation_api_key,
            settings.shipstation_api_secret))
        klaviyo = (stack.enter_context(KlaviyoClient(settings.klaviyo_base_url,
                                                     settings.klaviyo_api_key))
                   if settings.klaviyo_api_key else None)
        tracking: Tracking | None = None
        note: str | None = "no ShipStation v2 key (SHIPFLOW_SHIPSTATION_V2_API_KEY)"
        if settings.shipstation_v2_api_key:
            v2 = stack.enter_context(ShipStationV2Client(settings.shipstation_v2_base_url,
                                                         settings.shipstation_v2_api_key))
            tracking, note = carrier_tracking(v2), None
        yield Readers(shopify, shipstation, klaviyo, tracking, note)


def read_history(settings: Settings, since: datetime, until: datetime,
                 email_metric: str = DEFAULT_EMAIL_METRIC) -> History:
    """Everything the audit needs, read from the providers; raises `ProviderError`."""
    with readers(settings) as r:
        try:
            return collect(r.shopify, r.shipstation, r.klaviyo, since, until,
                           email_metric=email_metric, tracking=r.tracking,
                           tracking_note=r.tracking_note)
        except ProviderError:
            log.warning("the audit could not read a provider")
            raise
