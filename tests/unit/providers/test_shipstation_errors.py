"""Which ShipStation v1 5xx answers are permanent (issue 10, finding 1).

Only the ASP.NET validation exceptions of shipstation.md §1.3 are `RejectedRequest`; every other
5xx is a `TransientError`, retried in-process when the call is safe to repeat and left to the
engine's durable retry otherwise. Bodies below are recorded-style: the real capture of §1.3 and
the ASP.NET Web API shapes ShipStation's servers answer with when they fail.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest

from shipflow.providers.errors import RejectedRequest, TransientError

from .helpers import FakeClock, Script, respond
from .test_shipstation_client import BASE, client, limits, ok, page, shipment


def asp_net(message: str, kind: str) -> dict[str, Any]:
    return {"Message": "An error has occurred.", "ExceptionMessage": message,
            "ExceptionType": kind, "StackTrace": "   at ShipStation.Api.Controllers..."}


# The real capture (agritheory/shipstation-client, §1.3) and two more of the same kind.
VALIDATION = [
    asp_net("Ship To: Postal Code must be provided.", "System.Exception"),
    asp_net("Order Number must be provided.", "System.Exception"),
    asp_net("Invalid Carrier Code.", "System.Exception"),
]

# Server-side failures: not about the request, must be retried.
TRANSIENT = [
    respond(500, asp_net("Execution Timeout Expired.  The timeout period elapsed prior to "
                         "completion of the operation or the server is not responding.",
                         "System.Data.SqlClient.SqlException")),
    respond(500, asp_net("Transaction (Process ID 64) was deadlocked on lock resources with "
                         "another process and has been chosen as the deadlock victim. Rerun "
                         "the transaction.", "System.Data.SqlClient.SqlException")),
    respond(500, asp_net("The operation has timed out", "System.TimeoutException")),
    respond(500, asp_net("Object reference not set to an instance of an object.",
                         "System.NullReferenceException")),  # not on createlabelfororder
    respond(500, {"Message": "An error has occurred."}),  # detail hidden
    respond(500, {"message": "Internal Server Error"}),
    respond(500, text="<html><body><h1>500 Internal Server Error</h1></body></html>"),
    respond(502, text="<html><head><title>502 Bad Gateway</title></head></html>"),
    respond(503, {"message": "Service Unavailable"}),
    respond(504, text="Gateway Time-out"),
]


@pytest.mark.parametrize("body", VALIDATION)
def test_validation_exceptions_are_permanent_and_not_retried(body: dict[str, Any]) -> None:
    script = Script([respond(500, body, headers=limits())])
    with pytest.raises(RejectedRequest) as caught:
        client(script).create_order({"orderNumber": "1", "orderKey": "1"})
    assert caught.value.message == body["ExceptionMessage"]
    assert len(script.requests) == 1


@pytest.mark.parametrize("answer", TRANSIENT)
def test_other_5xx_are_transient_and_retried(answer: httpx.Response) -> None:
    script = Script([answer, ok({"orderId": 1, "orderKey": "1"})])
    created = client(script).create_order({"orderNumber": "1", "orderKey": "1"})
    assert created["orderId"] == 1 and len(script.requests) == 2


@pytest.mark.parametrize("answer", TRANSIENT)
def test_other_5xx_raise_transient_when_they_persist(answer: httpx.Response) -> None:
    script = Script([answer])
    with pytest.raises(TransientError) as caught:
        client(script).create_order({"orderNumber": "1", "orderKey": "1"})
    assert not isinstance(caught.value, RejectedRequest)
    assert len(script.requests) == 4  # FAST_RETRY's attempts


def test_a_sql_timeout_in_a_bulk_push_is_retried_not_a_rejected_batch() -> None:
    """One 500 on createorders used to reject all 100 orders of the chunk for good."""
    results = {"hasErrors": False, "results": [
        {"orderId": n, "orderNumber": str(n), "orderKey": str(n), "success": True,
         "errorMessage": None} for n in (1, 2)]}
    script = Script([TRANSIENT[0], ok(results)])
    pushed = client(script).create_orders([{"orderNumber": "1", "orderKey": "1"},
                                           {"orderNumber": "2", "orderKey": "2"}])
    assert [r.order_id for r in pushed.results] == [1, 2]
    assert len(script.requests) == 2


def test_no_manual_store_on_createlabelfororder_is_permanent() -> None:
    body = asp_net("Object reference not set to an instance of an object.",
                   "System.NullReferenceException")
    script = Script([respond(500, body)])
    with pytest.raises(RejectedRequest, match="Object reference"):
        client(script).create_label_for_order(1, "ups", "ups_ground",
                                              ship_date=date(2026, 11, 2))
    assert len(script.requests) == 1


def test_ship_notify_fetch_500_is_transient_so_the_label_is_not_lost() -> None:
    """A SHIP_NOTIFY resource fetch that meets a server failure is retried and, if it lasts,
    raised as TransientError for the engine's durable retry (never a permanent rejection that
    would drop the shipment)."""
    failure = respond(500, asp_net("Sequence contains no elements.",
                                   "System.InvalidOperationException"))
    url = f"{BASE}/shipments?batchId=144015674&includeShipmentItems=False"
    healed = Script([failure, ok(page([shipment(1)], 1, 1))])
    assert [s.shipment_id for s in client(healed).fetch_resource(url)] == ["1"]
    lasting = Script([failure])
    with pytest.raises(TransientError) as caught:
        client(lasting, FakeClock()).fetch_resource(url)
    assert not isinstance(caught.value, RejectedRequest)
