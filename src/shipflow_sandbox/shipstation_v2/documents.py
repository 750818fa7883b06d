"""JSON builders for v2 resources: labels, shipments and rates, shaped like the real ones.

Label key order follows `v2_label_created_v2_resource_url_response.real.json` (money as
`{"currency": "usd", "amount": n}`, `created_at` with .NET-style trimmed fractions, `ship_date`
= the warehouse's local midnight in UTC, `carrier_weight` in pounds). Shipments and rates use
the v2 spec's field names (`partial_shipment`, `rate`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from shipflow_sandbox.carrier.geo import ORIGIN
from shipflow_sandbox.carrier.transit import AIR, local_moment
from shipflow_sandbox.shipstation.carriers import Service
from shipflow_sandbox.shipstation.pricing import Quote
from shipflow_sandbox.shipstation_v2.carriers import CARRIER_IDS, FRIENDLY
from shipflow_sandbox.shipstation_v2.validation import (
    ADDRESS_KEYS,
    WAREHOUSE_ADDRESS,
    WAREHOUSE_ID,
    ShipmentInput,
)

WAREHOUSE_CREATED = "2024-03-18T14:02:11.513Z"  # a fixed, plausible creation time


def money(amount: float) -> dict[str, Any]:
    return {"currency": "usd", "amount": round(float(amount), 2)}


def stamp(moment: datetime) -> str:
    """`2026-08-12T19:46:28.8Z`: UTC, fraction without trailing zeros (as ShipStation sends)."""
    text = moment.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%S.%f").rstrip("0")
    return text.rstrip(".") + "Z"


def ship_date_text(day: date) -> str:
    return local_moment(day, 0, ORIGIN.tz).strftime("%Y-%m-%dT%H:%M:%SZ")


def ship_to_json(address: dict[str, Any]) -> dict[str, Any]:
    return {"geolocation": [], "instructions": None, **address}


def rate_details(service: Service, quote: Quote) -> list[dict[str, Any]]:
    details = [_detail("shipping", "Total Net Freight", quote.shipping)]
    if quote.other:
        kind, text = (("fuel_charge", f"{FRIENDLY[service.carrier]} Fuel")
                      if service.carrier != "stamps_com" else ("other", "Surcharge"))
        details.append(_detail(kind, text, quote.other))
    if quote.confirmation:
        details.append(_detail("delivery_confirmation", "Signature Confirmation",
                               quote.confirmation))
    return details


def _detail(kind: str, text: str, amount: float) -> dict[str, Any]:
    return {"rate_detail_type": kind, "carrier_description": text, "carrier_billing_code": None,
            "carrier_memo": None, "amount": money(amount), "billing_source": "carrier"}


def label_json(*, label_id: str, shipment_id: str, batch_id: str, created: datetime,
               ship_day: date, service: Service, quote: Quote, tracking: str,
               shipment: ShipmentInput, downloads: dict[str, str], package_id: int,
               tracking_url: str, insurance: float = 0.0) -> dict[str, Any]:
    number = label_id.removeprefix("se-")
    first = shipment.packages[0]
    packages = []
    for index, parcel in enumerate(shipment.packages, start=1):
        packages.append({
            "package_id": package_id + index - 1,
            "package_code": parcel["package_code"],
            "weight": parcel["weight"],
            "dimensions": parcel["dimensions"] or {"unit": "inch", "length": 0.0,
                                                   "width": 0.0, "height": 0.0},
            "insured_value": money(0),
            "tracking_number": tracking,
            "label_download": {k: v.replace(f"label-{number}", f"labelpackage-{package_id}")
                               for k, v in downloads.items() if k != "href"},
            "qr_code_download": None,
            "paperless_download": None,
            "label_messages": parcel["label_messages"] or {"reference1": None,
                                                           "reference2": None,
                                                           "reference3": None},
            "external_package_id": parcel["external_package_id"],
            "content_description": parcel["content_description"],
            "sequence": index,
            "alternative_identifiers": [],
            "has_label_documents": False,
            "has_form_documents": False,
            "has_qr_code_documents": False,
            "has_paperless_label_documents": False,
        })
    international = shipment.ship_to["country_code"] != shipment.ship_from["country_code"]
    return {
        "label_id": label_id,
        "status": "completed",
        "shipment_id": shipment_id,
        "external_shipment_id": shipment.external_shipment_id,
        "external_order_id": shipment.external_order_id,
        "ship_date": ship_date_text(ship_day),
        "created_at": stamp(created),
        "shipment_cost": money(quote.total),
        "insurance_cost": money(insurance),
        "requested_comparison_amount": None,
        "rate_details": rate_details(service, quote),
        "tracking_number": tracking,
        "is_return_label": False,
        "rma_number": None,
        "is_international": international,
        "batch_id": batch_id,
        "carrier_id": CARRIER_IDS[service.carrier],
        "service_code": service.code,
        "package_code": first["package_code"],
        "voided": False,
        "voided_at": None,
        "void_type": None,
        "refund_details": None,
        "label_format": "pdf",
        "display_scheme": "label",
        "label_layout": "4x6",
        "trackable": True,
        "label_image_id": None,
        "carrier_code": service.carrier,
        "carrier_weight": {"value": round(max(1.0, shipment.weight_oz / 16), 1),
                           "unit": "pound"},
        "confirmation": shipment.confirmation,
        "tracking_status": "unknown",
        "label_download": downloads,
        "form_download": None,
        "qr_code_download": None,
        "insurance_claim": None,
        "paperless_download": None,
        "packages": packages,
        "charge_event": "carrier_default",
        "alternative_identifiers": [],
        "shipping_rule_id": None,
        "tracking_url": tracking_url,
        "pickup_windows": [],
        "ship_to": ship_to_json(shipment.ship_to),
    }


def shipment_json(shipment_id: str, shipment: ShipmentInput, created: datetime, ship_day: date,
                  status: str = "pending") -> dict[str, Any]:
    """A v2 shipment (`partial_shipment` fields) as rates and GET shipments return it."""
    service = shipment.service
    return {
        "shipment_id": shipment_id,
        "carrier_id": CARRIER_IDS[service.carrier] if service else None,
        "service_code": service.code if service else None,
        "external_order_id": shipment.external_order_id,
        "items": [],
        "tax_identifiers": None,
        "external_shipment_id": shipment.external_shipment_id,
        "shipment_number": shipment.shipment_number,
        "ship_date": ship_date_text(ship_day),
        "created_at": stamp(created),
        "modified_at": stamp(created),
        "shipment_status": status,
        "ship_to": ship_to_json(shipment.ship_to),
        "ship_from": shipment.ship_from,
        "warehouse_id": shipment.warehouse_id,
        "return_to": shipment.ship_from,
        "is_return": False,
        "confirmation": shipment.confirmation,
        "customs": None,
        "advanced_options": {
            "bill_to_account": None, "bill_to_country_code": None, "bill_to_party": None,
            "bill_to_postal_code": None, "contains_alcohol": False,
            "delivered_duty_paid": False, "non_machinable": False, "saturday_delivery": False,
            "dry_ice": False, "dry_ice_weight": None, "freight_class": None,
            "custom_field1": None, "custom_field2": None, "custom_field3": None,
            "origin_type": None, "additional_handling": None, "shipper_release": None,
        },
        "insurance_provider": "none",
        "tags": [],
        "packages": [
            {"package_code": p["package_code"], "weight": p["weight"],
             "dimensions": p["dimensions"] or {"unit": "inch", "length": 0.0, "width": 0.0,
                                               "height": 0.0},
             "insured_value": money(0)}
            for p in shipment.packages
        ],
        "total_weight": {"value": round(shipment.weight_oz, 2), "unit": "ounce"},
    }


def rate_json(*, rate_id: str, service: Service, quote: Quote, days: int, ship_day: date,
              estimate: date) -> dict[str, Any]:
    return {
        "rate_id": rate_id,
        "rate_type": "shipment",
        "carrier_id": CARRIER_IDS[service.carrier],
        "shipping_amount": money(quote.shipping),
        "insurance_amount": money(0),
        "confirmation_amount": money(quote.confirmation),
        "other_amount": money(quote.other),
        "zone": quote.zone,
        "package_type": "package",
        "delivery_days": days,
        "guaranteed_service": service.code in AIR,
        "estimated_delivery_date": f"{estimate.isoformat()}T00:00:00Z",
        "carrier_delivery_days": str(days),
        "ship_date": f"{ship_day.isoformat()}T00:00:00Z",
        "negotiated_rate": False,
        "service_type": service.name,
        "service_code": service.code,
        "trackable": True,
        "carrier_code": service.carrier,
        "carrier_nickname": FRIENDLY[service.carrier],
        "carrier_friendly_name": FRIENDLY[service.carrier],
        "validation_status": "valid",
        "warning_messages": [],
        "error_messages": [],
    }


def warehouse_json() -> dict[str, Any]:
    """The account's one warehouse (`warehouse` schema): origin and return address alike."""
    address = {key: WAREHOUSE_ADDRESS.get(key) for key in ADDRESS_KEYS}
    return {
        "warehouse_id": WAREHOUSE_ID,
        "is_default": True,
        "name": WAREHOUSE_ADDRESS["name"],
        "created_at": WAREHOUSE_CREATED,
        "origin_address": address,
        "return_address": dict(address),
    }
