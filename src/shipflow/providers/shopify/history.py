"""Reading past orders for the audit: `orders(query: "created_at:>=…")`, paged, with each
order's fulfillments (when, and with what tracking) and its fulfillment orders' holds.

Cost (shopify.md §5.1): an order costs 1, its `fulfillments(first: 5)` list 5 x (1 + 2
tracking entries), its `fulfillmentOrders(first: 3)` connection 2 + 3 x (1 + holds): 24 points,
so a page of 25 orders requests about 600, under the 1,000-point cap (the sandbox prices
documents as Shopify does; the audit test runs this query against it). Orders rarely have more
than a few parcels or locations; a full list is logged, since anything beyond it is unread.

When tracking reached Shopify: a fulfillment does not date its tracking. `updatedAt` is when it
last changed, which is its creation when it was created with the tracking number, and the
tracking update when the number was added later (fulfillmentTrackingInfoUpdate); the audit
takes `updatedAt` for a fulfillment whose tracking it measures (assumption: nothing else
changes a fulfillment of a past order in the window; a later change makes the figure longer).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from shipflow.providers.fields import Fields
from shipflow.providers.shopify.graphql import Operation
from shipflow.providers.shopify.models import FulfillmentTracking

log = logging.getLogger("shipflow.providers.shopify")

ORDERS_PAGE = 25
FULFILLMENTS_PER_ORDER = 5
TRACKING_PER_FULFILLMENT = 2
FULFILLMENT_ORDERS_PER_ORDER = 3

ORDERS_HISTORY = Operation(
    "ordersHistory",
    f"""
query ordersHistory($query: String!, $after: String) {{
  orders(first: {ORDERS_PAGE}, after: $after, query: $query, sortKey: CREATED_AT) {{
    pageInfo {{ hasNextPage endCursor }}
    nodes {{
      id
      legacyResourceId
      name
      createdAt
      cancelledAt
      displayFulfillmentStatus
      fulfillments(first: {FULFILLMENTS_PER_ORDER}) {{
        id
        status
        createdAt
        updatedAt
        trackingInfo(first: {TRACKING_PER_FULFILLMENT}) {{ company number url }}
      }}
      fulfillmentOrders(first: {FULFILLMENT_ORDERS_PER_ORDER}) {{
        nodes {{ id status updatedAt fulfillmentHolds {{ reason }} }}
      }}
    }}
  }}
}}
""".strip(),
    estimated_cost=602.0,  # the requested cost (a contract test keeps them equal or above)
    idempotent=True,
)


@dataclass(frozen=True, slots=True)
class PastFulfillment:
    id: str
    status: str  # SUCCESS, CANCELLED...
    created_at: datetime
    updated_at: datetime
    tracking: tuple[FulfillmentTracking, ...]

    @property
    def tracking_numbers(self) -> tuple[str, ...]:
        return tuple(t.number for t in self.tracking if t.number)

    @property
    def active(self) -> bool:
        return self.status not in ("CANCELLED", "ERROR", "FAILURE")


@dataclass(frozen=True, slots=True)
class PastHold:
    fulfillment_order_id: str
    reason: str
    since: datetime  # the fulfillment order's updatedAt (when it was put on hold, at the latest)


@dataclass(frozen=True, slots=True)
class PastOrder:
    id: int
    name: str
    created_at: datetime
    cancelled: bool
    fulfillment_status: str
    fulfillments: tuple[PastFulfillment, ...]
    holds: tuple[PastHold, ...]  # holds open now


def orders_query(since: datetime) -> str:
    stamp = since.isoformat(timespec="seconds").replace("+00:00", "Z")
    return f"created_at:>='{stamp}' status:any"


def parse_orders_page(data: Fields) -> tuple[list[PastOrder], str | None]:
    """One page of orders and the cursor of the next (None on the last page)."""
    connection = data.obj("orders")
    info = connection.obj("pageInfo")
    after = info.string("endCursor", required=False) if info.boolean("hasNextPage", False) else None
    orders = [_order(o) for o in connection.objects("nodes")]
    for o in orders:
        if len(o.fulfillments) >= FULFILLMENTS_PER_ORDER:
            log.warning("order %s: %d fulfillments read, later ones are unread", o.id,
                        len(o.fulfillments))
    return orders, after


def _order(o: Fields) -> PastOrder:
    holds = []
    for fo in o.obj("fulfillmentOrders").objects("nodes"):
        for hold in fo.objects("fulfillmentHolds", required=False):
            holds.append(PastHold(fo.req_string("id"), hold.req_string("reason"),
                                  fo.req_timestamp("updatedAt")))
    return PastOrder(
        id=int(o.scalar_str("legacyResourceId") or 0),
        name=o.req_string("name"),
        created_at=o.req_timestamp("createdAt"),
        cancelled=o.timestamp("cancelledAt", required=False) is not None,
        fulfillment_status=o.string("displayFulfillmentStatus", required=False) or "",
        fulfillments=tuple(_fulfillment(f) for f in o.objects("fulfillments", required=False)),
        holds=tuple(holds),
    )


def _fulfillment(f: Fields) -> PastFulfillment:
    return PastFulfillment(
        id=f.req_string("id"),
        status=f.req_string("status").upper(),
        created_at=f.req_timestamp("createdAt"),
        updated_at=f.req_timestamp("updatedAt"),
        tracking=tuple(
            FulfillmentTracking(
                number=t.string("number", required=False, empty_is_none=True),
                company=t.string("company", required=False, empty_is_none=True),
                url=t.string("url", required=False, empty_is_none=True))
            for t in f.objects("trackingInfo", required=False)),
    )
