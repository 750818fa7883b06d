"""`POST /shopify/admin/api/{version}/graphql.json`: auth, versions, cost limits, execution.

Order of checks: API version (404 when unknown), `X-Shopify-Access-Token` (401 with the real
body), request body, GraphQL syntax and validation (top-level `errors` with `locations`), query
cost (MAX_COST_EXCEEDED above 1000), the cost bucket (THROTTLED, HTTP 200, no `data`), then
execution. Every GraphQL response carries `extensions.cost` (shopify.md §5.1).
"""

from __future__ import annotations

import hmac
import re
from datetime import date
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError, execute_sync, parse, validate
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from shipflow_sandbox.routing import counted, json_response, read_json
from shipflow_sandbox.shopify.cost import CostCalculator, CostError, operation_and_fragments
from shipflow_sandbox.shopify.installation import APP_RESOLVERS, guard_scopes
from shipflow_sandbox.shopify.inventory_resolvers import INVENTORY_RESOLVERS
from shipflow_sandbox.shopify.order_resolvers import ORDER_RESOLVERS
from shipflow_sandbox.shopify.resolvers import ShopContext, bind
from shipflow_sandbox.shopify.schema import base_schema

if TYPE_CHECKING:
    from shipflow_sandbox.state import SandboxState

MAX_QUERY_COST = 1000
DOCS = "https://shopify.dev/api/usage/rate-limits"
UNAUTHORIZED = {
    "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
}
_VERSION = re.compile(r"^(\d{4})-(01|04|07|10)$")
_UNDEFINED_FIELD = re.compile(r"^Cannot query field '(\w+)' on type '(\w+)'\.")


def resolve_version(version: str, today: date) -> str | None:
    """The version that serves a request, or None for 404 (shopify.md §7).

    Supported: the four quarterly releases of the last 12 months, the next release candidate
    and `unstable`; an older well-formed version falls forward to the oldest supported one.
    """
    if version == "unstable":
        return version
    match = _VERSION.match(version)
    if not match:
        return None
    latest = today.year * 4 + (today.month - 1) // 3
    asked = int(match[1]) * 4 + (int(match[2]) - 1) // 3
    if asked > latest + 1:
        return None
    oldest = latest - 3
    chosen = max(asked, oldest)
    return f"{chosen // 4}-{(chosen % 4) * 3 + 1:02d}"


def _format_error(error: GraphQLError) -> dict[str, Any]:
    formatted = dict(error.formatted)
    match = _UNDEFINED_FIELD.match(error.message)
    if match:
        field, type_name = match.groups()
        formatted["message"] = f"Field '{field}' doesn't exist on type '{type_name}'"
        formatted["extensions"] = {
            "code": "undefinedField",
            "typeName": type_name,
            "fieldName": field,
        }
    return formatted


def routes(state: SandboxState) -> list[Route]:
    schema = bind(base_schema(), INVENTORY_RESOLVERS, ORDER_RESOLVERS, APP_RESOLVERS)
    guard_scopes(schema)

    def cost_extension(token: str, requested: int, actual: int | None) -> dict[str, Any]:
        bucket = state.shopify.bucket(token)
        available = bucket.available if state.config.enforce_rate_limits else bucket.size
        return {
            "cost": {
                "requestedQueryCost": requested,
                "actualQueryCost": actual,
                "throttleStatus": {
                    "maximumAvailable": float(bucket.size),
                    "currentlyAvailable": int(available),
                    "restoreRate": float(state.clock.per_real_second(bucket.restore_rate)),
                },
            }
        }

    async def graphql_endpoint(request: Request) -> Response:
        version = resolve_version(request.path_params["version"], state.clock.wall().date())
        if version is None:
            return json_response({"errors": "Not Found"}, 404)
        headers = {"X-Shopify-API-Version": version}
        token = request.headers.get("x-shopify-access-token", "")
        if not hmac.compare_digest(token.encode(), state.config.shopify_access_token.encode()):
            return json_response(UNAUTHORIZED, 401, headers)
        if request.headers.get("content-type", "").startswith("application/graphql"):
            body: Any = {"query": (await request.body()).decode("utf-8", "replace")}
        else:
            body, ok = await read_json(request)
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            missing = {"errors": {"query": "Required parameter missing or invalid"}}
            return json_response(missing, 400, headers)
        variables = body.get("variables") if isinstance(body.get("variables"), dict) else {}
        try:
            document = parse(body["query"])
        except GraphQLError as exc:
            syntax = {"errors": [_format_error(exc)], "extensions": cost_extension(token, 0, 0)}
            return json_response(syntax, headers=headers)
        errors: list[GraphQLError] = list(validate(schema, document))
        name = body.get("operationName")
        operation, fragments = operation_and_fragments(document, name)
        if not errors and operation is None:
            message = (
                f"Unknown operation named '{name}'."
                if name
                else "Must provide operation name if query contains multiple operations."
            )
            errors = [GraphQLError(message)]
        if errors:
            invalid = {
                "errors": [_format_error(e) for e in errors],
                "extensions": cost_extension(token, 0, 0),
            }
            return json_response(invalid, headers=headers)
        assert operation is not None
        # Count each root field too ("shopify graphql mutation fulfillmentCreate"), so tests can
        # see how many times an operation was *sent*, not just how many POSTs there were.
        for selection in operation.selection_set.selections:
            field_name = getattr(getattr(selection, "name", None), "value", None)
            if field_name:
                state.requests[f"shopify graphql {operation.operation.value} {field_name}"] += 1
        calculator = CostCalculator(schema, operation, fragments, variables)
        try:
            requested = calculator.requested()
        except CostError as exc:
            refused = {"errors": [exc.to_json()], "extensions": cost_extension(token, 0, 0)}
            return json_response(refused, headers=headers)
        if requested > MAX_QUERY_COST:
            return json_response(
                _max_cost(requested, cost_extension(token, requested, None)), headers=headers
            )
        bucket = state.shopify.bucket(token)
        if state.config.enforce_rate_limits and not bucket.try_take(requested):
            throttled = {
                "errors": [
                    {
                        "message": "Throttled",
                        "extensions": {"code": "THROTTLED", "documentation": DOCS},
                    }
                ],
                "extensions": cost_extension(token, requested, None),
            }
            return json_response(throttled, headers=headers)
        context = ShopContext(state.shopify.store, state.shopify.ops, state.shopify.inventory,
                              state.shopify.app)
        result = execute_sync(
            schema,
            document,
            variable_values=variables,
            operation_name=name,
            context_value=context,
        )
        actual = min(requested, calculator.actual(result.data))
        if state.config.enforce_rate_limits:
            bucket.refund(requested - actual)
        payload: dict[str, Any] = {}
        if result.errors:
            payload["errors"] = [_format_error(e) for e in result.errors]
        payload["data"] = result.data
        payload["extensions"] = cost_extension(token, requested, actual)
        return json_response(payload, headers=headers)

    path = "/admin/api/{version}/graphql.json"
    return [
        counted(
            state.requests,
            "shopify",
            path,
            graphql_endpoint,
            ["POST"],
            state.latency,
            state.fault_gate("shopify"),
        )
    ]


def _max_cost(cost: int, extensions: dict[str, Any]) -> dict[str, Any]:
    message = (
        f"Query cost is {cost}, which exceeds the single query max cost limit "
        f"({MAX_QUERY_COST}).\n\nSee https://shopify.dev/concepts/about-apis/rate-limits for "
        "more information on how the\ncost of a query is calculated.\n\nTo query larger amounts "
        "of data with fewer limits, bulk operations should be used instead.\nSee "
        "https://shopify.dev/api/usage/bulk-operations/queries for usage details.\n"
    )
    return {
        "errors": [
            {
                "message": message,
                "extensions": {
                    "code": "MAX_COST_EXCEEDED",
                    "cost": cost,
                    "maxCost": MAX_QUERY_COST,
                    "documentation": DOCS,
                },
            }
        ],
        "extensions": extensions,
    }
