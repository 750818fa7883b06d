"""Checking and normalising the `shipment` objects v2 requests carry (rates and labels).

Required (per the v2 spec's `address`/`package` schemas and ShipEngine's behaviour):
`ship_to` with `name`, `address_line1`, `city_locality`, `postal_code`, `country_code` (and
`state_province` for US/CA); `ship_from` (same, plus `phone`) unless `warehouse_id` is the
account's warehouse; at least one package with a positive `weight` in a known unit. Labels
also need a known `carrier_id` and one of its `service_code`s. Each failure is a `V2Error`
naming the field by its JSON path (`shipment.packages[0].weight.value`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shipflow_sandbox.shipstation.carriers import SERVICES, Service
from shipflow_sandbox.shipstation_v2.carriers import CODE_BY_ID
from shipflow_sandbox.shipstation_v2.errors import V2Error

WAREHOUSE_ID = "se-24079"
WAREHOUSE_ADDRESS = {
    "name": "Shipflow Demo Warehouse",
    "phone": "502-555-0100",
    "company_name": "Ridgeline Goods",
    "address_line1": "500 Distribution Way",
    "city_locality": "Louisville",
    "state_province": "KY",
    "postal_code": "40213",
    "country_code": "US",
    "address_residential_indicator": "no",
}
ADDRESS_KEYS = ("name", "phone", "email", "company_name", "address_line1", "address_line2",
                "address_line3", "city_locality", "state_province", "postal_code",
                "country_code", "address_residential_indicator")
CONFIRMATIONS = ("none", "delivery", "signature", "adult_signature", "direct_signature",
                 "delivery_mailed", "verbal_confirmation")
TO_OUNCES = {"ounce": 1.0, "pound": 16.0, "gram": 0.0352739619, "kilogram": 35.2739619}
DIMENSION_UNITS = ("inch", "centimeter")


@dataclass
class ShipmentInput:
    ship_to: dict[str, Any]
    ship_from: dict[str, Any]
    packages: list[dict[str, Any]]
    confirmation: str
    service: Service | None
    carrier_id: str | None
    external_shipment_id: str | None
    external_order_id: str | None
    shipment_number: str | None
    warehouse_id: str | None

    @property
    def weight_oz(self) -> float:
        return sum(float(p["weight"]["value"]) * TO_OUNCES[p["weight"]["unit"]]
                   for p in self.packages)


def _text(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else None


def address(data: Any, path: str, need_phone: bool = False) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise V2Error.required(path)
    required = ["name", "address_line1", "city_locality", "postal_code", "country_code"]
    if need_phone:
        required.insert(1, "phone")
    for key in required:
        if _text(data, key) is None:
            raise V2Error.required(f"{path}.{key}")
    country = str(data["country_code"]).strip().upper()
    if len(country) != 2 or not country.isalpha():
        raise V2Error.invalid(f"{path}.country_code", "must be a two-letter ISO country code")
    if country in ("US", "CA") and _text(data, "state_province") is None:
        raise V2Error.required(f"{path}.state_province")
    residential = data.get("address_residential_indicator") or "unknown"
    if residential not in ("unknown", "yes", "no"):
        raise V2Error.invalid(f"{path}.address_residential_indicator",
                              "must be one of unknown, yes, no")
    out = {key: data.get(key) for key in ADDRESS_KEYS}
    out.update(country_code=country, address_residential_indicator=residential)
    return out


def package(data: Any, path: str) -> dict[str, Any]:
    if not isinstance(data, dict) or not isinstance(data.get("weight"), dict):
        raise V2Error.required(f"{path}.weight")
    weight = data["weight"]
    value = weight.get("value")
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise V2Error.required(f"{path}.weight.value")
    if value <= 0:
        raise V2Error.invalid(f"{path}.weight.value", "must be greater than zero")
    if weight.get("unit") not in TO_OUNCES:
        raise V2Error.invalid(f"{path}.weight.unit", "must be one of " + ", ".join(TO_OUNCES))
    dimensions = data.get("dimensions")
    if dimensions is not None and (
        not isinstance(dimensions, dict) or dimensions.get("unit", "inch") not in DIMENSION_UNITS
    ):
        raise V2Error.invalid(f"{path}.dimensions.unit", "must be one of inch, centimeter")
    return {
        "package_code": data.get("package_code") or "package",
        "weight": {"value": float(value), "unit": weight["unit"]},
        "dimensions": dimensions,
        "insured_value": data.get("insured_value"),
        "label_messages": data.get("label_messages"),
        "external_package_id": data.get("external_package_id"),
        "content_description": data.get("content_description"),
    }


def shipment(data: Any, path: str = "shipment", need_service: bool = False) -> ShipmentInput:
    if not isinstance(data, dict):
        raise V2Error.required(path)
    ship_to = address(data.get("ship_to"), f"{path}.ship_to")
    warehouse_id = data.get("warehouse_id")
    if data.get("ship_from") is None:
        if warehouse_id is None:
            raise V2Error.required(f"{path}.ship_from")
        if warehouse_id != WAREHOUSE_ID:
            raise V2Error.invalid(f"{path}.warehouse_id", f"'{warehouse_id}' is not a warehouse "
                                  "of this account")
        ship_from = address(WAREHOUSE_ADDRESS, f"{path}.ship_from")
    else:
        ship_from = address(data["ship_from"], f"{path}.ship_from", need_phone=True)
    packages = data.get("packages")
    if not isinstance(packages, list) or not packages:
        raise V2Error.required(f"{path}.packages")
    parsed = [package(p, f"{path}.packages[{i}]") for i, p in enumerate(packages)]
    confirmation = data.get("confirmation") or "none"
    if confirmation not in CONFIRMATIONS:
        raise V2Error.invalid(f"{path}.confirmation", "must be one of " + ", ".join(CONFIRMATIONS))
    carrier_id, service = data.get("carrier_id"), None
    if need_service or data.get("service_code") is not None:
        service = service_for(carrier_id, data.get("service_code"), path)
    external = data.get("external_shipment_id")
    if external is not None and (not isinstance(external, str) or len(external) > 50):
        raise V2Error.invalid(f"{path}.external_shipment_id", "must be a string of at most 50 "
                              "characters")
    return ShipmentInput(ship_to, ship_from, parsed, confirmation, service, carrier_id,
                         external, data.get("external_order_id"), data.get("shipment_number"),
                         warehouse_id)


def service_for(carrier_id: Any, service_code: Any, path: str) -> Service:
    if not carrier_id:
        raise V2Error.required(f"{path}.carrier_id")
    if carrier_id not in CODE_BY_ID:
        raise V2Error.invalid(f"{path}.carrier_id", f"'{carrier_id}' is not a carrier of this "
                              "account")
    if not service_code:
        raise V2Error.required(f"{path}.service_code")
    service = SERVICES.get(str(service_code))
    if service is None or service.carrier != CODE_BY_ID[carrier_id]:
        raise V2Error.invalid(f"{path}.service_code", f"'{service_code}' is not a service of "
                              f"carrier {carrier_id}")
    return service
