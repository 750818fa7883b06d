"""The simulated ShipStation account as one object: store, warehouse, rate-limit window, and
the order state changes that run on the simulated clock (holds that expire).

`markasshipped` records a Fulfillment, not a Shipment: the docs say orders marked as shipped
"will not appear [in List Shipments] as they are considered external shipments" and do appear
in List Fulfillments. SHIP_NOTIFY points at a shipments list, so none is sent for them
(assumption: the docs name no webhook for mark-as-shipped; FULFILLMENT_SHIPPED belongs to
fulfillment-provider orders and is not simulated).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from shipflow_sandbox.clock import Clock
from shipflow_sandbox.config import SandboxConfig
from shipflow_sandbox.ratelimit import FixedWindow
from shipflow_sandbox.scheduler import Scheduler
from shipflow_sandbox.shipstation.orders import ss_timestamp
from shipflow_sandbox.shipstation.store import ShipStationStore
from shipflow_sandbox.shipstation.warehouse import Warehouse
from shipflow_sandbox.webhooks import WebhookDispatcher


class ShipStationSim:
    def __init__(
        self,
        config: SandboxConfig,
        clock: Clock,
        dispatcher: WebhookDispatcher,
        scheduler: Scheduler | None = None,
    ) -> None:
        self.config = config
        self.clock = clock
        self.dispatcher = dispatcher
        self.scheduler = scheduler or Scheduler(clock)
        self.store = ShipStationStore(config.seed, config.shipstation_store_id)
        self.warehouse = Warehouse(config, clock, self.store, dispatcher)
        # One key pair is accepted, so one window: 40 requests per minute (shipstation.md §1.2).
        self.window = FixedWindow(clock, config.shipstation_rate_limit, 60.0)
        for url in config.shipstation_webhook_urls:
            self.store.subscribe(url, "SHIP_NOTIFY", None, "shipflow (sandbox config)")

    def _touch(self, order: dict[str, Any]) -> None:
        order["modifyDate"] = ss_timestamp(self.clock.wall())

    def hold(self, order: dict[str, Any], until: date) -> None:
        """`on_hold` until midnight UTC of `until` on the simulated calendar."""
        order.update(orderStatus="on_hold", holdUntilDate=until.isoformat())
        self._touch(order)
        self.store.awaiting_since.pop(order["orderId"], None)
        due = datetime.combine(until, time(0, 0), tzinfo=UTC)
        order_id, stamp = order["orderId"], until.isoformat()

        def expire() -> None:
            current = self.store.orders.get(order_id)
            if current and current["orderStatus"] == "on_hold" and (
                current["holdUntilDate"] == stamp
            ):
                self.release(order_id)

        self.scheduler.at(self.clock.at_calendar(due), expire)

    def release(self, order_id: int) -> None:
        order = self.store.orders[order_id]
        order.update(orderStatus="awaiting_shipment", holdUntilDate=None)
        self._touch(order)
        self.store.awaiting_since[order_id] = self.clock.now()

    def mark_shipped(self, order: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        """`markasshipped`: the order is `shipped` and a Fulfillment records the parcel; no
        Shipment (List Shipments leaves such orders out, the docs say) and so no SHIP_NOTIFY,
        whose resource is a shipments list (assumption: the docs say nothing of webhooks for
        it). `notifySalesChannel` shows as `marketplaceNotified`."""
        ship_date = str(body.get("shipDate") or self.clock.wall().date().isoformat())[:10]
        order.update(orderStatus="shipped", carrierCode=body.get("carrierCode"),
                     shipDate=ship_date)
        self._touch(order)
        self.store.awaiting_since.pop(order["orderId"], None)
        fulfillment = {
            "fulfillmentId": self.store.next_fulfillment_id(),
            "orderId": order["orderId"],
            "orderNumber": order["orderNumber"],
            "userId": self.store.user_id,
            "customerEmail": order["customerEmail"],
            "trackingNumber": body.get("trackingNumber"),
            "createDate": order["modifyDate"],
            "shipDate": ship_date,
            "voidDate": None,
            "deliveryDate": None,
            "carrierCode": body.get("carrierCode"),
            "fulfillmentProviderCode": None,
            "fulfillmentServiceCode": None,
            "fulfillmentFee": 0,
            "voidRequested": False,
            "voided": False,
            "marketplaceNotified": bool(body.get("notifySalesChannel")),
            "notifyErrorMessage": None,
            "shipTo": dict(order["shipTo"]),
        }
        self.store.fulfillments[fulfillment["fulfillmentId"]] = fulfillment
        return fulfillment

    def counts(self) -> dict[str, Any]:
        counts = self.store.counts()
        notify = [
            d
            for d in self.dispatcher.deliveries
            if d.provider == "shipstation" and d.topic.endswith("SHIP_NOTIFY")
        ]
        counts["ship_notify_sent"] = sum(d.state == "delivered" for d in notify)
        counts["ship_notify_failed"] = sum(d.state == "failed" for d in notify)
        counts["ship_notify_pending"] = sum(d.state == "pending" for d in notify)
        counts["ship_notify_dropped"] = sum(d.state == "dropped" for d in notify)
        return counts
