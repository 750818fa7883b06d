"""Resolvers for `order_schema`: orders read from the REST order the sandbox keeps.

Money: a REST `*_set` (`shop_money`/`presentment_money`, amounts as "24.00") becomes a
`MoneyBag` whose `Decimal` amounts print as Shopify prints them, without trailing zeros but
with at least one decimal ("24.0", "19.5"). `orders(query:)` understands the search terms
`name`, `email`, `financial_status`, `fulfillment_status`, `status` (open, closed,
cancelled, any; quoted or not, `-` negates) and `created_at`/`updated_at`/`processed_at` with
`>=`, `>`, `<=`, `<` or a day (`created_at:>='2026-11-01T00:00:00Z'`); other terms are
ignored, as Shopify ignores a field it does not know (assumption: Shopify also reports such
terms under `extensions.search`, which the sandbox leaves out). Orders are paged in creation
order whatever `sortKey` says, which is the order of `ID`, `CREATED_AT`, `PROCESSED_AT` and
`ORDER_NUMBER` in the sandbox.
A `MailingAddress` id is made from the order id (`?model_name=Address`, the form Shopify's
order address ids take); the billing address takes the next number.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from graphql import GraphQLResolveInfo

from shipflow_sandbox.shopify.ids import gid
from shipflow_sandbox.shopify.resolvers import connection, utc
from shipflow_sandbox.shopify.store import Fulfillment, ShopifyStore, ShopOrder


def _store(info: GraphQLResolveInfo) -> ShopifyStore:
    return info.context.store  # type: ignore[no-any-return]


def decimal(value: Any) -> str:
    """A `Decimal` scalar as Shopify serializes it: "24.00" -> "24.0", "19.50" -> "19.5"."""
    text = format(Decimal(str(value)).normalize(), "f")
    return text if "." in text else f"{text}.0"


def _money(rest_money: dict[str, Any] | None, fallback_currency: str = "USD") -> dict[str, Any]:
    rest_money = rest_money or {}
    return {
        "amount": decimal(rest_money.get("amount") or "0"),
        "currencyCode": rest_money.get("currency_code") or fallback_currency,
    }


def money_bag(rest_set: dict[str, Any] | None, currency: str = "USD") -> dict[str, Any] | None:
    if rest_set is None:
        return None
    return {
        "shopMoney": _money(rest_set.get("shop_money"), currency),
        "presentmentMoney": _money(rest_set.get("presentment_money"), currency),
    }


def _scaled(rest_set: dict[str, Any], factor: int, minus: dict[str, Any] | None = None) -> Any:
    """`rest_set` times `factor`, less `minus` (both REST money sets), as a MoneyBag."""
    out: dict[str, Any] = {}
    for key, name in (("shop_money", "shopMoney"), ("presentment_money", "presentmentMoney")):
        amount = Decimal(rest_set[key]["amount"]) * factor
        if minus:
            amount -= Decimal(minus[key]["amount"])
        out[name] = {"amount": decimal(amount), "currencyCode": rest_set[key]["currency_code"]}
    return out


def _order_bag(order: ShopOrder, key: str) -> Any:
    return money_bag(order.rest.get(key), order.rest.get("currency") or "USD")


def _address(order: ShopOrder, key: str, offset: int) -> dict[str, Any] | None:
    rest = order.rest.get(key)
    if not rest:
        return None
    return {**rest, "_id": f"{gid('MailingAddress', order.id + offset)}?model_name=Address"}


def _formatted(address: dict[str, Any], withName: bool = False, withCompany: bool = True) -> Any:
    area = " ".join(p for p in (address.get("city"), address.get("province_code"),
                                address.get("zip")) if p)
    lines = [
        address.get("name") if withName else None,
        address.get("company") if withCompany else None,
        address.get("address1"),
        address.get("address2"),
        area,
        address.get("country"),
    ]
    return [line for line in lines if line]


def _formatted_area(address: dict[str, Any]) -> str | None:
    place = " ".join(p for p in (address.get("city"), address.get("province_code")) if p)
    return ", ".join(p for p in (place, address.get("country")) if p) or None


def _customer(order: ShopOrder) -> dict[str, Any] | None:
    return order.rest.get("customer") or None


def _display_name(customer: dict[str, Any]) -> str:
    name = " ".join(p for p in (customer.get("first_name"), customer.get("last_name")) if p)
    return name or customer.get("email") or customer.get("phone") or ""


_FULFILLMENT_STATUS = {
    "shipped": ("fulfilled",),
    "fulfilled": ("fulfilled",),
    "partial": ("partial",),
    "unshipped": (None,),
    "unfulfilled": (None, "partial"),
}


def _term_matches(order: ShopOrder, key: str, value: str) -> bool | None:
    """Whether the order matches one `key:value` search term; None for an unknown key."""
    rest = order.rest
    value = value.lower()
    if key == "name":
        return (rest.get("name") or "").lower() in (value, f"#{value}")
    if key == "email":
        return (rest.get("email") or "").lower() == value
    if key == "financial_status":
        return (rest.get("financial_status") or "").lower() == value
    if key == "fulfillment_status":
        if value == "any":
            return True
        return rest.get("fulfillment_status") in _FULFILLMENT_STATUS.get(value, ())
    if key in _DATES:
        return _date_matches(rest.get(key) or rest.get("created_at"), value)
    if key == "status":
        closed, cancelled = rest.get("closed_at") is not None, rest.get("cancelled_at") is not None
        return {"open": not closed and not cancelled, "closed": closed,
                "cancelled": cancelled, "any": True}.get(value, False)
    return None


_DATES = ("created_at", "updated_at", "processed_at")
_COMPARATORS = (">=", "<=", ">", "<")


def _instant(text: str) -> datetime | None:
    """An ISO date or date-time (UTC when it has no offset); None when unreadable."""
    try:
        moment = datetime.fromisoformat(text.strip().strip("'\"").upper().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _date_matches(stamp: str | None, value: str) -> bool | None:
    """`created_at:>=2026-11-01`, `created_at:<'2026-11-02T10:00:00Z'`, `created_at:2026-11-01`
    (that day, UTC). An unreadable date is ignored, as an unknown term is."""
    op = next((c for c in _COMPARATORS if value.startswith(c)), "")
    bound = _instant(value[len(op):])
    moment = _instant(stamp) if stamp else None
    if bound is None or moment is None:
        return None
    if not op:
        return moment.astimezone(UTC).date() == bound.date()
    return {">=": moment >= bound, "<=": moment <= bound, ">": moment > bound,
            "<": moment < bound}[op]


def order_matches(order: ShopOrder, query: str | None) -> bool:
    if not query:
        return True
    try:
        terms = shlex.split(query)
    except ValueError:
        terms = query.split()
    for term in terms:
        negate = term.startswith("-")
        key, sep, value = term.lstrip("-").partition(":")
        if not sep:
            continue
        matched = _term_matches(order, key.lower(), value)
        if matched is not None and matched == negate:
            return False
    return True


def _orders(_: Any, info: GraphQLResolveInfo, query: str | None = None,
            sortKey: str | None = None, savedSearchId: str | None = None, **args: Any) -> Any:
    found = [o for o in _store(info).orders.values() if order_matches(o, query)]
    return connection(found, lambda o: o.id, **args)


def _line_total(li: dict[str, Any], discounted: bool) -> Any:
    return _scaled(li["price_set"], int(li["quantity"]),
                   li.get("total_discount_set") if discounted else None)


def _unit_discounted(li: dict[str, Any]) -> Any:
    bag = _line_total(li, discounted=True)
    quantity = int(li["quantity"]) or 1
    for money in bag.values():
        money["amount"] = decimal((Decimal(money["amount"]) / quantity).quantize(Decimal("0.01")))
    return bag


def _fulfillment_lines(fulfillment: Fulfillment, info: GraphQLResolveInfo) -> list[Any]:
    store = _store(info)
    order = store.orders[fulfillment.order_id]
    return [
        {"id": store.fulfillment_line_item_id(fulfillment, line_id), "quantity": qty,
         "lineItem": order.line_item(line_id)}
        for line_id, qty in fulfillment.quantities.items()
    ]


def _fulfillment_line_total(row: dict[str, Any], discounted: bool) -> Any:
    li = row["lineItem"]
    if not discounted or not int(li["quantity"]):
        return _scaled(li["price_set"], row["quantity"])
    per_unit = _unit_discounted(li)
    return {key: {"amount": decimal(Decimal(m["amount"]) * row["quantity"]),
                  "currencyCode": m["currencyCode"]} for key, m in per_unit.items()}


def _variant(li: dict[str, Any], info: GraphQLResolveInfo) -> Any:
    inventory = info.context.inventory
    if inventory is None or li.get("variant_id") is None:
        return None
    return inventory.by_variant.get(int(li["variant_id"]))


def _product(li: dict[str, Any], info: GraphQLResolveInfo) -> Any:
    inventory = info.context.inventory
    if inventory is None or li.get("product_id") is None:
        return None
    return inventory.products.get(int(li["product_id"]))


def _shipping_line(order: ShopOrder) -> dict[str, Any] | None:
    lines = [s for s in order.rest.get("shipping_lines") or [] if not s.get("is_removed")]
    return lines[0] if lines else None


ORDER_RESOLVERS: dict[str, dict[str, Callable[..., Any]]] = {
    "Query": {"orders": _orders},
    "Order": {
        "processedAt": lambda o, i: utc(o.rest.get("processed_at") or o.rest.get("created_at")),
        "confirmationNumber": lambda o, i: o.rest.get("confirmation_number"),
        "currencyCode": lambda o, i: o.rest.get("currency") or "USD",
        "presentmentCurrencyCode": lambda o, i: (
            o.rest.get("presentment_currency") or o.rest.get("currency") or "USD"
        ),
        "totalPriceSet": lambda o, i: _order_bag(o, "total_price_set"),
        "currentTotalPriceSet": lambda o, i: _order_bag(
            o, "current_total_price_set" if "current_total_price_set" in o.rest
            else "total_price_set"
        ),
        "subtotalPriceSet": lambda o, i: _order_bag(o, "subtotal_price_set"),
        "totalShippingPriceSet": lambda o, i: _order_bag(o, "total_shipping_price_set"),
        "totalTaxSet": lambda o, i: _order_bag(o, "total_tax_set"),
        "totalDiscountsSet": lambda o, i: _order_bag(o, "total_discounts_set"),
        "totalWeight": lambda o, i: str(o.rest.get("total_weight") or 0),
        "requiresShipping": lambda o, i: any(
            li.get("requires_shipping", True) for li in o.rest.get("line_items", [])
        ),
        "subtotalLineItemsQuantity": lambda o, i: sum(
            int(li.get("current_quantity", li["quantity"])) for li in o.rest.get("line_items", [])
        ),
        "shippingAddress": lambda o, i: _address(o, "shipping_address", 0),
        "billingAddress": lambda o, i: _address(o, "billing_address", 1),
        "customer": lambda o, i: _customer(o),
        "shippingLine": lambda o, i: _shipping_line(o),
        "lineItems": lambda o, i, **a: connection(
            o.rest.get("line_items", []), lambda li: int(li["id"]), **a
        ),
    },
    "MailingAddress": {
        "id": lambda a, i: a["_id"],
        "countryCodeV2": lambda a, i: _country_code(a),
        "firstName": lambda a, i: a.get("first_name"),
        "lastName": lambda a, i: a.get("last_name"),
        "provinceCode": lambda a, i: _province_code(a),
        "formatted": lambda a, i, **kw: _formatted(a, **kw),
        "formattedArea": lambda a, i: _formatted_area(a),
    },
    "Customer": {
        "id": lambda c, i: c.get("admin_graphql_api_id") or gid("Customer", int(c["id"])),
        "legacyResourceId": lambda c, i: str(c["id"]),
        "firstName": lambda c, i: c.get("first_name"),
        "lastName": lambda c, i: c.get("last_name"),
        "displayName": lambda c, i: _display_name(c),
        "defaultEmailAddress": lambda c, i: (
            {"emailAddress": c["email"]} if c.get("email") else None
        ),
        "defaultPhoneNumber": lambda c, i: (
            {"phoneNumber": c["phone"]} if c.get("phone") else None
        ),
    },
    "ShippingLine": {
        "id": lambda s, i: gid("ShippingLine", int(s["id"])) if s.get("id") else None,
        "originalPriceSet": lambda s, i: money_bag(s.get("price_set")),
        "discountedPriceSet": lambda s, i: money_bag(
            s.get("discounted_price_set") or s.get("price_set")
        ),
    },
    "LineItem": {
        "currentQuantity": lambda li, i: int(li.get("current_quantity", li["quantity"])),
        "unfulfilledQuantity": lambda li, i: int(li.get("fulfillable_quantity") or 0),
        "originalUnitPriceSet": lambda li, i: money_bag(li["price_set"]),
        "discountedUnitPriceSet": lambda li, i: _unit_discounted(li),
        "originalTotalSet": lambda li, i: _line_total(li, discounted=False),
        "discountedTotalSet": lambda li, i: _line_total(li, discounted=True),
        "totalDiscountSet": lambda li, i: money_bag(li.get("total_discount_set"))
        or _scaled(li["price_set"], 0),
        "variant": _variant,
        "product": _product,
    },
    "Fulfillment": {
        "totalQuantity": lambda f, i: sum(f.quantities.values()),
        "fulfillmentLineItems": lambda f, i, **a: connection(
            _fulfillment_lines(f, i), lambda row: row["id"], **a
        ),
    },
    "FulfillmentLineItem": {
        "id": lambda row, i: gid("FulfillmentLineItem", row["id"]),
        "originalTotalSet": lambda row, i: _fulfillment_line_total(row, discounted=False),
        "discountedTotalSet": lambda row, i: _fulfillment_line_total(row, discounted=True),
    },
}


# The `CountryCode` enum has no code for the territories of the United States: "the
# territories associated with the United States of America are represented by the country code
# `US`" (Admin reference, enums/CountryCode). A REST address in Puerto Rico (`country_code`
# "PR") reads in GraphQL as `US` with the territory as its province (assumption: the province
# code is the territory's ISO code, as in Shopify's list of US provinces).
US_TERRITORIES = frozenset({"AS", "GU", "MP", "PR", "VI"})


def _country_code(address: dict[str, Any]) -> str | None:
    code = address.get("country_code")
    return "US" if code in US_TERRITORIES else code


def _province_code(address: dict[str, Any]) -> str | None:
    code = address.get("country_code")
    return code if code in US_TERRITORIES else address.get("province_code")
