"""ShipStation v1 as the engine's `LabelPlatform` port: parts pushed as ShipStation orders
(createorders bodies built here, with the routing decisions in ShipStation's fields), holds
restored, orders cancelled or marked shipped, and the labels a SHIP_NOTIFY points at."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Sequence

import httpx

from shipflow.domain.effects import PushPart
from shipflow.domain.reconcile import LabelSeen
from shipflow.domain.shipment import Shipment
from shipflow.providers.errors import RejectedRequest
from shipflow.providers.ports import PushResult
from shipflow.providers.shipstation.client import ShipStationClient
from shipflow.providers.shipstation.mapping import MAX_ORDERS_PER_BULK, order_request

__all__ = ["MAX_ORDERS_PER_BULK", "ShipStationLabelPlatform", "order_body"]


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

    def restore_from_hold(self, order_key: str, platform_order_id: int | None) -> None:
        self.client.restore_from_hold(_known(order_key, platform_order_id))

    def cancel(self, order_key: str, platform_order_id: int | None) -> None:
        self.client.cancel_order(_known(order_key, platform_order_id))

    def mark_shipped(self, order_key: str, platform_order_id: int | None, carrier_code: str,
                     ship_date: date, tracking_number: str) -> None:
        self.client.mark_as_shipped(_known(order_key, platform_order_id), carrier_code,
                                    ship_date=ship_date, tracking_number=tracking_number)
