"""Sandbox controls under `/_sandbox/`: drive the simulation and read what happened.

These are not provider APIs: no auth, not rate limited, not counted in `requests`. They exist
for the demo, the CLI and end-to-end tests.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from shipflow_sandbox import simulation_controls
from shipflow_sandbox.routing import json_response, read_json
from shipflow_sandbox.shopify.catalog import CATALOG
from shipflow_sandbox.shopify.ids import parse_gid
from shipflow_sandbox.shopify.merchant import MerchantError
from shipflow_sandbox.shopify.orders import PLACES
from shipflow_sandbox.shopify.privacy import PrivacyError
from shipflow_sandbox.shopify.store import ShopOrder

if TYPE_CHECKING:
    from shipflow_sandbox.state import SandboxState

MAX_GENERATED = 10_000

INDEX = {
    "GET /_sandbox/summary": "counts to compare with the orchestrator's own numbers",
    "POST /_sandbox/shopify/orders": '{"count": N} or {"orders": [<REST order>]}: place orders '
    'and send orders/create + orders/paid ("deliver": false places them silently); with '
    '"count", "line_items": [{"sku", "quantity"}] and "destination": "contiguous" | '
    '"noncontiguous" | "military" | "international" fix what is otherwise random',
    "GET /_sandbox/shopify/orders": "placed orders (id, name, fulfillment status)",
    "GET /_sandbox/shopify/orders/{id}": "one order: REST order, fulfillment orders (status, "
    "holds with reason and notes, line items with remaining quantities) and fulfillments "
    "(tracking, line items)",
    "POST /_sandbox/shopify/orders/{id}/cancel": '{"reason": "customer", "restock": true}: '
    "cancel the order, send orders/cancelled",
    "POST /_sandbox/shopify/orders/{id}/refund": '{"line_items": [{"line_item_id", "quantity"}]'
    ' (default all), "restock": false, "note": null}: send refunds/create',
    "GET /_sandbox/shopify/inventory": "stock per SKU (available, committed, on_hand, policy)",
    "POST /_sandbox/shopify/inventory": '{"sku": "...", "available": n, "policy": "continue" '
    '(optional), "deliver": true}: set stock, send inventory_levels/update',
    "GET/POST /_sandbox/shopify/app-config": '{"compliance_webhook_url": "https://..."}: the '
    "address the app's configuration gives the privacy topics",
    "POST /_sandbox/shopify/customers/data_request": '{"customer_id": n} or {"order_id": n}: '
    "send customers/data_request for that customer (every order they placed)",
    "POST /_sandbox/shopify/customers/redact": '{"customer_id": n} or {"order_id": n}: send '
    "customers/redact (orders_to_redact: every order they placed)",
    "POST /_sandbox/shopify/shop/redact": "{}: send shop/redact",
    "GET /_sandbox/deliveries": "webhook deliveries and attempts (?provider=&topic=&state=)",
    "POST /_sandbox/shipstation/ship": '{"orderIds": [...]} or {} for all awaiting_shipment '
    '(on_hold, cancelled, shipped ones come back in "skipped"); "relabel": true voids and '
    "reprints shipped orders (the SHIP_NOTIFY resource lists the voided label too); sends "
    'SHIP_NOTIFY unless "notify": false (a relabel made in ShipStation\'s own screens)',
    "POST /_sandbox/webhooks/drop": '{"topic": "orders/paid", "count": 2, "contains": null}: '
    "drop the next `count` deliveries of that topic (SHIP_NOTIFY, TRACK_EVENT_V2...) whose "
    "body contains `contains` (an order id, a tracking number), as lost webhooks; "
    '"count": 0 stops dropping that topic',
    "GET /_sandbox/shipstation/orders": "ShipStation v1 orders as stored (?orderKey=, "
    "?orderStatus=)",
    "GET /_sandbox/klaviyo/events": "recorded events (?metric=&email=)",
    "GET /_sandbox/records": "every order, ShipStation order, label, mark-shipped and Klaviyo "
    "event in one compact listing, to count what each provider did (e.g. exactly-once checks)",
    "GET/POST /_sandbox/clock": '{"pin": "2026-11-02T10:00:00Z"} stamps everything the providers '
    'record at that moment until {"pin": null}; for scripting history at known times',
    "POST /_sandbox/reset": "forget everything (same seed, same generated data)",
    **simulation_controls.INDEX,
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
            try:
                lines, destination = _order_template(body)
            except ValueError as exc:
                return json_response({"error": str(exc)}, 400)
            placed = state.shopify.generate_orders(body["count"], deliver, lines=lines,
                                                   destination=destination)
        else:
            message = f'give "orders": [...] or "count": 1..{MAX_GENERATED}'
            return json_response({"error": message}, 400)
        return json_response({"orders": [_brief(state, o.id) for o in placed]}, 201)

    async def list_orders(request: Request) -> Response:
        return json_response({"orders": [_brief(state, i) for i in state.shopify.store.orders]})

    def shop_order(request: Request) -> ShopOrder | None:
        raw = request.path_params["order_id"]
        order_id = int(raw) if raw.isdigit() else parse_gid(raw, "Order")
        return state.shopify.store.orders.get(order_id or -1)

    async def get_order(request: Request) -> Response:
        order = shop_order(request)
        if order is None:
            return json_response({"error": "order not found"}, 404)
        return json_response(state.shopify.order_json(order))

    async def app_config(request: Request) -> Response:
        if request.method == "POST":
            body, ok = await read_json(request)
            url = body.get("compliance_webhook_url") if ok and isinstance(body, dict) else None
            if url is not None and not isinstance(url, str):
                return json_response({"error": "compliance_webhook_url must be a URL or null"},
                                     400)
            state.shopify.app.compliance_uri = url or None
        return json_response({"compliance_webhook_url": state.shopify.app.compliance_uri})

    async def merchant_action(request: Request) -> Response:
        order = shop_order(request)
        if order is None:
            return json_response({"error": "order not found"}, 404)
        body, ok = await read_json(request)
        body = body if ok and isinstance(body, dict) else {}
        merchant = state.shopify.merchant
        try:
            if request.url.path.endswith("/cancel"):
                result = merchant.cancel(
                    order, body.get("reason", "customer"), body.get("restock", True) is not False
                )
                return json_response({"order": result})
            lines = body.get("line_items")
            if lines is not None and not isinstance(lines, list):
                return json_response({"error": '"line_items" must be a list'}, 400)
            refund = merchant.refund(order, lines, bool(body.get("restock")), body.get("note"))
            return json_response({"refund": refund}, 201)
        except MerchantError as exc:
            return json_response({"error": exc.message}, exc.status)

    async def inventory(request: Request) -> Response:
        stock = state.shopify.inventory
        if request.method == "GET":
            return json_response({"inventory": [stock.to_json(i) for i in stock.items.values()]})
        body, ok = await read_json(request)
        if not (ok and isinstance(body, dict) and isinstance(body.get("sku"), str)
                and isinstance(body.get("available"), int)):
            return json_response({"error": 'give "sku" and an integer "available"'}, 400)
        policy = body.get("policy")
        if policy is not None and not isinstance(policy, str):
            return json_response({"error": '"policy" must be "deny" or "continue"'}, 400)
        try:
            return json_response(state.shopify.merchant.set_stock(
                body["sku"], body["available"], policy, body.get("deliver", True) is not False))
        except MerchantError as exc:
            return json_response({"error": exc.message}, exc.status)

    async def privacy(request: Request) -> Response:
        body, ok = await read_json(request)
        body = body if ok and isinstance(body, dict) else {}
        ids = {k: body.get(k) for k in ("customer_id", "order_id")}
        if any(v is not None and (not isinstance(v, int) or isinstance(v, bool))
               for v in ids.values()):
            return json_response({"error": '"customer_id" and "order_id" are integers'}, 400)
        shop = state.shopify.privacy
        path = request.url.path
        try:
            if path.endswith("/shop/redact"):
                topic, payload = shop.redact_shop()
            elif path.endswith("/data_request"):
                topic, payload = shop.data_request(ids["customer_id"], ids["order_id"])
            else:
                topic, payload = shop.redact_customer(ids["customer_id"], ids["order_id"])
        except PrivacyError as exc:
            return json_response({"error": exc.message}, exc.status)
        return json_response({"topic": topic, "payload": payload}, 201)

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
        result = state.shipstation.warehouse.ship(ids, relabel=bool(body.get("relabel")),
                                                  notify=body.get("notify", True) is not False)
        return json_response(result)

    async def drop_webhooks(request: Request) -> Response:
        body, ok = await read_json(request)
        topic = body.get("topic") if ok and isinstance(body, dict) else None
        count = body.get("count", 1) if isinstance(body, dict) else None
        contains = body.get("contains") if isinstance(body, dict) else None
        if not isinstance(topic, str) or not isinstance(count, int) or count < 0 \
                or not (contains is None or isinstance(contains, str)):
            return json_response({"error": 'expected {"topic": "orders/paid", "count": 2, '
                                           '"contains": null}'}, 400)
        state.dispatcher.drop_next(topic, count, contains)
        return json_response({"dropping": {"topic": topic, "count": count,
                                           "contains": contains}})

    async def shipstation_orders(request: Request) -> Response:
        key = request.query_params.get("orderKey")
        status = request.query_params.get("orderStatus")
        orders = state.shipstation.store.orders.values()
        selected = [o for o in orders if (key is None or o["orderKey"] == key)
                    and (status is None or o["orderStatus"] == status)]
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

    async def records(request: Request) -> Response:
        return json_response(_records(state))
    async def clock(request: Request) -> Response:
        if request.method == "POST":
            body, ok = await read_json(request)
            if not ok or not isinstance(body, dict) or "pin" not in body:
                return json_response({"error": 'expected {"pin": "<ISO time>"} or {"pin": null}'},
                                     400)
            pin = body["pin"]
            if pin is None:
                state.clock.pinned = None
            else:
                try:
                    moment = datetime.fromisoformat(str(pin).replace("Z", "+00:00"))
                except ValueError:
                    return json_response({"error": f"not an ISO time: {pin!r}"}, 400)
                if moment.tzinfo is None:
                    return json_response({"error": "give the time with its offset (Z)"}, 400)
                state.clock.pinned = moment.astimezone(UTC)
        pinned = state.clock.pinned
        return json_response({"pinned": pinned.isoformat().replace("+00:00", "Z")
                              if pinned else None,
                              "wall": state.clock.wall().isoformat().replace("+00:00", "Z")})

    async def reset(request: Request) -> Response:
        await state.reset()
        return json_response({"reset": True})

    return [
        Route("/", index, methods=["GET"]),
        Route("/summary", summary, methods=["GET"]),
        Route("/shopify/orders", create_orders, methods=["POST"]),
        Route("/shopify/orders", list_orders, methods=["GET"]),
        Route("/shopify/orders/{order_id}", get_order, methods=["GET"]),
        Route("/shopify/orders/{order_id}/cancel", merchant_action, methods=["POST"]),
        Route("/shopify/orders/{order_id}/refund", merchant_action, methods=["POST"]),
        Route("/shopify/inventory", inventory, methods=["GET", "POST"]),
        Route("/shopify/customers/data_request", privacy, methods=["POST"]),
        Route("/shopify/customers/redact", privacy, methods=["POST"]),
        Route("/shopify/shop/redact", privacy, methods=["POST"]),
        Route("/shopify/app-config", app_config, methods=["GET", "POST"]),
        Route("/deliveries", deliveries, methods=["GET"]),
        Route("/shipstation/ship", ship, methods=["POST"]),
        Route("/webhooks/drop", drop_webhooks, methods=["POST"]),
        Route("/shipstation/orders", shipstation_orders, methods=["GET"]),
        Route("/klaviyo/events", klaviyo_events, methods=["GET"]),
        Route("/records", records, methods=["GET"]),
        Route("/clock", clock, methods=["GET", "POST"]),
        Route("/reset", reset, methods=["POST"]),
        *simulation_controls.routes(state),
    ]


def _order_template(body: dict[str, Any]) -> tuple[list[tuple[str, int]] | None, str | None]:
    """(lines, destination) of a generate request; ValueError names what is wrong."""
    lines = body.get("line_items")
    chosen = None
    if lines is not None:
        known = {p.sku for p in CATALOG}
        if not isinstance(lines, list) or not lines or not all(
            isinstance(li, dict) and li.get("sku") in known
            and isinstance(li.get("quantity", 1), int) and li.get("quantity", 1) > 0
            for li in lines
        ):
            raise ValueError('"line_items" must be [{"sku": <catalog SKU>, "quantity": n > 0}]')
        chosen = [(li["sku"], li.get("quantity", 1)) for li in lines]
    destination = body.get("destination")
    if destination is not None and destination not in PLACES:
        raise ValueError(f'"destination" must be one of {", ".join(PLACES)}')
    return chosen, destination


def _brief(state: SandboxState, order_id: int) -> dict[str, Any]:
    order = state.shopify.store.orders[order_id]
    return {
        "id": order.id,
        "admin_graphql_api_id": order.gid,
        "name": order.rest.get("name"),
        "display_fulfillment_status": state.shopify.store.display_fulfillment_status(order),
    }


def _records(state: SandboxState) -> dict[str, Any]:
    """What each provider holds, compactly: the facts an exactly-once audit counts from."""
    shop = state.shopify.store
    shopify = [{
        "id": order.id,
        "name": order.rest.get("name"),
        "cancelled": order.rest.get("cancelled_at") is not None,
        "fulfillments": [{
            "id": f.id,
            "status": f.status,
            "tracking_numbers": [t.number for t in f.tracking if t.number],
            "quantity": sum(f.quantities.values()),
        } for f in shop.order_fulfillments(order)],
    } for order in shop.orders.values()]
    ss = state.shipstation.store
    shipstation_orders = [{
        "orderId": o["orderId"], "orderKey": o["orderKey"], "orderNumber": o.get("orderNumber"),
        "orderStatus": o["orderStatus"], "storeId": o["advancedOptions"]["storeId"],
    } for o in ss.orders.values()]
    shipments = [{
        "shipmentId": s.data["shipmentId"], "orderId": s.data.get("orderId"),
        "orderKey": s.data.get("orderKey"), "trackingNumber": s.data.get("trackingNumber"),
        "voided": bool(s.data.get("voided")),
    } for s in ss.shipments.values()]
    marked = [{
        "orderId": f.get("orderId"), "orderNumber": f.get("orderNumber"),
        "trackingNumber": f.get("trackingNumber"),
    } for f in ss.fulfillments.values()]
    klaviyo = state.klaviyo.store
    events = [{
        "metric": e.metric,
        "unique_id": e.unique_id,
        "order_id": str((e.properties or {}).get("OrderId", "")),
        "tracking_number": (e.properties or {}).get("TrackingNumber"),
        "sku": (e.properties or {}).get("Sku") or (e.properties or {}).get("SKU"),
    } for e in klaviyo.events]
    return {
        "shopify": {"orders": shopify},
        "shipstation": {"orders": shipstation_orders, "shipments": shipments,
                        "marked_shipped": marked,
                        "store_connection": state.store_connection.records()},
        "klaviyo": {"events": events, "duplicates_dropped": klaviyo.duplicates_dropped},
    }
