from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from shipflow.domain import keys
from shipflow.domain.delays import DelayNotice
from shipflow.domain.messages import (
    back_in_stock,
    backorder_delayed,
    delivery_exception,
    order_delivered,
    order_shipped,
    out_for_delivery,
    reorder_reminder_due,
    review_request_due,
    shipment_delayed,
    shipment_lines,
)
from shipflow.domain.milestone import Milestone, MilestoneEvent
from shipflow.domain.order import LineItem, Order
from shipflow.domain.shipment import Shipment, ShipmentItem
from shipflow.domain.tracking import carrier_name, tracking_info, tracking_url
from shipflow.domain.tracking_events import ExceptionType, TrackingScan, TrackingStatus
from tests.unit.domain.factories import a_shipment, an_order

AT = datetime(2026, 11, 2, 15, 0, tzinfo=timezone.utc)


def test_tracking_links_are_the_carriers_real_pages() -> None:
    assert tracking_url("ups", "1Z999AA10123456784") == (
        "https://www.ups.com/track?tracknum=1Z999AA10123456784")
    assert tracking_url("stamps_com", "9400111899561704681189").startswith(
        "https://tools.usps.com/")
    assert carrier_name("fedex_walleted") == "FedEx"
    assert carrier_name("some_new_carrier") == "Some New Carrier"
    assert tracking_url("x", "a b&c").endswith("a%20b%26c")


def test_order_shipped_carries_real_tracking_and_no_value() -> None:
    order, shipment = an_order(), a_shipment()
    event = order_shipped(order, shipment, tracking_info("ups", shipment.tracking_number), AT)
    assert event.milestone is Milestone.ORDER_SHIPPED
    props = event.properties
    assert props["TrackingNumber"] == "1Z999AA10123456784"
    assert props["TrackingUrl"] == "https://www.ups.com/track?tracknum=1Z999AA10123456784"
    assert props["Carrier"] == "UPS" and props["CarrierCode"] == "ups"
    assert props["OrderId"] == "820982911946154508" and props["OrderName"] == "#1001"
    assert props["ItemNames"] == ["Mug - Blue", "T-shirt"]
    assert props["ItemCount"] == 3
    assert props["ShippingAddress"] == {"City": "Austin", "RegionCode": "TX",
                                        "CountryCode": "US", "Zip": "78701"}
    assert "value" not in props and None not in props.values()
    assert event.email == "ada@example.org" and event.time == AT


def test_unique_id_is_deterministic_per_shipment() -> None:
    order = an_order()
    first = order_shipped(order, a_shipment(), tracking_info("ups", "1Z1"), AT)
    again = order_shipped(order, a_shipment(), tracking_info("ups", "1Z1"), datetime.now(timezone.utc))
    other = order_shipped(order, a_shipment(shipment_id="2"), tracking_info("ups", "1Z2"), AT)
    assert first.unique_id == again.unique_id
    assert first.unique_id != other.unique_id
    assert len(first.unique_id) <= 255


def test_workflow_ids_come_from_provider_ids() -> None:
    assert keys.shipstation_order_key(820982911946154508) == "820982911946154508"


# -- every milestone ---------------------------------------------------------------------------
# (`every_milestone` is also what tests/contract/test_klaviyo_milestones.py sends through the
# real Klaviyo wire builder.)
UTC = timezone.utc
ETA = datetime(2026, 11, 5, tzinfo=UTC)
OUT_SCAN = TrackingScan(datetime(2026, 11, 5, 8, 2, tzinfo=UTC), TrackingStatus.IN_TRANSIT,
                        "Out For Delivery Today", carrier_detail_code="OT", city="AUSTIN",
                        state="TX", country_code="US")
DELIVERED_SCAN = TrackingScan(datetime(2026, 11, 5, 16, 18, 41, tzinfo=UTC),
                              TrackingStatus.DELIVERED, "Delivered, Front Door/Porch",
                              "DELIVERED", city="AUSTIN", state="TX", country_code="US",
                              signer="LOVELACE")
EXCEPTION_SCAN = TrackingScan(datetime(2026, 11, 4, 19, 30, tzinfo=UTC), TrackingStatus.EXCEPTION,
                              "The address is incomplete", "ADDRESS_QUERY", city="AUSTIN",
                              state="TX", country_code="US")
LATE = DelayNotice("estimate_passed", "2026-11-05", date(2026, 11, 5), None, 2)


def every_milestone(order: Order, shipment: Shipment) -> dict[str, MilestoneEvent]:
    """One event of each kind, for `order` and `shipment`, at realistic times."""
    tracking = tracking_info(shipment.carrier_code, shipment.tracking_number)
    lines = [li for li, _ in shipment_lines(order, shipment) if li.sku] or [
        li for li in order.shippable_items if li.sku]
    line = lines[0]
    assert line.sku is not None
    late_at = datetime(2026, 11, 7, 0, 0, tzinfo=UTC)
    return {
        "shipped": order_shipped(order, shipment, tracking, AT, estimated_delivery=ETA),
        "delayed": shipment_delayed(order, shipment, tracking, LATE, late_at),
        "no-scan": shipment_delayed(
            order, shipment, tracking,
            DelayNotice("no_scan", "2026-11-02T15:00:00+00:00", date(2026, 11, 9), None, 0),
            late_at),
        "out-for-delivery": out_for_delivery(order, shipment, tracking, OUT_SCAN, ETA,
                                             OUT_SCAN.occurred_at),
        "delivered": order_delivered(order, shipment, tracking, DELIVERED_SCAN),
        "exception": delivery_exception(order, shipment, tracking, ExceptionType.ADDRESS_ISSUE,
                                        EXCEPTION_SCAN),
        "review": review_request_due(order, shipment, DELIVERED_SCAN.occurred_at, 21,
                                     DELIVERED_SCAN.occurred_at + timedelta(days=21)),
        "reorder": reorder_reminder_due(order, line, order.created_at, date(2026, 12, 5),
                                        datetime(2026, 12, 5, 16, 18, 41, tzinfo=UTC)),
        "backorder": backorder_delayed(order, [(li, 1) for li in lines], date(2026, 11, 20),
                                       order.created_at + timedelta(minutes=1)),
        "back-in-stock": back_in_stock(order, [line.sku], datetime(2026, 11, 19, 9, tzinfo=UTC)),
    }


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


@pytest.mark.parametrize("name", EVENTS)
def test_every_milestone_is_clean(name: str) -> None:
    event = EVENTS[name]
    props = event.properties
    assert empties(props) == []
    assert "value" not in props and "Value" not in props
    assert props["Source"] == "shipflow"
    assert props["OrderId"] == "820982911946154508" and props["OrderName"] == "#1001"
    assert 0 < len(event.unique_id) <= 255
    assert event.unique_id.startswith(event.milestone.value.lower().replace(" ", "-") + ":")
    assert event.email == "ada@example.org" and event.external_id == "42"
    assert event.time.tzinfo is not None


def test_unique_ids_are_distinct_across_milestones_and_occurrences() -> None:
    ids = [e.unique_id for e in EVENTS.values()]
    assert len(set(ids)) == len(ids)
    assert {e.milestone for e in EVENTS.values()} == set(Milestone)


def test_unique_ids_do_not_depend_on_when_they_are_built() -> None:
    again = every_milestone(an_order(updated_at=datetime.now(UTC)), a_shipment())
    assert {k: e.unique_id for k, e in again.items()} == {
        k: e.unique_id for k, e in EVENTS.items()}


def test_common_shipment_properties() -> None:
    for name in ("shipped", "delayed", "out-for-delivery", "delivered", "exception", "review"):
        props = EVENTS[name].properties
        assert props["ShipmentId"] == "33974374", name
        assert props["TrackingUrl"] == "https://www.ups.com/track?tracknum=1Z999AA10123456784"
        assert props["Carrier"] == "UPS" and props["CarrierCode"] == "ups"
        assert props["ServiceCode"] == "ups_ground" and props["ShipDate"] == "2026-11-02"
        assert props["Items"] == [
            {"ProductID": "7", "SKU": "MUG-01", "ProductName": "Mug - Blue", "Quantity": 2},
            {"SKU": "TEE-02", "ProductName": "T-shirt", "Quantity": 1}]
        assert props["IsPartialShipment"] is False
        assert props["ShippingAddress"]["Zip"] == "78701"
    assert EVENTS["shipped"].properties["EstimatedDeliveryDate"] == "2026-11-05"
    assert "EstimatedDeliveryDate" not in EVENTS["delivered"].properties


def test_order_shipped_signature_still_works_and_estimate_is_optional() -> None:
    event = order_shipped(an_order(), a_shipment(), tracking_info("ups", "1Z1"), AT)
    assert "EstimatedDeliveryDate" not in event.properties
    assert event.unique_id == "order-shipped:demo.myshopify.com:820982911946154508:33974374"


def test_partial_shipment() -> None:
    shipment = a_shipment(items=(ShipmentItem("MUG-01", "Mug - Blue", 1),))
    props = order_shipped(an_order(), shipment, tracking_info("ups", "1Z1"), AT).properties
    assert props["IsPartialShipment"] is True
    assert props["ItemCount"] == 1 and props["Items"][0]["Quantity"] == 1
    assert props["ItemNames"] == ["Mug - Blue"]


def test_shipment_delayed() -> None:
    event = EVENTS["delayed"]
    props = event.properties
    assert props["DelayReason"] == "estimate_passed"
    assert props["PreviousEstimatedDeliveryDate"] == "2026-11-05"
    assert props["DaysLate"] == 2
    assert "NewEstimatedDeliveryDate" not in props
    assert event.time == datetime(2026, 11, 7, tzinfo=UTC)
    assert event.unique_id.endswith(":33974374:estimate_passed:2026-11-05")
    no_scan = EVENTS["no-scan"].properties
    assert no_scan["DelayReason"] == "no_scan" and "DaysLate" not in no_scan
    with_new = shipment_delayed(an_order(), a_shipment(), tracking_info("ups", "1Z1"),
                                DelayNotice("estimate_passed", "2026-11-05", date(2026, 11, 5),
                                            date(2026, 11, 9), 1), AT)
    assert with_new.properties["NewEstimatedDeliveryDate"] == "2026-11-09"
    assert with_new.properties["EstimatedDeliveryDate"] == "2026-11-09"
    assert with_new.unique_id == event.unique_id  # the same delay, told once


def test_out_for_delivery() -> None:
    event = EVENTS["out-for-delivery"]
    assert event.properties["CarrierStatusDescription"] == "Out For Delivery Today"
    assert event.properties["EstimatedDeliveryDate"] == "2026-11-05"
    assert event.time == OUT_SCAN.occurred_at


def test_order_delivered_uses_the_carrier_scan() -> None:
    event = EVENTS["delivered"]
    props = event.properties
    assert event.time == DELIVERED_SCAN.occurred_at
    assert props["DeliveredAt"] == "2026-11-05T16:18:41+00:00"
    assert props["DeliveryLocation"] == "AUSTIN, TX, US"
    assert props["CarrierStatusDescription"] == "Delivered, Front Door/Porch"
    assert props["SignedBy"] == "LOVELACE"
    bare = TrackingScan(DELIVERED_SCAN.occurred_at, TrackingStatus.DELIVERED, "Parcel locker")
    props = order_delivered(an_order(), a_shipment(), tracking_info("ups", "1Z1"), bare).properties
    assert props["DeliveryLocation"] == "Parcel locker" and "SignedBy" not in props


@pytest.mark.parametrize(("kind", "action"), [
    (ExceptionType.ADDRESS_ISSUE, True), (ExceptionType.FAILED_ATTEMPT, True),
    (ExceptionType.HELD_AT_CUSTOMS, True), (ExceptionType.DAMAGED, False),
    (ExceptionType.LOST, False), (ExceptionType.RETURNED_TO_SENDER, False),
    (ExceptionType.DELAYED, False), (ExceptionType.OTHER, False)])
def test_delivery_exception(kind: ExceptionType, action: bool) -> None:
    event = delivery_exception(an_order(), a_shipment(), tracking_info("ups", "1Z1"), kind,
                               EXCEPTION_SCAN)
    props = event.properties
    assert props["ExceptionType"] == kind.value
    assert props["ActionRequired"] is action
    assert props["ExceptionDescription"] == "The address is incomplete"
    assert props["CarrierStatusCode"] == "ADDRESS_QUERY"
    assert event.time == EXCEPTION_SCAN.occurred_at
    assert event.unique_id.endswith(f":33974374:{kind.value}:2026-11-04T19:30:00+00:00")


def test_exception_without_description_or_detail_code() -> None:
    scan = TrackingScan(EXCEPTION_SCAN.occurred_at, TrackingStatus.EXCEPTION)
    event = delivery_exception(an_order(), a_shipment(), tracking_info("ups", "1Z1"),
                               ExceptionType.LOST, scan)
    assert event.properties["ExceptionDescription"] == "The carrier reported the parcel as lost."
    assert event.properties["CarrierStatusCode"] == "EX"
    later = delivery_exception(an_order(), a_shipment(), tracking_info("ups", "1Z1"),
                               ExceptionType.LOST,
                               TrackingScan(scan.occurred_at + timedelta(days=1),
                                            TrackingStatus.EXCEPTION))
    assert later.unique_id != event.unique_id


def test_review_request_due() -> None:
    event = EVENTS["review"]
    props = event.properties
    assert props["DeliveredAt"] == "2026-11-05T16:18:41+00:00"
    assert props["DaysSinceDelivery"] == 21 and isinstance(props["DaysSinceDelivery"], int)
    assert props["ItemNames"] == ["Mug - Blue", "T-shirt"]
    assert event.time == DELIVERED_SCAN.occurred_at + timedelta(days=21)
    assert event.unique_id == "review-request-due:demo.myshopify.com:820982911946154508:33974374"
    half = review_request_due(an_order(), a_shipment(), DELIVERED_SCAN.occurred_at, 3.5, AT)
    assert half.properties["DaysSinceDelivery"] == 3.5


def test_reorder_reminder_due() -> None:
    event = EVENTS["reorder"]
    props = event.properties
    assert {k: props[k] for k in ("ProductID", "VariantID", "SKU", "ProductName",
                                  "QuantityLastOrdered", "LastOrderedAt",
                                  "ExpectedDepletionDate")} == {
        "ProductID": "7", "VariantID": "70", "SKU": "MUG-01", "ProductName": "Mug - Blue",
        "QuantityLastOrdered": 2, "LastOrderedAt": "2026-11-01T12:00:00+00:00",
        "ExpectedDepletionDate": "2026-12-05"}
    assert "ShipmentId" not in props
    assert event.unique_id == "reorder-reminder-due:demo.myshopify.com:820982911946154508:MUG-01"


def test_backorder_delayed() -> None:
    order = an_order()
    mug, tee = order.line_items[0], order.line_items[1]
    event = backorder_delayed(order, [(tee, 1), (mug, 1), (order.line_items[2], 0)], None, AT)
    props = event.properties
    assert props["BackorderedSkus"] == ["MUG-01", "TEE-02"]
    assert props["BackorderedItems"] == [
        {"SKU": "TEE-02", "ProductName": "T-shirt", "Quantity": 1},
        {"ProductID": "7", "VariantID": "70", "SKU": "MUG-01", "ProductName": "Mug - Blue",
         "Quantity": 1}]
    assert props["OriginalShipDate"] == "2026-11-01"
    assert props["DelayReason"] == "out_of_stock"
    assert "NewExpectedShipDate" not in props
    assert event.time == AT
    # once per SKU set, in any order; a different set is a different notice
    same = backorder_delayed(order, [(mug, 2), (tee, 1)], date(2026, 11, 20), AT)
    assert same.unique_id == event.unique_id
    assert same.properties["NewExpectedShipDate"] == "2026-11-20"
    assert backorder_delayed(order, [(mug, 1)], None, AT).unique_id != event.unique_id
    with pytest.raises(ValueError):
        backorder_delayed(order, [(mug, 0)], None, AT)


def test_backorder_original_ship_date_is_the_shops_date_of_the_order() -> None:
    evening = datetime(2021, 12, 31, 19, 1, tzinfo=timezone(timedelta(hours=-5)))
    order = an_order(created_at=evening)
    event = backorder_delayed(order, [(order.line_items[0], 1)], None, AT)
    assert event.properties["OriginalShipDate"] == "2021-12-31"


def test_back_in_stock() -> None:
    order = an_order()
    event = back_in_stock(order, ["TEE-02", "MUG-01", "OTHER"], AT)
    props = event.properties
    assert (props["SKU"], props["ProductName"], props["ProductID"], props["VariantID"]) == (
        "MUG-01", "Mug - Blue", "7", "70")
    assert props["BackInStockSkus"] == ["MUG-01", "TEE-02"]
    assert [i["SKU"] for i in props["Items"]] == ["MUG-01", "TEE-02"]
    assert "Quantity" not in {k for k in props}
    assert event.unique_id == back_in_stock(order, ["MUG-01", "TEE-02"], AT).unique_id
    assert event.unique_id != back_in_stock(order, ["MUG-01"], AT).unique_id
    with pytest.raises(ValueError):
        back_in_stock(order, ["NOPE"], AT)


def test_lines_sharing_a_sku_share_the_shipped_units() -> None:
    order = an_order(line_items=(
        LineItem(1, "MUG-01", "Mug", 2, Decimal("19.99")),
        LineItem(2, "MUG-01", "Mug", 3, Decimal("0"), variant_title="Free"),
    ))
    shipment = a_shipment(items=(ShipmentItem("MUG-01", "Mug", 4),))
    assert [q for _, q in shipment_lines(order, shipment)] == [2, 2]
