"""`api` label mode: shipflow rate-shops and buys each label itself.

For each ShipStation order part awaiting shipment: quote the part's parcel (ShipStation v2
rates carry their delivery days and estimated date), choose under the merchant's policy
(`domain/rating.py`), buy the chosen rate, then mark the v1 order shipped with that tracking.
From there the label follows the same road as a warehouse label: Shopify fulfillment, `Order
Shipped`, carrier tracking.

A label purchase is never repeated blindly: it is an effect keyed by the part's orderKey, and
the outbox's retry first looks for a label the first attempt may have bought.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from shipflow.domain import keys
from shipflow.domain.effects import BuyLabel, MarkShipped
from shipflow.domain.fulfilment import PartLine, PartStatus
from shipflow.domain.policy import LabelMode
from shipflow.domain.rating import choose_rate
from shipflow.domain.routing import ServiceChoice
from shipflow.domain.shipment import Shipment, ShipmentItem
from shipflow.engine import durable
from shipflow.engine.retries import with_durable_retries
from shipflow.engine.runtime import Runtime, current
from shipflow.providers.errors import ProviderError, RejectedRequest
from shipflow.store.orders import Outcome

log = logging.getLogger("shipflow.engine")


def api_mode(rt: Runtime) -> bool:
    return rt.rules.policies.labels.mode is LabelMode.API


@durable.step("buy_label")
def buy_label(order_key: str) -> Shipment | None:
    """Buy the part's label once; returns it as a shipment, or None if nothing is to buy (or
    the purchase was only recorded)."""
    rt = current()
    if rt.rates is None:
        raise RejectedRequest("api label mode needs SHIPFLOW_SHIPSTATION_V2_API_KEY",
                              provider="shipstation")
    part = rt.store.parts.get(order_key)
    if part is None or part.status is not PartStatus.AWAITING_SHIPMENT:
        return None
    stored = rt.store.orders.load([part.order_pk])[0]
    if stored.state.is_stopped:
        return None
    order = stored.order
    today = rt.clock().date()
    key = keys.label_purchase_key(order_key)
    done = rt.store.ledger.settled([key]).get(key)
    if done is None:
        split = len(rt.store.parts.of([part.order_pk])[part.order_pk]) > 1
        lines = tuple(PartLine(int(i["line_item_id"]), i.get("sku"), int(i["quantity"]))
                      for i in part.items) if split else None
        quote = rt.rates.quote(order, order_key, confirmation=part.confirmation or "none",
                               ship_date=today, lines=lines)
        service = ServiceChoice(part.carrier_code, part.service_code) if part.carrier_code \
            else None
        decision = choose_rate(list(quote.options), rt.rules.policies.labels, ship_date=today,
                               service=service)
        if decision is None:
            raise RejectedRequest(f"no rate for {order_key}", provider="shipstation")
        buy = BuyLabel(part.order_pk, order_key, decision.rate.rate_id, decision.reason)
        sent = rt.outbox.send([buy])[buy.key]
        if not sent.ok:
            raise RejectedRequest(f"label purchase for {order_key} refused: {sent.error}",
                                  provider="shipstation")
        if sent.recorded:
            return None
        done = sent.result
    marked = MarkShipped(part.order_pk, order_key, part.shipstation_order_id,
                         done["carrier_code"] or "other", _ship_date(done, today),
                         done["tracking_number"])
    if not rt.outbox.send([marked])[marked.key].ok:  # staff marked it, or an earlier attempt
        log.warning("markasshipped for %s refused", order_key)
    bought = (f"Label bought: {done['carrier_code']} {done['service_code']} "
              f"{done['tracking_number']} ({done['reason']})")
    rt.store.orders.settle([Outcome(part.order_pk, True, bought, key, done)], kind="label_bought")
    return _as_shipment(order_key, order.name, done, today, part.items)


def _ship_date(result: dict[str, Any], today: date) -> date:
    return date.fromisoformat(result["ship_date"]) if result.get("ship_date") else today


def _as_shipment(order_key: str, order_name: str, result: dict[str, Any], today: date,
                 items: list[dict[str, Any]]) -> Shipment:
    return Shipment(
        shipment_id=f"label:{result['label_id']}", order_key=order_key,
        order_number=order_name.removeprefix("#"), tracking_number=result["tracking_number"],
        carrier_code=result["carrier_code"] or "other", service_code=result.get("service_code"),
        ship_date=_ship_date(result, today),
        items=tuple(ShipmentItem(i.get("sku"), i.get("sku") or "", int(i["quantity"]))
                    for i in items))


@durable.step("label_failed")
def label_failed(order_key: str, error: str) -> None:
    rt = current()
    part = rt.store.parts.get(order_key)
    if part is not None:
        rt.store.orders.settle([Outcome(part.order_pk, False, f"Label purchase failed: {error}")],
                               kind="label")


def buy_labels(order_keys: list[str]) -> list[Shipment]:
    """Inside a workflow: buy each part's label; failures go to a person (needs attention)."""
    bought = []
    for key in order_keys:
        try:
            shipment = with_durable_retries(buy_label, key)
        except ProviderError as exc:
            label_failed(key, f"{type(exc).__name__}: {exc}")
            continue
        if shipment is not None:
            bought.append(shipment)
    return bought
