"""Forgetting a customer in stored values: by value, by key, and the order snapshot."""

from __future__ import annotations

import json

from shipflow.domain.privacy import (
    REDACTED,
    PersonalData,
    forget,
    mask,
    mask_order_snapshot,
    mentions,
    personal_data_of_snapshot,
    phone_forms,
    scrub,
    scrub_bytes,
)
from shipflow.store.codec import order_from_json, order_to_json
from tests.unit.domain.factories import an_order


def test_snapshot_gives_what_identifies_the_customer() -> None:
    data = personal_data_of_snapshot(order_to_json(an_order()))
    assert "ada@example.org" in data.strong
    assert "Ada Lovelace" in data.strong
    assert "+15555550100" in data.strong and "5555550100" in data.values
    assert "Ada" not in data.values  # too short to search for on its own


def test_scrub_replaces_values_anywhere_whatever_the_case() -> None:
    data = PersonalData.of(["ada@example.org", "Ada Lovelace"])
    value = {"note": "ship to ADA LOVELACE please", "list": ["x", "Ada@Example.org"], "n": 3}
    assert scrub(value, data) == {"note": f"ship to {REDACTED} please",
                                  "list": ["x", REDACTED], "n": 3}
    assert scrub(value, PersonalData()) == value


def test_mask_empties_personal_fields_and_keeps_regions() -> None:
    payload = {"data": {"attributes": {"profile": {"email": "a@b.org", "first_name": "Ada",
                                                   "location": {"address1": "1 Main St",
                                                                "country": "US",
                                                                "latitude": 1.5}}},
                        "metric": "Order Shipped", "properties": {"OrderId": "12"}},
               "shipTo": {"name": "Ada", "street1": "1 Main St", "state": "TX",
                          "residential": True}}
    masked = mask(payload)
    text = json.dumps(masked)
    assert "a@b.org" not in text and "1 Main St" not in text and "Ada" not in text
    assert masked["data"]["metric"] == "Order Shipped"
    assert masked["data"]["properties"] == {"OrderId": "12"}
    assert masked["shipTo"]["state"] == "TX" and masked["shipTo"]["residential"] is True
    assert masked["data"]["attributes"]["profile"]["location"]["latitude"] is None


def test_masked_snapshot_still_decodes_without_the_customer() -> None:
    order = an_order()
    masked = order_from_json(mask_order_snapshot(order_to_json(order)))
    assert masked.customer is not None and masked.customer.email is None
    assert masked.customer.customer_id is None and masked.email is None
    assert masked.shipping_address is not None
    assert masked.shipping_address.country_code == order.shipping_address.country_code  # type: ignore[union-attr]
    assert masked.shipping_address.name == REDACTED
    assert masked.line_items == order.line_items and masked.total_price == order.total_price
    assert not mentions(order_to_json(masked), personal_data_of_snapshot(order_to_json(order)))


def test_bodies_are_searched_decoded_and_rewritten() -> None:
    data = PersonalData.of(["José Núñez"])
    escaped = json.dumps({"customer": {"name": "José Núñez"}, "id": 7}).encode()  # \u escapes
    assert mentions(escaped, data)
    scrubbed = json.loads(scrub_bytes(escaped, data))
    assert scrubbed == {"customer": {"name": REDACTED}, "id": 7}
    assert scrub_bytes(b"not json: Jos\xc3\xa9 N\xc3\xba\xc3\xb1ez", data) == \
        f"not json: {REDACTED}".encode()
    assert forget({"x": "José Núñez"}, data) == {"x": REDACTED}


def test_phone_forms() -> None:
    assert phone_forms("555-625-1199") == ["555-625-1199", "+5556251199", "5556251199"]
    assert "5125550101" in phone_forms("+15125550101")
    assert phone_forms(None) == [] and phone_forms("12") == []
