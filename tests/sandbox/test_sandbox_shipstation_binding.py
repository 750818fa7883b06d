"""ShipStation v1 in the sandbox binds what ASP.NET's model binder binds (numbers sent as JSON
strings) and writes createDate/modifyDate in ShipStation's Pacific time, without an offset
(issue 10, finding 5; shipstation.md §1.3, §1.4)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import httpx
from test_sandbox_shipstation import auth, create, order_body

from shipflow.providers.shipstation.mapping import read_datetime

PACIFIC = ZoneInfo("America/Los_Angeles")


def test_numbers_sent_as_strings_are_bound_as_numbers(sandbox):
    """The docs' example order, every number sent as a string, gives the same order."""
    body = order_body(amountPaid="218.73", taxAmount="5", shippingAmount="10.00",
                      weight={"value": "25", "units": "ounces"})
    body["items"][0].update(quantity="2", unitPrice="99.99",
                            weight={"value": "24", "units": "ounces"})
    body["items"][1].update(quantity="1", unitPrice="-20.55")
    response = create(sandbox, body)
    assert response.status_code == 200, response.text
    order = response.json()
    assert [(i["quantity"], i["unitPrice"]) for i in order["items"]] == [(2, 99.99), (1, -20.55)]
    assert order["items"][0]["weight"] == {"value": 24, "units": "ounces"}
    assert order["amountPaid"] == 218.73 and order["taxAmount"] == 5
    assert order["orderTotal"] == 194.43 and order["weight"] == {"value": 48.0, "units": "ounces"}


def test_the_bulk_endpoint_binds_the_same_way(sandbox):
    body = order_body("2001", "k-2001")
    body["items"][0]["quantity"] = " 3 "
    response = httpx.post(sandbox.url("/shipstation/orders/createorders"), json=[body],
                          auth=auth(sandbox))
    [result] = response.json()["results"]
    assert result["success"], result
    order = httpx.get(sandbox.url(f"/shipstation/orders/{result['orderId']}"),
                      auth=auth(sandbox)).json()
    assert order["items"][0]["quantity"] == 3


def test_what_the_binder_cannot_convert_is_still_refused(sandbox):
    body = order_body()
    body["items"][0]["quantity"] = "2.5"
    response = create(sandbox, body)
    assert response.status_code == 500
    assert response.json()["ExceptionMessage"] == "Order Items: Quantity must be a whole number."


def test_commands_bind_order_ids_sent_as_strings(sandbox):
    order = create(sandbox, order_body()).json()
    held = httpx.post(sandbox.url("/shipstation/orders/holduntil"), auth=auth(sandbox),
                      json={"orderId": str(order["orderId"]), "holdUntilDate": "2030-01-01"})
    assert held.status_code == 200 and held.json()["success"] is True
    restored = httpx.post(sandbox.url("/shipstation/orders/restorefromhold"),
                          auth=auth(sandbox), json={"orderId": str(order["orderId"])})
    assert restored.status_code == 200 and restored.json()["success"] is True


def test_create_and_modify_dates_are_pacific_wall_time(sandbox):
    before = datetime.now(timezone.utc)
    order = create(sandbox, order_body()).json()
    after = datetime.now(timezone.utc)
    for field in ("createDate", "modifyDate"):
        text = order[field]
        assert "+" not in text and not text.endswith("Z")  # no offset, like the real API
        naive = datetime.fromisoformat(text[:26])
        as_pacific = naive.replace(tzinfo=PACIFIC)
        assert before - timedelta(seconds=1) <= as_pacific <= after + timedelta(seconds=1), (
            field, text)
        # shipflow's client reads an offset-less timestamp as Pacific: the same instant.
        read = read_datetime(text)
        assert read is not None and abs(read - as_pacific) < timedelta(seconds=1)
    assert order["items"][0]["createDate"].startswith(order["createDate"][:19])


def test_aware_input_timestamps_are_converted_to_pacific(sandbox):
    order = create(sandbox, order_body(orderDate="2026-07-04T19:30:00.000Z")).json()
    assert order["orderDate"] == "2026-07-04T12:30:00.0000000"  # PDT = UTC-7
    order = create(sandbox, order_body("1009", "k9", orderDate="2026-01-15T20:00:00Z")).json()
    assert order["orderDate"] == "2026-01-15T12:00:00.0000000"  # PST = UTC-8
