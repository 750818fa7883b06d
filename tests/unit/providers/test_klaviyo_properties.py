"""The Klaviyo properties of every milestone: names, values and omissions (klaviyo.md §5.3)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

from shipflow.domain.delays import DelayNotice
from shipflow.domain.messages import (
    back_in_stock,
    backorder_delayed,
    delivery_exception,
    order_delivered,
    order_shipped,
    review_request_due,
    shipment_delayed,
)
from shipflow.domain.shipment import ShipmentItem
from shipflow.domain.tracking import tracking_info
from shipflow.domain.tracking_events import ExceptionType, TrackingScan, TrackingStatus
from shipflow.providers.klaviyo.properties import properties
from tests.unit.domain.factories import (
    AT,
    DELIVERED_SCAN,
    EXCEPTION_SCAN,
    a_shipment,
    an_order,
    every_milestone,
)

EVENTS = every_milestone(an_order(), a_shipment())


def empties(value: Any, where: str = "") -> list[str]:
    """Paths of values Klaviyo would ignore (None, "", 0, empty list/object) or drop."""
    if isinstance(value, dict):
        found = [f"{where}/{k}" for k, v in value.items()
                 if v is None or v == "" or v == [] or v == {}
                 or (not isinstance(v, bool) and isinstance(v, (int, float)) and v == 0)]
        return found + [p for k, v in value.items() for p in empties(v, f"{where}/{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in empties(v, f"{where}[{i}]")]
    return []


# -- the exact properties of each kind (captured from the builders before the facts moved out
#    of the domain; compared as JSON text, so key order, int/float and bool/int count too) ----
ORDER = {"OrderId": "820982911946154508", "OrderName": "#1001"}
MUG = {"ProductID": "7", "SKU": "MUG-01", "ProductName": "Mug - Blue"}
MUG_VARIANT = {"ProductID": "7", "VariantID": "70", "SKU": "MUG-01", "ProductName": "Mug - Blue"}
TEE = {"SKU": "TEE-02", "ProductName": "T-shirt"}
ADDRESS = {"City": "Austin", "RegionCode": "TX", "CountryCode": "US", "Zip": "78701"}
NAMES = ["Mug - Blue", "T-shirt"]


def parcel(eta: str | None = None) -> dict[str, Any]:
    """The common set of the shipment events, for the factories' order and shipment."""
    return {
        "ShipmentId": "33974374", "TrackingNumber": "1Z999AA10123456784",
        "TrackingUrl": "https://www.ups.com/track?tracknum=1Z999AA10123456784",
        "Carrier": "UPS", "CarrierCode": "ups", "ServiceCode": "ups_ground",
        "ShippingMethod": "Standard", "ShipDate": "2026-11-02",
        **({"EstimatedDeliveryDate": eta} if eta else {}),
        "ItemNames": NAMES, "ItemCount": 3,
        "Items": [{**MUG, "Quantity": 2}, {**TEE, "Quantity": 1}],
        "IsPartialShipment": False, "ShippingAddress": ADDRESS,
    }


SOURCE = {"Source": "shipflow"}
EXPECTED: dict[str, dict[str, Any]] = {
    "shipped": {**ORDER, **parcel("2026-11-05"), **SOURCE},
    "delayed": {**ORDER, **parcel(), "DelayReason": "estimate_passed",
                "PreviousEstimatedDeliveryDate": "2026-11-05", "DaysLate": 2, **SOURCE},
    "no-scan": {**ORDER, **parcel(), "DelayReason": "no_scan",
                "PreviousEstimatedDeliveryDate": "2026-11-09", **SOURCE},
    "out-for-delivery": {**ORDER, **parcel("2026-11-05"),
                         "CarrierStatusDescription": "Out For Delivery Today", **SOURCE},
    "delivered": {**ORDER, **parcel(), "DeliveredAt": "2026-11-05T16:18:41+00:00",
                  "DeliveryLocation": "AUSTIN, TX, US",
                  "CarrierStatusDescription": "Delivered, Front Door/Porch",
                  "SignedBy": "LOVELACE", **SOURCE},
    "exception": {**ORDER, **parcel(), "ExceptionType": "address_issue",
                  "ExceptionDescription": "The address is incomplete",
                  "CarrierStatusCode": "ADDRESS_QUERY", "ActionRequired": True, **SOURCE},
    "review": {**ORDER, **parcel(), "DeliveredAt": "2026-11-05T16:18:41+00:00",
               "DaysSinceDelivery": 21, **SOURCE},
    "reorder": {**ORDER, **MUG_VARIANT, "LastOrderedAt": "2026-11-01T12:00:00+00:00",
                "QuantityLastOrdered": 2, "ExpectedDepletionDate": "2026-12-05", **SOURCE},
    "backorder": {**ORDER,
                  "BackorderedItems": [{**MUG_VARIANT, "Quantity": 1}, {**TEE, "Quantity": 1}],
                  "BackorderedSkus": ["MUG-01", "TEE-02"], "ItemNames": NAMES,
                  "OriginalShipDate": "2026-11-01", "NewExpectedShipDate": "2026-11-20",
                  "DelayReason": "out_of_stock", **SOURCE},
    "back-in-stock": {**ORDER, **MUG_VARIANT, "Items": [{**MUG_VARIANT, "Quantity": 2}],
                      "ItemNames": ["Mug - Blue"], "BackInStockSkus": ["MUG-01"], **SOURCE},
}


@pytest.mark.parametrize("name", EVENTS)
def test_exact_properties(name: str) -> None:
    assert json.dumps(properties(EVENTS[name])) == json.dumps(EXPECTED[name])


# -- the assertions of the domain's former property tests --------------------------------------
def test_order_shipped_carries_real_tracking_and_no_value() -> None:
    order, shipment = an_order(), a_shipment()
    event = order_shipped(order, shipment, tracking_info("ups", shipment.tracking_number), AT)
    props = properties(event)
    assert props["TrackingNumber"] == "1Z999AA10123456784"
    assert props["TrackingUrl"] == "https://www.ups.com/track?tracknum=1Z999AA10123456784"
    assert props["Carrier"] == "UPS" and props["CarrierCode"] == "ups"
    assert props["OrderId"] == "820982911946154508" and props["OrderName"] == "#1001"
    assert props["ItemNames"] == ["Mug - Blue", "T-shirt"]
    assert props["ItemCount"] == 3
    assert props["ShippingAddress"] == {"City": "Austin", "RegionCode": "TX",
                                        "CountryCode": "US", "Zip": "78701"}
    assert "value" not in props and None not in props.values()


@pytest.mark.parametrize("name", EVENTS)
def test_every_milestone_is_clean(name: str) -> None:
    props = properties(EVENTS[name])
    assert empties(props) == []
    assert "value" not in props and "Value" not in props
    assert props["Source"] == "shipflow"
    assert props["OrderId"] == "820982911946154508" and props["OrderName"] == "#1001"


def test_common_shipment_properties() -> None:
    for name in ("shipped", "delayed", "out-for-delivery", "delivered", "exception", "review"):
        props = properties(EVENTS[name])
        assert props["ShipmentId"] == "33974374", name
        assert props["TrackingUrl"] == "https://www.ups.com/track?tracknum=1Z999AA10123456784"
        assert props["Carrier"] == "UPS" and props["CarrierCode"] == "ups"
        assert props["ServiceCode"] == "ups_ground" and props["ShipDate"] == "2026-11-02"
        assert props["Items"] == [
            {"ProductID": "7", "SKU": "MUG-01", "ProductName": "Mug - Blue", "Quantity": 2},
            {"SKU": "TEE-02", "ProductName": "T-shirt", "Quantity": 1}]
        assert props["IsPartialShipment"] is False
        assert props["ShippingAddress"]["Zip"] == "78701"
    assert properties(EVENTS["shipped"])["EstimatedDeliveryDate"] == "2026-11-05"
    assert "EstimatedDeliveryDate" not in properties(EVENTS["delivered"])


def test_order_shipped_estimate_is_optional() -> None:
    event = order_shipped(an_order(), a_shipment(), tracking_info("ups", "1Z1"), AT)
    assert "EstimatedDeliveryDate" not in properties(event)


def test_partial_shipment() -> None:
    shipment = a_shipment(items=(ShipmentItem("MUG-01", "Mug - Blue", 1),))
    props = properties(order_shipped(an_order(), shipment, tracking_info("ups", "1Z1"), AT))
    assert props["IsPartialShipment"] is True
    assert props["ItemCount"] == 1 and props["Items"][0]["Quantity"] == 1
    assert props["ItemNames"] == ["Mug - Blue"]


def test_shipment_delayed() -> None:
    props = properties(EVENTS["delayed"])
    assert props["DelayReason"] == "estimate_passed"
    assert props["PreviousEstimatedDeliveryDate"] == "2026-11-05"
    assert props["DaysLate"] == 2
    assert "NewEstimatedDeliveryDate" not in props
    no_scan = properties(EVENTS["no-scan"])
    assert no_scan["DelayReason"] == "no_scan" and "DaysLate" not in no_scan
    with_new = shipment_delayed(an_order(), a_shipment(), tracking_info("ups", "1Z1"),
                                DelayNotice("estimate_passed", "2026-11-05", date(2026, 11, 5),
                                            date(2026, 11, 9), 1), AT)
    assert properties(with_new)["NewEstimatedDeliveryDate"] == "2026-11-09"
    assert properties(with_new)["EstimatedDeliveryDate"] == "2026-11-09"


def test_out_for_delivery() -> None:
    props = properties(EVENTS["out-for-delivery"])
    assert props["CarrierStatusDescription"] == "Out For Delivery Today"
    assert props["EstimatedDeliveryDate"] == "2026-11-05"


def test_order_delivered_uses_the_carrier_scan() -> None:
    props = properties(EVENTS["delivered"])
    assert props["DeliveredAt"] == "2026-11-05T16:18:41+00:00"
    assert props["DeliveryLocation"] == "AUSTIN, TX, US"
    assert props["CarrierStatusDescription"] == "Delivered, Front Door/Porch"
    assert props["SignedBy"] == "LOVELACE"
    bare = TrackingScan(DELIVERED_SCAN.occurred_at, TrackingStatus.DELIVERED, "Parcel locker")
    props = properties(order_delivered(an_order(), a_shipment(), tracking_info("ups", "1Z1"),
                                       bare))
    assert props["DeliveryLocation"] == "Parcel locker" and "SignedBy" not in props


@pytest.mark.parametrize(("kind", "action"), [
    (ExceptionType.ADDRESS_ISSUE, True), (ExceptionType.FAILED_ATTEMPT, True),
    (ExceptionType.HELD_AT_CUSTOMS, True), (ExceptionType.DAMAGED, False),
    (ExceptionType.LOST, False), (ExceptionType.RETURNED_TO_SENDER, False),
    (ExceptionType.DELAYED, False), (ExceptionType.OTHER, False)])
def test_delivery_exception(kind: ExceptionType, action: bool) -> None:
    event = delivery_exception(an_order(), a_shipment(), tracking_info("ups", "1Z1"), kind,
                               EXCEPTION_SCAN)
    props = properties(event)
    assert props["ExceptionType"] == kind.value
    assert props["ActionRequired"] is action
    assert props["ExceptionDescription"] == "The address is incomplete"
    assert props["CarrierStatusCode"] == "ADDRESS_QUERY"


def test_exception_without_description_or_detail_code() -> None:
    scan = TrackingScan(EXCEPTION_SCAN.occurred_at, TrackingStatus.EXCEPTION)
    props = properties(delivery_exception(an_order(), a_shipment(), tracking_info("ups", "1Z1"),
                                          ExceptionType.LOST, scan))
    assert props["ExceptionDescription"] == "The carrier reported the parcel as lost."
    assert props["CarrierStatusCode"] == "EX"


def test_exception_carrier_code_when_no_detail_code() -> None:
    scan = TrackingScan(AT, TrackingStatus.DELIVERY_ATTEMPT, "x", None, "OT")
    props = properties(delivery_exception(an_order(), a_shipment(), tracking_info("ups", "1Z1"),
                                          ExceptionType.OTHER, scan))
    assert props["CarrierStatusCode"] == "OT"


def test_review_request_due() -> None:
    props = properties(EVENTS["review"])
    assert props["DeliveredAt"] == "2026-11-05T16:18:41+00:00"
    assert props["DaysSinceDelivery"] == 21 and isinstance(props["DaysSinceDelivery"], int)
    assert props["ItemNames"] == ["Mug - Blue", "T-shirt"]
    half = review_request_due(an_order(), a_shipment(), DELIVERED_SCAN.occurred_at, 3.5, AT)
    assert properties(half)["DaysSinceDelivery"] == 3.5


def test_reorder_reminder_due() -> None:
    props = properties(EVENTS["reorder"])
    assert {k: props[k] for k in ("ProductID", "VariantID", "SKU", "ProductName",
                                  "QuantityLastOrdered", "LastOrderedAt",
                                  "ExpectedDepletionDate")} == {
        "ProductID": "7", "VariantID": "70", "SKU": "MUG-01", "ProductName": "Mug - Blue",
        "QuantityLastOrdered": 2, "LastOrderedAt": "2026-11-01T12:00:00+00:00",
        "ExpectedDepletionDate": "2026-12-05"}
    assert "ShipmentId" not in props


def test_backorder_delayed() -> None:
    order = an_order()
    mug, tee = order.line_items[0], order.line_items[1]
    event = backorder_delayed(order, [(tee, 1), (mug, 1), (order.line_items[2], 0)], None, AT)
    props = properties(event)
    assert props["BackorderedSkus"] == ["MUG-01", "TEE-02"]
    assert props["BackorderedItems"] == [
        {"SKU": "TEE-02", "ProductName": "T-shirt", "Quantity": 1},
        {"ProductID": "7", "VariantID": "70", "SKU": "MUG-01", "ProductName": "Mug - Blue",
         "Quantity": 1}]
    assert props["OriginalShipDate"] == "2026-11-01"
    assert props["DelayReason"] == "out_of_stock"
    assert "NewExpectedShipDate" not in props
    same = backorder_delayed(order, [(mug, 2), (tee, 1)], date(2026, 11, 20), AT)
    assert properties(same)["NewExpectedShipDate"] == "2026-11-20"


def test_backorder_original_ship_date_is_the_shops_date_of_the_order() -> None:
    evening = datetime(2021, 12, 31, 19, 1, tzinfo=timezone(timedelta(hours=-5)))
    order = an_order(created_at=evening)
    event = backorder_delayed(order, [(order.line_items[0], 1)], None, AT)
    assert properties(event)["OriginalShipDate"] == "2021-12-31"


def test_back_in_stock() -> None:
    props = properties(back_in_stock(an_order(), ["TEE-02", "MUG-01", "OTHER"], AT))
    assert (props["SKU"], props["ProductName"], props["ProductID"], props["VariantID"]) == (
        "MUG-01", "Mug - Blue", "7", "70")
    assert props["BackInStockSkus"] == ["MUG-01", "TEE-02"]
    assert [i["SKU"] for i in props["Items"]] == ["MUG-01", "TEE-02"]
    assert "Quantity" not in {k for k in props}


def test_estimates_given_as_instants_are_their_utc_date() -> None:
    late_evening = datetime(2026, 11, 5, 23, 0, tzinfo=timezone(timedelta(hours=-5)))
    event = order_shipped(an_order(), a_shipment(), tracking_info("ups", "1Z1"), AT,
                          estimated_delivery=late_evening)
    assert properties(event)["EstimatedDeliveryDate"] == "2026-11-06"

