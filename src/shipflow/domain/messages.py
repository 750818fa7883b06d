"""Builds the milestone events customers receive, from an order and its shipment.

Each event carries typed, provider-neutral facts (`domain.milestone`); the messaging provider
turns them into its own vocabulary (`providers.klaviyo.properties` for Klaviyo's properties).
Each event's `time` is when the fact happened (a carrier scan, a timer falling due), and its
`unique_id` comes from `keys.milestone_unique_id`, so a retry never messages a customer twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from shipflow.domain.delays import DelayNotice, estimate_date
from shipflow.domain.keys import milestone_unique_id, sku_set, utc_instant
from shipflow.domain.milestone import (
    BackInStockFacts,
    BackorderFacts,
    DelayedFacts,
    DeliveredFacts,
    ExceptionFacts,
    Milestone,
    MilestoneEvent,
    MilestoneFacts,
    OrderSummary,
    OutForDeliveryFacts,
    ProductLine,
    ReorderDueFacts,
    ReviewDueFacts,
    ShipmentSummary,
    ShippedFacts,
    ShippingRegion,
)
from shipflow.domain.order import LineItem, Order
from shipflow.domain.shipment import Shipment, TrackingInfo
from shipflow.domain.tracking import tracking_info
from shipflow.domain.tracking_events import ExceptionType, TrackingScan

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


def _calendar_date(value: date | datetime) -> date:
    """A calendar date; a datetime is read as its UTC date (see `estimate_date`)."""
    return estimate_date(value) if isinstance(value, datetime) else value


def _optional_date(value: date | datetime | None) -> date | None:
    return None if value is None else _calendar_date(value)


def _line(li: LineItem, quantity: int) -> ProductLine:
    return ProductLine(name=li.name, sku=li.sku, product_id=li.product_id,
                       variant_id=li.variant_id, quantity=quantity)


def _order_summary(order: Order) -> OrderSummary:
    return OrderSummary(order_id=order.shopify_order_id, name=order.name)


def _shipment_summary(
    order: Order,
    shipment: Shipment,
    tracking: TrackingInfo | None,
    estimated_delivery: date | datetime | None = None,
) -> ShipmentSummary:
    """What every shipment event tells. Without `tracking`, the shipment's own carrier and
    number give the public link."""
    if tracking is None:
        tracking = tracking_info(shipment.carrier_code, shipment.tracking_number)
    lines = shipment_lines(order, shipment)
    shipped_units = sum(quantity for _, quantity in lines)
    address = order.shipping_address
    return ShipmentSummary(
        shipment_id=shipment.shipment_id,
        tracking=tracking,
        service_code=shipment.service_code,
        shipping_method=order.shipping_method,
        ship_date=_optional_date(shipment.ship_date),
        estimated_delivery=_optional_date(estimated_delivery),
        items=tuple(_line(li, quantity) for li, quantity in lines),
        partial=shipped_units < sum(li.quantity for li in order.shippable_items),
        destination=None if address is None else ShippingRegion(
            city=address.city, region_code=address.province_code,
            country_code=address.country_code, zip=address.zip),
    )


def _event(
    milestone: Milestone,
    order: Order,
    at: datetime,
    facts: MilestoneFacts,
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
        order=_order_summary(order),
        facts=facts,
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
    facts = ShippedFacts(_shipment_summary(order, shipment, tracking, estimated_delivery))
    return _event(Milestone.ORDER_SHIPPED, order, at, facts, shipment.shipment_id)


def shipment_delayed(
    order: Order, shipment: Shipment, tracking: TrackingInfo, notice: DelayNotice, at: datetime
) -> MilestoneEvent:
    """`Shipment Delayed`; once per shipment per delay (`notice.occurrence`)."""
    facts = DelayedFacts(
        shipment=_shipment_summary(order, shipment, tracking, notice.new_estimate),
        reason=notice.reason,
        previous_estimate=_optional_date(notice.previous_estimate),
        new_estimate=_optional_date(notice.new_estimate),
        days_late=max(notice.days_late, 0),
    )
    return _event(Milestone.SHIPMENT_DELAYED, order, at, facts, shipment.shipment_id,
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
    facts = OutForDeliveryFacts(
        _shipment_summary(order, shipment, tracking, estimated_delivery), scan)
    return _event(Milestone.OUT_FOR_DELIVERY, order, at, facts, shipment.shipment_id)


def order_delivered(
    order: Order, shipment: Shipment, tracking: TrackingInfo, scan: TrackingScan
) -> MilestoneEvent:
    """`Order Delivered`, from the carrier's delivery scan (its time is the event's)."""
    facts = DeliveredFacts(_shipment_summary(order, shipment, tracking), scan)
    return _event(Milestone.ORDER_DELIVERED, order, scan.occurred_at, facts,
                  shipment.shipment_id)


def delivery_exception(
    order: Order,
    shipment: Shipment,
    tracking: TrackingInfo,
    exception: ExceptionType,
    scan: TrackingScan,
) -> MilestoneEvent:
    """`Delivery Exception`; once per shipment per exception type and scan time."""
    facts = ExceptionFacts(
        shipment=_shipment_summary(order, shipment, tracking),
        exception=exception,
        scan=scan,
        description=scan.description or _EXCEPTION_DESCRIPTIONS[exception],
        action_required=exception in ACTION_REQUIRED,
    )
    return _event(Milestone.DELIVERY_EXCEPTION, order, scan.occurred_at, facts,
                  shipment.shipment_id, f"{exception.value}:{utc_instant(scan.occurred_at)}")


# -- timers ------------------------------------------------------------------------------------
def review_request_due(
    order: Order, shipment: Shipment, delivered_at: datetime, days: float, at: datetime
) -> MilestoneEvent:
    """`Review Request Due` for the items of one delivered shipment; once per shipment."""
    facts = ReviewDueFacts(_shipment_summary(order, shipment, None), delivered_at, days)
    return _event(Milestone.REVIEW_REQUEST_DUE, order, at, facts, shipment.shipment_id)


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

    `quantity_last_ordered` counts every line of the order with that SKU, as the timer does.
    """
    facts = ReorderDueFacts(
        product=_line(line_item, line_item.quantity),
        last_ordered_at=last_ordered_at,
        quantity_last_ordered=_ordered_quantity(order, line_item),
        expected_depletion=_calendar_date(expected_depletion),
    )
    return _event(Milestone.REORDER_REMINDER_DUE, order, at, facts,
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
    quantity missing; once per order per set of backordered SKUs. The original ship date is
    the order date (the promise was to ship on receipt)."""
    missing = [(li, quantity) for li, quantity in backordered if quantity > 0]
    if not missing:
        raise ValueError("a backorder notice needs at least one line with a missing quantity")
    facts = BackorderFacts(
        items=tuple(_line(li, quantity) for li, quantity in missing),
        # the order's own date, as the shop (and the customer) saw it, not its UTC date
        original_ship_date=order.created_at.date(),
        new_expected_ship_date=_optional_date(new_expected_ship_date),
        reason="out_of_stock",
    )
    return _event(Milestone.BACKORDER_DELAYED, order, at, facts,
                  sku_set(_line_key(li) for li, _ in missing))


def back_in_stock(order: Order, skus: Iterable[str], at: datetime) -> MilestoneEvent:
    """`Back In Stock` for the order's lines whose SKU is in `skus`, in the order's line
    order; once per order per set."""
    restocked = set(skus)
    lines = [li for li in order.shippable_items if li.sku and li.sku in restocked]
    if not lines:
        raise ValueError(f"order {order.name} has no line with SKU in {sorted(restocked)}")
    facts = BackInStockFacts(tuple(_line(li, li.quantity) for li in lines))
    return _event(Milestone.BACK_IN_STOCK, order, at, facts,
                  sku_set(_line_key(li) for li in lines))
