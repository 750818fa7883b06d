"""ShipStation v1 HTTP surface under `/shipstation` (shipstation.md §1).

Every route checks Basic auth (key:secret; 401 `{"message": "Invalid API credentials"}`),
then the 40 requests/minute window of that key pair, and answers with the
`X-Rate-Limit-Limit/Remaining/Reset` headers (Reset in real seconds; 429 with
`{"message": "Too Many Requests"}` when empty, body UNVERIFIED per the spec). Order validation
failures are HTTP 500 with the ASP.NET exception body, as the real service answers.
Unauthenticated 401s carry no rate-limit headers (assumption: they cannot be attributed).
"""

from __future__ import annotations

import base64
import binascii
import copy
import hmac
import math
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from shipflow_sandbox.routing import Endpoint, counted, json_response, read_json
from shipflow_sandbox.shipstation import actions
from shipflow_sandbox.shipstation.binding import COMMAND, bind
from shipflow_sandbox.shipstation.carriers import CARRIERS, SERVICES
from shipflow_sandbox.shipstation.orders import OrderError
from shipflow_sandbox.shipstation.queries import list_fulfillments, list_orders, list_shipments
from shipflow_sandbox.shipstation.store import EVENTS

if TYPE_CHECKING:
    from shipflow_sandbox.state import SandboxState

MAX_BULK_ORDERS = 100


def exception_body(message: str, kind: str = "System.Exception") -> dict[str, Any]:
    """ASP.NET Web API error JSON (shipstation.md §1.3); the stack trace is a placeholder."""
    return {
        "Message": "An error has occurred.",
        "ExceptionMessage": message,
        "ExceptionType": kind,
        "StackTrace": "   at ShipStation.API.Controllers (sandbox)",
    }


def routes(state: SandboxState) -> list[Route]:
    def authorized(request: Request) -> bool:
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            key, _, secret = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        config = state.config
        return hmac.compare_digest(key.encode(), config.shipstation_api_key.encode()) & (
            hmac.compare_digest(secret.encode(), config.shipstation_api_secret.encode())
        )

    def guard(handler: Endpoint) -> Endpoint:
        async def wrapped(request: Request) -> Response:
            if not authorized(request):
                return json_response({"message": "Invalid API credentials"}, 401)
            window = state.shipstation.window
            if state.config.enforce_rate_limits:
                status = window.hit()
                remaining = status.remaining
            else:
                status, remaining = window.peek(), window.limit
            headers = {
                "X-Rate-Limit-Limit": str(window.limit),
                "X-Rate-Limit-Remaining": str(remaining),
                "X-Rate-Limit-Reset": str(max(1, math.ceil(status.reset_real_seconds))),
            }
            if not status.allowed:
                return json_response({"message": "Too Many Requests"}, 429, headers)
            response = await handler(request)
            response.headers.update(headers)
            return response

        return wrapped

    async def create_order(request: Request) -> Response:
        body, _ = await read_json(request)
        try:
            order = state.shipstation.store.upsert(body, state.clock.wall(), state.clock.now())
        except OrderError as exc:
            return json_response(exception_body(exc.message), 500)
        return json_response(order)

    async def create_orders(request: Request) -> Response:
        body, _ = await read_json(request)
        if not isinstance(body, list):
            return json_response(exception_body("Orders must be provided as an array."), 500)
        if len(body) > MAX_BULK_ORDERS:
            # UNVERIFIED: the docs state the limit, not the error; 400 with the ASP.NET shape.
            message = f"A maximum of {MAX_BULK_ORDERS} orders can be created per request."
            return json_response(exception_body(message), 400)
        results = []
        for item in body:
            entry = item if isinstance(item, dict) else {}
            try:
                order = state.shipstation.store.upsert(item, state.clock.wall(), state.clock.now())
            except OrderError as exc:
                results.append(
                    {
                        "orderId": 0,
                        "orderNumber": entry.get("orderNumber"),
                        "orderKey": entry.get("orderKey"),
                        "success": False,
                        "errorMessage": exc.message,
                    }
                )
                continue
            results.append(
                {
                    "orderId": order["orderId"],
                    "orderNumber": order["orderNumber"],
                    "orderKey": order["orderKey"],
                    "success": True,
                    "errorMessage": None,
                }
            )
        has_errors = any(not r["success"] for r in results)
        return json_response({"hasErrors": has_errors, "results": results})

    async def get_order(request: Request) -> Response:
        order_id = request.path_params["order_id"]
        order = state.shipstation.store.orders.get(int(order_id)) if order_id.isdigit() else None
        if order is None:  # soft-deleted orders stay readable by id
            return json_response({"message": "Order not found"}, 404)
        return json_response(order)

    async def get_orders(request: Request) -> Response:
        return json_response(list_orders(state.shipstation.store, request.query_params))

    async def get_shipments(request: Request) -> Response:
        return json_response(list_shipments(state.shipstation.store, request.query_params))

    async def get_fulfillments(request: Request) -> Response:
        return json_response(list_fulfillments(state.shipstation.store, request.query_params))

    async def get_stores(request: Request) -> Response:
        return json_response(state.store_connection.stores())

    async def get_carriers(request: Request) -> Response:
        return json_response(list(CARRIERS))

    async def create_label(request: Request) -> Response:
        body, _ = await read_json(request)
        body = bind(body, COMMAND) if isinstance(body, dict) else {}
        missing = [
            f
            for f in ("orderId", "carrierCode", "serviceCode", "confirmation", "shipDate")
            if body.get(f) in (None, "")
        ]
        if missing:
            return json_response(exception_body(f"{missing[0]} must be provided."), 500)
        order = state.shipstation.store.orders.get(int(body["orderId"]))
        if order is None:
            return json_response(exception_body("Order not found."), 500)
        service = SERVICES.get(body["serviceCode"])
        if service is None or service.carrier != body["carrierCode"]:
            return json_response(exception_body("Invalid carrier or service code."), 500)
        if order["orderStatus"] in ("cancelled", "awaiting_payment", "on_hold"):
            # Assumption: a held order must be restored before it can ship (as in the UI).
            message = f"Cannot create a label for an order with status '{order['orderStatus']}'."
            return json_response(exception_body(message), 500)
        sim = state.shipstation
        if body.get("testLabel"):
            # Assumption: a test label changes no state, so it is built on a copy.
            shipment, pdf = sim.warehouse.label(
                copy.deepcopy(order), service, batch_id=0, options=body, test=True
            )
            del sim.store.shipments[shipment.data["shipmentId"]]
        else:
            batch_id = sim.store.next_batch_id()
            shipment, pdf = sim.warehouse.label(order, service, batch_id=batch_id, options=body)
            sim.warehouse.notify(batch_id, {shipment.store_id})
        data = shipment.data
        return json_response(
            {
                "shipmentId": data["shipmentId"],
                "shipmentCost": data["shipmentCost"],
                "insuranceCost": data["insuranceCost"],
                "trackingNumber": data["trackingNumber"],
                "labelData": pdf,
                "formData": None,
            }
        )

    async def subscribe(request: Request) -> Response:
        body, _ = await read_json(request)
        body = body if isinstance(body, dict) else {}
        if not body.get("target_url") or body.get("event") not in EVENTS:
            return json_response({"message": "target_url and a valid event are required."}, 400)
        hook = state.shipstation.store.subscribe(
            body["target_url"], body["event"], body.get("store_id"), body.get("friendly_name")
        )
        return json_response({"id": hook["WebHookID"]}, 201)

    async def list_webhooks(request: Request) -> Response:
        hooks = list(state.shipstation.store.subscriptions.values())
        return json_response({"webhooks": hooks})

    async def unsubscribe(request: Request) -> Response:
        hook_id = request.path_params["webhook_id"]
        hooks = state.shipstation.store.subscriptions
        if not hook_id.isdigit() or int(hook_id) not in hooks:
            return json_response({"message": "Webhook not found."}, 404)
        del hooks[int(hook_id)]
        return Response(status_code=200)

    table = [
        ("/orders/createorder", create_order, "POST"),
        ("/orders/createorders", create_orders, "POST"),
        ("/orders/createlabelfororder", create_label, "POST"),
        ("/orders/{order_id}", get_order, "GET"),
        ("/orders", get_orders, "GET"),
        ("/shipments", get_shipments, "GET"),
        ("/fulfillments", get_fulfillments, "GET"),
        ("/carriers", get_carriers, "GET"),
        ("/stores", get_stores, "GET"),
        ("/webhooks/subscribe", subscribe, "POST"),
        ("/webhooks", list_webhooks, "GET"),
        ("/webhooks/{webhook_id}", unsubscribe, "DELETE"),
        *actions.handlers(state),
    ]
    gate = state.fault_gate("shipstation_v1")
    return [
        counted(
            state.requests, "shipstation", path, guard(handler), [method], state.latency, gate
        )
        for path, handler, method in table
    ]
