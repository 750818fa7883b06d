"""ShipStation v2 as the engine's `LabelPurchasing` port (`api` label mode): rates for a part's
parcel from the first warehouse, a label bought at a chosen rate, and the label an earlier
attempt bought, found by our `external_shipment_id` (the part's orderKey)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from shipflow.domain.fulfilment import PartLine
from shipflow.domain.order import Order
from shipflow.domain.rating import RateOption
from shipflow.domain.tracking_events import TrackingUpdate
from shipflow.providers.errors import RejectedRequest
from shipflow.providers.ports import BoughtLabel, LabelQuote
from shipflow.providers.shipstation_v2.client import ShipStationV2Client
from shipflow.providers.shipstation_v2.rating import order_shipment
from shipflow.providers.shipstation_v2.wire import Label


def _bought(label: Label) -> BoughtLabel:
    return BoughtLabel(label.label_id, label.tracking_number or "", label.carrier_code,
                       label.service_code, label.ship_date)


class ShipStationLabelPurchasing:
    def __init__(self, client: ShipStationV2Client) -> None:
        self.client = client

    def close(self) -> None:
        self.client.close()

    def quote(self, order: Order, order_key: str, *, confirmation: str, ship_date: date,
              lines: tuple[PartLine, ...] | None) -> LabelQuote:
        warehouses = self.client.warehouses()
        if not warehouses:
            raise RejectedRequest("no ShipStation v2 warehouse to ship from",
                                  provider="shipstation")
        shipment = order_shipment(
            order, warehouses[0], external_shipment_id=order_key, ship_date=ship_date,
            confirmation=confirmation,
            items={ln.line_item_id: ln.quantity for ln in lines} if lines is not None else None)
        carriers = [c.carrier_id for c in self.client.carriers()]
        rates = self.client.rates(shipment, carriers)
        return LabelQuote(tuple(
            RateOption(r.rate_id, r.carrier_code, r.service_code, Decimal(str(r.total.amount)),
                       r.delivery_days,
                       r.estimated_delivery_date.date() if r.estimated_delivery_date else None)
            for r in rates))

    def tracking(self, tracking_number: str) -> TrackingUpdate | None:
        """The label's v2 twin by tracking number (`GET /v2/labels?tracking_number=`; a v1
        label printed by the warehouse has one too), then `GET /v2/labels/{id}/track`."""
        twins = [t for t in self.client.labels(tracking_number=tracking_number)
                 if not t.voided and t.status != "voided"]
        if not twins:
            return None
        try:
            return self.client.track(twins[0].label_id)
        except RejectedRequest:
            return None  # 400 `tracking_not_supported`: "has no tracking information yet"

    def existing_label(self, order_key: str) -> BoughtLabel | None:
        shipment_id = self.client.shipment_id_for(order_key)
        if shipment_id is None:
            return None
        for label in self.client.labels(shipment_id=shipment_id):
            if label.status != "voided" and label.tracking_number:
                return _bought(label)
        return None

    def buy(self, rate_id: str) -> BoughtLabel:
        return _bought(self.client.label_from_rate(rate_id))
