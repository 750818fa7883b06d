"""`api` label mode: shipflow rate-shops and buys each label itself.

For each ShipStation order part awaiting shipment: quote the part's parcel with ShipStation v2
(`POST /v2/rates`: every rate carries its delivery days and estimated date), choose under the
merchant's policy (`domain/rating.py`), buy the chosen rate (`POST /v2/labels/rates/{id}`), then
mark the v1 order shipped with that tracking. From there the label follows the same road as a
warehouse label: Shopify fulfillment, `Order Shipped`, carrier tracking.

A label purchase is never repeated blindly: the ledger records the attempt, and a retry first
looks up the v2 shipment by our `external_shipment_id` (the part's orderKey) for a label the
first attempt may have bought.
"""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal
from typing import Any

from shipflow.domain.fulfilment import PartStatus
from shipflow.domain.policy import LabelMode
from shipflow.domain.rating import RateOption, choose_rate
from shipflow.domain.routing import ServiceChoice
from shipflow.domain.shipment import Shipment, ShipmentItem
from shipflow.engine import durable
from shipflow.engine.retries import with_durable_retries
from shipflow.engine.runtime import Runtime, current
from shipflow.providers.errors import ProviderError, RateLimited, RejectedRequest, TransientError
from shipflow.providers.shipstation_v2.rating import order_shipment
from shipflow.store.pipeline import Outcome

log = logging.getLogger("shipflow.engine")


def api_mode(rt: Runtime) -> bool:
    return rt.rules.policies.labels.mode is LabelMode.API


def _existing_label(rt: Runtime, order_key: str) -> Any:
    assert rt.shipstation_v2 is not None
    shipment_id = rt.shipstation_v2.shipment_id_for(order_key)
    if shipment_id is None:
        return None
    for label in rt.shipstation_v2.labels(shipment_id=shipment_id):
        if label.status != "voided" and label.tracking_number:
            return label
    return None


@durable.step("buy_label")
def buy_label(order_key: str) -> Shipment | None:
    """Buy the part's label once; returns it as a shipment, or None if nothing is to buy."""
    rt = current()
    v2 = rt.shipstation_v2
    if v2 is None:
        raise RejectedRequest("api label mode needs SHIPFLOW_SHIPSTATION_V2_API_KEY",
                              provider="shipstation")
    part = rt.lifecycle.part(order_key)
    if part is None or part.status is not PartStatus.AWAITING_SHIPMENT \
            or not part.shipstation_order_id:
        return None
    stored = rt.pipeline.load_orders([part.order_pk])[0]
    if stored.state.is_stopped:
        return None
    order = stored.order
    ledger_key = f"shipstation-v2:label:{order_key}"
    done = rt.pipeline.done_keys([ledger_key]).get(ledger_key)
    if done:
        return _as_shipment(order_key, order.name, done, part.items)
    attempts = rt.pipeline.begin_calls("shipstation-v2", "label", [(ledger_key, part.order_pk)])
    today = rt.clock().date()
    label = _existing_label(rt, order_key) if attempts.get(ledger_key, 1) > 1 else None
    reason = "label found from an earlier attempt"
    if label is None:
        warehouses = v2.warehouses()
        if not warehouses:
            raise RejectedRequest("no ShipStation v2 warehouse to ship from",
                                  provider="shipstation")
        split = len(rt.lifecycle.parts_of([part.order_pk])[part.order_pk]) > 1
        shipment = order_shipment(
            order, warehouses[0], external_shipment_id=order_key, ship_date=today,
            confirmation=part.confirmation or "none",
            items={int(i["line_item_id"]): int(i["quantity"]) for i in part.items}
            if split else None)
        carriers = [c.carrier_id for c in v2.carriers()]
        rates = v2.rates(shipment, carriers)
        options = [RateOption(r.rate_id, r.carrier_code, r.service_code,
                              Decimal(str(r.total.amount)), r.delivery_days,
                              r.estimated_delivery_date.date() if r.estimated_delivery_date
                              else None) for r in rates]
        service = ServiceChoice(part.carrier_code, part.service_code) if part.carrier_code \
            else None
        decision = choose_rate(options, rt.rules.policies.labels, ship_date=today,
                               service=service)
        if decision is None:
            raise RejectedRequest(f"no rate for {order_key}", provider="shipstation")
        reason = decision.reason
        label = v2.label_from_rate(decision.rate.rate_id)
    try:
        rt.shipstation.mark_as_shipped(part.shipstation_order_id, label.carrier_code or "other",
                                       ship_date=label.ship_date or today,
                                       tracking_number=label.tracking_number)
    except (TransientError, RateLimited):
        raise
    except ProviderError as exc:  # already marked by an earlier attempt, or staff shipped it
        log.warning("markasshipped for %s refused: %s", order_key, exc)
    result = {"label_id": label.label_id, "tracking_number": label.tracking_number,
              "carrier_code": label.carrier_code, "service_code": label.service_code,
              "ship_date": (label.ship_date or today).isoformat(), "reason": reason}
    rt.pipeline.finish([Outcome(part.order_pk, True,
                                f"Label bought: {label.carrier_code} {label.service_code} "
                                f"{label.tracking_number} ({reason})", ledger_key, result,
                                result)], state_ok=None, kind="label_bought")
    return _as_shipment(order_key, order.name, result, part.items)


def _as_shipment(order_key: str, order_name: str, result: dict[str, Any],
                 items: list[dict[str, Any]]) -> Shipment:
    return Shipment(
        shipment_id=f"label:{result['label_id']}", order_key=order_key,
        order_number=order_name.removeprefix("#"), tracking_number=result["tracking_number"],
        carrier_code=result["carrier_code"] or "other", service_code=result.get("service_code"),
        ship_date=date.fromisoformat(result["ship_date"]),
        items=tuple(ShipmentItem(i.get("sku"), i.get("sku") or "", int(i["quantity"]))
                    for i in items))


@durable.step("label_failed")
def label_failed(order_key: str, error: str) -> None:
    rt = current()
    part = rt.lifecycle.part(order_key)
    if part is not None:
        rt.pipeline.finish([Outcome(part.order_pk, False, f"Label purchase failed: {error}")],
                           state_ok=None, kind="label")


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
