"""Cancel: an order cancelled or refunded in Shopify stops what is pending (`stop_order`,
started by the sweeper for orders in `cancelling`): its open ShipStation orders are cancelled,
its timers too, and the order is marked cancelled."""

from __future__ import annotations

import logging

from shipflow.domain.effects import CancelPart
from shipflow.domain.fulfilment import PartStatus
from shipflow.engine import durable
from shipflow.engine.flows.tell import note_failure
from shipflow.engine.retries import with_durable_retries
from shipflow.engine.runtime import current
from shipflow.providers.errors import ProviderError

log = logging.getLogger("shipflow.engine")


@durable.step("cancel_in_shipstation")
def cancel_in_shipstation(order_pk: int) -> list[str]:
    rt = current()
    open_parts = [p for p in rt.store.parts.of([order_pk])[order_pk]
                  if p.status in (PartStatus.AWAITING_SHIPMENT, PartStatus.ON_HOLD)]
    effects = [CancelPart(order_pk, p.order_key, p.shipstation_order_id) for p in open_parts]
    sent = rt.outbox.send(effects)
    cancelled = []
    for effect in effects:
        if not sent[effect.key].ok:  # shipped meanwhile: nothing left to cancel
            log.warning("ShipStation order %s not cancelled: %s", effect.order_key,
                        sent[effect.key].error)
            continue
        cancelled.append(effect.order_key)
    rt.store.parts.set([(key, {"status": PartStatus.CANCELLED.value}) for key in cancelled])
    return cancelled


@durable.step("finish_stop")
def finish_stop(order_pk: int, cancelled: list[str]) -> int:
    message = ("Cancelled in Shopify: ShipStation order(s) cancelled: " + ", ".join(cancelled)
               if cancelled else "Cancelled in Shopify: nothing pending in ShipStation")
    return current().store.orders.stop(order_pk, message, {"shipstation": cancelled})


@durable.workflow("stop_order")
def stop_order(order_pk: int) -> int:
    try:
        cancelled = with_durable_retries(cancel_in_shipstation, order_pk)
    except ProviderError as exc:
        note_failure([order_pk], "ShipStation cancel", str(exc))
        cancelled = []
    return int(finish_stop(order_pk, cancelled))
