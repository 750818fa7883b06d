"""Retrack: a fulfillment whose tracking in Shopify is not its live label's gets the label's
tracking back (reconciliation). The same effect a relabel makes, keyed apart for each time it
is needed (`tracking_update_key(shipment, again)`); no customer message (they were told this
tracking when it shipped)."""

from __future__ import annotations

from shipflow.domain.effects import UpdateTracking
from shipflow.domain.tracking import tracking_info
from shipflow.engine import durable
from shipflow.engine.retries import with_durable_retries
from shipflow.engine.runtime import current


@durable.step("retrack_fulfillment")
def put_back(order_pk: int, shipment_id: str, fulfillment_id: str, carrier_code: str,
             tracking_number: str, again: int) -> bool:
    rt = current()
    effect = UpdateTracking(order_pk, shipment_id, fulfillment_id,
                            tracking_info(carrier_code, tracking_number), shipment_id, again)
    sent = rt.outbox.send([effect])[effect.key]  # a transient failure raises: retried
    if sent.ok:
        rt.store.orders.note(order_pk, "retracked",
                             f"Shopify's tracking put back to the live label {tracking_number}",
                             dedupe_key=f"retracked:{shipment_id}:{again}")
    return sent.ok


@durable.workflow("retrack_fulfillment")
def retrack(order_pk: int, shipment_id: str, fulfillment_id: str, carrier_code: str,
            tracking_number: str, again: int) -> bool:
    return with_durable_retries(put_back, order_pk, shipment_id, fulfillment_id, carrier_code,
                                tracking_number, again)
