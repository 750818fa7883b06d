"""In-memory state of the simulated ShipStation v1 account: orders, shipments, fulfillments,
webhooks.

`upsert` implements createorder's semantics (shipstation.md §1.6): an `orderKey` that exists
updates that order (same `orderId`, whole resource replaced); only open orders can be updated
("Orders in the cancelled and shipped states may not be updated", docs create-update-order).
`holdUntilDate` is read-only in the docs: an upsert that keeps an order `on_hold` keeps the
date set by `holduntil` (assumption: the real service does not clear it). Shipments are labels
bought in ShipStation; fulfillments are orders marked as shipped without a label (docs: "Orders
that have been marked as shipped either through the UI or the API will appear [in List
Fulfillments] as they are considered fulfillments", and do not appear in List Shipments).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shipflow_sandbox.shipstation.binding import ORDER as ORDER_MODEL
from shipflow_sandbox.shipstation.binding import bind
from shipflow_sandbox.shipstation.orders import UPDATABLE, OrderError, build_order, validate

WAREHOUSE_ID = 24079
EVENTS = (
    "ORDER_NOTIFY",
    "ITEM_ORDER_NOTIFY",
    "SHIP_NOTIFY",
    "ITEM_SHIP_NOTIFY",
    "FULFILLMENT_SHIPPED",
    "FULFILLMENT_REJECTED",
)


@dataclass
class StoredShipment:
    data: dict[str, Any]
    items: list[dict[str, Any]]
    batch_id: int
    store_id: int
    # Later batches whose SHIP_NOTIFY resource also lists this shipment (a relabel's batch
    # shows the label it voided next to the new one; see `Warehouse.ship`).
    also_in_batches: set[int] = field(default_factory=set)


class Counter:
    def __init__(self, rng: random.Random, start: int) -> None:
        self.value = start + rng.randrange(1000)

    def __call__(self) -> int:
        self.value += 1
        return self.value


class ShipStationStore:
    def __init__(self, seed: int, store_id: int) -> None:
        rng = random.Random(f"shipstation:{seed}")
        self.store_id = store_id
        self.user_id = str(uuid.UUID(int=rng.getrandbits(128)))
        self.next_order_id = Counter(rng, 94_113_592)
        self.next_item_id = Counter(rng, 128_836_912)
        self.next_shipment_id = Counter(rng, 72_513_480)
        self.next_customer_id = Counter(rng, 37_701_499)
        self.next_batch_id = Counter(rng, 144_015_674)
        self.next_webhook_id = Counter(rng, 123_456)
        self.next_fulfillment_id = Counter(rng, 33_974_000)
        self.orders: dict[int, dict[str, Any]] = {}
        self.by_key: dict[str, int] = {}
        self.awaiting_since: dict[int, float] = {}
        self.customers: dict[str, int] = {}
        self.shipments: dict[int, StoredShipment] = {}
        self.fulfillments: dict[int, dict[str, Any]] = {}
        self.subscriptions: dict[int, dict[str, Any]] = {}
        self.deleted: set[int] = set()  # soft-deleted orders (DELETE /orders/{id})

    def upsert(self, body: Any, now: datetime, sim_now: float) -> dict[str, Any]:
        """createorder: create, or update the order with the same orderKey."""
        body = bind(body, ORDER_MODEL)
        validate(body)
        existing_id = self.by_key.get(body.get("orderKey") or "")
        previous = self.orders.get(existing_id) if existing_id else None
        if existing_id in self.deleted:
            # Assumption: re-posting a soft-deleted orderKey brings the order back.
            self.deleted.discard(existing_id)
        if previous and previous["orderStatus"] not in UPDATABLE:
            # Assumption: the real wording for this rejection is not documented.
            raise OrderError(
                f"Order {previous['orderNumber']} cannot be updated because its status is "
                f"'{previous['orderStatus']}'."
            )
        email = (body.get("customerEmail") or "").lower()
        if email not in self.customers:
            self.customers[email] = self.next_customer_id()
        order = build_order(
            body,
            order_id=existing_id or self.next_order_id(),
            customer_id=self.customers[email],
            store_id=self.store_id,
            warehouse_id=WAREHOUSE_ID,
            previous=previous,
            next_item_id=self.next_item_id,
            now=now,
        )
        if previous and previous["orderStatus"] == order["orderStatus"] == "on_hold":
            order["holdUntilDate"] = previous["holdUntilDate"]
        self.orders[order["orderId"]] = order
        self.by_key[order["orderKey"]] = order["orderId"]
        if order["orderStatus"] == "awaiting_shipment":
            if not previous or previous["orderStatus"] != "awaiting_shipment":
                self.awaiting_since[order["orderId"]] = sim_now
        else:
            self.awaiting_since.pop(order["orderId"], None)
        return order

    def subscribe(
        self, target_url: str, event: str, store_id: int | None, name: str | None
    ) -> dict[str, Any]:
        """A webhook subscription in the `GET /webhooks` shape."""
        hook_id = self.next_webhook_id()
        hook = {
            "IsLabelAPIHook": False,
            "WebHookID": hook_id,
            "SellerID": 0,
            "StoreID": store_id,
            "HookType": event,
            "MessageFormat": "Json",
            "Url": target_url,
            "Name": name,
            "BulkCopyBatchID": None,
            "BulkCopyRecordID": None,
            "Active": True,
            "WebhookLogs": None,
            "Seller": None,
            "Store": None,
        }
        self.subscriptions[hook_id] = hook
        return hook

    def counts(self) -> dict[str, Any]:
        by_status: dict[str, int] = {}
        for order in self.orders.values():
            by_status[order["orderStatus"]] = by_status.get(order["orderStatus"], 0) + 1
        return {
            "orders": len(self.orders),
            "orders_by_status": by_status,
            "shipments": sum(not s.data["voided"] for s in self.shipments.values()),
            "fulfillments": sum(not f["voided"] for f in self.fulfillments.values()),
        }
