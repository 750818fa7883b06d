"""ShipStation v1 wire format: order bodies out, shipments and results in (pure, no I/O).

Field names and conventions from shipstation.md §1.4–1.6 and the docs examples in
`fixtures/shipstation/`.

Time zone: ShipStation v1 timestamps carry no offset ("2015-06-29T08:46:27.0000000"). The
specs do not say which zone they are in; ShipStation's documentation and its integrators treat
them as US Pacific time, so shipflow sends and reads them as America/Los_Angeles.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, Mapping, Sequence
from zoneinfo import ZoneInfo

from shipflow.domain.lines import LineSelection, order_lines
from shipflow.domain.order import Address, Order
from shipflow.domain.shipment import Shipment, ShipmentItem
from shipflow.providers.errors import MalformedPayload, UnexpectedResponse
from shipflow.providers.fields import Fields, parse_datetime

SHIPSTATION_TZ = ZoneInfo("America/Los_Angeles")
SOURCE = "shipflow"
MAX_ORDERS_PER_BULK = 100  # POST /orders/createorders (shipstation.md §1.6)
MAX_ORDER_NUMBER = 50
CONFIRMATIONS = frozenset({"none", "delivery", "signature", "adult_signature", "direct_signature"})


# -- dates -------------------------------------------------------------------------------------
def format_datetime(moment: datetime) -> str:
    """ShipStation's timestamp: Pacific wall time, 7 fractional digits, no offset.
    A naive datetime is taken as UTC."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    local = aware.astimezone(SHIPSTATION_TZ)
    return local.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0"


def read_datetime(value: str) -> datetime | None:
    """A ShipStation timestamp as an aware datetime (Pacific when it has no offset)."""
    return parse_datetime(value, default_tz=SHIPSTATION_TZ)


def _money(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.01")))


# -- orders out --------------------------------------------------------------------------------
def address(addr: Address | None, *, fallback_name: str = "", residential: bool | None = None
            ) -> dict[str, Any]:
    """A v1 Address. Every key is sent (null when unknown), as in the docs example."""
    if addr is None:
        return {
            "name": fallback_name or None, "company": None, "street1": None, "street2": None,
            "street3": None, "city": None, "state": None, "postalCode": None, "country": None,
            "phone": None, "residential": None,
        }
    return {
        "name": addr.name or fallback_name or None,
        "company": addr.company or None,
        "street1": addr.address1 or None,
        "street2": addr.address2 or None,
        "street3": None,
        "city": addr.city or None,
        "state": addr.province_code or None,
        "postalCode": addr.zip or None,
        "country": addr.country_code or None,
        "phone": addr.phone or None,
        "residential": residential,
    }


ORDER_STATUSES = frozenset({"awaiting_shipment", "on_hold", "cancelled"})


def order_request(
    order: Order,
    *,
    order_key: str,
    confirmation: str = "none",
    requested_service: str | None = None,
    hold_until: date | None = None,
    tag_ids: Sequence[int] | None = None,
    advanced_options: Mapping[str, Any] | None = None,
    status: str | None = None,
    carrier_code: str | None = None,
    service_code: str | None = None,
    items: LineSelection | None = None,
    custom_field1: str | None = None,
    custom_field2: str | None = None,
    custom_field3: str | None = None,
    order_number: str | None = None,
) -> dict[str, Any]:
    """The body of `POST /orders/createorder` (or one element of `createorders`).

    createorder is an upsert keyed by `orderKey` that replaces the whole order, so the body is
    always complete; "Orders in the cancelled and shipped states may not be updated" (docs), so
    send `status="cancelled"` only to an open order. Choices where the specs are silent:

    - `orderNumber` is the Shopify name without its leading "#" ("#1001" -> "1001"), or
      `order_number` (e.g. "1001-2" for the second part of a split: orderNumber need not be
      unique, orderKey must);
    - `paymentDate` is the order's creation time when it is paid (the domain has no payment
      time); `orderStatus` is `status` (`awaiting_shipment`, `on_hold`, `cancelled`), by
      default `awaiting_shipment`, or `on_hold` with `holdUntilDate` when `hold_until` is given
      (ShipStation documents holdUntilDate as read-only: call `ShipStationClient.hold_until`
      too, for the date to be kept);
    - only shippable lines are sent (`requires_shipping` and quantity > 0); weights in grams.
      `items` sends a subset instead (a split): `{Shopify line item id: quantity}` (or pairs),
      each a shippable line and at most its ordered quantity; `amountPaid` is then the value
      of those lines and `taxAmount`/`shippingAmount` are 0, so two parts of one order do not
      count the order's tax and shipping twice;
    - `carrierCode`/`serviceCode` (e.g. "ups", "ups_ground") are what the warehouse prints
      with; a service needs its carrier. `requestedShippingService` is the customer's checkout
      choice (`requested_service`, default the Shopify shipping line's title);
    - `shipTo.residential` is True unless the address names a company (ShipStation's address
      validation may correct it); `billTo` falls back to the shipping address;
    - `advancedOptions.customField1` is the Shopify order GID and `source` is "shipflow", so a
      reconciliation sweep can tell shipflow's orders apart; `advanced_options` (storeId,
      warehouseId, other custom fields) is merged in, but cannot change those two.
      `custom_field1..3` set the custom fields outright (`custom_field1` replaces the GID:
      `ShipStationOrder.shopify_order_gid` then reads None).
    """
    if not order_key:
        raise ValueError("order_key is required: it makes createorder an idempotent upsert")
    if confirmation not in CONFIRMATIONS:
        raise ValueError(f"confirmation must be one of {sorted(CONFIRMATIONS)}")
    if status is not None and status not in ORDER_STATUSES:
        raise ValueError(f"status must be one of {sorted(ORDER_STATUSES)}")
    if hold_until and status not in (None, "on_hold"):
        raise ValueError("hold_until holds the order: status must be on_hold (or None)")
    if service_code and not carrier_code:
        raise ValueError("service_code needs its carrier_code")
    if order.shipping_address is None:
        raise ValueError(f"order {order.name} has no shipping address; nothing to ship")
    number = (order_number if order_number is not None
              else order.name.removeprefix("#")).strip()
    if not number or len(number) > MAX_ORDER_NUMBER:
        raise ValueError(f"orderNumber must be 1–{MAX_ORDER_NUMBER} characters, got {number!r}")
    ship_to = order.shipping_address
    customer = order.customer
    customer_name = " ".join(
        p for p in ((customer.first_name, customer.last_name) if customer else ()) if p
    )
    lines = order_lines(order, items)
    item_bodies = [
        {
            "lineItemKey": str(li.line_item_id),
            "sku": li.sku,
            "name": li.name,
            "quantity": quantity,
            "unitPrice": _money(li.unit_price),
            "weight": {"value": li.grams, "units": "grams"},
            "adjustment": False,
        }
        for li, quantity in lines
    ]
    options: dict[str, Any] = dict(advanced_options or {})
    options.update({"customField1": order.gid, "source": SOURCE})
    for name, value in (("customField1", custom_field1), ("customField2", custom_field2),
                        ("customField3", custom_field3)):
        if value is not None:
            options[name] = value
    if items is None:
        amounts = (order.total_price, order.total_tax, order.shipping_price)
    else:
        lines_value = sum((li.unit_price * quantity for li, quantity in lines), Decimal("0"))
        amounts = (lines_value, Decimal("0"), Decimal("0"))
    body: dict[str, Any] = {
        "orderNumber": number,
        "orderKey": order_key,
        "orderDate": format_datetime(order.created_at),
        "paymentDate": format_datetime(order.created_at) if order.is_paid else None,
        "orderStatus": status or ("on_hold" if hold_until else "awaiting_shipment"),
        "customerUsername": order.contact_email,
        "customerEmail": order.contact_email,
        "billTo": address(order.billing_address or ship_to,
                          fallback_name=customer_name or ship_to.name),
        "shipTo": address(ship_to, fallback_name=customer_name,
                          residential=not ship_to.company),
        "items": item_bodies,
        "amountPaid": _money(amounts[0]),
        "taxAmount": _money(amounts[1]),
        "shippingAmount": _money(amounts[2]),
        "customerNotes": order.note,
        "requestedShippingService": requested_service or order.shipping_method,
        "confirmation": confirmation,
        "weight": {"value": sum(li.grams * q for li, q in lines), "units": "grams"},
        "advancedOptions": options,
    }
    if carrier_code:
        body["carrierCode"] = carrier_code
    if service_code:
        body["serviceCode"] = service_code
    if hold_until:
        body["holdUntilDate"] = hold_until.isoformat()
    if tag_ids:
        body["tagIds"] = [int(t) for t in tag_ids]
    return body


def hold_until_request(order_id: int, until: date) -> dict[str, Any]:
    return {"orderId": int(order_id), "holdUntilDate": until.isoformat()}


def label_request(
    order_id: int,
    carrier_code: str,
    service_code: str,
    *,
    ship_date: date,
    confirmation: str = "none",
    package_code: str = "package",
    weight_grams: int | None = None,
    test_label: bool = False,
) -> dict[str, Any]:
    """The body of `POST /orders/createlabelfororder` (shipstation.md §1.6)."""
    if confirmation not in CONFIRMATIONS:
        raise ValueError(f"confirmation must be one of {sorted(CONFIRMATIONS)}")
    body: dict[str, Any] = {
        "orderId": int(order_id),
        "carrierCode": carrier_code,
        "serviceCode": service_code,
        "packageCode": package_code,
        "confirmation": confirmation,
        "shipDate": ship_date.isoformat(),
        "testLabel": test_label,
    }
    if weight_grams is not None:
        body["weight"] = {"value": weight_grams, "units": "grams"}
    return body


def rates_request(
    carrier_code: str,
    from_postal_code: str,
    to_country: str,
    to_postal_code: str,
    weight_grams: int,
    *,
    to_state: str | None = None,
    to_city: str | None = None,
    service_code: str | None = None,
    package_code: str | None = None,
    confirmation: str | None = None,
    residential: bool | None = None,
) -> dict[str, Any]:
    """The body of `POST /shipments/getrates` (shipstation.md §1.6): one carrier per call.

    UPS needs `toState` (the docs mark it required for UPS only), so it is checked here rather
    than discovered as a 500. Optional fields are left out rather than sent as null.
    """
    if not carrier_code:
        raise ValueError("carrier_code is required: getrates quotes one carrier per call")
    if carrier_code.startswith("ups") and not to_state:
        raise ValueError("to_state is required for UPS rates")
    if weight_grams <= 0:
        raise ValueError("weight_grams must be positive")
    if len(to_country) != 2:
        raise ValueError(f"to_country must be an ISO 3166-1 alpha-2 code, got {to_country!r}")
    if confirmation is not None and confirmation not in CONFIRMATIONS:
        raise ValueError(f"confirmation must be one of {sorted(CONFIRMATIONS)}")
    body: dict[str, Any] = {
        "carrierCode": carrier_code,
        "fromPostalCode": from_postal_code,
        "toCountry": to_country.upper(),
        "toPostalCode": to_postal_code,
        "weight": {"value": int(weight_grams), "units": "grams"},
    }
    optional = {"serviceCode": service_code, "packageCode": package_code, "toState": to_state,
                "toCity": to_city, "confirmation": confirmation, "residential": residential}
    body.update({k: v for k, v in optional.items() if v is not None})
    return body


def mark_as_shipped_request(
    order_id: int,
    carrier_code: str,
    *,
    ship_date: date,
    tracking_number: str | None = None,
    notify_customer: bool = False,
    notify_sales_channel: bool = False,
) -> dict[str, Any]:
    """The body of `POST /orders/markasshipped` (an order shipped outside ShipStation).
    Both notifications default to off: Klaviyo tells the customer, shipflow tells Shopify."""
    body: dict[str, Any] = {
        "orderId": int(order_id),
        "carrierCode": carrier_code,
        "shipDate": ship_date.isoformat(),
        "notifyCustomer": notify_customer,
        "notifySalesChannel": notify_sales_channel,
    }
    if tracking_number:
        body["trackingNumber"] = tracking_number
    return body


def query_params(filters: Mapping[str, Any]) -> dict[str, str]:
    """List filters as ShipStation query parameters: snake_case names become camelCase
    (`order_number` -> `orderNumber`), booleans "true"/"false", dates ISO, datetimes Pacific."""
    params: dict[str, str] = {}
    for key, value in filters.items():
        if value is None:
            continue
        head, *rest = key.split("_")
        name = head + "".join(part[:1].upper() + part[1:] for part in rest)
        if isinstance(value, bool):
            params[name] = "true" if value else "false"
        elif isinstance(value, datetime):
            params[name] = format_datetime(value)
        elif isinstance(value, date):
            params[name] = value.isoformat()
        else:
            params[name] = str(value)
    return params


# -- responses in ------------------------------------------------------------------------------
def parse_shipment(d: Any, path: str = "") -> Shipment:
    """A v1 Shipment object (`GET /shipments` row) as a domain `Shipment`.

    `shipmentId`, `trackingNumber` and `carrierCode` are required: a label without them cannot
    be written back to Shopify. `orderKey`/`orderNumber` may be null for orders shipflow did not
    push; they become "". `shipmentItems` is null unless the list was fetched with
    `includeShipmentItems=true`.
    """
    f = Fields(d, path, UnexpectedResponse)
    items = tuple(
        ShipmentItem(
            sku=item.string("sku", required=False, empty_is_none=True),
            name=item.string("name", required=False) or "",
            quantity=item.integer("quantity", required=False) or 0,
        )
        for item in f.objects("shipmentItems", required=False)
    )
    return Shipment(
        shipment_id=f.scalar_str("shipmentId") or "",
        order_key=f.string("orderKey", required=False) or "",
        order_number=f.scalar_str("orderNumber", required=False) or "",
        tracking_number=f.req_string("trackingNumber"),
        carrier_code=f.req_string("carrierCode"),
        service_code=f.string("serviceCode", required=False, empty_is_none=True),
        ship_date=f.day("shipDate", required=False),
        items=items,
        voided=f.boolean("voided", False),
        platform_order_id=f.integer("orderId", required=False),
    )


@dataclass(frozen=True, slots=True)
class SkippedShipment:
    """A row of a shipments page that could not be read; the rest of the page still counts."""

    shipment_id: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class ShipmentsPage:
    shipments: tuple[Shipment, ...]
    total: int
    page: int
    pages: int
    skipped: tuple[SkippedShipment, ...] = ()


def parse_shipments_page(d: Any) -> ShipmentsPage:
    """`{"shipments": [...], "total", "page", "pages"}`. One unreadable row does not sink a
    SHIP_NOTIFY batch covering many orders: it is returned in `skipped` with the reason."""
    root = Fields(d, "", UnexpectedResponse)
    shipments: list[Shipment] = []
    skipped: list[SkippedShipment] = []
    for index, raw in enumerate(root.array("shipments")):
        try:
            shipments.append(parse_shipment(raw, f"shipments[{index}]"))
        except MalformedPayload as exc:
            ident = raw.get("shipmentId") if isinstance(raw, dict) else None
            skipped.append(SkippedShipment(None if ident is None else str(ident), exc.reason))
    return ShipmentsPage(
        shipments=tuple(shipments),
        total=root.integer("total", required=False) or len(shipments) + len(skipped),
        page=root.integer("page", required=False) or 1,
        pages=root.integer("pages", required=False) or 1,
        skipped=tuple(skipped),
    )


@dataclass(frozen=True, slots=True)
class OrderItem:
    line_item_key: str | None
    sku: str | None
    name: str
    quantity: int
    adjustment: bool = False


@dataclass(frozen=True, slots=True)
class ShipStationOrder:
    """What shipflow reads back of a v1 Order (`GET /orders/{id}`, `GET /orders` rows).

    `shopify_order_gid` is `advancedOptions.customField1` when it holds a Shopify order GID,
    as `order_request` sets it; with `source == "shipflow"` it tells a reconciliation sweep
    which orders are ours.
    """

    order_id: int
    order_number: str
    order_key: str | None
    order_status: str
    items: tuple[OrderItem, ...] = ()
    hold_until_date: date | None = None
    ship_date: date | None = None
    carrier_code: str | None = None
    service_code: str | None = None
    confirmation: str | None = None
    requested_shipping_service: str | None = None
    tag_ids: tuple[int, ...] = ()
    source: str | None = None
    shopify_order_gid: str | None = None
    modified_at: datetime | None = None
    custom_field2: str | None = None
    custom_field3: str | None = None
    store_id: int | None = None
    warehouse_id: int | None = None

    @property
    def is_open(self) -> bool:
        """Still changeable by createorder (shipstation.md §1.6 upsert rules)."""
        return self.order_status in (
            "awaiting_payment", "awaiting_shipment", "on_hold", "pending_fulfillment")


def parse_order(d: Any, path: str = "") -> ShipStationOrder:
    f = Fields(d, path, UnexpectedResponse)
    options = f.optional_obj("advancedOptions")
    field1 = _option(options, "customField1")
    modified = f.string("modifyDate", required=False, empty_is_none=True)
    return ShipStationOrder(
        order_id=f.req_integer("orderId"),
        order_number=f.scalar_str("orderNumber") or "",
        order_key=f.string("orderKey", required=False, empty_is_none=True),
        order_status=f.req_string("orderStatus"),
        items=tuple(
            OrderItem(
                line_item_key=i.scalar_str("lineItemKey", required=False),
                sku=i.string("sku", required=False, empty_is_none=True),
                name=i.string("name", required=False) or "",
                quantity=i.integer("quantity", required=False) or 0,
                adjustment=i.boolean("adjustment", False),
            )
            for i in f.objects("items", required=False)
        ),
        hold_until_date=f.day("holdUntilDate", required=False),
        ship_date=f.day("shipDate", required=False),
        carrier_code=f.string("carrierCode", required=False, empty_is_none=True),
        service_code=f.string("serviceCode", required=False, empty_is_none=True),
        confirmation=f.string("confirmation", required=False, empty_is_none=True),
        requested_shipping_service=f.string("requestedShippingService", required=False,
                                            empty_is_none=True),
        tag_ids=tuple(int(t) for t in f.array("tagIds", required=False)
                      if isinstance(t, int) and not isinstance(t, bool)),
        source=options.string("source", required=False, empty_is_none=True) if options else None,
        shopify_order_gid=_order_gid(field1),
        modified_at=read_datetime(modified) if modified else None,
        custom_field2=_option(options, "customField2"),
        custom_field3=_option(options, "customField3"),
        store_id=options.integer("storeId", required=False) if options else None,
        warehouse_id=options.integer("warehouseId", required=False) if options else None,
    )


def _option(options: Fields | None, key: str) -> str | None:
    return options.string(key, required=False, empty_is_none=True) if options else None


def _order_gid(value: str | None) -> str | None:
    return value if value and value.startswith("gid://shopify/Order/") else None


@dataclass(frozen=True, slots=True)
class OrdersPage:
    orders: tuple[ShipStationOrder, ...]
    total: int
    page: int
    pages: int


def parse_orders_page(d: Any) -> OrdersPage:
    root = Fields(d, "", UnexpectedResponse)
    orders = tuple(parse_order(o.data, o.path) for o in root.objects("orders"))
    return OrdersPage(
        orders=orders,
        total=root.integer("total", required=False) or len(orders),
        page=root.integer("page", required=False) or 1,
        pages=root.integer("pages", required=False) or 1,
    )


@dataclass(frozen=True, slots=True)
class CreateOrderResult:
    order_key: str | None
    order_number: str | None
    success: bool
    order_id: int | None = None
    error_message: str | None = None


@dataclass(frozen=True, slots=True)
class CreateOrdersResult:
    """`POST /orders/createorders`: one result per order; some may fail while others succeed."""

    has_errors: bool
    results: tuple[CreateOrderResult, ...]

    @property
    def failed(self) -> tuple[CreateOrderResult, ...]:
        return tuple(r for r in self.results if not r.success)

    def by_order_key(self) -> dict[str, CreateOrderResult]:
        return {r.order_key: r for r in self.results if r.order_key}


def parse_create_orders_response(d: Any) -> CreateOrdersResult:
    root = Fields(d, "", UnexpectedResponse)
    results = tuple(
        CreateOrderResult(
            order_key=r.string("orderKey", required=False),
            order_number=r.scalar_str("orderNumber", required=False),
            success=r.boolean("success", False),
            order_id=r.integer("orderId", required=False),
            error_message=r.string("errorMessage", required=False, empty_is_none=True),
        )
        for r in root.objects("results")
    )
    has_errors = root.boolean("hasErrors", False) or any(not r.success for r in results)
    return CreateOrdersResult(has_errors=has_errors, results=results)


@dataclass(frozen=True, slots=True)
class Carrier:
    code: str
    name: str
    nickname: str | None = None
    account_number: str | None = None
    primary: bool = False
    requires_funded_account: bool = False
    balance: float | None = None


def parse_carriers(d: Any) -> list[Carrier]:
    """`GET /carriers`: an array; `accountNumber` may be a number (FedEx row of the docs)."""
    if not isinstance(d, list):
        raise UnexpectedResponse("carriers: expected an array")
    carriers = []
    for index, raw in enumerate(d):
        f = Fields(raw, f"[{index}]", UnexpectedResponse)
        carriers.append(Carrier(
            code=f.req_string("code"),
            name=f.string("name", required=False) or f.req_string("code"),
            nickname=f.string("nickname", required=False, empty_is_none=True),
            account_number=f.scalar_str("accountNumber", required=False),
            primary=f.boolean("primary", False),
            requires_funded_account=f.boolean("requiresFundedAccount", False),
            balance=f.number("balance", required=False),
        ))
    return carriers


@dataclass(frozen=True, slots=True)
class Label:
    """`POST /orders/createlabelfororder` response; `label_data` is a base64 PDF."""

    shipment_id: str
    tracking_number: str
    shipment_cost: float | None
    insurance_cost: float | None
    label_data: str | None = None
    form_data: str | None = None


def parse_label(d: Any) -> Label:
    f = Fields(d, "", UnexpectedResponse)
    return Label(
        shipment_id=f.scalar_str("shipmentId") or "",
        tracking_number=f.req_string("trackingNumber"),
        shipment_cost=f.number("shipmentCost", required=False),
        insurance_cost=f.number("insuranceCost", required=False),
        label_data=f.string("labelData", required=False),
        form_data=f.string("formData", required=False),
    )


def parse_success(d: Any) -> tuple[bool, str | None]:
    """`{"success": true, "message": "..."}` of holduntil / restorefromhold / addtag."""
    f = Fields(d, "", UnexpectedResponse)
    return f.boolean("success", False), f.string("message", required=False)


def parse_error(body: Any) -> tuple[str | None, str | None]:
    """(message, code) from an error body: ASP.NET Web API exception JSON
    (`ExceptionMessage`, `ExceptionType`, `Message`) or the newer `{"message": ...}`."""
    if not isinstance(body, dict):
        return None, None
    message = next(
        (body[k] for k in ("ExceptionMessage", "Message", "message")
         if isinstance(body.get(k), str) and body[k].strip()),
        None,
    )
    code = body.get("ExceptionType") if isinstance(body.get("ExceptionType"), str) else None
    return message, code


@dataclass(frozen=True, slots=True)
class RateQuote:
    """One service's price from `POST /shipments/getrates`, in the account's currency."""

    carrier_code: str
    service_code: str
    service_name: str
    shipment_cost: Decimal
    other_cost: Decimal

    @property
    def total(self) -> Decimal:
        return self.shipment_cost + self.other_cost


def parse_rates(d: Any, carrier_code: str) -> list[RateQuote]:
    """`[{"serviceName", "serviceCode", "shipmentCost", "otherCost"}]`; a row without a
    service code cannot be bought and is an `UnexpectedResponse`."""
    if not isinstance(d, list):
        raise UnexpectedResponse("getrates: expected an array")
    quotes = []
    for index, raw in enumerate(d):
        f = Fields(raw, f"[{index}]", UnexpectedResponse)
        quotes.append(RateQuote(
            carrier_code=carrier_code,
            service_code=f.req_string("serviceCode"),
            service_name=f.string("serviceName", required=False) or f.req_string("serviceCode"),
            shipment_cost=f.req_decimal("shipmentCost"),
            other_cost=f.decimal("otherCost", required=False) or Decimal("0"),
        ))
    return quotes


@dataclass(frozen=True, slots=True)
class ShipStationFulfillment:
    """A `GET /fulfillments` row: an order marked as shipped without a ShipStation label (such
    orders are not in `GET /shipments`, docs List Fulfillments / List Shipments)."""

    fulfillment_id: int
    order_id: int
    order_number: str
    tracking_number: str | None
    carrier_code: str | None
    ship_date: date | None
    voided: bool = False
    marketplace_notified: bool = False


def parse_fulfillments_page(d: Any) -> list[ShipStationFulfillment]:
    """`{"fulfillments": [...], "total", "page", "pages"}`."""
    root = Fields(d, "", UnexpectedResponse)
    return [
        ShipStationFulfillment(
            fulfillment_id=f.req_integer("fulfillmentId"),
            order_id=f.req_integer("orderId"),
            order_number=f.scalar_str("orderNumber", required=False) or "",
            tracking_number=f.string("trackingNumber", required=False, empty_is_none=True),
            carrier_code=f.string("carrierCode", required=False, empty_is_none=True),
            ship_date=f.day("shipDate", required=False),
            voided=f.boolean("voided", False),
            marketplace_notified=f.boolean("marketplaceNotified", False),
        )
        for f in root.objects("fulfillments")
    ]


@dataclass(frozen=True, slots=True)
class MarkedShipped:
    order_id: int
    order_number: str


def parse_marked_shipped(d: Any) -> MarkedShipped:
    """`{"orderId": 123456789, "orderNumber": "ABC123"}`."""
    f = Fields(d, "", UnexpectedResponse)
    return MarkedShipped(f.req_integer("orderId"), f.scalar_str("orderNumber") or "")


@dataclass(frozen=True, slots=True)
class Tag:
    tag_id: int
    name: str
    color: str | None = None


def parse_tags(d: Any) -> list[Tag]:
    """`GET /accounts/listtags`: `[{"tagId": 1, "name": "Canada", "color": "#FF0000"}]`."""
    if not isinstance(d, list):
        raise UnexpectedResponse("listtags: expected an array")
    tags = []
    for index, raw in enumerate(d):
        f = Fields(raw, f"[{index}]", UnexpectedResponse)
        tags.append(Tag(f.req_integer("tagId"), f.string("name", required=False) or "",
                        f.string("color", required=False, empty_is_none=True)))
    return tags
