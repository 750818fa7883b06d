"""ShipStation API v2 HTTP surface under `/shipstation/v2` (shipstation.md §2; shapes from the
official `shipstation-v2-openapi.yaml`).

Every route but the JWKS and label downloads checks the `API-Key` header (401 envelope), then
the key's 200 requests/minute window (simulated time; 429 `rate_limit_exceeded` with
`Retry-After` in real seconds; off with `enforce_rate_limits=False`). With
`shipstation_v2_rate_headers` (default on) responses also carry v1's `X-Rate-Limit-Limit/
Remaining/Reset` headers: UNVERIFIED for v2 (its docs name only `Retry-After`); turn it off to
exercise a client's `Retry-After`-only path. Business and validation
failures are `V2Error` envelopes. The JWKS is served at `/shipstation/v2/jwks` and
`/shipstation/jwks` (the real one lives at `https://api.shipengine.com/jwks`). The account has
one warehouse (`GET /v2/warehouses`: `se-24079`, the Louisville address), which a shipment may
name by `warehouse_id` instead of a `ship_from`; `GET /v2/shipments/{id}` and
`/v2/shipments/external_shipment_id/{id}` read back the shipments rates and labels created.
"""

from __future__ import annotations

import base64
import hmac
import json
import math
import uuid
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from shipflow_sandbox.routing import Endpoint, counted, json_response
from shipflow_sandbox.shipstation.carriers import SERVICES, label_pdf
from shipflow_sandbox.shipstation_v2 import documents, validation
from shipflow_sandbox.shipstation_v2.carriers import CARRIER_IDS, CODE_BY_ID, carrier_json
from shipflow_sandbox.shipstation_v2.errors import V2Error
from shipflow_sandbox.shipstation_v2.queries import list_labels
from shipflow_sandbox.shipstation_v2.webhooks import EVENTS

if TYPE_CHECKING:
    from shipflow_sandbox.state import SandboxState

API = "shipstation_v2"


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        raise V2Error(400, "validation", "request_body_required", "A request body is required")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise V2Error.invalid("body", "is not valid JSON") from exc
    if not isinstance(body, dict):
        raise V2Error.invalid("body", "must be a JSON object")
    return body


def routes(state: SandboxState) -> list[Route]:
    def sim() -> Any:
        return state.shipstation_v2

    def guard(handler: Endpoint, authenticate: bool = True) -> Endpoint:
        async def wrapped(request: Request) -> Response:
            headers: dict[str, str] = {}
            try:
                if authenticate:
                    key = request.headers.get("api-key", "").encode()
                    expected = state.config.shipstation_v2_api_key.encode()
                    if not key or not hmac.compare_digest(key, expected):
                        raise V2Error.unauthorized()
                    window = sim().window
                    if state.config.enforce_rate_limits:
                        status = window.hit()
                        remaining = status.remaining
                    else:
                        status, remaining = window.peek(), window.limit
                    reset = max(1, math.ceil(status.reset_real_seconds))
                    if state.config.shipstation_v2_rate_headers:
                        headers = {
                            "X-Rate-Limit-Limit": str(window.limit),
                            "X-Rate-Limit-Remaining": str(remaining),
                            "X-Rate-Limit-Reset": str(reset),
                        }
                    if not status.allowed:
                        raise V2Error.rate_limited(reset)
                response = await handler(request)
            except V2Error as exc:
                response = exc.response()
            response.headers.update(headers)
            return response

        return wrapped

    def label_of(request: Request) -> dict[str, Any]:
        label_id = request.path_params["label_id"]
        if label_id not in sim().labels:
            raise V2Error.not_found("label_id", label_id)
        return sim().labels[label_id]  # type: ignore[no-any-return]

    async def rates(request: Request) -> Response:
        body = await _body(request)
        options = body.get("rate_options")
        if not isinstance(options, dict):
            raise V2Error.required("rate_options")
        carrier_ids = options.get("carrier_ids")
        if not isinstance(carrier_ids, list) or not carrier_ids:
            raise V2Error.required("rate_options.carrier_ids")
        for index, carrier_id in enumerate(carrier_ids):
            if carrier_id not in CODE_BY_ID:
                raise V2Error.invalid(f"rate_options.carrier_ids[{index}]",
                                      f"'{carrier_id}' is not a carrier of this account")
        if body.get("shipment_id") is not None and body.get("shipment") is not None:
            raise V2Error(400, "validation", "field_conflict",
                          "shipment_id and shipment cannot both be given")
        shipment_id = body.get("shipment_id")
        if shipment_id is not None:
            if shipment_id not in sim().inputs:
                raise V2Error.not_found("shipment_id", str(shipment_id))
            shipment = sim().inputs[shipment_id]
        else:
            shipment = validation.shipment(body.get("shipment"))
        codes = [CODE_BY_ID[c] for c in dict.fromkeys(carrier_ids)]
        wanted = options.get("service_codes") if isinstance(options.get("service_codes"),
                                                            list) else None
        return json_response(sim().rate_shop(shipment, codes, wanted, shipment_id))

    async def create_label(request: Request) -> Response:
        body = await _body(request)
        shipment = validation.shipment(body.get("shipment"), need_service=True)
        _label_options(body)
        assert shipment.service is not None
        return json_response(sim().buy(shipment, shipment.service))

    async def label_from_rate(request: Request) -> Response:
        body = await _body(request)
        _label_options(body)
        return json_response(sim().buy_rate(request.path_params["rate_id"]))

    async def warehouses(request: Request) -> Response:
        return json_response({"warehouses": [documents.warehouse_json()]})

    async def warehouse(request: Request) -> Response:
        warehouse_id = request.path_params["warehouse_id"]
        if warehouse_id != validation.WAREHOUSE_ID:
            raise V2Error.not_found("warehouse_id", warehouse_id)
        return json_response(documents.warehouse_json())

    async def get_shipment(request: Request) -> Response:
        shipment_id = request.path_params["shipment_id"]
        if shipment_id not in sim().shipments:
            raise V2Error.not_found("shipment_id", shipment_id)
        return json_response(sim().shipments[shipment_id])

    async def shipment_by_external_id(request: Request) -> Response:
        external = request.path_params["external_shipment_id"]
        found = sim().shipment_by_external_id(external)
        if found is None:
            raise V2Error.not_found("external_shipment_id", external)
        return json_response(found)

    async def get_labels(request: Request) -> Response:
        url = sim().webhooks.base + "/shipstation/v2/labels"
        labels = list(sim().labels.values())
        return json_response(list_labels(labels, request.query_params, url, sim().rates))

    async def get_label(request: Request) -> Response:
        return json_response(label_of(request))

    async def void_label(request: Request) -> Response:
        return json_response(sim().void(label_of(request)["label_id"]))

    async def track_label(request: Request) -> Response:
        return json_response(sim().track(label_of(request)["label_id"]))

    async def carriers(request: Request) -> Response:
        return json_response({"carriers": [carrier_json(c) for c in CARRIER_IDS],
                              "request_id": str(uuid.uuid4()), "errors": []})

    async def carrier(request: Request) -> Response:
        carrier_id = request.path_params["carrier_id"]
        if carrier_id not in CODE_BY_ID:
            raise V2Error.not_found("carrier_id", carrier_id)
        return json_response(carrier_json(CODE_BY_ID[carrier_id]))

    async def create_webhook(request: Request) -> Response:
        body = await _body(request)
        for field in ("event", "url"):
            if not isinstance(body.get(field), str) or not body[field]:
                raise V2Error.required(field)
        if body["event"] not in EVENTS:
            raise V2Error.invalid("event", "must be one of " + ", ".join(EVENTS))
        headers = body.get("headers") or []
        if not isinstance(headers, list) or not all(
            isinstance(h, dict) and isinstance(h.get("key"), str) and "value" in h
            for h in headers
        ):
            raise V2Error.invalid("headers", "must be a list of {key, value} objects")
        for hook in sim().webhooks.subscriptions.values():
            if hook["event"] == body["event"] and hook["url"] == body["url"]:
                raise V2Error(409, "validation", "webhook_event_type_conflict",
                              f"A webhook for event '{body['event']}' and this url already "
                              "exists")
        hook = sim().webhooks.subscribe(body["url"], body["event"], headers, body.get("name"))
        return json_response(hook)

    async def list_webhooks(request: Request) -> Response:
        return json_response(list(sim().webhooks.subscriptions.values()))

    def hook_of(request: Request) -> dict[str, Any]:
        hook_id = request.path_params["webhook_id"]
        hooks = sim().webhooks.subscriptions
        if hook_id not in hooks:
            raise V2Error.not_found("webhook_id", hook_id)
        return hooks[hook_id]  # type: ignore[no-any-return]

    async def get_webhook(request: Request) -> Response:
        return json_response(hook_of(request))

    async def update_webhook(request: Request) -> Response:
        hook = hook_of(request)
        body = await _body(request)
        if not isinstance(body.get("url"), str) or not body["url"]:
            raise V2Error.required("url")
        hook["url"] = body["url"]
        if isinstance(body.get("headers"), list):
            hook["headers"] = body["headers"]
        return Response(status_code=204)

    async def delete_webhook(request: Request) -> Response:
        del sim().webhooks.subscriptions[hook_of(request)["webhook_id"]]
        return Response(status_code=204)

    async def jwks(request: Request) -> Response:
        return json_response(sim().keys.jwks(), headers={"Cache-Control": "max-age=300"})

    async def download(request: Request) -> Response:
        label_id = sim().downloads.get(request.path_params["subdir"])
        name = request.path_params["filename"]
        if label_id is None or not name.endswith(".pdf"):
            raise V2Error.not_found("download", name)
        label = sim().labels[label_id]
        to = label["ship_to"]
        pdf = label_pdf(label["tracking_number"], SERVICES[label["service_code"]],
                        {"postalCode": to["postal_code"]})
        return Response(base64.b64decode(pdf), media_type="application/pdf")

    table: list[tuple[str, Endpoint, str, bool]] = [
        ("/v2/rates", rates, "POST", True),
        ("/v2/labels", create_label, "POST", True),
        ("/v2/labels", get_labels, "GET", True),
        ("/v2/labels/rates/{rate_id}", label_from_rate, "POST", True),
        ("/v2/labels/{label_id}", get_label, "GET", True),
        ("/v2/labels/{label_id}/void", void_label, "PUT", True),
        ("/v2/labels/{label_id}/track", track_label, "GET", True),
        ("/v2/shipments/external_shipment_id/{external_shipment_id}", shipment_by_external_id,
         "GET", True),
        ("/v2/shipments/{shipment_id}", get_shipment, "GET", True),
        ("/v2/warehouses", warehouses, "GET", True),
        ("/v2/warehouses/{warehouse_id}", warehouse, "GET", True),
        ("/v2/carriers", carriers, "GET", True),
        ("/v2/carriers/{carrier_id}", carrier, "GET", True),
        ("/v2/environment/webhooks", create_webhook, "POST", True),
        ("/v2/environment/webhooks", list_webhooks, "GET", True),
        ("/v2/environment/webhooks/{webhook_id}", get_webhook, "GET", True),
        ("/v2/environment/webhooks/{webhook_id}", update_webhook, "PUT", True),
        ("/v2/environment/webhooks/{webhook_id}", delete_webhook, "DELETE", True),
        ("/v2/downloads/{dir}/{subdir}/{filename}", download, "GET", False),
        ("/v2/jwks", jwks, "GET", False),
        ("/jwks", jwks, "GET", False),
    ]
    gate = state.fault_gate(API)
    return [
        counted(state.requests, "shipstation", path, guard(handler, auth), [method],
                state.latency, gate if auth else None)
        for path, handler, method, auth in table
    ]


def _label_options(body: dict[str, Any]) -> None:
    for field, allowed in (("label_format", ("pdf", "png", "zpl")),
                           ("label_layout", ("4x6", "letter")),
                           ("label_download_type", ("url", "inline"))):
        if body.get(field) is not None and body[field] not in allowed:
            raise V2Error.invalid(field, "must be one of " + ", ".join(allowed))

