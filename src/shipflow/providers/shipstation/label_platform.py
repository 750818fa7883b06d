"""ShipStation v1 as the engine's `LabelPlatform` port: parts pushed as ShipStation orders
(createorders bodies built here, with the routing decisions in ShipStation's fields), holds
restored, orders cancelled or marked shipped, and the labels a SHIP_NOTIFY points at."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Sequence

import httpx

from shipflow.domain.effects import AmendImported, PushPart
from shipflow.domain.reconcile import LabelSeen
from shipflow.domain.shipment import Shipment
from shipflow.providers.errors import RejectedRequest
from shipflow.providers.ports import ImportedOrder, PushResult
from shipflow.providers.shipstation import stores
from shipflow.providers.shipstation.client import ShipStationClient
from shipflow.providers.shipstation.mapping import MAX_ORDERS_PER_BULK, order_request

FEW = 3  # order numbers looked up one by one; more are matched on a listing of the store
MAX_PAGES = 20  # of 500 orders: a listing never reads more of the store than this

__all__ = ["MAX_ORDERS_PER_BULK", "ShipStationLabelPlatform", "amend_body", "order_body"]


def order_body(push: PushPart) -> dict[str, Any]:
    """The createorder body of one part, with the routing decisions applied."""
    order, part = push.order, push.part
    number = order.name.removeprefix("#").strip()
    return order_request(
        order, order_key=push.order_key,
        confirmation=push.confirmation.value if push.confirmation else "none",
        status=part.status.value,
        carrier_code=push.service.carrier_code if push.service else None,
        service_code=push.service.service_code if push.service else None,
        items={line.line_item_id: line.quantity for line in part.lines} if push.split else None,
        order_number=f"{number}-{part.number}" if part.number > 1 else None,
        custom_field2=f"shipflow part {part.number}"
        + (f"; hold: {part.hold_reason.value}" if part.hold_reason else ""),
    )


def amend_body(amendment: AmendImported) -> dict[str, Any]:
    """The createorder body that applies a part's decisions to an imported order.

    createorder upserts by orderKey and replaces the whole order (shipstation.md §1.6: "No
    partial updates: send the entire resource"; split orders need `orderId` for updates), so the
    body is the part's complete order, keyed by the import's orderKey and orderId. A further
    part of a split is a new order in the same store (`advancedOptions.storeId`, honoured only
    at creation). A hold is the `on_hold` status, as in push mode: `/orders/holduntil` would
    put the order back to awaiting_shipment on its date, and shipflow's holds end when it
    releases them."""
    body = order_body(amendment.push)
    body["advancedOptions"]["storeId"] = amendment.store_id
    if amendment.imported_order_id is not None:
        body["orderId"] = amendment.imported_order_id
    return body


def _known(order_key: str, platform_order_id: int | None) -> int:
    if platform_order_id is None:
        raise RejectedRequest(f"ShipStation order {order_key} was never created",
                              provider="shipstation")
    return platform_order_id


class ShipStationLabelPlatform:
    def __init__(self, client: ShipStationClient) -> None:
        self.client = client

    def close(self) -> None:
        self.client.close()

    def fetch_labels(self, resource_url: str) -> list[Shipment]:
        return self.client.fetch_resource(resource_url)

    def labels_between(self, start: date, end: date) -> list[LabelSeen]:
        return [LabelSeen(lb.shipment_id, lb.order_key, lb.order_number, lb.tracking_number,
                          lb.created_at, lb.voided)
                for lb in self.client.labels_shipped_between(start, end)]

    def order_keys_since(self, since: datetime) -> set[str] | None:
        """`GET /orders?modifyDateStart=&sortBy=ModifyDate&pageSize=500`, every page: a few
        calls for a week of orders, where one call per order number would spend the 40
        requests a minute (shipstation.md §1.2). A deleted order is not listed."""
        keys: set[str] = set()
        for page in range(1, self.client.max_pages + 1):
            found = self.client.list_orders(modify_date_start=since, sort_by="ModifyDate",
                                            sort_dir="ASC", page=page, page_size=500)
            keys.update(o.order_key for o in found.orders if o.order_key)
            if found.page >= found.pages:
                return keys
        return None

    def label_resource_url(self, tracking_number: str) -> str:
        """`GET /shipments?trackingNumber=` on the configured base: the ship flow fetches it as
        it fetches a SHIP_NOTIFY batch (`fetch_resource` checks the host and path)."""
        url = httpx.URL(self.client.base_url.rstrip("/") + "/shipments")
        return str(url.copy_merge_params({"trackingNumber": tracking_number,
                                          "includeShipmentItems": "False"}))

    def push(self, parts: Sequence[PushPart]) -> dict[str, PushResult]:
        """One bulk createorders (the client sends 100 a call); upserts by orderKey, so a
        repeat is safe."""
        results: dict[str, PushResult] = {}
        bodies = []
        for p in parts:
            try:
                bodies.append(order_body(p))
            except (ValueError, ArithmeticError) as exc:  # one bad value refuses its order only
                results[p.order_key] = PushResult(False, None, f"cannot be sent: {exc}")
        by_key = self.client.create_orders(bodies).by_order_key() if bodies else {}
        for p in parts:
            if p.order_key in results:
                continue
            res = by_key.get(p.order_key)
            results[p.order_key] = PushResult(
                ok=res is not None and res.success,
                platform_order_id=res.order_id if res else None,
                error=(res.error_message if res else None) or "no result for this order")
        return results

    def existing_order(self, push: PushPart) -> int | None:
        """`GET /orders?orderNumber=` (a "starts with" match) and the row with this orderKey.
        ShipStation updates only open orders (awaiting_payment, awaiting_shipment, on_hold):
        a repeated createorder for one already shipped is refused, though it exists."""
        try:
            number = order_body(push)["orderNumber"]
        except (ValueError, ArithmeticError):
            return None
        page = 1
        while True:
            found = self.client.list_orders(order_number=number, page=page, page_size=500)
            for o in found.orders:
                if o.order_key == push.order_key:
                    return o.order_id
            if page >= found.pages:
                return None
            page += 1

    def shopify_store_id(self) -> int | None:
        found = stores.shopify_store(self.client.list_stores())
        return found.store_id if found else None

    def find_imported(self, order_numbers: Sequence[str], store_id: int,
                      since: datetime) -> dict[str, list[ImportedOrder]]:
        """A few numbers: one `GET /orders?orderNumber=&storeId=` each. More: the store's
        orders placed since `since`, 500 a page, matched here, so that a batch of 100 costs a
        few calls of ShipStation's 40 a minute instead of 100."""
        wanted = set(order_numbers)
        found: dict[str, list[ImportedOrder]] = {}
        if len(wanted) <= FEW:
            pages = [self.client.list_orders(order_number=n, store_id=store_id, page_size=100)
                     for n in sorted(wanted)]
        else:
            pages, page = [], 1
            while True:
                pages.append(self.client.list_orders(store_id=store_id, order_date_start=since,
                                                     page_size=500, page=page))
                if page >= pages[-1].pages or page >= MAX_PAGES:
                    break
                page += 1
        for listed in pages:
            # `orderNumber` is a "starts with" filter in v1 (1001 also finds 10010): exact only.
            for o in listed.orders:
                if o.order_number in wanted:
                    found.setdefault(o.order_number, []).append(stores.imported(o))
        return found

    def amend(self, amendments: Sequence[AmendImported]) -> dict[str, PushResult]:
        """One createorder per part (an update names its orderId, which the bulk call's
        per-order results do not echo back), then the tags ShipStation knows by name."""
        results: dict[str, PushResult] = {}
        tag_ids: dict[str, int] | None = None
        for a in amendments:
            try:
                body = amend_body(a)
            except (ValueError, ArithmeticError) as exc:
                results[a.order_key] = PushResult(False, None, f"cannot be sent: {exc}")
                continue
            try:
                answer = self.client.create_order(body)
            except RejectedRequest as exc:
                results[a.order_key] = PushResult(False, None, str(exc))
                continue
            order_id = answer.get("orderId")
            order_id = int(order_id) if isinstance(order_id, int) else a.imported_order_id
            if a.tags and order_id is not None:
                if tag_ids is None:
                    tag_ids = {t.name.lower(): t.tag_id for t in self.client.list_tags()}
                for tag in a.tags:
                    if (tag_id := tag_ids.get(tag.lower())) is not None:
                        self.client.add_tag(order_id, tag_id)
            results[a.order_key] = PushResult(True, order_id)
        return results

    def restore_from_hold(self, order_key: str, platform_order_id: int | None) -> None:
        self.client.restore_from_hold(_known(order_key, platform_order_id))

    def cancel(self, order_key: str, platform_order_id: int | None) -> None:
        self.client.cancel_order(_known(order_key, platform_order_id))

    def mark_shipped(self, order_key: str, platform_order_id: int | None, carrier_code: str,
                     ship_date: date, tracking_number: str) -> None:
        self.client.mark_as_shipped(_known(order_key, platform_order_id), carrier_code,
                                    ship_date=ship_date, tracking_number=tracking_number)
