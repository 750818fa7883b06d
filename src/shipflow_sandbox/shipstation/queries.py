"""`GET /orders` and `GET /shipments`: filters, sorting and `{items, total, page, pages}` paging.

Paging: `page` from 1, `pageSize` default 100, max 500 (shipstation.md §1.4). Filters follow
the v1 list endpoints plus the undocumented ones seen in SHIP_NOTIFY resource URLs (`batchId`,
`storeID`, `shipmentId`). Assumptions: `orderNumber` is a "starts with" match on orders and an
exact match on shipments; the default order is ascending by id; `batchId` also matches the
shipments a relabel in that batch voided (so its SHIP_NOTIFY shows the old label `voided: true`
beside the new one). `GET /fulfillments` lists orders marked as shipped (`list_fulfillments`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from shipflow_sandbox.shipstation.store import ShipStationStore, StoredShipment

MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 100


def flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("true", "1", "yes")


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value not in (None, "") else default
    except ValueError:
        return default


def paginate(items: list[Any], params: Mapping[str, str], key: str) -> dict[str, Any]:
    size = min(MAX_PAGE_SIZE, max(1, _int(params.get("pageSize"), DEFAULT_PAGE_SIZE)))
    page = max(1, _int(params.get("page"), 1))
    chunk = items[(page - 1) * size : page * size]
    return {key: chunk, "total": len(items), "page": page, "pages": math.ceil(len(items) / size)}


def _sorted(
    items: list[Any],
    params: Mapping[str, str],
    fields: dict[str, Callable[[Any], Any]],
    default: Callable[[Any], Any],
) -> list[Any]:
    sort_key = fields.get((params.get("sortBy") or "").lower(), default)
    descending = (params.get("sortDir") or "ASC").upper() == "DESC"
    return sorted(items, key=lambda item: sort_key(item) or "", reverse=descending)


def list_orders(store: ShipStationStore, params: Mapping[str, str]) -> dict[str, Any]:
    orders = [o for o in store.orders.values() if o["orderId"] not in store.deleted]
    if params.get("orderNumber"):
        prefix = params["orderNumber"].lower()
        orders = [o for o in orders if o["orderNumber"].lower().startswith(prefix)]
    if params.get("orderStatus"):
        orders = [o for o in orders if o["orderStatus"] == params["orderStatus"]]
    if params.get("customerName"):
        name = params["customerName"].lower()
        orders = [o for o in orders if name in (o["shipTo"]["name"] or "").lower()]
    if params.get("storeId"):
        orders = [o for o in orders if str(o["advancedOptions"]["storeId"]) == params["storeId"]]
    for param, field, compare in (
        ("orderDateStart", "orderDate", str.__ge__),
        ("orderDateEnd", "orderDate", str.__le__),
        ("modifyDateStart", "modifyDate", str.__ge__),
        ("modifyDateEnd", "modifyDate", str.__le__),
    ):
        if params.get(param):
            orders = [o for o in orders if o[field] and compare(o[field], params[param])]
    fields = {
        "orderdate": lambda o: o["orderDate"],
        "modifydate": lambda o: o["modifyDate"],
        "createdate": lambda o: o["createDate"],
    }
    orders = _sorted(orders, params, fields, lambda o: o["orderId"])
    return paginate(orders, params, "orders")


def _shipment_json(shipment: StoredShipment, with_items: bool) -> dict[str, Any]:
    data = dict(shipment.data)
    data["shipmentItems"] = [dict(i) for i in shipment.items] if with_items else None
    return data


def list_shipments(store: ShipStationStore, params: Mapping[str, str]) -> dict[str, Any]:
    shipments = list(store.shipments.values())
    if params.get("batchId"):
        wanted = params["batchId"]
        shipments = [s for s in shipments
                     if str(s.batch_id) == wanted or wanted in map(str, s.also_in_batches)]
    exact: dict[str, Callable[[StoredShipment], Any]] = {
        "orderId": lambda s: s.data["orderId"],
        "shipmentId": lambda s: s.data["shipmentId"],
        "orderNumber": lambda s: s.data["orderNumber"],
        "trackingNumber": lambda s: s.data["trackingNumber"],
        "carrierCode": lambda s: s.data["carrierCode"],
        "serviceCode": lambda s: s.data["serviceCode"],
        "storeId": lambda s: s.store_id,
        "storeID": lambda s: s.store_id,
        "recipientCountryCode": lambda s: s.data["shipTo"]["country"],
    }
    for param, getter in exact.items():
        if params.get(param):
            shipments = [s for s in shipments if str(getter(s)) == params[param]]
    if params.get("recipientName"):
        name = params["recipientName"].lower()
        shipments = [s for s in shipments if name in (s.data["shipTo"]["name"] or "").lower()]
    for param, field, compare in (
        ("shipDateStart", "shipDate", str.__ge__),
        ("shipDateEnd", "shipDate", str.__le__),
        ("createDateStart", "createDate", str.__ge__),
        ("createDateEnd", "createDate", str.__le__),
        ("voidDateStart", "voidDate", str.__ge__),
        ("voidDateEnd", "voidDate", str.__le__),
    ):
        if params.get(param):
            shipments = [
                s for s in shipments if s.data[field] and compare(s.data[field], params[param])
            ]
    fields = {
        "shipdate": lambda s: s.data["shipDate"],
        "createdate": lambda s: s.data["createDate"],
    }
    shipments = _sorted(shipments, params, fields, lambda s: s.data["shipmentId"])
    with_items = flag(params.get("includeShipmentItems"))
    page = paginate(shipments, params, "shipments")
    page["shipments"] = [_shipment_json(s, with_items) for s in page["shipments"]]
    return page


def list_fulfillments(store: ShipStationStore, params: Mapping[str, str]) -> dict[str, Any]:
    """`GET /fulfillments`: `{"fulfillments": [...], "total", "page", "pages"}`, filtered by
    `fulfillmentId`, `orderId`, `orderNumber`, `trackingNumber` (exact) and `recipientName`."""
    found = list(store.fulfillments.values())
    for param in ("fulfillmentId", "orderId", "orderNumber", "trackingNumber"):
        if params.get(param):
            found = [f for f in found if str(f[param]) == params[param]]
    if params.get("recipientName"):
        name = params["recipientName"].lower()
        found = [f for f in found if name in (f["shipTo"]["name"] or "").lower()]
    fields = {"shipdate": lambda f: f["shipDate"], "createdate": lambda f: f["createDate"]}
    found = _sorted(found, params, fields, lambda f: f["fulfillmentId"])
    return paginate(found, params, "fulfillments")
