"""Admin GraphQL documents, their variables and their response parsers (pure, no I/O).

Field and argument names are exactly those of shopify.md §4 (the current, non-deprecated
mutations: `fulfillmentCreate`, `fulfillmentTrackingInfoUpdate`, `fulfillmentOrderHold`,
`fulfillmentOrderReleaseHold`, `tagsAdd`). Each `Operation` carries an estimated cost, used for
the first call before Shopify has told us the real `requestedQueryCost`, and whether it is safe
to send twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from shipflow.domain.shipment import TrackingInfo
from shipflow.providers.errors import (
    AuthenticationError,
    ErrorDetail,
    NotFound,
    ProviderError,
    RateLimited,
    RejectedRequest,
    TransientError,
    UnexpectedResponse,
    UserError,
    UserErrors,
)
from shipflow.providers.fields import Fields
from shipflow.providers.shopify.models import (
    Fulfillment,
    FulfillmentHold,
    FulfillmentOrder,
    FulfillmentOrderLineItem,
    FulfillmentOrderRef,
    FulfillmentTracking,
    HoldReason,
    HoldResult,
    LineItemQuantity,
    QueryCost,
    ThrottleStatus,
    gid,
)

MAX_INPUT_ITEMS = 250  # "Input arrays hold at most 250 items" (shopify.md §5.1)
MAX_QUERY_COST = 1000  # "Maximum cost of one query: 1000 points on every plan" (§5.1)
# The §4.1 query asks for 10 fulfillment orders of 50 lines: 1 + 2 + 10 * (5 + 2 + 50 * 2) =
# 1073 points requested, over the cap. 5 x 50 requests 538 (the actual cost, charged after
# the refund, follows the real sizes); an order rarely has more than one or two locations.
FULFILLMENT_ORDERS_PAGE = 5
# A captured fulfillmentCreate response requested 23 points (shopify.md §4.2); until Shopify
# reports a mutation's own cost, assume a little more.
MUTATION_ESTIMATE = 25.0
LINE_ITEMS_PAGE = 50


@dataclass(frozen=True, slots=True)
class Operation:
    name: str
    document: str
    estimated_cost: float
    idempotent: bool


FULFILLMENT_ORDERS = Operation(
    "fulfillmentOrders",
    f"""
query fulfillmentOrders($id: ID!) {{
  order(id: $id) {{
    id
    fulfillmentOrders(first: {FULFILLMENT_ORDERS_PAGE}) {{
      nodes {{
        id
        status
        requestStatus
        supportedActions {{ action }}
        assignedLocation {{ location {{ id }} }}
        fulfillmentHolds {{ id reason reasonNotes handle heldByRequestingApp }}
        lineItems(first: {LINE_ITEMS_PAGE}) {{
          nodes {{ id remainingQuantity totalQuantity lineItem {{ id sku }} }}
        }}
      }}
    }}
  }}
}}
""".strip(),
    estimated_cost=538.0,
    idempotent=True,
)

# Just the ids and statuses: what fulfilling everything that remains needs (fulfillmentCreate
# without line items fulfils all of a fulfillment order). 1 + 2 + 5 = 8 points requested, where
# the full query above requests 538 — and Shopify charges the requested cost up front, so with
# many in flight the full one would throttle at three concurrent calls on a 2,000-point bucket.
OPEN_FULFILLMENT_ORDERS = Operation(
    "fulfillmentOrderStatuses",
    f"""
query fulfillmentOrderStatuses($id: ID!) {{
  order(id: $id) {{
    id
    fulfillmentOrders(first: {FULFILLMENT_ORDERS_PAGE}) {{ nodes {{ id status }} }}
  }}
}}
""".strip(),
    estimated_cost=8.0,
    idempotent=True,
)

ORDER_FULFILLMENTS = Operation(
    "orderFulfillments",
    """
query orderFulfillments($id: ID!) {
  order(id: $id) {
    id
    fulfillments {
      id
      status
      trackingInfo { company number url }
    }
  }
}
""".strip(),
    estimated_cost=10.0,
    idempotent=True,
)

# Not idempotent: a repeat creates a second fulfillment. The engine looks first
# (`order_fulfillments`) when a step is retried.
FULFILLMENT_CREATE = Operation(
    "fulfillmentCreate",
    """
mutation fulfillmentCreate($fulfillment: FulfillmentInput!, $message: String) {
  fulfillmentCreate(fulfillment: $fulfillment, message: $message) {
    fulfillment { id status trackingInfo { company number url } }
    userErrors { field message }
  }
}
""".strip(),
    estimated_cost=MUTATION_ESTIMATE,
    idempotent=False,
)

# Setting the same tracking twice is harmless, unless it also emails the customer.
FULFILLMENT_TRACKING_INFO_UPDATE = Operation(
    "fulfillmentTrackingInfoUpdate",
    """
mutation fulfillmentTrackingInfoUpdate($fulfillmentId: ID!, $trackingInfoInput: FulfillmentTrackingInput!, $notifyCustomer: Boolean) {
  fulfillmentTrackingInfoUpdate(fulfillmentId: $fulfillmentId, trackingInfoInput: $trackingInfoInput, notifyCustomer: $notifyCustomer) {
    fulfillment { id status trackingInfo { company number url } }
    userErrors { field message }
  }
}
""".strip(),  # noqa: E501
    estimated_cost=MUTATION_ESTIMATE,
    idempotent=True,
)

# Safe to repeat only with a `handle` (unique per app per fulfillment order, shopify.md §4.5):
# without one a repeat stacks a second hold.
FULFILLMENT_ORDER_HOLD = Operation(
    "fulfillmentOrderHold",
    """
mutation fulfillmentOrderHold($id: ID!, $fulfillmentHold: FulfillmentOrderHoldInput!) {
  fulfillmentOrderHold(id: $id, fulfillmentHold: $fulfillmentHold) {
    fulfillmentHold { id reason reasonNotes handle }
    fulfillmentOrder { id status }
    remainingFulfillmentOrder { id status }
    userErrors { field message code }
  }
}
""".strip(),
    estimated_cost=MUTATION_ESTIMATE,
    idempotent=False,
)

FULFILLMENT_ORDER_RELEASE_HOLD = Operation(
    "fulfillmentOrderReleaseHold",
    """
mutation fulfillmentOrderReleaseHold($id: ID!, $holdIds: [ID!], $externalId: String) {
  fulfillmentOrderReleaseHold(id: $id, holdIds: $holdIds, externalId: $externalId) {
    fulfillmentOrder { id status }
    userErrors { field message code }
  }
}
""".strip(),
    estimated_cost=MUTATION_ESTIMATE,
    idempotent=True,
)

TAGS_ADD = Operation(
    "tagsAdd",
    """
mutation tagsAdd($id: ID!, $tags: [String!]!) {
  tagsAdd(id: $id, tags: $tags) { node { id } userErrors { field message } }
}
""".strip(),
    estimated_cost=MUTATION_ESTIMATE,
    idempotent=True,  # tagsAdd appends and is idempotent (shopify.md §4.6)
)

OPERATIONS = (
    FULFILLMENT_ORDERS,
    OPEN_FULFILLMENT_ORDERS,
    ORDER_FULFILLMENTS,
    FULFILLMENT_CREATE,
    FULFILLMENT_TRACKING_INFO_UPDATE,
    FULFILLMENT_ORDER_HOLD,
    FULFILLMENT_ORDER_RELEASE_HOLD,
    TAGS_ADD,
)


def request_body(operation: Operation, variables: Mapping[str, Any]) -> dict[str, Any]:
    return {"query": operation.document, "operationName": operation.name,
            "variables": dict(variables)}


# -- variables ---------------------------------------------------------------------------------
def tracking_input(tracking: TrackingInfo) -> dict[str, Any]:
    """`FulfillmentTrackingInput`: the display company name Shopify recognises ("UPS", "USPS")
    and our tracking URL, so the customer's order page links to the carrier."""
    if not tracking.number:
        raise ValueError("tracking number is empty")
    body: dict[str, Any] = {"number": tracking.number}
    if tracking.company:
        body["company"] = tracking.company
    if tracking.url:
        body["url"] = tracking.url
    return body


def _line_items_input(items: Sequence[LineItemQuantity | tuple[str, int]], where: str
                      ) -> list[dict[str, Any]]:
    """`[{id, quantity}]` from `LineItemQuantity`s or `(fulfillment order line item id,
    quantity)` pairs; numeric ids become `FulfillmentOrderLineItem` GIDs."""
    if len(items) > MAX_INPUT_ITEMS:
        raise ValueError(f"{where}: at most {MAX_INPUT_ITEMS} line items per call")
    out = []
    for item in items:
        ident, quantity = (item.id, item.quantity) if isinstance(item, LineItemQuantity) \
            else item
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
            raise ValueError(f"{where}: quantity for {ident} must be a positive integer")
        out.append({"id": gid("FulfillmentOrderLineItem", ident), "quantity": quantity})
    return out


def fulfillment_create_variables(
    fulfillment_order_ids: Sequence[str],
    tracking: TrackingInfo,
    *,
    line_items: Mapping[str, Sequence[LineItemQuantity | tuple[str, int]]] | None = None,
    notify_customer: bool = False,
    message: str | None = None,
) -> dict[str, Any]:
    """Variables for `fulfillmentCreate`. A fulfillment order without an entry in `line_items`
    is fulfilled in full ("If the fulfillment order line items are left blank then all … will
    be fulfilled", shopify.md §4.2). All ids must belong to one order and one location."""
    ids = list(dict.fromkeys(fulfillment_order_ids))
    if not ids:
        raise ValueError("fulfillmentCreate needs at least one fulfillment order id")
    if len(ids) > MAX_INPUT_ITEMS:
        raise ValueError(f"at most {MAX_INPUT_ITEMS} fulfillment orders per fulfillment")
    chosen = dict(line_items or {})
    unknown = set(chosen) - set(ids)
    if unknown:
        raise ValueError(f"line_items name fulfillment orders not in this call: {sorted(unknown)}")
    groups: list[dict[str, Any]] = []
    for fo_id in ids:
        group: dict[str, Any] = {"fulfillmentOrderId": fo_id}
        if fo_id in chosen:
            group["fulfillmentOrderLineItems"] = _line_items_input(chosen[fo_id], fo_id)
        groups.append(group)
    variables: dict[str, Any] = {
        "fulfillment": {
            "lineItemsByFulfillmentOrder": groups,
            "trackingInfo": tracking_input(tracking),
            "notifyCustomer": notify_customer,
        }
    }
    if message:
        variables["message"] = message
    return variables


def tracking_update_variables(
    fulfillment_id: str, tracking: TrackingInfo, *, notify_customer: bool = False
) -> dict[str, Any]:
    return {
        "fulfillmentId": fulfillment_id,
        "trackingInfoInput": tracking_input(tracking),
        "notifyCustomer": notify_customer,
    }


def hold_variables(
    fulfillment_order_id: str,
    reason: HoldReason | str,
    *,
    reason_notes: str | None = None,
    handle: str | None = None,
    notify_merchant: bool = False,
    line_items: Sequence[LineItemQuantity | tuple[str, int]] | None = None,
    external_id: str | None = None,
) -> dict[str, Any]:
    hold: dict[str, Any] = {"reason": HoldReason(reason).value, "notifyMerchant": notify_merchant}
    if reason_notes:
        hold["reasonNotes"] = reason_notes
    if handle:
        hold["handle"] = handle
    if external_id:
        hold["externalId"] = external_id
    if line_items:
        hold["fulfillmentOrderLineItems"] = _line_items_input(line_items, fulfillment_order_id)
    return {"id": fulfillment_order_id, "fulfillmentHold": hold}


def release_hold_variables(
    fulfillment_order_id: str,
    hold_ids: Sequence[str] | None = None,
    external_id: str | None = None,
) -> dict[str, Any]:
    variables: dict[str, Any] = {"id": fulfillment_order_id}
    if hold_ids:
        variables["holdIds"] = list(hold_ids)
    if external_id:
        variables["externalId"] = external_id
    return variables


def tags_add_variables(gid: str, tags: Sequence[str]) -> dict[str, Any]:
    cleaned = [t.strip() for t in tags if t and t.strip()]
    if not cleaned:
        raise ValueError("tagsAdd needs at least one non-empty tag")
    if any("," in t for t in cleaned):
        raise ValueError("a Shopify tag cannot contain a comma")
    if len(cleaned) > MAX_INPUT_ITEMS:
        raise ValueError(f"at most {MAX_INPUT_ITEMS} tags per call")
    return {"id": gid, "tags": list(dict.fromkeys(cleaned))}


# -- the response envelope ---------------------------------------------------------------------
def parse_cost(body: Any) -> QueryCost | None:
    """`extensions.cost`, present on every Admin GraphQL response (shopify.md §5.1)."""
    if not isinstance(body, dict):
        return None
    cost = (body.get("extensions") or {}).get("cost") if isinstance(
        body.get("extensions"), dict) else None
    if not isinstance(cost, dict):
        return None
    status = cost.get("throttleStatus")
    throttle = None
    if isinstance(status, dict):
        try:
            throttle = ThrottleStatus(
                maximum_available=float(status["maximumAvailable"]),
                currently_available=float(status["currentlyAvailable"]),
                restore_rate=float(status["restoreRate"]),
            )
        except (KeyError, TypeError, ValueError):
            throttle = None
    return QueryCost(_float(cost.get("requestedQueryCost")), _float(cost.get("actualQueryCost")),
                     throttle)


def _float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def throttle_wait(cost: QueryCost | None) -> float | None:
    """Seconds until the bucket holds the requested cost: (requested - available) / restoreRate."""
    if cost is None or cost.throttle is None or cost.requested is None:
        return None
    status = cost.throttle
    if status.restore_rate <= 0:
        return None
    needed = min(cost.requested, status.maximum_available) - status.currently_available
    return max(0.0, needed / status.restore_rate)


def top_level_error(body: Any, status_code: int, request_id: str | None) -> ProviderError | None:
    """The error for a top-level `errors` member (schema, auth, throttle, server), if any.

    `errors` is a list of `{message, locations, path, extensions:{code}}`, or for HTTP-level
    refusals a bare string ("[API] Invalid API key or access token …").
    """
    if not isinstance(body, dict) or not body.get("errors"):
        return None
    raw = body["errors"]
    entries = raw if isinstance(raw, list) else [{"message": str(raw)}]
    messages: list[str] = []
    codes: list[str] = []
    details: list[ErrorDetail] = []
    for entry in entries:
        if not isinstance(entry, dict):
            messages.append(str(entry))
            continue
        message = str(entry.get("message") or "error")
        raw_extensions = entry.get("extensions")
        extensions: dict[str, Any] = raw_extensions if isinstance(raw_extensions, dict) else {}
        code = extensions.get("code") if isinstance(extensions.get("code"), str) else None
        path = entry.get("path")
        pointer = ".".join(str(p) for p in path) if isinstance(path, list) and path else None
        messages.append(message)
        if code:
            codes.append(code)
        details.append(ErrorDetail(message, pointer, code))
    text = "; ".join(messages)
    code = codes[0] if codes else None
    common: dict[str, Any] = {"provider": "shopify", "status_code": status_code, "code": code,
                              "request_id": request_id}
    if "THROTTLED" in codes:
        return RateLimited(text, retry_after=throttle_wait(parse_cost(body)), **common)
    if status_code in (401, 403) or "ACCESS_DENIED" in codes or "UNAUTHORIZED" in codes:
        return AuthenticationError(text, **common)
    if status_code == 404:
        return NotFound(text, **common)
    if status_code >= 500 or "INTERNAL_SERVER_ERROR" in codes:
        return TransientError(text, **common)
    return RejectedRequest(text, details=tuple(details), **common)


def data_of(body: Any) -> Fields:
    """`data` of a successful response, for the parsers below."""
    root = Fields(body, "", UnexpectedResponse)
    return root.obj("data")


def _user_errors(payload: Fields, operation: str) -> None:
    errors = []
    for entry in payload.objects("userErrors", required=False):
        field = entry.array("field", required=False)
        errors.append(UserError(
            field=tuple(str(part) for part in field),
            message=entry.string("message", required=False) or "error",
            code=entry.string("code", required=False),
        ))
    if errors:
        raise UserErrors(operation, tuple(errors))


def _order(data: Fields, order_gid: str) -> Fields:
    order = data.optional_obj("order")
    if order is None:
        raise NotFound(f"{order_gid} not found", provider="shopify")
    return order


# -- parsers -----------------------------------------------------------------------------------
def parse_fulfillment_orders(data: Fields, order_gid: str) -> list[FulfillmentOrder]:
    connection = _order(data, order_gid).obj("fulfillmentOrders")
    return [_fulfillment_order(node) for node in connection.objects("nodes")]


def _fulfillment_order(f: Fields) -> FulfillmentOrder:
    location = f.optional_obj("assignedLocation")
    place = location.optional_obj("location") if location else None
    lines = f.optional_obj("lineItems")
    return FulfillmentOrder(
        id=f.req_string("id"),
        status=f.req_string("status").upper(),
        request_status=f.string("requestStatus", required=False),
        supported_actions=tuple(
            a.req_string("action") for a in f.objects("supportedActions", required=False)
        ),
        location_id=place.string("id", required=False) if place else None,
        holds=tuple(_hold(h) for h in f.objects("fulfillmentHolds", required=False)),
        line_items=tuple(_fo_line_item(li) for li in lines.objects("nodes")) if lines else (),
    )


def _fo_line_item(f: Fields) -> FulfillmentOrderLineItem:
    line = f.optional_obj("lineItem")
    return FulfillmentOrderLineItem(
        id=f.req_string("id"),
        remaining_quantity=f.req_integer("remainingQuantity"),
        total_quantity=f.req_integer("totalQuantity"),
        line_item_id=line.string("id", required=False) if line else None,
        sku=line.string("sku", required=False, empty_is_none=True) if line else None,
    )


def _hold(f: Fields) -> FulfillmentHold:
    value = f.data.get("heldByRequestingApp")
    held = value if isinstance(value, bool) else None
    return FulfillmentHold(
        id=f.req_string("id"),
        reason=f.req_string("reason").upper(),
        reason_notes=f.string("reasonNotes", required=False, empty_is_none=True),
        handle=f.string("handle", required=False, empty_is_none=True),
        held_by_requesting_app=held,
    )


def parse_order_fulfillments(data: Fields, order_gid: str) -> list[Fulfillment]:
    order = _order(data, order_gid)
    return [_fulfillment(f) for f in order.objects("fulfillments", required=False)]


def _fulfillment(f: Fields) -> Fulfillment:
    raw = f.data.get("trackingInfo")
    # `trackingInfo` is a list on Fulfillment; tolerate a single object too.
    entries = [Fields(raw, f.at("trackingInfo"), f.error)] if isinstance(raw, dict) else list(
        f.objects("trackingInfo", required=False))
    return Fulfillment(
        id=f.req_string("id"),
        status=f.req_string("status").upper(),
        tracking=tuple(
            FulfillmentTracking(
                number=t.string("number", required=False, empty_is_none=True),
                company=t.string("company", required=False, empty_is_none=True),
                url=t.string("url", required=False, empty_is_none=True),
            )
            for t in entries
        ),
    )


def parse_fulfillment_payload(data: Fields, operation: Operation) -> Fulfillment:
    """`fulfillmentCreate` / `fulfillmentTrackingInfoUpdate` payload: userErrors or fulfillment."""
    payload = data.obj(operation.name)
    _user_errors(payload, operation.name)
    fulfillment = payload.optional_obj("fulfillment")
    if fulfillment is None:
        raise UnexpectedResponse(f"{operation.name}: no fulfillment and no userErrors",
                                 provider="shopify")
    return _fulfillment(fulfillment)


def _ref(f: Fields | None) -> FulfillmentOrderRef | None:
    if f is None:
        return None
    return FulfillmentOrderRef(f.req_string("id"), f.string("status", required=False))


def parse_hold(data: Fields) -> HoldResult:
    payload = data.obj(FULFILLMENT_ORDER_HOLD.name)
    _user_errors(payload, FULFILLMENT_ORDER_HOLD.name)
    hold = payload.optional_obj("fulfillmentHold")
    return HoldResult(
        hold=_hold(hold) if hold else None,
        fulfillment_order=_ref(payload.optional_obj("fulfillmentOrder")),
        remaining_fulfillment_order=_ref(payload.optional_obj("remainingFulfillmentOrder")),
    )


def parse_release_hold(data: Fields) -> FulfillmentOrderRef:
    payload = data.obj(FULFILLMENT_ORDER_RELEASE_HOLD.name)
    _user_errors(payload, FULFILLMENT_ORDER_RELEASE_HOLD.name)
    ref = _ref(payload.optional_obj("fulfillmentOrder"))
    if ref is None:
        raise UnexpectedResponse("fulfillmentOrderReleaseHold: no fulfillmentOrder",
                                 provider="shopify")
    return ref


def parse_tags_add(data: Fields) -> None:
    payload = data.obj(TAGS_ADD.name)
    _user_errors(payload, TAGS_ADD.name)
