"""Klaviyo event properties for a milestone: the domain's facts in Klaviyo's vocabulary.

Pure. Names and shapes follow shared/specs/klaviyo.md §5.3: PascalCase, filterable facts as
top-level scalars, no `value` (revenue belongs to Placed Order), dates as ISO dates, instants
as UTC ISO text, and nothing empty: Klaviyo treats `null`, `""` and `0` as never set, so such
a property is left out rather than sent (`False` is a fact and stays). Every event says
`Source: "shipflow"`.
"""

from __future__ import annotations

from datetime import date
from typing import Any, assert_never

from shipflow.domain.keys import utc_instant
from shipflow.domain.milestone import (
    BackInStockFacts,
    BackorderFacts,
    DelayedFacts,
    DeliveredFacts,
    ExceptionFacts,
    MilestoneEvent,
    MilestoneFacts,
    OrderSummary,
    OutForDeliveryFacts,
    ProductLine,
    ReorderDueFacts,
    ReviewDueFacts,
    ShipmentSummary,
    ShippedFacts,
)
from shipflow.domain.tracking_events import TrackingScan

SOURCE = "shipflow"


def properties(event: MilestoneEvent) -> dict[str, Any]:
    """The `properties` of the Klaviyo event for `event`: plain JSON values, empties left out."""
    return _clean_object({**_order(event.order), **_facts(event.facts), "Source": SOURCE})


def _facts(facts: MilestoneFacts) -> dict[str, Any]:
    match facts:
        case ShippedFacts():
            return _shipment(facts.shipment)
        case DelayedFacts():
            return {
                **_shipment(facts.shipment),
                "DelayReason": facts.reason,
                "PreviousEstimatedDeliveryDate": _day(facts.previous_estimate),
                "NewEstimatedDeliveryDate": _day(facts.new_estimate),
                "DaysLate": max(facts.days_late, 0),
            }
        case OutForDeliveryFacts():
            return {**_shipment(facts.shipment),
                    "CarrierStatusDescription": facts.scan.description}
        case DeliveredFacts():
            # `DeliveryLocation` is where the scan happened (city, state, country) or, when the
            # carrier gave no place, its description ("front door", "parcel locker"...).
            return {
                **_shipment(facts.shipment),
                "DeliveredAt": utc_instant(facts.scan.occurred_at),
                "DeliveryLocation": facts.scan.location or facts.scan.description,
                "CarrierStatusDescription": facts.scan.description,
                "SignedBy": facts.scan.signer,
            }
        case ExceptionFacts():
            return {
                **_shipment(facts.shipment),
                "ExceptionType": facts.exception.value,
                "ExceptionDescription": facts.description,
                "CarrierStatusCode": _status_code(facts.scan),
                "ActionRequired": facts.action_required,
            }
        case ReviewDueFacts():
            return {
                **_shipment(facts.shipment),
                "DeliveredAt": utc_instant(facts.delivered_at),
                "DaysSinceDelivery": _days(facts.days_since_delivery),
            }
        case ReorderDueFacts():
            return {
                **_product(facts.product, variant=True, quantity=False),
                "LastOrderedAt": utc_instant(facts.last_ordered_at),
                "QuantityLastOrdered": facts.quantity_last_ordered,
                "ExpectedDepletionDate": _day(facts.expected_depletion),
            }
        case BackorderFacts():
            return {
                "BackorderedItems": [_product(p, variant=True) for p in facts.items],
                "BackorderedSkus": _skus(facts.items),
                "ItemNames": [p.name for p in facts.items],
                "OriginalShipDate": _day(facts.original_ship_date),
                "NewExpectedShipDate": _day(facts.new_expected_ship_date),
                "DelayReason": facts.reason,
            }
        case BackInStockFacts():
            # Flow filters read only top-level scalars, so `SKU`, `ProductName`, `ProductID`
            # and `VariantID` describe the first restocked line; `Items` lists them all.
            if not facts.items:
                raise ValueError("a Back In Stock event needs at least one line")
            return {
                **_product(facts.items[0], variant=True, quantity=False),
                "Items": [_product(p, variant=True) for p in facts.items],
                "ItemNames": [p.name for p in facts.items],
                "BackInStockSkus": _skus(facts.items),
            }
        case _:
            assert_never(facts)


def _order(order: OrderSummary) -> dict[str, Any]:
    return {"OrderId": str(order.order_id), "OrderName": order.name}


def _shipment(shipment: ShipmentSummary) -> dict[str, Any]:
    """The common set of every shipment event (klaviyo.md §5.3)."""
    tracking = shipment.tracking
    props: dict[str, Any] = {
        "ShipmentId": shipment.shipment_id,
        "TrackingNumber": tracking.number,
        "TrackingUrl": tracking.url,
        "Carrier": tracking.company,
        "CarrierCode": tracking.carrier_code,
        "ServiceCode": shipment.service_code,
        "ShippingMethod": shipment.shipping_method,
        "ShipDate": _day(shipment.ship_date),
        "EstimatedDeliveryDate": _day(shipment.estimated_delivery),
        "ItemNames": [p.name for p in shipment.items],
        "ItemCount": shipment.units,
        "Items": [_product(p) for p in shipment.items],
        "IsPartialShipment": shipment.partial,
    }
    region = shipment.destination
    if region is not None:
        props["ShippingAddress"] = {
            "City": region.city,
            "RegionCode": region.region_code,
            "CountryCode": region.country_code,
            "Zip": region.zip,
        }
    return props


def _product(p: ProductLine, *, variant: bool = False, quantity: bool = True) -> dict[str, Any]:
    """A product as Klaviyo's catalog names it; shipment items leave the variant out."""
    props: dict[str, Any] = {
        "ProductID": str(p.product_id) if p.product_id else None,
        "VariantID": str(p.variant_id) if variant and p.variant_id else None,
        "SKU": p.sku,
        "ProductName": p.name,
    }
    if quantity:
        props["Quantity"] = p.quantity
    return props


def _skus(items: tuple[ProductLine, ...]) -> list[str]:
    return sorted({p.sku for p in items if p.sku})


def _status_code(scan: TrackingScan) -> str:
    """The finest code the carrier gave: ShipEngine's detail code, the carrier's own, or the
    status code."""
    return scan.status_detail_code or scan.carrier_detail_code or scan.status_code.value


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _days(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(value, 1)


def _clean_object(value: dict[str, Any]) -> dict[str, Any]:
    cleaned = {k: _clean(v) for k, v in value.items()}
    return {k: v for k, v in cleaned.items() if not _is_empty(v)}


def _clean(value: Any) -> Any:
    """`value` without the members Klaviyo would ignore: None, "", 0, and empty lists/objects
    (booleans stay: `False` is a fact)."""
    if isinstance(value, dict):
        return _clean_object(value)
    if isinstance(value, (list, tuple)):
        return [v for v in (_clean(v) for v in value) if not _is_empty(v)]
    return value


def _is_empty(value: Any) -> bool:
    if value is None or isinstance(value, bool):
        return value is None
    if isinstance(value, (int, float)):
        return value == 0
    return value in ("", [], {})
