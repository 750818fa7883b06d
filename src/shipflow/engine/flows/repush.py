"""Re-push: a part shipflow pushed and ShipStation no longer lists (deleted there, or lost) is
sent again as it was recorded, with the same routing decisions; the rules are not run again.

The createorders upsert by orderKey brings the same order back rather than making a second
one. Each re-push is its own keyed effect (`push_part_key(key, again)`), so the ledger shows
every time it happened, and two sweeps that find the same gap start one workflow
(`repush_workflow_id`).
"""

from __future__ import annotations

import logging

from shipflow.domain.effects import PushPart
from shipflow.domain.fulfilment import Part, PartLine
from shipflow.domain.routing import Confirmation, HoldReason, ServiceChoice
from shipflow.engine import durable
from shipflow.engine.retries import with_durable_retries
from shipflow.engine.runtime import current

log = logging.getLogger("shipflow.engine")


@durable.step("repush_parts")
def push_again(order_pk: int, order_keys: list[str], again: int) -> int:
    rt = current()
    [stored] = rt.store.orders.load([order_pk])
    every = rt.store.parts.of([order_pk]).get(order_pk, [])
    parts = [p for p in every if p.order_key in order_keys]
    split = len(every) > 1
    pushes = [PushPart(
        order_pk, stored.order,
        Part(p.part, tuple(PartLine(int(i["line_item_id"]), i.get("sku"), int(i["quantity"]))
                           for i in p.items), p.status,
             HoldReason(p.hold_reason) if p.hold_reason else None, dict(p.backordered)),
        p.order_key, split, Confirmation(p.confirmation) if p.confirmation else None,
        ServiceChoice(p.carrier_code, p.service_code) if p.carrier_code else None, again)
            for p in parts]
    sent = rt.outbox.send(pushes)  # a transient failure raises: the workflow retries it
    ids = {p.order_key: sent[p.key].result.get("orderId") for p in pushes if sent[p.key].ok}
    rt.store.parts.set([(key, {"shipstation_order_id": i}) for key, i in ids.items() if i])
    rt.store.orders.note(order_pk, "repushed",
                         "ShipStation no longer listed it; sent again: " + ", ".join(
                             f"order {i}" for i in ids.values()),
                         dedupe_key=f"repushed:{order_pk}:{again}")
    return len(ids)


@durable.workflow("repush_parts")
def repush_parts(order_pk: int, order_keys: list[str], again: int) -> int:
    return with_durable_retries(push_again, order_pk, order_keys, again)
