"""Customers' personal data: the privacy requests Shopify sends, and how a stored value is made
to forget a customer (pure; the store applies these to its rows).

Two ways of forgetting, used together:

- by *value* (`scrub`): every occurrence of what identifies one customer (email, phone, name,
  street, zip...) in any string of a JSON value is replaced by `REDACTED`. It reaches free text
  (a timeline message, a provider's error) that no list of keys could;
- by *key* (`mask`): every field whose name says it is personal (`email`, `phone`,
  `first_name`, `shipTo`, `shipping_address`...) is replaced whatever its value. It reaches data
  of customers shipflow no longer knows the values of (retention of old records).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Iterable

REDACTED = "[redacted]"

# Values shorter than this are not searched for on their own (a two-letter name would match
# everywhere); they are still removed where their field is known (`mask`, the order snapshot).
MIN_NEEDLE = 4
# Parts of an address that say no more than a region: kept, so counts by country still work.
REGION_KEYS = frozenset({"country_code", "country", "country_name", "province_code", "province",
                         "region", "state", "countryCode", "country_iso"})
# Objects that describe a person or where they live: every string in them goes, but the region.
PERSONAL_OBJECTS = frozenset({
    "customer", "shipping_address", "billing_address", "default_address", "addresses",
    "client_details", "shipTo", "billTo", "ship_to", "ship_from_customer", "sold_to",
    "ShippingAddress", "BillingAddress", "location", "profile", "destination",
})
# Fields that are personal wherever they appear.
PERSONAL_KEYS = frozenset({
    "email", "contact_email", "customer_email", "customerEmail", "customerUsername",
    "phone", "phone_number", "phoneNumber", "first_name", "last_name", "firstName", "lastName",
    "browser_ip", "customer_locale", "note", "customerNotes", "internalNotes", "giftMessage",
    "address1", "address2", "street1", "street2", "street3", "zip", "postalCode", "postal_code",
    "company", "latitude", "longitude", "signer", "signed_by", "customer_name", "buyer_name",
    "order_status_url", "landing_site", "referring_site", "note_attributes",
})


class PrivacyTopic(StrEnum):
    """Shopify's mandatory compliance webhooks (shopify.md §2)."""

    DATA_REQUEST = "customers/data_request"
    CUSTOMER_REDACT = "customers/redact"
    SHOP_REDACT = "shop/redact"


@dataclass(frozen=True, slots=True)
class PrivacyRequest:
    """One compliance webhook's request. `order_ids` are `orders_requested` (data request) or
    `orders_to_redact`; the customer fields are absent for `shop/redact`."""

    topic: PrivacyTopic
    shop_id: int | None
    shop_domain: str
    customer_id: int | None = None
    email: str | None = None
    phone: str | None = None
    order_ids: tuple[int, ...] = ()
    data_request_id: int | None = None


@dataclass(frozen=True, slots=True)
class PersonalData:
    """What identifies one customer in stored text. `strong` values identify them on their own
    (an email, a phone, a street) and are what records are searched for; `values` are every
    known value, removed from the records found."""

    values: frozenset[str] = field(default_factory=frozenset)
    strong: frozenset[str] = field(default_factory=frozenset)

    def __bool__(self) -> bool:
        return bool(self.values)

    def __or__(self, other: PersonalData) -> PersonalData:
        return PersonalData(self.values | other.values, self.strong | other.strong)

    @classmethod
    def of(cls, strong: Iterable[str | None], weak: Iterable[str | None] = ()) -> PersonalData:
        def clean(items: Iterable[str | None]) -> frozenset[str]:
            return frozenset(v.strip() for v in items
                             if v and len(v.strip()) >= MIN_NEEDLE and v.strip() != REDACTED)

        firm = clean(strong)
        return cls(firm | clean(weak), firm)


def phone_forms(phone: str | None) -> list[str]:
    """A phone as given and as its digits (Klaviyo gets E.164, ShipStation what Shopify had)."""
    if not phone:
        return []
    digits = re.sub(r"\D", "", phone)
    forms = [phone, "+" + digits, digits]
    if len(digits) == 11 and digits.startswith("1"):
        forms.append(digits[1:])
    return [f for f in forms if len(re.sub(r"\D", "", f)) >= 7]


def personal_data_of_snapshot(snapshot: dict[str, Any]) -> PersonalData:
    """What identifies the customer of one stored order (`store/codec.py`'s order JSON)."""
    customer = snapshot.get("customer") or {}
    strong: list[str | None] = [snapshot.get("email"), customer.get("email")]
    weak: list[str | None] = [customer.get("first_name"), customer.get("last_name")]
    strong += phone_forms(customer.get("phone"))
    first, last = customer.get("first_name"), customer.get("last_name")
    if first and last:
        strong.append(f"{first} {last}")
    for key in ("shipping_address", "billing_address"):
        address = snapshot.get(key) or {}
        strong += [address.get("name"), address.get("address1"), address.get("address2")]
        strong += phone_forms(address.get("phone"))
        weak += [address.get("company"), address.get("zip"), address.get("city")]
    return PersonalData.of(strong, weak)


def personal_data_of_request(request: PrivacyRequest) -> PersonalData:
    return PersonalData.of([request.email, *phone_forms(request.phone)])


def _pattern(values: Iterable[str]) -> re.Pattern[str] | None:
    ordered = sorted(set(values), key=len, reverse=True)  # the longest match first
    if not ordered:
        return None
    return re.compile("|".join(re.escape(v) for v in ordered), re.IGNORECASE)


def mentions(value: Any, data: PersonalData) -> bool:
    """Whether any of `data.strong` occurs in `value` (decoded JSON, text or bytes), whatever
    the case (a JSON string's escapes decoded)."""
    if not data.strong:
        return False
    if isinstance(value, (bytes, bytearray)):
        text = bytes(value).decode("utf-8", "replace")
        try:
            text += "\n" + json.dumps(json.loads(text), ensure_ascii=False)
        except (ValueError, RecursionError):
            pass
    elif isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, ensure_ascii=False, default=str)
    folded = text.casefold()
    return any(v.casefold() in folded for v in data.strong)


def scrub_bytes(body: bytes, data: PersonalData) -> bytes:
    """A stored body without the customer: JSON is masked and scrubbed and written again
    (compact); anything else has the customer's values replaced in its text."""
    try:
        decoded = json.loads(body)
    except (ValueError, RecursionError):
        return scrub_text(body.decode("utf-8", "replace"), data).encode()
    return json.dumps(forget(decoded, data), separators=(",", ":"),
                      ensure_ascii=False).encode()


def scrub_text(text: str, data: PersonalData) -> str:
    pattern = _pattern(data.values)
    return text if pattern is None else pattern.sub(REDACTED, text)


def scrub(value: Any, data: PersonalData) -> Any:
    """`value` (decoded JSON) with every one of `data.values` replaced, in keys' values and in
    free text alike."""
    pattern = _pattern(data.values)
    if pattern is None:
        return value

    def walk(v: Any) -> Any:
        if isinstance(v, str):
            return pattern.sub(REDACTED, v)
        if isinstance(v, dict):
            return {k: walk(item) for k, item in v.items()}
        if isinstance(v, list):
            return [walk(item) for item in v]
        return v

    return walk(value)


def mask(value: Any) -> Any:
    """`value` (decoded JSON) with every personal field and object emptied: strings become
    `REDACTED`, numbers (coordinates) None; a region (country, province) is kept."""

    def blank(v: Any) -> Any:
        if isinstance(v, str):
            return REDACTED if v else v
        if isinstance(v, bool) or v is None:
            return v
        if isinstance(v, (int, float)):
            return None
        if isinstance(v, dict):
            return {k: (item if k in REGION_KEYS else blank(item)) for k, item in v.items()}
        if isinstance(v, list):
            return [blank(item) for item in v]
        return v

    def walk(v: Any) -> Any:
        if isinstance(v, dict):
            out: dict[str, Any] = {}
            for k, item in v.items():
                if k in PERSONAL_KEYS or (k in PERSONAL_OBJECTS and isinstance(item, (dict, list))):
                    out[k] = blank(item)
                else:
                    out[k] = walk(item)
            return out
        if isinstance(v, list):
            return [walk(item) for item in v]
        return v

    return walk(value)


def forget(value: Any, data: PersonalData) -> Any:
    """Both: personal fields masked, the customer's values scrubbed from what is left."""
    return scrub(mask(value), data)


def mask_order_snapshot(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The stored order without its customer: no email, phone or name; addresses keep their
    country and province (routing and reports by region still work) and nothing else. The
    result still decodes as an order (`store/codec.py`)."""

    def address(raw: Any) -> Any:
        if not isinstance(raw, dict):
            return raw
        return {**{k: None for k in raw},
                "name": REDACTED, "address1": REDACTED, "city": REDACTED, "zip": "",
                "country_code": raw.get("country_code", ""),
                "province_code": raw.get("province_code")}

    out = dict(snapshot)
    out["email"] = None
    if isinstance(out.get("customer"), dict):
        out["customer"] = {**{k: None for k in out["customer"]},
                           "customer_id": None}
    out["shipping_address"] = address(out.get("shipping_address"))
    out["billing_address"] = address(out.get("billing_address"))
    if "note" in out:
        out["note"] = None
    return out
