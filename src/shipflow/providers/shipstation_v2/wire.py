"""ShipStation API v2 wire format: shipments out; rates, labels and tracking in (pure, no I/O).

Field names are those of the official spec (`specs/shipstation-v2-openapi.yaml`, the same engine
as ShipEngine's `/v1`; shipstation.md §2.3) and every body built here is validated against both
specs in `tests/contract/`. Parsers read the real payloads in `fixtures/shipstation/`.

Where the spec's `required` lists are stricter than the API (the v2 spec reuses response
schemas for requests), the builders send what both specs accept and the API documents as
harmless: `return_to` = `ship_from`, `advanced_options: {}`, `insurance_provider: "none"`,
`warehouse_id: null`. Two requirements are not met on purpose, and are declared as errata in
`tests/contract/test_shipstation_v2_contract.py`: `tags` (read-only in the newer ShipEngine
spec, whose label request schema has no such field) and, when rate shopping, `carrier_id` /
`service_code` (the rate options name the carriers). Where an address genuinely lacks a value
the spec wants (a country without provinces or postal codes), the key is left out rather than
invented.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Mapping, Sequence

from shipflow.domain.lines import LineSelection, order_lines
from shipflow.domain.order import Address, Order
from shipflow.domain.tracking_events import (
    TrackingScan,
    TrackingStatus,
    TrackingUpdate,
    normalize_scans,
)
from shipflow.providers.errors import MalformedPayload, UnexpectedResponse
from shipflow.providers.fields import Fields

log = logging.getLogger("shipflow.providers.shipstation")

# shipstation.md §2.3; the ShipEngine spec adds `delivery_code` and `age_verification_16_plus`.
CONFIRMATIONS = frozenset({"none", "delivery", "signature", "adult_signature", "direct_signature",
                           "delivery_mailed", "verbal_confirmation"})
LABEL_FORMATS = frozenset({"pdf", "png", "zpl"})
LABEL_LAYOUTS = frozenset({"4x6", "letter"})
MAX_EXTERNAL_SHIPMENT_ID = 50  # "limited to 50 characters. Any additional … will be truncated"


# -- requests ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Package:
    """One parcel of a shipment. Weights in grams, as Shopify gives them; dimensions in cm."""

    weight_grams: int
    dimensions_cm: tuple[float, float, float] | None = None  # length, width, height
    package_code: str = "package"  # "a custom or unknown package type"


def address(
    addr: Address,
    *,
    phone: str | None = None,
    residential: bool | None = None,
    where: str = "address",
) -> dict[str, Any]:
    """A v2 address (`name, phone, company_name, address_line1..3, city_locality,
    state_province, postal_code, country_code, address_residential_indicator`).

    `phone` is used when the address has none (the spec requires one; carriers call it only
    when delivery fails). `residential` None means "unknown", ShipStation's own default.
    `state_province` and `postal_code` are left out when the address has none (UK counties,
    Hong Kong): the spec lists them as required, the API does not need them there.
    """
    name = (addr.name or addr.company or "").strip()
    if not name:
        raise ValueError(f"{where}: a name or company is required")
    number = (addr.phone or phone or "").strip()
    if not number:
        raise ValueError(f"{where}: a phone number is required")
    if len(addr.country_code or "") != 2:
        raise ValueError(f"{where}: country_code must be ISO 3166-1 alpha-2")
    if not addr.address1.strip() or not addr.city.strip():
        raise ValueError(f"{where}: address1 and city are required")
    body: dict[str, Any] = {
        "name": name,
        "phone": number,
        "company_name": (addr.company or "").strip() or None,
        "address_line1": addr.address1.strip(),
        "address_line2": (addr.address2 or "").strip() or None,
        "address_line3": None,
        "city_locality": addr.city.strip(),
        "country_code": addr.country_code.upper(),
        "address_residential_indicator": (
            "unknown" if residential is None else "yes" if residential else "no"),
    }
    if addr.province_code:
        body["state_province"] = addr.province_code
    if addr.zip.strip():
        body["postal_code"] = addr.zip.strip()
    return body


def package(parcel: Package) -> dict[str, Any]:
    if parcel.weight_grams <= 0:
        raise ValueError("package weight must be positive")
    body: dict[str, Any] = {
        "package_code": parcel.package_code,
        "weight": {"value": parcel.weight_grams, "unit": "gram"},
    }
    if parcel.dimensions_cm is not None:
        length, width, height = parcel.dimensions_cm
        body["dimensions"] = {"unit": "centimeter", "length": length, "width": width,
                              "height": height}
    return body


@dataclass(frozen=True, slots=True)
class Warehouse:
    """A ship-from location of the account (`GET /v2/warehouses`): a shipment names it by
    `warehouse_id` instead of carrying the whole `ship_from` address."""

    warehouse_id: str
    name: str
    origin: Address
    is_default: bool = False


def shipment_request(
    order: Order,
    ship_from: Address | Warehouse,
    packages: Sequence[Package],
    *,
    external_shipment_id: str,
    ship_date: date,
    confirmation: str = "none",
    carrier_id: str | None = None,
    service_code: str | None = None,
    items: LineSelection | None = None,
) -> dict[str, Any]:
    """The v2 `shipment` object for an order, for `POST /v2/rates` and `POST /v2/labels`.

    - `ship_from` is an `Address`, sent as `ship_from` (and `return_to`), or a `Warehouse` of
      the account, sent as `warehouse_id` alone ("Either `ship_from` or `warehouse_id` must be
      set", v2 spec `shipment`; ShipStation fills in both addresses from the warehouse);
    - `external_shipment_id` is shipflow's key for this parcel (≤ 50 characters, ShipStation
      truncates longer ones, which would break lookups by it): one per label attempt family,
      e.g. derived from the Shopify order id and a shipment sequence;
    - `external_order_id` is the Shopify order id; `items` are the shippable lines (or the
      subset `items` names, for one part of a split), with the Shopify line item id as
      `external_order_item_id`;
    - `ship_to.phone` falls back to the customer's phone, then to the ship-from phone;
      `address_residential_indicator` is "no" when the address names a company, else "yes"
      (the same reading as the v1 mapping);
    - `carrier_id`/`service_code` are left out when rate shopping and set when buying a label;
    - international parcels get the minimal customs block (`merchandise`, return to sender);
      customs items are not declared here: such orders are held for review before a label.
    """
    if not external_shipment_id or len(external_shipment_id) > MAX_EXTERNAL_SHIPMENT_ID:
        raise ValueError(f"external_shipment_id must be 1–{MAX_EXTERNAL_SHIPMENT_ID} characters")
    if confirmation not in CONFIRMATIONS:
        raise ValueError(f"confirmation must be one of {sorted(CONFIRMATIONS)}")
    if order.shipping_address is None:
        raise ValueError(f"order {order.name} has no shipping address; nothing to ship")
    if not packages:
        raise ValueError("a shipment needs at least one package")
    ship_to = order.shipping_address
    warehouse = ship_from if isinstance(ship_from, Warehouse) else None
    origin_address = warehouse.origin if warehouse else ship_from
    assert isinstance(origin_address, Address)
    origin = address(origin_address, residential=False, where="ship_from")
    customer_phone = order.customer.phone if order.customer else None
    destination = address(ship_to, phone=customer_phone or origin["phone"],
                          residential=not ship_to.company, where="ship_to")
    international = destination["country_code"] != origin["country_code"]
    service = {k: v for k, v in (("carrier_id", carrier_id), ("service_code", service_code)) if v}
    addresses: dict[str, Any] = (
        {"warehouse_id": warehouse.warehouse_id} if warehouse
        else {"ship_from": origin, "return_to": dict(origin), "warehouse_id": None})
    return {
        **service,
        "external_shipment_id": external_shipment_id,
        "external_order_id": str(order.shopify_order_id),
        "ship_date": ship_date.isoformat(),
        "ship_to": destination,
        **addresses,
        "confirmation": confirmation,
        "insurance_provider": "none",
        "advanced_options": {},
        "customs": ({"contents": "merchandise", "non_delivery": "return_to_sender"}
                    if international else None),
        "items": [
            {"name": li.name, "sku": li.sku, "quantity": quantity,
             "external_order_item_id": str(li.line_item_id)}
            for li, quantity in order_lines(order, items)
        ],
        "packages": [package(p) for p in packages],
    }


def rates_request(
    shipment_or_id: Mapping[str, Any] | str,
    carrier_ids: Sequence[str],
    *,
    service_codes: Sequence[str] | None = None,
    package_types: Sequence[str] | None = None,
    preferred_currency: str | None = None,
    calculate_tax_amount: bool | None = None,
    is_return: bool | None = None,
) -> dict[str, Any]:
    """The body of `POST /v2/rates`: `rate_options` and either a `shipment_id` or a
    `shipment` (shipstation.md §2.3)."""
    ids = list(dict.fromkeys(c for c in carrier_ids if c))
    if not ids:
        raise ValueError("rates need at least one carrier id")
    options: dict[str, Any] = {"carrier_ids": ids}
    if service_codes:
        options["service_codes"] = list(service_codes)
    if package_types:
        options["package_types"] = list(package_types)
    if preferred_currency:
        options["preferred_currency"] = preferred_currency.lower()
    if calculate_tax_amount is not None:
        options["calculate_tax_amount"] = calculate_tax_amount
    if is_return is not None:
        options["is_return"] = is_return
    if isinstance(shipment_or_id, str):
        if not shipment_or_id:
            raise ValueError("shipment id is empty")
        return {"shipment_id": shipment_or_id, "rate_options": options}
    return {"shipment": dict(shipment_or_id), "rate_options": options}


def _label_options(label_format: str, label_layout: str, label_download_type: str,
                   validate_address: str | None) -> dict[str, Any]:
    if label_format not in LABEL_FORMATS:
        raise ValueError(f"label_format must be one of {sorted(LABEL_FORMATS)}")
    if label_layout not in LABEL_LAYOUTS:
        raise ValueError(f"label_layout must be one of {sorted(LABEL_LAYOUTS)}")
    if label_download_type not in ("url", "inline"):
        raise ValueError("label_download_type must be 'url' or 'inline'")
    body: dict[str, Any] = {"label_format": label_format, "label_layout": label_layout,
                            "label_download_type": label_download_type}
    if validate_address is not None:
        body["validate_address"] = validate_address
    return body


def label_request(
    shipment: Mapping[str, Any],
    *,
    label_format: str = "pdf",
    label_layout: str = "4x6",
    label_download_type: str = "url",
    test_label: bool = False,
    validate_address: str | None = None,
) -> dict[str, Any]:
    """The body of `POST /v2/labels`. A label needs a carrier and a service."""
    if not shipment.get("carrier_id") or not shipment.get("service_code"):
        raise ValueError("a label needs the shipment's carrier_id and service_code")
    body = {"shipment": dict(shipment), "test_label": test_label}
    body.update(_label_options(label_format, label_layout, label_download_type,
                               validate_address))
    return body


def label_from_rate_request(
    *,
    label_format: str = "pdf",
    label_layout: str = "4x6",
    label_download_type: str = "url",
    validate_address: str | None = None,
) -> dict[str, Any]:
    """The body of `POST /v2/labels/rates/{rate_id}` (`purchase_label_without_shipment`)."""
    return _label_options(label_format, label_layout, label_download_type, validate_address)


def webhook_request(event: str, url: str, headers: Mapping[str, str] | None = None
                    ) -> dict[str, Any]:
    """The body of `POST /v2/environment/webhooks`. `event` is lower-case (`track`,
    `track_event_v2`, `label_created_v2`…); `headers` are sent back with every delivery, a
    second secret next to the RSA signature."""
    if not event or not url:
        raise ValueError("a webhook needs an event and a url")
    body: dict[str, Any] = {"event": event.lower(), "url": url}
    if headers:
        body["headers"] = [{"key": k, "value": v} for k, v in headers.items()]
    return body


# -- responses ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str  # upper-case ISO 4217 ("USD"); ShipStation sends "usd"


def _money(f: Fields, key: str) -> Money | None:
    value = f.optional_obj(key)
    if value is None or not value.has("amount"):
        return None
    return Money(value.req_decimal("amount"),
                 (value.string("currency", required=False) or "").upper())


def _total(*parts: Money | None) -> Money | None:
    present = [p for p in parts if p is not None]
    if not present:
        return None
    currencies = {p.currency for p in present if p.currency}
    if len(currencies) > 1:
        raise UnexpectedResponse(f"rate amounts in several currencies: {sorted(currencies)}")
    return Money(sum((p.amount for p in present), Decimal("0")),
                 currencies.pop() if currencies else "")


def _strings(f: Fields, key: str) -> tuple[str, ...]:
    return tuple(str(v) for v in f.array(key, required=False) if isinstance(v, str) and v)


@dataclass(frozen=True, slots=True)
class V2Error:
    """One entry of the v2 error envelope (`errors[]`)."""

    message: str
    error_code: str | None = None
    error_type: str | None = None  # validation, business_rules, security, system…
    error_source: str | None = None  # ShipStation (shipengine), carrier, order_source
    field_name: str | None = None  # ShipEngine adds it to validation errors

    def __str__(self) -> str:
        return f"{self.field_name}: {self.message}" if self.field_name else self.message


def parse_errors(body: Any) -> tuple[str | None, list[V2Error]]:
    """(request_id, errors) of `{"request_id", "errors": [{error_source, error_type,
    error_code, message}]}`; the rate response's `errors` have the same entries."""
    if not isinstance(body, dict):
        return None, []
    request_id = body.get("request_id") if isinstance(body.get("request_id"), str) else None
    raw = body.get("errors")
    return request_id, _error_list(raw)


def _error_list(raw: Any) -> list[V2Error]:
    errors = []
    for entry in raw if isinstance(raw, list) else []:
        if not isinstance(entry, dict):
            continue

        def text(key: str, entry: dict[str, Any] = entry) -> str | None:
            value = entry.get(key)
            return value if isinstance(value, str) and value else None

        errors.append(V2Error(
            message=text("message") or text("error_code") or "error",
            error_code=text("error_code"), error_type=text("error_type"),
            error_source=text("error_source"), field_name=text("field_name"),
        ))
    return errors


@dataclass(frozen=True, slots=True)
class Rate:
    """One purchasable rate. `total` = shipping + insurance + confirmation + other (§2.3)."""

    rate_id: str
    carrier_id: str
    carrier_code: str
    service_code: str
    service_type: str | None
    shipping_amount: Money
    insurance_amount: Money | None = None
    confirmation_amount: Money | None = None
    other_amount: Money | None = None
    delivery_days: int | None = None
    estimated_delivery_date: datetime | None = None
    guaranteed_service: bool = False
    trackable: bool = True
    package_type: str | None = None
    rate_type: str | None = None
    validation_status: str | None = None
    carrier_friendly_name: str | None = None
    warning_messages: tuple[str, ...] = ()
    error_messages: tuple[str, ...] = ()

    @property
    def total(self) -> Money:
        total = _total(self.shipping_amount, self.insurance_amount, self.confirmation_amount,
                       self.other_amount)
        assert total is not None  # shipping_amount is always there
        return total


@dataclass(frozen=True, slots=True)
class RateResponse:
    """`rate_response`: the rates, the ones the carrier refused, and request-level errors."""

    shipment_id: str | None
    rate_request_id: str | None
    status: str | None  # working, completed, partial, error
    rates: tuple[Rate, ...]
    invalid_rates: tuple[Rate, ...] = ()
    errors: tuple[V2Error, ...] = ()


def _rate(f: Fields) -> Rate:
    shipping = _money(f, "shipping_amount")
    if shipping is None:
        raise f.fail("shipping_amount", "is missing")
    return Rate(
        rate_id=f.req_string("rate_id"),
        carrier_id=f.string("carrier_id", required=False) or "",
        carrier_code=f.string("carrier_code", required=False) or "",
        service_code=f.req_string("service_code"),
        service_type=f.string("service_type", required=False, empty_is_none=True),
        shipping_amount=shipping,
        insurance_amount=_money(f, "insurance_amount"),
        confirmation_amount=_money(f, "confirmation_amount"),
        other_amount=_money(f, "other_amount"),
        delivery_days=f.integer("delivery_days", required=False),
        estimated_delivery_date=f.timestamp("estimated_delivery_date", required=False),
        guaranteed_service=f.boolean("guaranteed_service", False),
        trackable=f.boolean("trackable", True),
        package_type=f.string("package_type", required=False, empty_is_none=True),
        rate_type=f.string("rate_type", required=False, empty_is_none=True),
        validation_status=f.string("validation_status", required=False, empty_is_none=True),
        carrier_friendly_name=f.string("carrier_friendly_name", required=False,
                                       empty_is_none=True),
        warning_messages=_strings(f, "warning_messages"),
        error_messages=_strings(f, "error_messages"),
    )


def parse_rate_response(d: Any) -> RateResponse:
    """The `POST /v2/rates` response (shipment fields + `rate_response`), or a bare
    `rate_response` object (`GET /v2/shipments/{id}/rates`). A rate that cannot be read is
    logged and left out, so one odd carrier does not hide the others."""
    root = Fields(d, "", UnexpectedResponse)
    info = root.obj("rate_response") if "rate_response" in root.data else root

    def rates(key: str) -> tuple[Rate, ...]:
        found = []
        for entry in info.objects(key, required=False):
            try:
                found.append(_rate(entry))
            except MalformedPayload as exc:
                log.warning("unreadable rate skipped: %s", exc.reason)
        return tuple(found)

    return RateResponse(
        shipment_id=info.string("shipment_id", required=False) or root.string(
            "shipment_id", required=False),
        rate_request_id=info.scalar_str("rate_request_id", required=False),
        status=info.string("status", required=False),
        rates=rates("rates"),
        invalid_rates=rates("invalid_rates"),
        errors=tuple(_error_list(info.data.get("errors"))),
    )


@dataclass(frozen=True, slots=True)
class LabelDownload:
    pdf: str | None = None
    png: str | None = None
    zpl: str | None = None
    href: str | None = None


@dataclass(frozen=True, slots=True)
class Label:
    """A v2 label (`POST /v2/labels`, `GET /v2/labels/{id}`, rows of `GET /v2/labels`).

    `tracking_number` is None only while the label is `processing`; `package_tracking_numbers`
    has one per package of a multi-package label.
    """

    label_id: str
    status: str  # processing, completed, error, voided
    shipment_id: str | None
    tracking_number: str | None
    carrier_id: str | None
    carrier_code: str | None
    service_code: str | None
    ship_date: date | None
    created_at: datetime | None
    shipment_cost: Money | None
    insurance_cost: Money | None = None
    external_shipment_id: str | None = None
    batch_id: str | None = None
    voided: bool = False
    voided_at: datetime | None = None
    trackable: bool = True
    tracking_status: str | None = None  # unknown, in_transit, error, delivered
    tracking_url: str | None = None
    confirmation: str | None = None
    is_return_label: bool = False
    label_download: LabelDownload = LabelDownload()
    package_tracking_numbers: tuple[str, ...] = ()


def parse_label(d: Any, path: str = "") -> Label:
    f = Fields(d, path, UnexpectedResponse)
    download = f.optional_obj("label_download")
    return Label(
        label_id=f.req_string("label_id"),
        status=f.string("status", required=False) or "completed",
        shipment_id=f.string("shipment_id", required=False, empty_is_none=True),
        tracking_number=f.string("tracking_number", required=False, empty_is_none=True),
        carrier_id=f.string("carrier_id", required=False, empty_is_none=True),
        carrier_code=f.string("carrier_code", required=False, empty_is_none=True),
        service_code=f.string("service_code", required=False, empty_is_none=True),
        ship_date=f.day("ship_date", required=False),
        created_at=f.timestamp("created_at", required=False),
        shipment_cost=_money(f, "shipment_cost"),
        insurance_cost=_money(f, "insurance_cost"),
        external_shipment_id=f.string("external_shipment_id", required=False,
                                      empty_is_none=True),
        batch_id=f.string("batch_id", required=False, empty_is_none=True),
        voided=f.boolean("voided", False),
        voided_at=f.timestamp("voided_at", required=False),
        trackable=f.boolean("trackable", True),
        tracking_status=f.string("tracking_status", required=False, empty_is_none=True),
        tracking_url=f.string("tracking_url", required=False, empty_is_none=True),
        confirmation=f.string("confirmation", required=False, empty_is_none=True),
        is_return_label=f.boolean("is_return_label", False),
        label_download=LabelDownload(
            **{k: download.string(k, required=False, empty_is_none=True)
               for k in ("pdf", "png", "zpl", "href")}) if download else LabelDownload(),
        package_tracking_numbers=tuple(
            t for t in (p.string("tracking_number", required=False, empty_is_none=True)
                        for p in f.objects("packages", required=False)) if t),
    )


@dataclass(frozen=True, slots=True)
class LabelsPage:
    labels: tuple[Label, ...]
    total: int
    page: int
    pages: int
    next_url: str | None  # `links.next.href`; absent (`{}`) on the last page


def parse_labels_page(d: Any) -> LabelsPage:
    """`{"labels": [...], "total", "page", "pages", "links": {first, last, prev, next}}`."""
    root = Fields(d, "", UnexpectedResponse)
    labels = tuple(parse_label(entry.data, entry.path) for entry in root.objects("labels"))
    links = root.optional_obj("links")
    following = links.optional_obj("next") if links else None
    return LabelsPage(
        labels=labels,
        total=root.integer("total", required=False) or len(labels),
        page=root.integer("page", required=False) or 1,
        pages=root.integer("pages", required=False) or 1,
        next_url=following.string("href", required=False, empty_is_none=True)
        if following else None,
    )


@dataclass(frozen=True, slots=True)
class VoidResult:
    """`PUT /v2/labels/{id}/void`: the carrier may refuse (`approved: false`) with a reason."""

    approved: bool
    message: str
    reason_code: str | None = None


def parse_void(d: Any) -> VoidResult:
    f = Fields(d, "", UnexpectedResponse)
    return VoidResult(f.boolean("approved", False), f.string("message", required=False) or "",
                      f.string("reason_code", required=False, empty_is_none=True))


@dataclass(frozen=True, slots=True)
class CarrierService:
    service_code: str
    name: str
    domestic: bool = True
    international: bool = False


@dataclass(frozen=True, slots=True)
class Carrier:
    """A connected carrier account (`GET /v2/carriers`); `carrier_id` is what rates need."""

    carrier_id: str
    carrier_code: str
    nickname: str | None = None
    friendly_name: str | None = None
    account_number: str | None = None
    primary: bool = False
    services: tuple[CarrierService, ...] = ()


def parse_carriers(d: Any) -> list[Carrier]:
    """`{"carriers": [...], "request_id", "errors"}` (207 when some carriers failed to load:
    the ones that did are still returned)."""
    root = Fields(d, "", UnexpectedResponse)
    return [
        Carrier(
            carrier_id=c.req_string("carrier_id"),
            carrier_code=c.string("carrier_code", required=False) or "",
            nickname=c.string("nickname", required=False, empty_is_none=True),
            friendly_name=c.string("friendly_name", required=False, empty_is_none=True),
            account_number=c.scalar_str("account_number", required=False),
            primary=c.boolean("primary", False),
            services=tuple(
                CarrierService(s.req_string("service_code"),
                               s.string("name", required=False) or s.req_string("service_code"),
                               s.boolean("domestic", True), s.boolean("international", False))
                for s in c.objects("services", required=False)),
        )
        for c in root.objects("carriers")
    ]


def _v2_address(f: Fields) -> Address:
    return Address(
        name=f.string("name", required=False) or f.string("company_name", required=False) or "",
        address1=f.string("address_line1", required=False) or "",
        city=f.string("city_locality", required=False) or "",
        country_code=(f.string("country_code", required=False) or "").upper(),
        zip=f.string("postal_code", required=False) or "",
        province_code=f.string("state_province", required=False, empty_is_none=True),
        address2=f.string("address_line2", required=False, empty_is_none=True),
        company=f.string("company_name", required=False, empty_is_none=True),
        phone=f.string("phone", required=False, empty_is_none=True),
    )


def parse_warehouses(d: Any) -> list[Warehouse]:
    """`GET /v2/warehouses`: `{"warehouses": [{warehouse_id, name, is_default,
    origin_address, return_address, created_at}]}`."""
    root = Fields(d, "", UnexpectedResponse)
    return [
        Warehouse(
            warehouse_id=w.req_string("warehouse_id"),
            name=w.string("name", required=False) or "",
            origin=_v2_address(w.obj("origin_address")),
            is_default=w.boolean("is_default", False),
        )
        for w in root.objects("warehouses")
    ]


@dataclass(frozen=True, slots=True)
class WebhookSubscription:
    webhook_id: str
    event: str
    url: str
    headers: tuple[tuple[str, str], ...] = ()


def parse_webhook_subscription(d: Any, path: str = "") -> WebhookSubscription:
    f = Fields(d, path, UnexpectedResponse)
    return WebhookSubscription(
        webhook_id=f.scalar_str("webhook_id") or "",
        event=f.req_string("event"),
        url=f.req_string("url"),
        headers=tuple((h.string("key", required=False) or "", h.string("value", required=False)
                       or "") for h in f.objects("headers", required=False)),
    )


def parse_webhook_list(d: Any) -> list[WebhookSubscription]:
    """`GET /v2/environment/webhooks`: a bare array."""
    if not isinstance(d, list):
        raise UnexpectedResponse("webhooks: expected an array")
    return [parse_webhook_subscription(w, f"[{i}]") for i, w in enumerate(d)]


# -- tracking ----------------------------------------------------------------------------------
def _status(value: str | None) -> TrackingStatus:
    """An 8-value `status_code`; anything else (the v2 spec's example puts a detail code
    there) reads as UNKNOWN rather than refusing the whole update."""
    try:
        return TrackingStatus((value or "").upper())
    except ValueError:
        if value:
            log.warning("unknown tracking status_code %r read as UN", value)
        return TrackingStatus.UNKNOWN


def _scan(f: Fields) -> TrackingScan:
    def text(key: str) -> str | None:
        return f.string(key, required=False, empty_is_none=True)

    return TrackingScan(
        # `occurred_at` is UTC (FedEx sends it naive: read as UTC); `carrier_occurred_at` is
        # the carrier's local wall time, sometimes with a bogus "Z" (§2.4), so it is ignored.
        occurred_at=f.req_timestamp("occurred_at"),
        status_code=_status(text("status_code")),
        description=text("description") or text("carrier_status_description") or "",
        status_detail_code=text("status_detail_code"),  # null for UPS: kept null
        carrier_detail_code=text("carrier_detail_code"),
        city=text("city_locality"),
        state=text("state_province"),
        postal_code=text("postal_code"),
        country_code=text("country_code"),
        signer=text("signer"),
    )


def parse_tracking_information(
    d: Any,
    *,
    label_id: str | None = None,
    path: str = "",
    error: type[MalformedPayload] = UnexpectedResponse,
) -> TrackingUpdate:
    """`tracking_information` (`GET /v2/labels/{id}/track`, the `data` of TRACK_EVENT_V2 and
    API_TRACK webhooks) as a domain `TrackingUpdate`.

    Events come cumulatively and not reliably sorted: `normalize_scans` sorts them oldest
    first and drops repeats. An event without a readable `occurred_at` is logged and left out
    (the rest of the history still counts); a missing `tracking_number` refuses the update.
    """
    root = Fields(d, path, error)
    scans = []
    for entry in root.objects("events", required=False):
        try:
            scans.append(_scan(entry))
        except MalformedPayload as exc:
            log.warning("tracking event skipped: %s", exc.reason)
    return TrackingUpdate(
        tracking_number=root.req_string("tracking_number"),
        carrier_code=root.string("carrier_code", required=False) or "",
        status_code=_status(root.string("status_code", required=False)),
        scans=normalize_scans(scans),
        status_detail_code=root.string("status_detail_code", required=False,
                                       empty_is_none=True),
        estimated_delivery=root.timestamp("estimated_delivery_date", required=False),
        actual_delivery=root.timestamp("actual_delivery_date", required=False),
        tracking_url=root.string("tracking_url", required=False, empty_is_none=True),
        label_id=label_id,
    )
