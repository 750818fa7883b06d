"""Amend: `policy.shipstation.source: store_import` in place of the push.

ShipStation's own Shopify store connection imports the orders, on its own schedule. For a routed
batch: find each order's import by order number in the Shopify store (`GET /orders?orderNumber=
&storeId=`), looking again durably until `store_import_wait` has passed; apply the decisions to
each import found (one `AmendImported` per part, through the outbox); an order whose import
never came needs a person, with the reason on its timeline. No ShipStation order is created for
an order that was imported, except a split's further parts.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from shipflow.domain.effects import AmendImported
from shipflow.domain.fulfilment import PartStatus, part_order_key
from shipflow.domain.lifecycle import Pushed
from shipflow.domain.order import OrderState
from shipflow.engine import durable
from shipflow.engine.retries import with_durable_retries
from shipflow.engine.runtime import current
from shipflow.providers.errors import ProviderError, TransientError
from shipflow.providers.ports import ImportedOrder
from shipflow.store.orders import Outcome

if TYPE_CHECKING:  # push calls this module; Routed is only named here
    from shipflow.engine.flows.push import Routed

log = logging.getLogger("shipflow.engine")

POLL_SHARE = 30  # looks per wait: a 30-minute wait looks once a minute
POLL_BOUNDS = (0.5, 60.0)  # seconds between two looks
# ShipStation's orderDate for an import is the Shopify order's creation; a margin for the
# time zones and clocks between them.
IMPORT_SLACK = timedelta(days=1)


def order_number(r: Routed) -> str:
    """The order number a Shopify store connection gives the import: the order's name without
    its "#" (the same convention as shipflow's own pushes, `mapping.order_request`)."""
    return r.order.name.removeprefix("#").strip()


def choose_import(r: Routed, found: list[ImportedOrder]) -> ImportedOrder | None:
    """The import of this Shopify order among the store's orders with its number: the one whose
    orderKey is the Shopify order id (the connection keys its imports so), else the only one
    that shipflow did not make and that is not cancelled (amended under its own key; its labels
    find the part by ShipStation order id). A shipped import is still chosen: ShipStation
    refuses its amendment, and a person sees that the label went out first."""
    key = str(r.order.shopify_order_id)
    keyed = [o for o in found if o.order_key == key]
    if keyed:
        return keyed[0]
    others = [o for o in found if not o.made_by_shipflow and o.status != "cancelled"]
    return others[0] if len(others) == 1 else None


def poll_interval(wait: float) -> float:
    low, high = POLL_BOUNDS
    return min(max(wait / POLL_SHARE, low), high)


@durable.step("shopify_store")
def shopify_store() -> int | None:
    rt = current()
    return rt.shipstation_store_id or rt.shipstation.shopify_store_id()


@durable.step("find_imported")
def find_imported(routed: list[Routed], store_id: int) -> dict[int, ImportedOrder]:
    """Each order's import, by order pk, for those already imported."""
    since = min(r.order.created_at for r in routed) - IMPORT_SLACK
    listed = current().shipstation.find_imported([order_number(r) for r in routed], store_id,
                                                 since)
    found: dict[int, ImportedOrder] = {}
    for r in routed:
        match = choose_import(r, listed.get(order_number(r), []))
        if match is not None:
            found[r.order_pk] = match
    return found


@durable.step("still_waiting")
def still_waiting(order_pks: list[int]) -> list[int]:
    """The orders of the batch still waiting to be amended (a cancellation leaves the batch)."""
    return [s.pk for s in current().store.orders.load(order_pks)
            if s.state is OrderState.QUEUED]


@durable.step("import_missing")
def import_missing(reasons: list[tuple[int, str]]) -> None:
    """Orders whose import cannot be amended: each needs a person, with the reason."""
    current().store.orders.settle([Outcome(pk, False, why, "store-import") for pk, why in reasons],
                                  kind="in_shipstation")


def amendments(r: Routed, found: ImportedOrder, store_id: int) -> list[AmendImported]:
    """The part keyed like the import amends it; a split's further parts are created beside."""
    out = []
    for push in r.pushes():
        first = push.part.number == 1
        if first and push.order_key != found.order_key:
            push = type(push)(push.order_pk, push.order, push.part, found.order_key, push.split,
                              push.confirmation, push.service)
        out.append(AmendImported(push, found.platform_order_id if first else None, store_id,
                                 r.plan.tags if first else ()))
    return out


@durable.step("amend_batch")
def amend_batch(routed: list[Routed], found: dict[int, ImportedOrder], store_id: int) -> int:
    """Every part's amendment; each order's result on its timeline."""
    rt = current()
    plan = {r.order_pk: amendments(r, found[r.order_pk], store_id) for r in routed}
    sent = rt.outbox.send([a for items in plan.values() for a in items])
    outcomes, part_updates = [], []
    for r in routed:
        items = plan[r.order_pk]
        # By the part's own key (an import keyed otherwise is still the part's order), so
        # that its labels, a release or a cancellation find it by ShipStation order id.
        ids = {part_order_key(r.order.shopify_order_id, a.push.part.number):
               sent[a.key].result.get("orderId") or a.imported_order_id for a in items}
        part_updates += [(key, {"shipstation_order_id": i}) for key, i in ids.items() if i]
        failed = [a for a in items if not sent[a.key].ok]
        if failed:
            outcomes.append(Outcome(r.order_pk, False, "ShipStation refused the amendment of "
                                    "the imported order: " + "; ".join(
                                        str(sent[a.key].error) for a in failed), items[0].key))
            continue
        recorded = sent[items[0].key].recorded
        message = ("Recorded, not sent (record-only): " if recorded else "") + \
            f"ShipStation's imported order {found[r.order_pk].platform_order_id} " \
            f"(#{order_number(r)}) amended with shipflow's decisions" + "".join(
                f"; part {a.push.part.number} created as "
                f"{ids[part_order_key(r.order.shopify_order_id, a.push.part.number)] or a.order_key}"
                for a in items if a.imported_order_id is None) + \
            (" (on hold)" if any(a.push.part.status is PartStatus.ON_HOLD for a in items) else "")
        held = r.state_after_push
        outcomes.append(Outcome(r.order_pk, True, message, items[0].key, {"orderIds": ids},
                                event=Pushed(None if held is OrderState.IN_SHIPSTATION else held),
                                entry=held.value))
    rt.store.parts.set(part_updates)
    rt.store.orders.settle(outcomes, kind="in_shipstation")
    return sum(1 for o in outcomes if o.ok)


def amend_orders(routed: list[Routed]) -> int:
    """Inside `push_orders`: the batch's imports found, waited for, and amended."""
    rt = current()
    try:
        store_id = with_durable_retries(shopify_store)
    except ProviderError as exc:
        store_id, error = None, f"{type(exc).__name__}: {exc}"
    else:
        error = "ShipStation has no Shopify store connection (GET /stores)"
    if store_id is None:
        why = (f"policy.shipstation.source is store_import, but the store is unknown: {error}; "
               "set SHIPFLOW_SHIPSTATION_STORE_ID or connect the Shopify store in ShipStation")
        import_missing([(r.order_pk, why) for r in routed])
        return 0
    found: dict[int, ImportedOrder] = {}
    amended = 0
    waited, pause = 0.0, poll_interval(rt.store_import_wait)
    while True:
        queued = set(still_waiting([r.order_pk for r in routed if r.order_pk not in found]))
        routed = [r for r in routed if r.order_pk in found or r.order_pk in queued]
        waiting = [r for r in routed if r.order_pk not in found]
        if not waiting:
            break
        try:
            new = with_durable_retries(find_imported, waiting, store_id)
        except TransientError as exc:
            log.warning("looking for imported orders failed (%s); looking again", exc)
            new = {}
        if new:  # amended at once: a late import elsewhere in the batch holds none of them up
            found.update(new)
            now_found = [r for r in waiting if r.order_pk in new]
            try:
                amended += int(with_durable_retries(amend_batch, now_found, new, store_id))
            except ProviderError as exc:
                import_missing([(r.order_pk, "Amending ShipStation's imported order failed: "
                                 f"{type(exc).__name__}: {exc}") for r in now_found])
        if len(found) == len(routed) or waited >= rt.store_import_wait:
            break
        durable.sleep(pause)
        waited += pause
    missing = [r for r in routed if r.order_pk not in found]
    if missing:
        minutes = rt.store_import_wait / 60
        import_missing([(r.order_pk, "ShipStation's store connection never imported this order: "
                         f"no order number {order_number(r)} in store {store_id} after "
                         f"{minutes:g} minutes (SHIPFLOW_STORE_IMPORT_WAIT); check the store's "
                         "import in ShipStation") for r in missing])
    return amended
