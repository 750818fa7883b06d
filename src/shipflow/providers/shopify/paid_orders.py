"""Reading paid orders for reconciliation and backfill: `orders(query: "updated_at:>=…
financial_status:paid")`, paged, each order with what intake needs (the same domain `Order` a
webhook gives) and its fulfillments' tracking.

Cost (shopify.md §5.1: an object 1, a connection 2 + first x its nodes, scalars free): an order
1, its money bags 3 + 2 + 2, shipping line, two addresses and customer 4, `lineItems(first: 10)`
2 + 10 x (1 + price bag 2 + variant 1 + product 1), `fulfillments(first: 5)` 5 x (1 + 2
tracking): 79 points, so a page of 10 orders requests about 790 (the sandbox, pricing as Shopify
does, says 792), under the 1,000-point cap.
An order with more than 10 lines is returned apart (`Unread`) rather than half read.

Where the GraphQL order differs from the REST webhook body (assumptions, written down):
- line weights live on the variant's inventory item, which this query does not read: `grams`
  is 0 (ShipStation's own product weights apply, as for a webhook line with `grams: null`);
- `test` is not read (a test order is not paid with real money; Shopify's search excludes
  nothing by it): False;
- GraphQL's `CountryCode` has no code for the territories of the United States (they read as
  `US` with the territory as province, Admin reference enums/CountryCode), where the REST body
  names them as countries (`country_code` "PR"): the REST reading is kept, so routing sees the
  same address either way;
- a line's quantity is `currentQuantity` (after edits), as `parse_order` prefers
  `current_quantity`; the refunded units are not read (a refund webhook still applies them).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from shipflow.domain.order import Address, Customer, LineItem, Order
from shipflow.providers.fields import Fields
from shipflow.providers.shopify.graphql import Operation
from shipflow.providers.shopify.models import FulfillmentTracking

log = logging.getLogger("shipflow.providers.shopify")

ORDERS_PAGE = 10
LINES_PER_ORDER = 10
FULFILLMENTS_PER_ORDER = 5
TRACKING_PER_FULFILLMENT = 2

US_TERRITORIES = frozenset({"AS", "GU", "MP", "PR", "VI"})
_MONEY = "shopMoney { amount currencyCode } presentmentMoney { amount currencyCode }"
_ADDRESS = ("name firstName lastName address1 address2 city zip provinceCode countryCodeV2 "
            "company phone")

PAID_ORDERS = Operation(
    "paidOrders",
    f"""
query paidOrders($query: String!, $after: String) {{
  orders(first: {ORDERS_PAGE}, after: $after, query: $query, sortKey: UPDATED_AT) {{
    pageInfo {{ hasNextPage endCursor }}
    nodes {{
      id legacyResourceId name email note tags createdAt updatedAt cancelledAt
      displayFinancialStatus currencyCode presentmentCurrencyCode
      totalPriceSet {{ {_MONEY} }}
      totalShippingPriceSet {{ shopMoney {{ amount }} }}
      totalTaxSet {{ shopMoney {{ amount }} }}
      shippingLine {{ title }}
      shippingAddress {{ {_ADDRESS} }}
      billingAddress {{ {_ADDRESS} }}
      customer {{ legacyResourceId email phone firstName lastName }}
      lineItems(first: {LINES_PER_ORDER}) {{
        pageInfo {{ hasNextPage }}
        nodes {{
          id sku title variantTitle quantity currentQuantity requiresShipping
          originalUnitPriceSet {{ shopMoney {{ amount }} }}
          variant {{ legacyResourceId }}
          product {{ legacyResourceId }}
        }}
      }}
      fulfillments(first: {FULFILLMENTS_PER_ORDER}) {{
        id status
        trackingInfo(first: {TRACKING_PER_FULFILLMENT}) {{ company number url }}
      }}
    }}
  }}
}}
""".strip(),
    estimated_cost=800.0,
    idempotent=True,
)


@dataclass(frozen=True, slots=True)
class LiveFulfillment:
    id: str
    status: str
    tracking: tuple[FulfillmentTracking, ...]

    @property
    def active(self) -> bool:
        return self.status.upper() not in ("CANCELLED", "ERROR", "FAILURE")


@dataclass(frozen=True, slots=True)
class PaidOrder:
    """A paid order as Shopify has it now: the intake `Order` and its fulfillments."""

    order: Order
    fulfillments: tuple[LiveFulfillment, ...]


@dataclass(frozen=True, slots=True)
class Unread:
    """An order this query could not read whole (too many lines)."""

    shopify_order_id: int
    name: str
    reason: str


def paid_orders_query(since: datetime) -> str:
    stamp = since.isoformat(timespec="seconds").replace("+00:00", "Z")
    return f"updated_at:>='{stamp}' financial_status:paid"


def parse_paid_orders_page(data: Fields, shop_domain: str
                           ) -> tuple[list[PaidOrder], list[Unread], str | None]:
    """One page: the orders read whole, those that were not, the next cursor (None: last)."""
    connection = data.obj("orders")
    info = connection.obj("pageInfo")
    after = info.string("endCursor", required=False) if info.boolean("hasNextPage", False) else None
    found: list[PaidOrder] = []
    unread: list[Unread] = []
    for node in connection.objects("nodes"):
        lines = node.obj("lineItems")
        if lines.obj("pageInfo").boolean("hasNextPage", False):
            unread.append(Unread(_legacy(node), node.req_string("name"),
                                 f"more than {LINES_PER_ORDER} lines"))
            continue
        found.append(PaidOrder(_order(node, shop_domain),
                               tuple(_fulfillment(f) for f in
                                     node.objects("fulfillments", required=False))))
    return found, unread, after


def _legacy(node: Fields) -> int:
    return int(node.scalar_str("legacyResourceId") or 0)


def _gid_number(value: str) -> int:
    return int(value.rsplit("/", 1)[-1])


def _amount(node: Fields, key: str) -> Decimal:
    bag = node.optional_obj(key)
    money = bag.optional_obj("shopMoney") if bag is not None else None
    return (money.decimal("amount", required=False) or Decimal("0")) if money else Decimal("0")


def _order(o: Fields, shop_domain: str) -> Order:
    total = o.obj("totalPriceSet")
    shop_money, presentment = total.obj("shopMoney"), total.obj("presentmentMoney")
    created_at = o.req_timestamp("createdAt")
    shipping_line = o.optional_obj("shippingLine")
    customer = o.optional_obj("customer")
    return Order(
        shopify_order_id=_legacy(o),
        shop_domain=shop_domain,
        name=o.req_string("name"),
        created_at=created_at,
        updated_at=o.timestamp("updatedAt", required=False) or created_at,
        financial_status=(o.string("displayFinancialStatus", required=False) or "paid").lower(),
        currency=shop_money.req_string("currencyCode"),
        total_price=shop_money.req_decimal("amount"),
        presentment_total_price=presentment.decimal("amount", required=False),
        presentment_currency=presentment.string("currencyCode", required=False),
        line_items=tuple(_line(li) for li in o.obj("lineItems").objects("nodes")),
        customer=Customer(
            customer_id=int(customer.scalar_str("legacyResourceId") or 0) or None,
            email=customer.string("email", required=False, empty_is_none=True),
            phone=customer.string("phone", required=False, empty_is_none=True),
            first_name=customer.string("firstName", required=False, empty_is_none=True),
            last_name=customer.string("lastName", required=False, empty_is_none=True),
        ) if customer is not None else None,
        email=o.string("email", required=False, empty_is_none=True),
        shipping_address=_address(o.optional_obj("shippingAddress")),
        billing_address=_address(o.optional_obj("billingAddress")),
        shipping_method=(shipping_line.string("title", required=False, empty_is_none=True)
                         if shipping_line is not None else None),
        shipping_price=_amount(o, "totalShippingPriceSet"),
        total_tax=_amount(o, "totalTaxSet"),
        tags=tuple(str(t).strip() for t in o.array("tags", required=False) if str(t).strip()),
        cancelled_at=o.timestamp("cancelledAt", required=False),
        note=o.string("note", required=False, empty_is_none=True),
    )


def _line(li: Fields) -> LineItem:
    variant, product = li.optional_obj("variant"), li.optional_obj("product")
    quantity = li.integer("currentQuantity", required=False)
    return LineItem(
        line_item_id=_gid_number(li.req_string("id")),
        sku=li.string("sku", required=False, empty_is_none=True),
        title=li.req_string("title"),
        quantity=quantity if quantity is not None else li.req_integer("quantity"),
        unit_price=_amount(li, "originalUnitPriceSet"),
        variant_title=li.string("variantTitle", required=False, empty_is_none=True),
        product_id=int(product.scalar_str("legacyResourceId") or 0) or None if product else None,
        variant_id=int(variant.scalar_str("legacyResourceId") or 0) or None if variant else None,
        requires_shipping=li.boolean("requiresShipping", True),
    )


def _address(a: Fields | None) -> Address | None:
    if a is None:
        return None
    country = a.string("countryCodeV2", required=False) or ""
    province = a.string("provinceCode", required=False, empty_is_none=True)
    if country == "US" and province in US_TERRITORIES:
        country, province = province, None
    first = a.string("firstName", required=False) or ""
    last = a.string("lastName", required=False) or ""
    return Address(
        name=a.string("name", required=False, empty_is_none=True) or f"{first} {last}".strip(),
        address1=a.string("address1", required=False) or "",
        address2=a.string("address2", required=False, empty_is_none=True),
        city=a.string("city", required=False) or "",
        country_code=country,
        zip=a.string("zip", required=False) or "",
        province_code=province,
        company=a.string("company", required=False, empty_is_none=True),
        phone=a.string("phone", required=False, empty_is_none=True),
    )


def _fulfillment(f: Fields) -> LiveFulfillment:
    return LiveFulfillment(
        id=f.req_string("id"), status=f.req_string("status"),
        tracking=tuple(FulfillmentTracking(t.string("number", required=False),
                                           t.string("company", required=False),
                                           t.string("url", required=False))
                       for t in f.objects("trackingInfo", required=False)))
