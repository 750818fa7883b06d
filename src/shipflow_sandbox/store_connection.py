"""ShipStation's own Shopify store connection, simulated: the setup of most merchants before
shipflow (`policy.shipstation.source: store_import` on shipflow's side).

- `GET /stores` lists the connection as a store whose `marketplaceName` is "Shopify" beside the
  manual store (the v1 Store model's fields; shipstation.md is silent on the connection's
  `marketplaceId`, so the value here is ours).
- It imports paid Shopify orders into ShipStation on its own schedule, `store_import_after`
  simulated seconds after it first sees them. Assumptions, as the docs are silent on the wire
  values of an imported order: `orderKey` is the Shopify order id and `orderNumber` the order's
  name without its "#" (ShipStation shows Shopify orders by their number); `advancedOptions.
  source` is "shopify". Only orders that ship (a physical line, a shipping address) are imported
  (help.shipstation.com Shopify Integration Guide, "Order Import Requirements").
- When a label is created for one of the orders it imported it notifies Shopify itself: a
  fulfillment of the order's items (`lineItemKey` = the Shopify line item id) with the tracking
  (as ShipStation's marketplace notification does "as soon as you create the label"), and sets
  the shipment's `marketplaceNotified`. Orders created through the API in its store (a split's
  further parts) have no Shopify order behind their orderKey and are not notified.
- A relabel (a new label after a void) is not sent: "If you create a new label for an order
  after voiding the original label, the store or marketplace that the order originated from
  will not be notified with the new shipment and tracking information" (help.shipstation.com
  /hc/en-us/articles/360026157891, "Reshipping After Voiding a Label").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shipflow_sandbox.clock import Clock
from shipflow_sandbox.config import SandboxConfig
from shipflow_sandbox.shipstation.orders import OrderError, ss_timestamp
from shipflow_sandbox.shipstation.sim import ShipStationSim
from shipflow_sandbox.shipstation.store import StoredShipment
from shipflow_sandbox.shipstation.warehouse import LabelHooks
from shipflow_sandbox.shopify.ids import gid
from shipflow_sandbox.shopify.sim import ShopifySim
from shipflow_sandbox.shopify.store import ShopOrder

SHOPIFY_MARKETPLACE_ID = 26  # ours: the docs name no id for the Shopify marketplace
IMPORTED = ("paid", "partially_refunded", "authorized")  # imported as awaiting_shipment


@dataclass
class Notification:
    """One marketplace notification the connection sent to Shopify."""

    shipment_id: int
    shopify_order_id: int
    fulfillment_id: int | None
    tracking_number: str
    error: str | None = None


def store_json(store_id: int, name: str, marketplace_id: int, marketplace: str,
               integration_url: str | None, stamp: str) -> dict[str, Any]:
    """A row of `GET /stores`, every field of the v1 Store model."""
    return {"storeId": store_id, "storeName": name, "marketplaceId": marketplace_id,
            "marketplaceName": marketplace, "accountName": None, "email": None,
            "integrationUrl": integration_url, "active": True, "companyName": "", "phone": "",
            "publicEmail": "", "website": "", "refreshDate": stamp, "lastRefreshAttempt": stamp,
            "createDate": stamp, "modifyDate": stamp, "autoRefresh": True,
            "statusMappings": None}


def _address(a: dict[str, Any] | None) -> dict[str, Any]:
    a = a or {}
    name = a.get("name") or " ".join(p for p in (a.get("first_name"), a.get("last_name")) if p)
    return {"name": name or None, "company": a.get("company"), "street1": a.get("address1"),
            "street2": a.get("address2"), "street3": None, "city": a.get("city"),
            "state": a.get("province_code"), "postalCode": a.get("zip"),
            "country": a.get("country_code") or "US", "phone": a.get("phone"),
            "residential": None}


def import_body(rest: dict[str, Any], store_id: int) -> dict[str, Any] | None:
    """The order as the connection imports it, or None when it does not import it."""
    lines = [li for li in rest.get("line_items") or []
             if li.get("requires_shipping", True) and int(li.get("quantity") or 0) > 0]
    if not lines or not rest.get("shipping_address"):
        return None
    shipping = sum(float(s.get("price") or 0) for s in rest.get("shipping_lines") or [])
    return {
        "orderNumber": str(rest.get("name") or rest["id"]).removeprefix("#"),
        "orderKey": str(rest["id"]),
        "orderDate": rest.get("created_at"),
        "paymentDate": rest.get("processed_at") or rest.get("created_at"),
        "orderStatus": "awaiting_shipment",
        "customerUsername": rest.get("email"),
        "customerEmail": rest.get("email"),
        "billTo": _address(rest.get("billing_address") or rest.get("shipping_address")),
        "shipTo": _address(rest.get("shipping_address")),
        "items": [{"lineItemKey": str(li["id"]), "sku": li.get("sku"), "name": li.get("name")
                   or li.get("title") or "", "quantity": int(li["quantity"]),
                   "unitPrice": float(li.get("price") or 0),
                   "weight": {"value": float(li.get("grams") or 0), "units": "grams"},
                   "adjustment": False} for li in lines],
        "amountPaid": float(rest.get("total_price") or 0),
        "taxAmount": float(rest.get("total_tax") or 0),
        "shippingAmount": shipping,
        "customerNotes": rest.get("note"),
        "requestedShippingService": next(
            (s.get("title") for s in rest.get("shipping_lines") or []), None),
        "advancedOptions": {"storeId": store_id, "source": "shopify"},
    }


class StoreConnection:
    """Enabled when `store_import_after` is set; wraps the warehouse's label hooks."""

    def __init__(self, config: SandboxConfig, clock: Clock, shopify: ShopifySim,
                 shipstation: ShipStationSim) -> None:
        self.clock = clock
        self.shopify = shopify
        self.shipstation = shipstation
        self.store_id = config.shipstation_shopify_store_id
        self.import_after = config.store_import_after
        self.shop_domain = config.shop_domain
        self.first_seen: dict[int, float] = {}
        self.imported: dict[int, int] = {}  # Shopify order id -> ShipStation order id
        self.skip: set[int] = set()  # Shopify order ids it will not import (a test's control)
        self.notifications: list[Notification] = []
        self.created = ss_timestamp(clock.wall())
        self._inner: LabelHooks | None = shipstation.warehouse.label_hooks
        shipstation.warehouse.label_hooks = self

    @property
    def enabled(self) -> bool:
        return self.import_after is not None

    def stores(self) -> list[dict[str, Any]]:
        """`GET /stores`: the manual store, and the Shopify connection when there is one."""
        rows = [store_json(self.shipstation.store.store_id, "Manual Orders", 0, "ShipStation",
                           None, self.created)]
        if self.enabled:
            rows.append(store_json(self.store_id, self.shop_domain, SHOPIFY_MARKETPLACE_ID,
                                   "Shopify", f"https://{self.shop_domain}", self.created))
        return rows

    # -- import --------------------------------------------------------------------------------
    def import_due(self, now: bool = False) -> list[int]:
        """Import the paid orders seen at least `store_import_after` ago (all, with `now`);
        returns the ShipStation order ids created."""
        if not self.enabled:
            return []
        clock_now, created = self.clock.now(), []
        for order in list(self.shopify.store.orders.values()):
            if order.id in self.imported or order.id in self.skip:
                continue
            rest = order.rest
            if rest.get("cancelled_at") or rest.get("financial_status") not in IMPORTED:
                continue
            seen = self.first_seen.setdefault(order.id, clock_now)
            if not now and clock_now - seen < (self.import_after or 0.0):
                continue
            made = self._import(order)
            if made is not None:
                created.append(made)
        return created

    def _import(self, order: ShopOrder) -> int | None:
        body = import_body(order.rest, self.store_id)
        if body is None:
            self.imported[order.id] = 0
            return None
        store = self.shipstation.store
        # Assumption: an orderKey is unique within a store, so an order shipflow already pushed
        # (same key, the manual store) is imported a second time beside it, which is what a
        # merchant running both sees; a createorder by that key still finds shipflow's own.
        taken = store.by_key.pop(body["orderKey"], None)
        try:
            stored = store.upsert(body, self.clock.wall(), self.clock.now())
        except OrderError:
            self.imported[order.id] = 0
            return None
        finally:
            if taken is not None:
                store.by_key[body["orderKey"]] = taken
        self.imported[order.id] = stored["orderId"]
        return int(stored["orderId"])

    # -- marketplace notification (the label hooks) --------------------------------------------
    def v1_label_created(self, shipment: StoredShipment, order: dict[str, Any]) -> None:
        if self._inner is not None:
            self._inner.v1_label_created(shipment, order)
        if not self.enabled or shipment.store_id != self.store_id:
            return
        if any(s.data["orderId"] == order["orderId"] and s.data["voided"]
               for s in self.shipstation.store.shipments.values()):
            return  # a relabel: ShipStation does not notify the store
        key = str(order.get("orderKey") or "")
        shop_order = self.shopify.store.orders.get(int(key)) if key.isdigit() else None
        if shop_order is None:
            return
        self.notify(shipment, shop_order, order)

    def _groups(self, order: ShopOrder, ss_order: dict[str, Any]) -> list[dict[str, Any]]:
        """The shipped items (`lineItemKey` = the Shopify line item id) as fulfillment order
        lines: an order amended to part of its lines (a split) fulfils only those."""
        wanted: dict[int, int] = {}
        for item in ss_order.get("items") or []:
            key = str(item.get("lineItemKey") or "")
            if key.isdigit() and not item.get("adjustment"):
                wanted[int(key)] = wanted.get(int(key), 0) + int(item.get("quantity") or 0)
        groups = []
        for fo in self.shopify.store.order_fulfillment_orders(order):
            if fo.status not in ("OPEN", "IN_PROGRESS"):
                continue
            lines = []
            for line in fo.lines:
                qty = min(line.remaining_quantity, wanted.get(line.line_item_id, 0))
                if qty > 0:
                    lines.append({"id": gid("FulfillmentOrderLineItem", line.id),
                                  "quantity": qty})
                    wanted[line.line_item_id] -= qty
            if lines:
                groups.append({"fulfillmentOrderId": fo.gid, "fulfillmentOrderLineItems": lines})
        return groups

    def notify(self, shipment: StoredShipment, order: ShopOrder,
               ss_order: dict[str, Any]) -> None:
        data = shipment.data
        groups = self._groups(order, ss_order)
        note = Notification(data["shipmentId"], order.id, None, data["trackingNumber"])
        if not groups:
            note.error = "no open fulfillment order line for the shipped items"
        else:
            fulfillment, errors = self.shopify.ops.fulfillment_create({
                "lineItemsByFulfillmentOrder": groups,
                "trackingInfo": {"company": data["carrierCode"].upper(),
                                 "number": data["trackingNumber"]},
                "notifyCustomer": False})
            if fulfillment is not None:
                note.fulfillment_id = fulfillment.id
                data["marketplaceNotified"] = True
            else:
                note.error = "; ".join(str(e.get("message")) for e in errors)
        if note.error:
            data["notifyErrorMessage"] = note.error
        self.notifications.append(note)

    def v1_batch_printed(self, batch_id: int) -> None:
        if self._inner is not None:
            self._inner.v1_batch_printed(batch_id)

    def v1_voided(self, shipment: StoredShipment) -> None:
        if self._inner is not None:
            self._inner.v1_voided(shipment)

    def counts(self) -> dict[str, Any]:
        return {"enabled": self.enabled, "store_id": self.store_id,
                "imported": sum(1 for i in self.imported.values() if i),
                "notifications": len(self.notifications)}

    def records(self) -> dict[str, Any]:
        return {"imported": {str(k): v for k, v in self.imported.items() if v},
                "notifications": [vars(n) for n in self.notifications]}
