"""The simulated warehouse: prints labels in batches and announces them with SHIP_NOTIFY.

Printing a batch creates one Shipment per order (carrier and service from the order, see
`carriers.choose_service`), marks the orders `shipped` and POSTs the v1 pointer webhook
`{"resource_url": ".../shipments?batchId=<n>&includeShipmentItems=False", "resource_type":
"SHIP_NOTIFY"}` to every matching subscription (shipstation.md §1.7). ShipStation's retry
policy is undocumented; failed SHIP_NOTIFY posts are retried 3 times, 30 s doubling
(assumption). With `auto_ship_after`, `ship_due` (run by a background loop) prints the orders that
waited that long. Only `awaiting_shipment` orders are printed: held (`on_hold`), cancelled,
shipped and deleted ones stay put, as a warehouse cannot print a label for them in
ShipStation until they are restored (asked for by id, they come back in `skipped` with their
status). A relabel (`relabel=True`, shipped orders only) voids the order's label and prints a
new one in a new batch, whose SHIP_NOTIFY resource lists both. `label_hooks` (the v2
account) gets every real label, batch and void, to keep each v1 shipment's v2 twin label and
the carrier's tracking plan in step.
"""

from __future__ import annotations

import json
import random
import uuid
from typing import Any, Protocol

from shipflow_sandbox.clock import Clock
from shipflow_sandbox.config import SandboxConfig
from shipflow_sandbox.shipstation import pricing
from shipflow_sandbox.shipstation.carriers import (
    Service,
    choose_service,
    label_pdf,
    tracking_number,
)
from shipflow_sandbox.shipstation.orders import ADDRESS_KEYS, ounces, ss_timestamp
from shipflow_sandbox.shipstation.store import ShipStationStore, StoredShipment
from shipflow_sandbox.webhooks import WebhookDispatcher

NOTIFY_RETRIES = 3
NOTIFY_RETRY_BASE = 30.0
_ITEM_KEYS = (
    "orderItemId",
    "lineItemKey",
    "sku",
    "name",
    "imageUrl",
    "weight",
    "quantity",
    "unitPrice",
    "warehouseLocation",
    "options",
    "productId",
    "fulfillmentSku",
)


class LabelHooks(Protocol):
    def v1_label_created(self, shipment: StoredShipment, order: dict[str, Any]) -> None: ...
    def v1_batch_printed(self, batch_id: int) -> None: ...
    def v1_voided(self, shipment: StoredShipment) -> None: ...


def label_cost(service: Service, weight_oz: float, ship_to: dict[str, Any],
               confirmation: str | None) -> float:
    """What the label costs: the same quote `getrates` and v2 rates give (`pricing.py`)."""
    zone = pricing.zone(pricing.WAREHOUSE_POSTAL, ship_to.get("postalCode"),
                        ship_to.get("country"))
    residential = ship_to.get("residential") is not False
    return pricing.quote(service, weight_oz, zone, residential, confirmation).total


class Warehouse:
    def __init__(
        self,
        config: SandboxConfig,
        clock: Clock,
        store: ShipStationStore,
        dispatcher: WebhookDispatcher,
    ) -> None:
        self.config = config
        self.clock = clock
        self.store = store
        self.dispatcher = dispatcher
        self.rng = random.Random(f"warehouse:{config.seed}")
        self.label_hooks: LabelHooks | None = None

    def label(
        self,
        order: dict[str, Any],
        service: Service,
        *,
        batch_id: int,
        options: dict[str, Any] | None = None,
        test: bool = False,
    ) -> tuple[StoredShipment, str]:
        """Buy a label for `order`: a new Shipment, the order marked shipped; + label PDF.

        A test label (`test=True`) reaches neither the v2 twin nor the carrier."""
        options = options or {}
        now = self.clock.wall()
        weight_oz = ounces(options.get("weight") or order["weight"])
        tracking = tracking_number(service, self.rng)
        insurance = options.get("insuranceOptions") or order["insuranceOptions"]
        insurance_cost = (
            round(float(insurance.get("insuredValue") or 0) * 0.0125, 2)
            if (insurance.get("insureShipment"))
            else 0
        )
        ship_date = options.get("shipDate") or now.date().isoformat()
        confirmation = options.get("confirmation") or order["confirmation"] or "none"
        data = {
            "shipmentId": self.store.next_shipment_id(),
            "orderId": order["orderId"],
            "orderKey": order["orderKey"],
            "userId": self.store.user_id,
            "customerEmail": order["customerEmail"],
            "orderNumber": order["orderNumber"],
            "createDate": ss_timestamp(now),
            "shipDate": ship_date,
            "shipmentCost": label_cost(service, weight_oz, order["shipTo"], confirmation),
            "insuranceCost": insurance_cost,
            "trackingNumber": tracking,
            "isReturnLabel": False,
            "batchNumber": str(batch_id),
            "carrierCode": service.carrier,
            "serviceCode": service.code,
            "packageCode": options.get("packageCode") or order["packageCode"] or "package",
            "confirmation": confirmation,
            "warehouseId": order["advancedOptions"]["warehouseId"],
            "voided": False,
            "voidDate": None,
            "marketplaceNotified": False,
            "notifyErrorMessage": None,
            "shipTo": {key: order["shipTo"].get(key) for key in ADDRESS_KEYS},
            "weight": {"value": round(weight_oz, 2), "units": "ounces"},
            "dimensions": options.get("dimensions") or order["dimensions"],
            "insuranceOptions": insurance,
            "advancedOptions": None,
            "shipmentItems": None,
            "labelData": None,
            "formData": None,
        }
        items = [{k: i.get(k) for k in _ITEM_KEYS} for i in order["items"] if not i["adjustment"]]
        shipment = StoredShipment(data, items, batch_id, order["advancedOptions"]["storeId"])
        self.store.shipments[data["shipmentId"]] = shipment
        order.update(
            orderStatus="shipped",
            shipDate=ship_date,
            carrierCode=service.carrier,
            serviceCode=service.code,
            modifyDate=ss_timestamp(now),
        )
        self.store.awaiting_since.pop(order["orderId"], None)
        if self.label_hooks is not None and not test:
            self.label_hooks.v1_label_created(shipment, order)
        return shipment, label_pdf(tracking, service, order["shipTo"])

    def ship(self, order_ids: list[int] | None = None, relabel: bool = False,
             notify: bool = True) -> dict[str, Any]:
        """Print labels for the given orders (default: all awaiting shipment), in batches.
        `notify=False`: no SHIP_NOTIFY for them, as when a label is redone in ShipStation's
        own screens and nothing tells the integration (its store sync sends no relabel)."""
        store = self.store
        if order_ids is None:
            wanted = sorted(set(store.orders) - store.deleted)
        else:
            wanted = list(order_ids)
        ready, skipped = [], []
        allowed = ("shipped",) if relabel else ("awaiting_shipment",)
        for order_id in wanted:
            order = store.orders.get(order_id)
            if order is None or order_id in store.deleted:
                skipped.append({"orderId": order_id, "reason": "not_found"})
            elif order["orderStatus"] not in allowed:
                if order_ids is not None:
                    skipped.append({"orderId": order_id, "reason": order["orderStatus"]})
            else:
                ready.append(order)
        batches = []
        size = max(1, self.config.ship_batch_size)
        for start in range(0, len(ready), size):
            batch_id = store.next_batch_id()
            shipment_ids = []
            for order in ready[start : start + size]:
                if relabel:
                    self.void_active(order["orderId"], batch_id)
                weight_oz = ounces(order["weight"])
                shipment, _ = self.label(order, choose_service(order, weight_oz), batch_id=batch_id)
                shipment_ids.append(shipment.data["shipmentId"])
            chunk = ready[start : start + size]
            if notify:
                self.notify(batch_id, {o["advancedOptions"]["storeId"] for o in chunk})
            elif self.label_hooks is not None:
                self.label_hooks.v1_batch_printed(batch_id)
            batches.append(
                {
                    "batchId": batch_id,
                    "orderIds": [o["orderId"] for o in chunk],
                    "shipmentIds": shipment_ids,
                }
            )
        return {"batches": batches, "skipped": skipped}

    def void_active(self, order_id: int, batch_id: int | None = None) -> None:
        """Void the order's live labels; with `batch_id` (a relabel) they are listed in that
        batch's SHIP_NOTIFY resource too, `voided: true`, beside the new label (assumption:
        ShipStation's own batch resource is not documented to carry voided rows)."""
        for shipment in self.store.shipments.values():
            if shipment.data["orderId"] == order_id and not shipment.data["voided"]:
                shipment.data.update(voided=True, voidDate=ss_timestamp(self.clock.wall()))
                if batch_id is not None:
                    shipment.also_in_batches.add(batch_id)
                if self.label_hooks is not None:
                    self.label_hooks.v1_voided(shipment)

    def notify(self, batch_id: int, store_ids: set[int]) -> None:
        base = (self.config.public_base_url or "http://127.0.0.1:8100").rstrip("/")
        for hook in list(self.store.subscriptions.values()):
            kind = hook["HookType"]
            if kind not in ("SHIP_NOTIFY", "ITEM_SHIP_NOTIFY") or not hook["Active"]:
                continue
            if hook["StoreID"] is not None and hook["StoreID"] not in store_ids:
                continue
            items = "True" if kind == "ITEM_SHIP_NOTIFY" else "False"
            url = f"{base}/shipstation/shipments?batchId={batch_id}&includeShipmentItems={items}"
            body = json.dumps({"resource_url": url, "resource_type": kind}).encode()
            self.dispatcher.submit(
                provider="shipstation",
                topic=kind,
                url=hook["Url"],
                body=body,
                headers={"Content-Type": "application/json"},
                delivery_id=str(uuid.uuid4()),
                max_retries=NOTIFY_RETRIES,
                retry_base=NOTIFY_RETRY_BASE,
                copies=self.config.duplicate_deliveries,
                fault_api="shipstation_v1",
            )
        if self.label_hooks is not None:
            self.label_hooks.v1_batch_printed(batch_id)

    def ship_due(self) -> dict[str, Any] | None:
        """Print every order that has been awaiting shipment for `auto_ship_after` seconds."""
        delay = self.config.auto_ship_after
        if delay is None:
            return None
        now = self.clock.now()
        due = sorted(
            order_id
            for order_id, since in self.store.awaiting_since.items()
            if now - since >= delay
            and self.store.orders[order_id]["orderStatus"] == "awaiting_shipment"
            and order_id not in self.store.deleted
        )
        return self.ship(due) if due else None
