"""The rate request of API label mode (shipflow buys the label): pure builders, no I/O.

API label mode rate-shops with v2 `POST /v2/rates`, because its rates carry transit time
(`delivery_days`, `estimated_delivery_date`, `carrier_delivery_days`, `guaranteed_service`,
shipstation.md §2.3) and "cheapest that meets the promised delivery date" needs it; v1
`POST /shipments/getrates` answers only `serviceName, serviceCode, shipmentCost, otherCost`
(§1.6). It then buys with `POST /v2/labels/rates/{rate_id}`
(`ShipStationV2Client.label_from_rate`) and tells ShipStation v1 with `markasshipped`
(`ShipStationClient.mark_as_shipped`). Choosing among the rates is the domain's job.

`ShipStationV2Client.rates(order_shipment(...), carrier_ids)` sends exactly
`order_rate_request(...)`. The origin is a `Warehouse` of the account
(`ShipStationV2Client.warehouses()`, sent as `warehouse_id`) or an `Address`.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Sequence

from shipflow.domain.lines import LineSelection, order_lines
from shipflow.domain.order import Address, Order
from shipflow.providers.shipstation_v2.wire import (
    Package,
    Warehouse,
    rates_request,
    shipment_request,
)

# A carrier will not rate a weightless parcel; an order of weightless lines (grams = 0 in
# Shopify) is rated as one ounce (assumption: the lightest weight USPS prices).
MIN_PACKAGE_GRAMS = 28


def package_for_order(
    order: Order,
    items: LineSelection | None = None,
    *,
    tare_grams: int = 0,
    dimensions_cm: tuple[float, float, float] | None = None,
) -> Package:
    """One parcel holding the order's shippable lines (or the `items` subset): their Shopify
    weights (`grams` × quantity) plus `tare_grams` of packaging, at least `MIN_PACKAGE_GRAMS`."""
    if tare_grams < 0:
        raise ValueError("tare_grams must not be negative")
    grams = sum(li.grams * quantity for li, quantity in order_lines(order, items))
    return Package(max(MIN_PACKAGE_GRAMS, grams + tare_grams), dimensions_cm)


def order_shipment(
    order: Order,
    origin: Warehouse | Address,
    *,
    external_shipment_id: str,
    ship_date: date,
    confirmation: str = "none",
    items: LineSelection | None = None,
    packages: Sequence[Package] | None = None,
) -> dict[str, Any]:
    """The v2 `shipment` to rate: ship_to from the order's shipping address, the origin as
    `warehouse_id` (a `Warehouse`) or `ship_from` (an `Address`), one package from the lines'
    weight unless `packages` are given. No carrier or service: the rate options name the
    carriers, the chosen rate names the service."""
    parcels = list(packages) if packages is not None else [package_for_order(order, items)]
    return shipment_request(order, origin, parcels, external_shipment_id=external_shipment_id,
                            ship_date=ship_date, confirmation=confirmation, items=items)


def order_rate_request(
    order: Order,
    origin: Warehouse | Address,
    carrier_ids: Sequence[str],
    *,
    external_shipment_id: str,
    ship_date: date,
    confirmation: str = "none",
    items: LineSelection | None = None,
    packages: Sequence[Package] | None = None,
    service_codes: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The whole `POST /v2/rates` body: `{"shipment": order_shipment(...), "rate_options":
    {"carrier_ids": [...], "service_codes": [...]}}`."""
    shipment = order_shipment(order, origin, external_shipment_id=external_shipment_id,
                              ship_date=ship_date, confirmation=confirmation, items=items,
                              packages=packages)
    return rates_request(shipment, carrier_ids, service_codes=service_codes)
