"""The one place idempotency keys are derived from provider ids.

A key is stable for the same business fact, so a duplicate webhook, a retried step or a
restarted worker finds the work already done instead of doing it twice.
"""

from __future__ import annotations

import hashlib

from shipflow.domain.milestone import Milestone
from shipflow.domain.tracking_events import TrackingUpdate


def ship_notify_workflow_id(resource_url: str) -> str:
    return f"ship-notify:{resource_url}"


def shipstation_order_key(shopify_order_id: int) -> str:
    """ShipStation's orderKey: createorder upserts by it, so pushing twice never makes two orders."""
    return str(shopify_order_id)


def milestone_unique_id(
    milestone: Milestone, shop_domain: str, shopify_order_id: int, shipment_id: str
) -> str:
    """Klaviyo's `unique_id` (<= 255 chars): one event per milestone per shipment."""
    slug = milestone.value.lower().replace(" ", "-")
    return f"{slug}:{shop_domain}:{shopify_order_id}:{shipment_id}"[:255]


def tracking_workflow_id(update: TrackingUpdate) -> str:
    """One run per distinct picture of a parcel: a resent webhook (same scans, same estimate)
    maps to the run that already happened."""
    latest = update.latest
    fingerprint = "|".join([
        update.status_code.value,
        ";".join("/".join(scan.key) for scan in update.scans[-3:]),
        str(len(update.scans)),
        latest.occurred_at.isoformat() if latest else "",
        update.estimated_delivery.isoformat() if update.estimated_delivery else "",
    ])
    digest = hashlib.sha256(fingerprint.encode()).hexdigest()[:16]
    return f"tracking:{update.carrier_code}:{update.tracking_number}:{digest}"
