"""In-memory providers behind the engine's ports, with scripted failures, for fast flow tests.

Each fake keeps every write it was asked to make (`writes`), so a test compares them with the
outbound ledger. `fail(name, *errors)` makes the next calls of that method raise those errors
in turn; `lose_answer(name)` makes the next call act and then raise a timeout (the provider
acted, the answer was lost), the case exactly-once must survive.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Sequence

from shipflow.domain.effects import AmendImported, PushPart
from shipflow.domain.fulfilment import PartLine
from shipflow.domain.milestone import MilestoneEvent
from shipflow.domain.order import Order
from shipflow.domain.rating import RateOption
from shipflow.domain.routing import Hold
from shipflow.domain.shipment import Shipment, TrackingInfo
from shipflow.providers.errors import ProviderError, TransientError
from shipflow.providers.ports import BoughtLabel, ImportedOrder, LabelQuote, PushResult, Stock

_ids = itertools.count(1000)
LOCKED = frozenset({"shipped", "cancelled"})


@dataclass
class Script:
    writes: list[tuple[str, Any]] = field(default_factory=list)
    _errors: dict[str, list[Exception]] = field(default_factory=lambda: defaultdict(list))
    _lose: set[str] = field(default_factory=set)

    def fail(self, name: str, *errors: Exception) -> None:
        self._errors[name].extend(errors)

    def lose_answer(self, name: str) -> None:
        self._lose.add(name)

    def before(self, name: str) -> None:
        if self._errors[name]:
            raise self._errors[name].pop(0)

    def wrote(self, name: str, what: Any) -> None:
        self.writes.append((name, what))
        if name in self._lose:
            self._lose.discard(name)
            raise TransientError(f"{name}: timed out after the provider acted")

    def names(self) -> list[str]:
        return [name for name, _ in self.writes]


class FakeShopify(Script):
    def __init__(self) -> None:
        super().__init__()
        self.stock_by_sku: dict[str, int] = {}
        self.stock_reads: list[list[str]] = []  # the SKUs of each `stock` call
        self.fulfillments: dict[str, tuple[int, str]] = {}  # id -> (order id, tracking number)
        self.held: set[int] = set()
        self.categories: dict[int, tuple[str, ...]] = {}
        self.inventory_items: dict[int, str] = {}

    def stock(self, skus: Sequence[str]) -> dict[str, Stock]:
        self.stock_reads.append(list(skus))
        return {sku: Stock(True, self.stock_by_sku[sku]) for sku in skus
                if sku in self.stock_by_sku}

    def sku_of_inventory_item(self, inventory_item_id: int) -> str | None:
        return self.inventory_items.get(inventory_item_id)

    def product_categories(self, product_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
        return {i: self.categories[i] for i in product_ids if i in self.categories}

    def fulfil(self, order: Order, tracking: TrackingInfo, lines: tuple[PartLine, ...] | None,
               *, retried: bool) -> str:
        self.before("fulfil")
        if retried:
            for fid, (oid, number) in self.fulfillments.items():
                if (oid, number) == (order.shopify_order_id, tracking.number):
                    return fid
        fid = f"gid://shopify/Fulfillment/{next(_ids)}"
        self.fulfillments[fid] = (order.shopify_order_id, tracking.number)
        self.wrote("fulfil", (order.shopify_order_id, tracking.number, lines))
        return fid

    def adopt_fulfilment(self, order: Order, tracking: TrackingInfo,
                         lines: tuple[PartLine, ...] | None, *, attempt: int) -> tuple[str, str]:
        """As the store connection left it: its fulfillment (`fulfillments`) is found."""
        self.before("adopt_fulfilment")
        for fid, (oid, number) in self.fulfillments.items():
            if oid == order.shopify_order_id:
                action = "found" if number == tracking.number else "tracking corrected"
                self.fulfillments[fid] = (oid, tracking.number)
                self.wrote("adopt_fulfilment", (fid, action))
                return fid, action
        raise TransientError("no fulfillment from the store connection yet")

    def fulfilled_by_connection(self, shopify_order_id: int, tracking_number: str) -> str:
        """What ShipStation's store connection does when a label is printed."""
        fid = f"gid://shopify/Fulfillment/{next(_ids)}"
        self.fulfillments[fid] = (shopify_order_id, tracking_number)
        return fid

    def update_tracking(self, fulfillment_id: str, tracking: TrackingInfo) -> None:
        self.before("update_tracking")
        oid, _ = self.fulfillments[fulfillment_id]
        self.fulfillments[fulfillment_id] = (oid, tracking.number)
        self.wrote("update_tracking", (fulfillment_id, tracking.number))

    def hold(self, order: Order, hold: Hold) -> list[str]:
        self.before("hold")
        self.held.add(order.shopify_order_id)
        self.wrote("hold", (order.shopify_order_id, hold.reason.value))
        return [f"fo-{order.shopify_order_id}"]

    def release(self, order: Order) -> list[str]:
        self.before("release")
        self.held.discard(order.shopify_order_id)
        self.wrote("release", order.shopify_order_id)
        return [f"fo-{order.shopify_order_id}"]

    def add_tags(self, order: Order, tags: Sequence[str]) -> None:
        self.before("add_tags")
        self.wrote("add_tags", (order.shopify_order_id, tuple(tags)))


class FakeShipStation(Script):
    def __init__(self) -> None:
        super().__init__()
        self.orders: dict[str, dict[str, Any]] = {}  # orderKey -> {id, status}
        self.labels: dict[str, list[Shipment]] = {}  # resource url -> shipments
        self.refuse: dict[str, str] = {}  # orderKey -> validation error
        self.store_id: int | None = 171654  # the Shopify store connection's store
        self.imported: dict[str, ImportedOrder] = {}  # order number -> its import

    def import_order(self, number: str, order_key: str) -> None:
        """What ShipStation's Shopify store connection does on its own."""
        order_id = next(_ids)
        self.imported[number] = ImportedOrder(order_id, order_key, number, "awaiting_shipment",
                                              self.store_id, False)
        self.orders[order_key] = {"id": order_id, "status": "awaiting_shipment"}

    def shopify_store_id(self) -> int | None:
        return self.store_id

    def find_imported(self, order_numbers: Sequence[str], store_id: int,
                      since: datetime) -> dict[str, list[ImportedOrder]]:
        self.before("find_imported")
        return {n: [self.imported[n]] for n in order_numbers
                if n in self.imported and self.imported[n].store_id == store_id}

    def amend(self, amendments: Sequence[AmendImported]) -> dict[str, PushResult]:
        self.before("amend")
        out = {}
        for a in amendments:
            known = self.orders.setdefault(a.order_key, {"id": next(_ids)})
            known["status"] = a.push.part.status.value
            out[a.order_key] = PushResult(True, known["id"])
        self.wrote("amend", [(a.order_key, a.imported_order_id) for a in amendments])
        return out

    def fetch_labels(self, resource_url: str) -> list[Shipment]:
        self.before("fetch_labels")
        return list(self.labels.get(resource_url, []))

    def push(self, parts: Sequence[PushPart]) -> dict[str, PushResult]:
        self.before("push")
        out = {}
        for p in parts:
            if p.order_key in self.refuse:
                out[p.order_key] = PushResult(False, None, self.refuse[p.order_key])
                continue
            known = self.orders.setdefault(p.order_key, {"id": next(_ids)})
            if known.get("status") in LOCKED:  # ShipStation updates open orders only
                out[p.order_key] = PushResult(False, None, f"{p.order_key} is {known['status']}")
                continue
            known["status"] = p.part.status.value
            out[p.order_key] = PushResult(True, known["id"])
        self.wrote("push", [p.order_key for p in parts])
        return out

    def existing_order(self, push: PushPart) -> int | None:
        self.before("existing_order")
        known = self.orders.get(push.order_key)
        return int(known["id"]) if known else None

    def restore_from_hold(self, order_key: str, platform_order_id: int | None) -> None:
        self.before("restore_from_hold")
        self.orders[order_key]["status"] = "awaiting_shipment"
        self.wrote("restore_from_hold", order_key)

    def cancel(self, order_key: str, platform_order_id: int | None) -> None:
        self.before("cancel")
        if self.orders[order_key]["status"] == "shipped":
            raise ProviderError(f"{order_key} is shipped and cannot be cancelled")
        self.orders[order_key]["status"] = "cancelled"
        self.wrote("cancel", order_key)

    def mark_shipped(self, order_key: str, platform_order_id: int | None, carrier_code: str,
                     ship_date: date, tracking_number: str) -> None:
        self.before("mark_shipped")
        self.orders[order_key]["status"] = "shipped"
        self.wrote("mark_shipped", (order_key, tracking_number))


class FakeRates(Script):
    def __init__(self) -> None:
        super().__init__()
        self.bought: dict[str, BoughtLabel] = {}  # by orderKey
        self.quoted: dict[str, str] = {}  # rate id -> orderKey

    def quote(self, order: Order, order_key: str, *, confirmation: str, ship_date: date,
              lines: tuple[PartLine, ...] | None) -> LabelQuote:
        options = (
            RateOption(f"rate-{order_key}-ups", "ups", "ups_ground", Decimal("9.10"), 3, None),
            RateOption(f"rate-{order_key}-usps", "usps", "usps_priority", Decimal("7.20"), 2, None),
        )
        self.quoted.update({o.rate_id: order_key for o in options})
        return LabelQuote(options)

    def existing_label(self, order_key: str) -> BoughtLabel | None:
        return self.bought.get(order_key)

    def buy(self, rate_id: str) -> BoughtLabel:
        self.before("buy")
        order_key = self.quoted[rate_id]
        label = BoughtLabel(f"se-{next(_ids)}", f"9400{next(_ids)}", rate_id.rsplit("-", 1)[1],
                            None, date(2026, 11, 2))
        self.bought[order_key] = label
        self.wrote("buy", order_key)
        return label


class FakeKlaviyo(Script):
    def __init__(self) -> None:
        super().__init__()
        self.events: dict[str, MilestoneEvent] = {}

    def send_events(self, events: Sequence[MilestoneEvent]) -> None:
        self.before("send_events")
        for e in events:
            self.events[e.unique_id] = e  # Klaviyo dedupes on unique_id
        self.wrote("send_events", [e.unique_id for e in events])

    def metrics(self) -> list[str]:
        return sorted(e.milestone.value for e in self.events.values())
