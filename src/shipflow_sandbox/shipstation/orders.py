"""ShipStation v1 orders: validate a `createorder` body and build the stored Order object.

The built object has the key set and order of `v1_order_get_response.docs.json`; timestamps
use 7 fractional digits and no offset (items: 3 digits), `shipDate` is a date (shipstation.md
§1.4). Like the real service, the order weight is recomputed from the items when they carry
weights, and `orderTotal` = items + tax + shipping. Validation failures raise `OrderError`;
only "Ship To: Postal Code must be provided." is a verified wording, the others follow its
pattern (assumption). Timestamps are ShipStation's US Pacific wall time without an offset
(shipstation.md §1.4; the zone is the one ShipStation's documentation and integrators use, and
shipflow's client reads them so): `createDate`/`modifyDate` are written in Pacific time, and
aware input timestamps (`...Z`, `+02:00`) are converted to Pacific and the offset dropped.
Numbers sent as JSON strings are bound as numbers, as ASP.NET's binder does (`binding.py`).
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

PACIFIC = ZoneInfo("America/Los_Angeles")

STATUSES = (
    "awaiting_payment",
    "awaiting_shipment",
    "pending_fulfillment",
    "shipped",
    "on_hold",
    "cancelled",
    "rejected_fulfillment",
)
UPDATABLE = ("awaiting_payment", "awaiting_shipment", "pending_fulfillment", "on_hold")
_OUNCES = {"ounces": 1.0, "pounds": 16.0, "grams": 0.0352739619}
_US_ZIP = re.compile(r"^\d{5}(-\d{4})?$")
ADDRESS_KEYS = (
    "name",
    "company",
    "street1",
    "street2",
    "street3",
    "city",
    "state",
    "postalCode",
    "country",
    "phone",
    "residential",
)
ADVANCED_KEYS = (
    "warehouseId",
    "nonMachinable",
    "saturdayDelivery",
    "containsAlcohol",
    "mergedOrSplit",
    "mergedIds",
    "parentId",
    "storeId",
    "customField1",
    "customField2",
    "customField3",
    "source",
    "billToParty",
    "billToAccount",
    "billToPostalCode",
    "billToCountryCode",
)


class OrderError(Exception):
    """A rejected order; `message` is the ASP.NET `ExceptionMessage`."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def ss_timestamp(moment: datetime, digits: int = 7) -> str:
    """ShipStation's timestamp text: an aware `moment` in Pacific wall time, a naive one as it
    is (already Pacific), no offset."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(PACIFIC).replace(tzinfo=None)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S.%f")
    return text + "0" if digits == 7 else text[: len(text) - 3]


def parse_timestamp(value: Any, field: str) -> str | None:
    if value in (None, ""):
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise OrderError(f"{field} is not a valid date.") from exc
    return ss_timestamp(moment)


def validate(body: Any) -> None:
    if not isinstance(body, dict):
        raise OrderError("Order must be provided.")
    number = body.get("orderNumber")
    if not isinstance(number, str) or not number.strip():
        raise OrderError("Order Number must be provided.")
    if len(number) > 50:
        raise OrderError("Order Number must be 50 characters or fewer.")
    if not body.get("orderDate"):
        raise OrderError("Order Date must be provided.")
    if not body.get("orderStatus"):
        raise OrderError("Order Status must be provided.")
    if body["orderStatus"] not in STATUSES:
        raise OrderError(f"Invalid Order Status: '{body['orderStatus']}'.")
    if not isinstance(body.get("billTo"), dict):
        raise OrderError("Bill To must be provided.")
    ship_to = body.get("shipTo")
    if not isinstance(ship_to, dict):
        raise OrderError("Ship To must be provided.")
    country = ship_to.get("country") or "US"
    if len(country) != 2:
        raise OrderError("Ship To: Country must be a two-character ISO country code.")
    if country == "US" and not ship_to.get("postalCode"):
        raise OrderError("Ship To: Postal Code must be provided.")
    for item in body.get("items") or []:
        if not isinstance(item, dict) or not isinstance(item.get("quantity", 1), int):
            raise OrderError("Order Items: Quantity must be a whole number.")


def _address(data: dict[str, Any] | None, verify: bool) -> dict[str, Any]:
    data = data or {}
    address = {key: data.get(key) for key in ADDRESS_KEYS}
    if not verify:
        address["addressVerified"] = None
    elif (address["country"] or "US") != "US":
        address["addressVerified"] = "Address not yet validated"
    elif _US_ZIP.match(address["postalCode"] or "") and address["state"]:
        address["addressVerified"] = "Address validated successfully"
    else:
        address["addressVerified"] = "Address validation warning"
    return address


def ounces(weight: dict[str, Any] | None) -> float:
    if not weight:
        return 0.0
    return float(weight.get("value") or 0) * _OUNCES.get(weight.get("units") or "ounces", 1.0)


def _items(
    body: dict[str, Any], previous: dict[str, Any] | None, next_id: Any, stamp: str
) -> list[dict[str, Any]]:
    known = {i["lineItemKey"]: i for i in (previous or {}).get("items", []) if i["lineItemKey"]}
    items = []
    for item in body.get("items") or []:
        old = known.get(item.get("lineItemKey"))
        items.append(
            {
                "orderItemId": old["orderItemId"] if old else next_id(),
                "lineItemKey": item.get("lineItemKey"),
                "sku": item.get("sku"),
                "name": item.get("name"),
                "imageUrl": item.get("imageUrl"),
                "weight": item.get("weight"),
                "quantity": item.get("quantity", 1),
                "unitPrice": item.get("unitPrice", 0),
                "taxAmount": item.get("taxAmount"),
                "shippingAmount": item.get("shippingAmount"),
                "warehouseLocation": item.get("warehouseLocation"),
                "options": item.get("options") or [],
                "productId": item.get("productId"),
                "fulfillmentSku": item.get("fulfillmentSku"),
                "adjustment": bool(item.get("adjustment", False)),
                "upc": item.get("upc"),
                "createDate": old["createDate"] if old else stamp,
                "modifyDate": stamp,
            }
        )
    return items


def build_order(
    body: dict[str, Any],
    *,
    order_id: int,
    customer_id: int,
    store_id: int,
    warehouse_id: int,
    previous: dict[str, Any] | None,
    next_item_id: Any,
    now: datetime,
) -> dict[str, Any]:
    """The stored order for a validated body (`previous` when updating by orderKey)."""
    stamp, item_stamp = ss_timestamp(now), ss_timestamp(now, 3)
    items = _items(body, previous, next_item_id, item_stamp)
    item_oz = sum(ounces(i["weight"]) * i["quantity"] for i in items)
    weight = (
        {"value": round(item_oz, 2), "units": "ounces"}
        if item_oz
        else (body.get("weight") or {"value": 0, "units": "ounces"})
    )
    total = sum(float(i["unitPrice"] or 0) * i["quantity"] for i in items)
    total += float(body.get("taxAmount") or 0) + float(body.get("shippingAmount") or 0)
    advanced = {key: (body.get("advancedOptions") or {}).get(key) for key in ADVANCED_KEYS}
    advanced.update(mergedOrSplit=False, mergedIds=[], parentId=None)
    advanced["storeId"] = (previous or {}).get("advancedOptions", {}).get("storeId") or (
        advanced["storeId"] or store_id
    )
    advanced["warehouseId"] = advanced["warehouseId"] or warehouse_id
    for flag in ("nonMachinable", "saturdayDelivery", "containsAlcohol"):
        advanced[flag] = bool(advanced[flag])
    international = body.get("internationalOptions") or {}
    email = body.get("customerEmail")
    return {
        "orderId": order_id,
        "orderNumber": body["orderNumber"],
        "orderKey": body.get("orderKey") or uuid.uuid4().hex,
        "orderDate": parse_timestamp(body["orderDate"], "Order Date"),
        "createDate": (previous or {}).get("createDate") or stamp,
        "modifyDate": stamp,
        "paymentDate": parse_timestamp(body.get("paymentDate"), "Payment Date"),
        "shipByDate": parse_timestamp(body.get("shipByDate"), "Ship By Date"),
        "orderStatus": body["orderStatus"],
        "customerId": customer_id,
        "customerUsername": body.get("customerUsername") or email,
        "customerEmail": email,
        "billTo": _address(body.get("billTo"), verify=False),
        "shipTo": _address(body.get("shipTo"), verify=True),
        "items": items,
        "orderTotal": round(total, 2),
        "amountPaid": body.get("amountPaid"),
        "taxAmount": body.get("taxAmount"),
        "shippingAmount": body.get("shippingAmount"),
        "customerNotes": body.get("customerNotes"),
        "internalNotes": body.get("internalNotes"),
        "gift": bool(body.get("gift", False)),
        "giftMessage": body.get("giftMessage"),
        "paymentMethod": body.get("paymentMethod"),
        "requestedShippingService": body.get("requestedShippingService"),
        "carrierCode": body.get("carrierCode"),
        "serviceCode": body.get("serviceCode"),
        "packageCode": body.get("packageCode"),
        "confirmation": body.get("confirmation"),
        "shipDate": body.get("shipDate"),
        "holdUntilDate": None,
        "weight": weight,
        "dimensions": body.get("dimensions"),
        "insuranceOptions": body.get("insuranceOptions")
        or {"provider": None, "insureShipment": False, "insuredValue": 0},
        "internationalOptions": {
            "contents": international.get("contents"),
            "customsItems": international.get("customsItems"),
            "nonDelivery": international.get("nonDelivery"),
        },
        "advancedOptions": advanced,
        "tagIds": body.get("tagIds"),
        "userId": None,
        "externallyFulfilled": False,
        "externallyFulfilledBy": None,
        "externallyFulfilledById": None,
        "externallyFulfilledByName": None,
    }
