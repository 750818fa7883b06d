"""Sandbox controls under `/_sandbox/`: drive the simulation and read what happened.

These are not provider APIs: no auth, not rate limited, not counted in `requests`. They exist
for the demo, the CLI and end-to-end tests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from shipflow.sandbox.routing import json_response, read_json
from shipflow.sandbox.shopify.ids import parse_gid

if TYPE_CHECKING:
    from shipflow.sandbox.state import SandboxState

MAX_GENERATED = 10_000

INDEX = {
    "GET /_sandbox/summary": "counts to compare with the orchestrator's own numbers",
    "POST /_sandbox/shopify/orders": '{"count": N} or {"orders": [<REST order>]}: place orders '
    'and send orders/create + orders/paid ("deliver": false places them silently)',
    "GET /_sandbox/shopify/orders": "placed orders (id, name, fulfillment status)",
    "GET /_sandbox/shopify/orders/{id}": "one order with fulfillment orders and fulfillments",
    "GET /_sandbox/deliveries": "webhook deliveries and attempts (?provider=&topic=&state=)",
    "POST /_sandbox/shipstation/ship": '{"orderIds": [...]} or {} for all awaiting_shipment; '
    '"relabel": true voids and reprints shipped orders; sends SHIP_NOTIFY',
    "GET /_sandbox/shipstation/orders": "ShipStation orders (?orderKey=)",
    "GET /_sandbox/klaviyo/events": "recorded events (?metric=&email=)",
    "POST /_sandbox/reset": "forget everything (same seed, same generated data)",
}


def routes(state: SandboxState) -> list[Route]:
    async def index(request: Request) -> Response:
        return json_response({"sandbox": "shipflow", "controls": INDEX})

    async def summary(request: Request) -> Response:
        return json_response(state.summary())

    async def create_orders(request: Request) -> Response:
        body, ok = await read_json(request)
        if not ok or not isinstance(body, dict):
            return json_response({"error": "expected a JSON object"}, 400)
        deliver = body.get("deliver", True) is not False
        if isinstance(body.get("orders"), list):
            placed = state.shopify.import_orders(body["orders"], deliver)
        elif isinstance(body.get("count"), int) and 0 < body["count"] <= MAX_GENERATED:
            placed = state.shopify.generate_orders(body["count"], deliver)
        else:
            message = f'give "orders": [...] or "count": 1..{MAX_GENERATED}'
            return json_response({"error": message}, 400)
        return json_response({"orders": [_brief(state, o.id) for o in placed]}, 201)

    async def list_orders(request: Request) -> Response:
        return json_response({"orders": [_brief(state, i) for i in state.shopify.store.orders]})

    async def get_order(request: Request) -> Response:
        raw = request.path_params["order_id"]
        order_id = int(raw) if raw.isdigit() else parse_gid(raw, "Order")
        order = state.shopify.store.orders.get(order_id or -1)
        if order is None:
            return json_response({"error": "order not found"}, 404)
        return json_response(state.shopify.order_json(order))

    async def deliveries(request: Request) -> Response:
        query = request.query_params
        selected = [
            d.to_json(state.dispatcher.redact)
            for d in state.dispatcher.deliveries
            if all(
                not query.get(k) or getattr(d, k) == query[k]
                for k in ("provider", "topic", "state")
            )
        ]
        return json_response({"deliveries": selected})

    async def ship(request: Request) -> Response:
        body, ok = await read_json(request)
        body = body if ok and isinstance(body, dict) else {}
        ids = body.get("orderIds")
        if ids is not None and not (isinstance(ids, list) and all(isinstance(i, int) for i in ids)):
            return json_response({"error": '"orderIds" must be a list of integers'}, 400)
        result = state.shipstation.warehouse.ship(ids, relabel=bool(body.get("relabel")))
        return json_response(result)

    async def shipstation_orders(request: Request) -> Response:
        key = request.query_params.get("orderKey")
        orders = state.shipstation.store.orders.values()
        selected = [o for o in orders if key is None or o["orderKey"] == key]
        return json_response({"orders": selected})

    async def klaviyo_events(request: Request) -> Response:
        metric, email = request.query_params.get("metric"), request.query_params.get("email")
        events = [
            e.to_json()
            for e in state.klaviyo.store.events
            if (not metric or e.metric == metric)
            and (not email or (e.profile.get("email") or "").lower() == email.lower())
        ]
        return json_response({"events": events})

    async def reset(request: Request) -> Response:
        await state.reset()
        return json_response({"reset": True})

    return [
        Route("/", index, methods=["GET"]),
        Route("/summary", summary, methods=["GET"]),
        Route("/shopify/orders", create_orders, methods=["POST"]),
        Route("/shopify/orders", list_orders, methods=["GET"]),
        Route("/shopify/orders/{order_id}", get_order, methods=["GET"]),
        Route("/deliveries", deliveries, methods=["GET"]),
        Route("/shipstation/ship", ship, methods=["POST"]),
        Route("/shipstation/orders", shipstation_orders, methods=["GET"]),
        Route("/klaviyo/events", klaviyo_events, methods=["GET"]),
        Route("/reset", reset, methods=["POST"]),
    ]


def _brief(state: SandboxState, order_id: int) -> dict[str, Any]:
    order = state.shopify.store.orders[order_id]
    return {
        "id": order.id,
        "admin_graphql_api_id": order.gid,
        "name": order.rest.get("name"),
        "display_fulfillment_status": state.shopify.store.display_fulfillment_status(order),
    }
