"""The real error shapes the fault switches answer with, per provider API.

- Shopify GraphQL: 5xx = HTTP 500 with `INTERNAL_SERVER_ERROR` and a request id (the wording
  developers report; not in shopify.md, assumption); 429 = HTTP 429 + `Retry-After` (the REST
  limiter's header, shopify.md §5.2) with the THROTTLED error document (§5.1 says clients must
  handle both a 200 and a 429 carrying it).
- ShipStation v1: 5xx = HTTP 500 with the ASP.NET exception body (shipstation.md §1.3) of a
  server-side failure, not a validation error: a database timeout (`SqlException`; the exact
  text of ShipStation's own failures is not published, assumption). Validation errors are
  `System.Exception` (§1.3) and a client must not retry them, so a fault must not look like one;
  429 =
  `{"message": "Too Many Requests"}` + `X-Rate-Limit-Limit/Remaining/Reset` (§1.2).
- ShipStation v2: the `{request_id, errors[]}` envelope (§2.2): 500 `system`/`unspecified`,
  429 `rate_limit_exceeded` + `Retry-After`.
- Klaviyo: JSON:API error documents (klaviyo.md §2a, §4): 500, and 429 `throttled` +
  `Retry-After`.
"""

from __future__ import annotations

import math
import uuid
from typing import TYPE_CHECKING

from starlette.responses import Response

from shipflow_sandbox.klaviyo.errors import KlaviyoError
from shipflow_sandbox.routing import json_response
from shipflow_sandbox.shipstation.api import exception_body
from shipflow_sandbox.shipstation_v2.errors import V2Error

if TYPE_CHECKING:
    from shipflow_sandbox.state import SandboxState

SHOPIFY_DOCS = "https://shopify.dev/api/usage/rate-limits"
FORCED_RETRY_AFTER = 2


def fault_response(state: SandboxState, api: str, kind: str) -> Response:
    """The provider's real 5xx (`kind == "5xx"`) or 429 (`"429"`) response."""
    if api == "shopify":
        return _shopify(kind)
    if api == "shipstation_v1":
        return _shipstation_v1(state, kind)
    if api == "shipstation_v2":
        if kind == "429":
            retry = math.ceil(state.shipstation_v2.window.peek().reset_real_seconds) or 1
            return V2Error.rate_limited(max(1, retry)).response()
        return V2Error.system().response()
    return _klaviyo(kind)


def _shopify(kind: str) -> Response:
    request_id = str(uuid.uuid4())
    if kind == "429":
        body = {
            "errors": [
                {
                    "message": "Throttled",
                    "extensions": {"code": "THROTTLED", "documentation": SHOPIFY_DOCS},
                }
            ]
        }
        headers = {"Retry-After": f"{FORCED_RETRY_AFTER:.1f}", "X-Request-Id": request_id}
        return json_response(body, 429, headers)
    message = (
        "Internal error. Looks like something went wrong on our end.\n"
        f"Request ID: {request_id} (include this in support requests)."
    )
    body = {
        "errors": [
            {
                "message": message,
                "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
            }
        ]
    }
    return json_response(body, 500, {"X-Request-Id": request_id})


def _shipstation_v1(state: SandboxState, kind: str) -> Response:
    window = state.shipstation.window
    status = window.peek()
    headers = {
        "X-Rate-Limit-Limit": str(window.limit),
        "X-Rate-Limit-Remaining": "0" if kind == "429" else str(status.remaining),
        "X-Rate-Limit-Reset": str(max(1, math.ceil(status.reset_real_seconds))),
    }
    if kind == "429":
        return json_response({"message": "Too Many Requests"}, 429, headers)
    body = exception_body(
        "Execution Timeout Expired.  The timeout period elapsed prior to completion of the "
        "operation or the server is not responding.",
        "System.Data.SqlClient.SqlException",
    )
    return json_response(body, 500, headers)


def _klaviyo(kind: str) -> Response:
    if kind == "429":
        wait = FORCED_RETRY_AFTER
        return KlaviyoError(
            429,
            "throttled",
            f"Request was throttled. Expected available in {wait} seconds.",
            pointer="/data",
            headers={"Retry-After": str(wait)},
        ).response()
    return KlaviyoError(500, "error", "A server error occurred.").response()
