"""Helpers for the sandbox tests: fixtures on disk, polling, a webhook receiver, a client."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from shipflow_sandbox import RunningSandbox, ThreadedServer

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures"
API = "/shopify/admin/api/2026-07/graphql.json"

ORDER_QUERY = """
query ($id: ID!) {
  order(id: $id) {
    id name displayFulfillmentStatus tags
    fulfillmentOrders(first: 5) {
      nodes {
        id status requestStatus
        supportedActions { action }
        assignedLocation { location { id } }
        fulfillmentHolds { id reason reasonNotes handle heldByRequestingApp }
        lineItems(first: 10) {
          nodes { id remainingQuantity totalQuantity lineItem { id sku name } }
        }
      }
      pageInfo { hasNextPage endCursor }
    }
    fulfillments(first: 5) { id status trackingInfo { company number url } }
  }
}
"""
FULFILL = """
mutation fulfillmentCreate($fulfillment: FulfillmentInput!, $message: String) {
  fulfillmentCreate(fulfillment: $fulfillment, message: $message) {
    fulfillment { id status trackingInfo { company number url } }
    userErrors { field message }
  }
}
"""
HOLD = """
mutation fulfillmentOrderHold($id: ID!, $fulfillmentHold: FulfillmentOrderHoldInput!) {
  fulfillmentOrderHold(id: $id, fulfillmentHold: $fulfillmentHold) {
    fulfillmentHold { id reason reasonNotes handle }
    fulfillmentOrder { id status }
    remainingFulfillmentOrder { id status }
    userErrors { field message code }
  }
}
"""
RELEASE = """
mutation fulfillmentOrderReleaseHold($id: ID!, $holdIds: [ID!]) {
  fulfillmentOrderReleaseHold(id: $id, holdIds: $holdIds) {
    fulfillmentOrder { id status }
    userErrors { field message code }
  }
}
"""


def fixture_json(relative: str) -> Any:
    return json.loads((FIXTURES / relative).read_text())


def wait_until(predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Records every POST; answers `fail_status` to the first `fail_first` of them."""

    fail_first: int = 0
    fail_status: int = 500
    received: list[Received] = field(default_factory=list)
    server: ThreadedServer | None = None

    def url(self, path: str) -> str:
        assert self.server is not None
        return self.server.url(path)

    def app(self) -> Starlette:
        async def record(request: Request) -> Response:
            self.received.append(
                Received(request.url.path, dict(request.headers), await request.body())
            )
            if self.fail_first > 0:
                self.fail_first -= 1
                return Response(status_code=self.fail_status)
            return Response(status_code=200)

        return Starlette(routes=[Route("/{path:path}", record, methods=["POST"])])


class ShopifyClient:
    def __init__(self, sandbox: RunningSandbox) -> None:
        self.sandbox = sandbox
        self.headers = {"X-Shopify-Access-Token": sandbox.config.shopify_access_token}

    def gql(self, query: str, **variables: Any) -> dict[str, Any]:
        response = httpx.post(
            self.sandbox.url(API),
            json={"query": query, "variables": variables},
            headers=self.headers,
        )
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    def place_orders(self, count: int = 1) -> list[dict[str, Any]]:
        response = httpx.post(self.sandbox.url("/_sandbox/shopify/orders"), json={"count": count})
        assert response.status_code == 201
        return response.json()["orders"]  # type: ignore[no-any-return]
