"""`/_sandbox/` controls for the simulation itself: fault switches, the carrier's tracking
plans, the v2 webhook signing key, and the scopes the credentials carry. Mounted by
`controls.routes`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from shipflow_sandbox.carrier.outcomes import OUTCOMES
from shipflow_sandbox.carrier.plan import PlanError
from shipflow_sandbox.routing import json_response, read_json

if TYPE_CHECKING:
    from shipflow_sandbox.state import SandboxState

INDEX = {
    "GET /_sandbox/faults": "current fault switches per scope and how often each fired",
    "POST /_sandbox/faults": '{"<scope>": {"error_rate": 0.1, "force_429": 2, "slow": 0.5, '
    '"slow_fraction": 0.2, "drop_webhooks": 0.1, "duplicate_webhooks": 0.1, '
    '"reorder_tracking": 0.2, "lose_response": 1.0, "lose_response_after": 0, '
    '"lose_response_only": ["/orders/createorder"]}}; scopes: *, shopify, shipstation, shipstation_v1, '
    "shipstation_v2, klaviyo (merged into the current switches)",
    "DELETE /_sandbox/faults": "clear every fault switch",
    "GET /_sandbox/carrier/plans": "tracking plans with emitted/pending scans "
    "(?tracking_number=, ?outcome=, ?limit= default 100, newest first)",
    "POST /_sandbox/carrier/plan": '{"tracking_number": "...", "outcome": "failed_attempt"} '
    're-plans that parcel; {"next": true, "outcome": "..."} forces the next label; outcomes: '
    + ", ".join(OUTCOMES),
    "POST /_sandbox/shipstation/rotate-key": "new RSA key for v2 webhook signatures (the JWKS "
    "keeps the previous one)",
    "GET/POST /_sandbox/shopify/access-scopes": '{"scopes": ["read_orders", ...]}: the scopes '
    "granted to the Shopify token (currentAppInstallation.accessScopes; fields it lacks answer "
    "ACCESS_DENIED)",
    "GET/POST /_sandbox/shipstation/store-connection": '{"import_after": 60, "skip": '
    '[<Shopify order id>], "import_now": true}: ShipStation\'s own Shopify store connection '
    "(on when import_after is a number: it imports paid orders after that many simulated "
    "seconds and notifies Shopify of labels, never of a relabel); GET lists its imports and "
    "notifications",
    "GET/POST /_sandbox/klaviyo/scopes": '{"scopes": ["events:write", ...]} or {"scopes": null} '
    "(full access): the private key's scopes; other endpoints answer 403 permission_denied",
}


def _scopes(body: object, nullable: bool) -> list[str] | None:
    scopes = body.get("scopes") if isinstance(body, dict) else ...
    if scopes is None and nullable:
        return None
    if not isinstance(scopes, list) or not all(isinstance(s, str) and s for s in scopes):
        raise ValueError('expected {"scopes": ["<scope>", ...]}')
    return list(dict.fromkeys(scopes))


def _store_connection_change(body: object) -> tuple[dict[str, object], str | None]:
    if not isinstance(body, dict):
        return {}, "expected a JSON object"
    after = body.get("import_after", ...)
    if after is not ... and after is not None and (
            isinstance(after, bool) or not isinstance(after, (int, float)) or after < 0):
        return {}, '"import_after" must be a number of simulated seconds >= 0, or null'
    skip = body.get("skip", [])
    if not isinstance(skip, list) or not all(isinstance(i, int) for i in skip):
        return {}, '"skip" must be a list of Shopify order ids'
    return {"import_after": after, "skip": skip, "now": bool(body.get("import_now"))}, None


def routes(state: SandboxState) -> list[Route]:
    async def store_connection(request: Request) -> Response:
        connection = state.store_connection
        if request.method == "POST":
            body, _ = await read_json(request)
            change, error = _store_connection_change(body)
            if error:
                return json_response({"error": error}, 400)
            if change["import_after"] is not ...:
                connection.import_after = change["import_after"]  # type: ignore[assignment]
            connection.skip.update(change["skip"])  # type: ignore[arg-type]
            if change["now"]:
                connection.import_due(now=True)
        return json_response({**connection.counts(), **connection.records()})

    async def get_faults(request: Request) -> Response:
        return json_response({"switches": state.faults.to_json(),
                              "fired": state.faults.summary()})

    async def set_faults(request: Request) -> Response:
        body, ok = await read_json(request)
        try:
            if not ok:
                raise ValueError("expected a JSON object")
            state.faults.update(body)
        except ValueError as exc:
            return json_response({"error": str(exc)}, 400)
        return json_response({"switches": state.faults.to_json()})

    async def clear_faults(request: Request) -> Response:
        state.faults.clear()
        return json_response({"switches": {}})

    async def plans(request: Request) -> Response:
        query = request.query_params
        wanted, outcome = query.get("tracking_number"), query.get("outcome")
        limit = int(query["limit"]) if query.get("limit", "").isdigit() else 100
        selected = [
            p for n, p in reversed(state.carrier.parcels.items())
            if (wanted is None or n == wanted) and (outcome is None or p.outcome == outcome)
        ]
        return json_response({"total": len(selected),
                              "plans": [p.to_json() for p in selected[:limit]]})

    async def plan(request: Request) -> Response:
        body, ok = await read_json(request)
        if not ok or not isinstance(body, dict) or body.get("outcome") not in OUTCOMES:
            message = f'give "outcome" (one of {", ".join(OUTCOMES)}) and "tracking_number"'
            return json_response({"error": message + ' or "next": true'}, 400)
        if body.get("next"):
            state.carrier.force_next(body["outcome"])
            return json_response({"next": state.carrier.forced_next})
        try:
            parcel = state.carrier.force(str(body.get("tracking_number")), body["outcome"])
        except KeyError:
            return json_response({"error": "unknown tracking_number"}, 404)
        except PlanError as exc:
            return json_response({"error": str(exc)}, 409)
        return json_response(parcel.to_json())

    async def rotate_key(request: Request) -> Response:
        key = state.shipstation_v2.keys.rotate()
        return json_response({"kid": key.kid, "jwks": state.shipstation_v2.keys.jwks()})

    async def shopify_scopes(request: Request) -> Response:
        if request.method == "POST":
            body, _ = await read_json(request)
            try:
                state.shopify.app.scopes = _scopes(body, nullable=False) or []
            except ValueError as exc:
                return json_response({"error": str(exc)}, 400)
        return json_response({"scopes": state.shopify.app.scopes})

    async def klaviyo_scopes(request: Request) -> Response:
        if request.method == "POST":
            body, _ = await read_json(request)
            try:
                state.klaviyo.scopes = _scopes(body, nullable=True)
            except ValueError as exc:
                return json_response({"error": str(exc)}, 400)
        return json_response({"scopes": state.klaviyo.scopes})

    return [
        Route("/shopify/access-scopes", shopify_scopes, methods=["GET", "POST"]),
        Route("/klaviyo/scopes", klaviyo_scopes, methods=["GET", "POST"]),
        Route("/faults", get_faults, methods=["GET"]),
        Route("/faults", set_faults, methods=["POST"]),
        Route("/faults", clear_faults, methods=["DELETE"]),
        Route("/carrier/plans", plans, methods=["GET"]),
        Route("/carrier/plan", plan, methods=["POST"]),
        Route("/shipstation/rotate-key", rotate_key, methods=["POST"]),
        Route("/shipstation/store-connection", store_connection, methods=["GET", "POST"]),
    ]
