"""Builds the milestone events customers receive, from an order and its shipment.

Names and properties follow shared/specs/klaviyo.md §5.3: PascalCase, filterable facts as
top-level scalars, no `value` (revenue belongs to Placed Order), and nothing empty — Klaviyo
treats `null`, `""` and `0` as never set, so such a property is left out rather than sent.
Each event's `time` is when the fact happened (a carrier scan, a timer falling due), and its
`unique_id` comes from `keys.milestone_unique_id`, so a retry never messages a customer twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from shipflow.domain.delays import DelayNotice, estimate_date
from shipflow.domain.keys import milestone_unique_id, sku_set, utc_instant
from shipflow.domain.milestone import Milestone, MilestoneEvent
from shipflow.domain.order import LineItem, Order
from shipflow.domain.shipment import Shipment, TrackingInfo
from shipflow.domain.tracking import tracking_info
from shipflow.domain.tracking_events import ExceptionType, TrackingScan

SOURCE = "shipflow"

# The customer has to do something: correct the address, rearrange delivery, pay or document
# customs. The other types are the carrier's or the merchant's to resolve.
ACTION_REQUIRED = frozenset({ExceptionType.ADDRESS_ISSUE, ExceptionType.FAILED_ATTEMPT,
                             ExceptionType.HELD_AT_CUSTOMS})

# Carriers usually describe an exception on the scan; ShipEngine's own `exception_description`
# is usually null (shipstation.md §3.2), so a plain sentence stands in when the scan has none.
_EXCEPTION_DESCRIPTIONS = {
    ExceptionType.ADDRESS_ISSUE: "The carrier could not deliver to the shipping address.",
    ExceptionType.FAILED_ATTEMPT: "The carrier attempted delivery but could not complete it.",
    ExceptionType.DAMAGED: "The carrier reported the parcel as damaged.",
    ExceptionType.LOST: "The carrier reported the parcel as lost.",
    ExceptionType.RETURNED_TO_SENDER: "The parcel is being returned to the sender.",
    ExceptionType.HELD_AT_CUSTOMS: "The parcel is held at customs.",
    ExceptionType.DELAYED: "The carrier reported a delay.",
    ExceptionType.OTHER: "The carrier reported a problem with the delivery.",
}


# -- shared pieces -----------------------------------------------------------------------------
def shipment_lines(order: Order, shipment: Shipment) -> list[tuple[LineItem, int]]:
    """The order lines a shipment carries, each with the quantity it carries.

    Matched by SKU; a shipment that lists no SKUs carries every shippable line in full.
    Shipped units of a SKU are shared out over the lines with that SKU in order.
    """
    shipped: dict[str, int] = {}
    for item in shipment.items:
        if item.sku:
            shipped[item.sku] = shipped.get(item.sku, 0) + item.quantity
    if not shipped:
        return [(li, li.quantity) for li in order.shippable_items]
    lines = []
    for li in order.shippable_items:
        if li.sku is None or li.sku not in shipped:
            continue
        quantity = min(li.quantity, shipped[li.sku])
        if quantity > 0:
            shipped[li.sku] -= quantity
            lines.append((li, quantity))
    return lines


def _clean(value: Any) -> Any:
    """`value` without the members Klaviyo would ignore: None, "", 0, and empty lists/objects
    (booleans stay: `False` is a fact)."""
    if isinstance(value, dict):
        cleaned = {k: _clean(v) for k, v in value.items()}
        return {k: v for k, v in cleaned.items() if not _is_empty(v)}
    if isinstance(value, (list, tuple)):
        return [v for v in (_clean(v) for v in value) if not _is_empty(v)]
    return value


def _is_empty(value: Any) -> bool:
    if value is None or isinstance(value, bool):
        return value is None
    if isinstance(value, (int, float)):
        return value == 0
    return value in ("", [], {})


def _day(value: date | datetime | None) -> str | None:
    """A calendar date as ISO text; a datetime is read as its UTC date (see `estimate_date`)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return estimate_date(value).isoformat()
    return value.isoformat()


def _days(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(value, 1)


def _product(li: LineItem, quantity: int | None = None, *, variant: bool = False) -> dict[str, Any]:
    return {
        "ProductID": str(li.product_id) if li.product_id else None,
        "VariantID": str(li.variant_id) if variant and li.variant_id else None,
        "SKU": li.sku,
        "ProductName": li.name,
        "Quantity": quantity,
    }


def _order_properties(order: Order) -> dict[str, Any]:
    return {"OrderId": str(order.shopify_order_id), "OrderName": order.name}


def _shipment_properties(
    order: Order,
    shipment: Shipment,
    tracking: TrackingInfo | None,
    estimated_delivery: date | datetime | None = None,
) -> dict[str, Any]:
    """The common set of every shipment event (klaviyo.md §5.3). Without `tracking`, the
    shipment's own carrier and number give the public link."""
    if tracking is None:
        tracking = tracking_info(shipment.carrier_code, shipment.tracking_number)
    lines = shipment_lines(order, shipment)
    items = [_product(li, quantity) for li, quantity in lines]
    shipped_units = sum(quantity for _, quantity in lines)
    properties: dict[str, Any] = {
        **_order_properties(order),
        "ShipmentId": shipment.shipment_id,
        "TrackingNumber": tracking.number,
        "TrackingUrl": tracking.url,
        "Carrier": tracking.company,
        "CarrierCode": tracking.carrier_code,
        "ServiceCode": shipment.service_code,
        "ShippingMethod": order.shipping_method,
        "ShipDate": _day(shipment.ship_date),
        "EstimatedDeliveryDate": _day(estimated_delivery),
        "ItemNames": [li.name for li, _ in lines],
        "ItemCount": shipped_units,
        "Items": items,
        "IsPartialShipment": shipped_units < sum(li.quantity for li in order.shippable_items),
    }
    address = order.shipping_address
    if address is not None:
        properties["ShippingAddress"] = {
            "City": address.city,
            "RegionCode": address.province_code,
            "CountryCode": address.country_code,
            "Zip": address.zip,
        }
    return properties


def _event(
    milestone: Milestone,
    order: Order,
    at: datetime,
    properties: dict[str, Any],
    subject: str,
    occurrence: str = "",
) -> MilestoneEvent:
    customer = order.customer
    return MilestoneEvent(
        milestone=milestone,
        unique_id=milestone_unique_id(
            milestone, order.shop_domain, order.shopify_order_id, subject, occurrence),
        time=at,
        email=order.contact_email,
        phone=customer.phone if customer else None,
        first_name=customer.first_name if customer else None,
        last_name=customer.last_name if customer else None,
        external_id=str(customer.customer_id) if customer and customer.customer_id else None,
        properties=_clean({**properties, "Source": SOURCE}),
    )


# -- shipment milestones -----------------------------------------------------------------------
def order_shipped(
    order: Order,
    shipment: Shipment,
    tracking: TrackingInfo,
    at: datetime,
    *,
    estimated_delivery: date | datetime | None = None,
) -> MilestoneEvent:
    """`Order Shipped` with the real tracking link; once per shipment."""
    return _event(Milestone.ORDER_SHIPPED, order, at,
                  _shipment_properties(order, shipment, tracking, estimated_delivery),
                  shipment.shipment_id)


def shipment_delayed(
    order: Order, shipment: Shipment, tracking: TrackingInfo, notice: DelayNotice, at: datetime
) -> MilestoneEvent:
    """`Shipment Delayed`; once per shipment per delay (`notice.occurrence`)."""
    properties = _shipment_properties(order, shipment, tracking, notice.new_estimate)
    properties.update({
        "DelayReason": notice.reason,
        "PreviousEstimatedDeliveryDate": _day(notice.previous_estimate),
        "NewEstimatedDeliveryDate": _day(notice.new_estimate),
        "DaysLate": max(notice.days_late, 0),
    })
    return _event(Milestone.SHIPMENT_DELAYED, order, at, properties, shipment.shipment_id,
                  f"{notice.reason}:{notice.occurrence}")


def out_for_delivery(
    order: Order,
    shipment: Shipment,
    tracking: TrackingInfo,
    scan: TrackingScan,
    estimated_delivery: date | datetime | None,
    at: datetime,
) -> MilestoneEvent:
    """`Shipment Out For Delivery`; once per shipment (the parcel's progress only moves on)."""
    properties = _shipment_properties(order, shipment, tracking, estimated_delivery)
    properties["CarrierStatusDescription"] = scan.description
    return _event(Milestone.OUT_FOR_DELIVERY, order, at, properties, shipment.shipment_id)


def order_delivered(
    order: Order, shipment: Shipment, tracking: TrackingInfo, scan: TrackingScan
) -> MilestoneEvent:
    """`Order Delivered`, from the carrier's delivery scan (its time is the event's).

    `DeliveryLocation` is where the scan happened (city, state, country) or, when the carrier
    gave no place, its description (carriers put "front door", "parcel locker" there).
    """
    properties = _shipment_properties(order, shipment, tracking)
    properties.update({
        "DeliveredAt": utc_instant(scan.occurred_at),
        "DeliveryLocation": scan.location or scan.description,
        "CarrierStatusDescription": scan.description,
        "SignedBy": scan.signer,
    })
    return _event(Milestone.ORDER_DELIVERED, order, scan.occurred_at, properties,
                  shipment.shipment_id)


def delivery_exception(
    order: Order,
    shipment: Shipment,
    tracking: TrackingInfo,
    exception: ExceptionType,
    scan: TrackingScan,
) -> MilestoneEvent:
    """`Delivery Exception`; once per shipment per exception type and scan time."""
    properties = _shipment_properties(order, shipment, tracking)
    properties.update({
        "ExceptionType": exception.value,
        "ExceptionDescription": scan.description or _EXCEPTION_DESCRIPTIONS[exception],
        "CarrierStatusCode": (scan.status_detail_code or scan.carrier_detail_code
                              or scan.status_code.value),
        "ActionRequired": exception in ACTION_REQUIRED,
    })
    return _event(Milestone.DELIVERY_EXCEPTION, order, scan.occurred_at, properties,
                  shipment.shipment_id, f"{exception.value}:{utc_instant(scan.occurred_at)}")


# -- timers ------------------------------------------------------------------------------------
def review_request_due(
    order: Order, shipment: Shipment, delivered_at: datetime, days: float, at: datetime
) -> MilestoneEvent:
    """`Review Request Due` for the items of one delivered shipment; once per shipment."""
    properties = _shipment_properties(order, shipment, None)
    properties.update({
        "DeliveredAt": utc_instant(delivered_at),
        "DaysSinceDelivery": _days(days),
    })
    return _event(Milestone.REVIEW_REQUEST_DUE, order, at, properties, shipment.shipment_id)


def _ordered_quantity(order: Order, line_item: LineItem) -> int:
    if not line_item.sku:
        return line_item.quantity
    return sum(li.quantity for li in order.line_items if li.sku == line_item.sku)


def reorder_reminder_due(
    order: Order,
    line_item: LineItem,
    last_ordered_at: datetime,
    expected_depletion: date | datetime,
    at: datetime,
) -> MilestoneEvent:
    """`Reorder Reminder Due` for one product of an order; once per order and SKU.

    `QuantityLastOrdered` counts every line of the order with that SKU, as the timer does.
    """
    properties = {
        **_order_properties(order),
        **_product(line_item, variant=True),
        "LastOrderedAt": utc_instant(last_ordered_at),
        "QuantityLastOrdered": _ordered_quantity(order, line_item),
        "ExpectedDepletionDate": _day(expected_depletion),
    }
    return _event(Milestone.REORDER_REMINDER_DUE, order, at, properties,
                  line_item.sku or f"line-{line_item.line_item_id}")


# -- paused orders -----------------------------------------------------------------------------
def _line_key(li: LineItem) -> str:
    return li.sku or f"line-{li.line_item_id}"


def backorder_delayed(
    order: Order,
    backordered: Sequence[tuple[LineItem, int]],
    new_expected_ship_date: date | None,
    at: datetime,
) -> MilestoneEvent:
    """`Backorder Delayed`: the order waits for stock. `backordered` pairs each line with the
    quantity missing; once per order per set of backordered SKUs. `OriginalShipDate` is the
    order date (the promise was to ship on receipt)."""
    missing = [(li, quantity) for li, quantity in backordered if quantity > 0]
    if not missing:
        raise ValueError("a backorder notice needs at least one line with a missing quantity")
    properties = {
        **_order_properties(order),
        "BackorderedItems": [_product(li, quantity, variant=True) for li, quantity in missing],
        "BackorderedSkus": sorted({li.sku for li, _ in missing if li.sku}),
        "ItemNames": [li.name for li, _ in missing],
        # the order's own date, as the shop (and the customer) saw it, not its UTC date
        "OriginalShipDate": order.created_at.date().isoformat(),
        "NewExpectedShipDate": _day(new_expected_ship_date),
        "DelayReason": "out_of_stock",
    }
    return _event(Milestone.BACKORDER_DELAYED, order, at, properties,
                  sku_set(_line_key(li) for li, _ in missing))


def back_in_stock(order: Order, skus: Iterable[str], at: datetime) -> MilestoneEvent:
    """`Back In Stock` for the order's lines whose SKU is in `skus`; once per order per set.

    Flow filters read only top-level scalars, so `SKU`, `ProductName`, `ProductID` and
    `VariantID` describe the first restocked line; `Items` lists them all.
    """
    restocked = set(skus)
    lines = [li for li in order.shippable_items if li.sku and li.sku in restocked]
    if not lines:
        raise ValueError(f"order {order.name} has no line with SKU in {sorted(restocked)}")
    first = _product(lines[0], variant=True)
    del first["Quantity"]
    properties = {
        **_order_properties(order),
        **first,
        "Items": [_product(li, li.quantity, variant=True) for li in lines],
        "ItemNames": [li.name for li in lines],
        "BackInStockSkus": sorted({li.sku for li in lines if li.sku}),
    }
    return _event(Milestone.BACK_IN_STOCK, order, at, properties,
                  sku_set(_line_key(li) for li in lines))
