"""The one place idempotency keys are derived from provider ids.

A key is stable for the same business fact, so a duplicate webhook, a retried step or a
restarted worker finds the work already done instead of doing it twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime, timezone

from shipflow.domain.milestone import Milestone
from shipflow.domain.tracking_events import TrackingUpdate


def ship_notify_workflow_id(resource_url: str) -> str:
    return f"ship-notify:{resource_url}"


def shipstation_order_key(shopify_order_id: int) -> str:
    """ShipStation's orderKey: createorder upserts by it, so pushing twice never makes two orders."""
    return str(shopify_order_id)


MAX_UNIQUE_ID = 255  # Klaviyo's `unique_id` limit (klaviyo.md §2)


def milestone_unique_id(
    milestone: Milestone,
    shop_domain: str,
    shopify_order_id: int,
    subject: str,
    occurrence: str = "",
) -> str:
    """Klaviyo's `unique_id`: one event per milestone per `subject` per `occurrence`.

    `subject` is what the milestone is about (a shipment id, a SKU, a SKU set) and
    `occurrence` tells repeated facts about it apart (which delay, which exception); without
    one the id is `"{metric}:{shop}:{order}:{subject}"`, as `Order Shipped` has always used.
    An id over 255 characters keeps its readable start and ends with a digest of the whole,
    so two long ids never collide by being cut at the same place.
    """
    slug = milestone.value.lower().replace(" ", "-")
    key = f"{slug}:{shop_domain}:{shopify_order_id}:{subject}"
    if occurrence:
        key = f"{key}:{occurrence}"
    if len(key) <= MAX_UNIQUE_ID:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return f"{key[:MAX_UNIQUE_ID - len(digest) - 1]}:{digest}"


def sku_set(skus: Iterable[str]) -> str:
    """The same text for the same set of SKUs, whatever their order or repeats."""
    return "+".join(sorted(set(skus)))


def utc_instant(moment: datetime) -> str:
    """An instant as text that does not depend on the offset it was written in (naive = UTC)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return aware.astimezone(timezone.utc).isoformat(timespec="seconds")


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


# -- the outbound ledger: one key per write, stable across retries and restarts ----------------
def push_part_key(order_key: str, again: int = 0) -> str:
    """`again`: the nth time a part ShipStation lost is sent again (each its own effect)."""
    base = f"shipstation:createorder:{order_key}"
    return base if again == 0 else f"{base}:again-{again}"


def repush_workflow_id(order_key: str, again: int) -> str:
    """Two reconciliation sweeps that find the same lost part start one re-push."""
    return f"repush:{order_key}:{again}"


def amend_imported_key(order_key: str) -> str:
    """The amendment of an order ShipStation's store connection imported (or, for a further
    part of a split, the order created beside it)."""
    return f"shipstation:amend:{order_key}"


def adopt_fulfilment_key(shipment_id: str) -> str:
    """The store connection's fulfillment of one label, found (and its tracking corrected)."""
    return f"shopify:adopt-fulfillment:{shipment_id}"


def restore_part_key(order_key: str) -> str:
    return f"shipstation:restorefromhold:{order_key}"


def cancel_part_key(order_key: str) -> str:
    return f"shipstation:cancelorder:{order_key}"


def mark_shipped_key(order_key: str) -> str:
    return f"shipstation:markasshipped:{order_key}"


def label_purchase_key(order_key: str) -> str:
    return f"shipstation-v2:label:{order_key}"


def fulfillment_key(shipment_id: str) -> str:
    return f"shopify:fulfillmentCreate:{shipment_id}"


def tracking_update_key(shipment_id: str, again: int = 0) -> str:
    """`again`: the nth time reconciliation put the label's tracking back on its fulfillment."""
    base = f"shopify:fulfillmentTrackingInfoUpdate:{shipment_id}"
    return base if again == 0 else f"{base}:again-{again}"


def retrack_workflow_id(shipment_id: str, again: int) -> str:
    return f"retrack:{shipment_id}:{again}"


def shopify_hold_key(shopify_order_id: int) -> str:
    return f"shopify:hold:{shopify_order_id}"


def shopify_release_key(shopify_order_id: int, occasion: str) -> str:
    """`occasion` is what lifted the hold (`released`, `restock:<sku>`): one release each."""
    return f"shopify:release:{shopify_order_id}:{occasion}"


def shopify_tags_key(shopify_order_id: int) -> str:
    return f"shopify:tags:{shopify_order_id}"


def customer_event_key(unique_id: str) -> str:
    return f"klaviyo:event:{unique_id}"


# -- workflow ids: one run per business fact ---------------------------------------------------
def push_batch_workflow_id(batch: str) -> str:
    """A push batch claimed by a dispatcher (`batch` is a fresh uuid: claims never repeat)."""
    return f"push:{batch}"


def timer_batch_workflow_id(batch: str) -> str:
    return f"timers:{batch}"


def release_workflow_id(order_pk: int, request: str) -> str:
    """One run per release request (`request` is a fresh uuid; the flow itself is idempotent)."""
    return f"release:{order_pk}:{request}"


def restock_workflow_id(inventory_item_id: int, webhook_id: str) -> str:
    """Keyed by the delivery: two stock changes within one second both count."""
    return f"restock:{inventory_item_id}:{webhook_id}"


def stop_workflow_id(order_pk: int) -> str:
    return f"stop:{order_pk}"


def delay_workflow_id(shipment_id: str, reason: str, occurrence: str) -> str:
    return f"delay:{shipment_id}:{reason}:{occurrence}"
