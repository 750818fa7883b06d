"""GraphQL resolvers for the Admin subset, reading and writing the shop through the context.

The schema object is shared, so resolvers are stateless: `info.context` is a `ShopContext`
carrying the store and the operations of the running sandbox. `node`/`nodes` serve orders,
fulfillment orders, fulfillments and products; another kind of GID resolves to null (the
sandbox has no such objects). `nodes` refuses more than 250 ids, Shopify's input-array cap
(shopify.md §5.1; the error wording and `MAX_INPUT_SIZE_EXCEEDED` code are assumptions).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from graphql import GraphQLError, GraphQLObjectType, GraphQLResolveInfo, GraphQLSchema

from shipflow_sandbox.shopify.ids import gid, parse_gid
from shipflow_sandbox.shopify.inventory import CatalogProduct
from shipflow_sandbox.shopify.operations import ShopifyOperations
from shipflow_sandbox.shopify.store import (
    Fulfillment,
    FulfillmentHold,
    FulfillmentOrder,
    FulfillmentOrderLine,
    ShopifyStore,
    ShopOrder,
)

LOCATION_NAME = "Shipflow Demo Warehouse"
_ACTIONS = {
    "OPEN": ["CREATE_FULFILLMENT", "MOVE", "HOLD", "SPLIT"],
    "IN_PROGRESS": ["CREATE_FULFILLMENT", "HOLD", "SPLIT"],
    "ON_HOLD": ["RELEASE_HOLD", "HOLD", "MOVE"],
}


@dataclass
class ShopContext:
    store: ShopifyStore
    ops: ShopifyOperations
    inventory: Any = None
    app: Any = None  # the AppInstallation: granted scopes and webhook subscriptions


def _store(info: GraphQLResolveInfo) -> ShopifyStore:
    return info.context.store  # type: ignore[no-any-return]


def utc(stamp: str | None) -> str | None:
    """REST timestamps carry the shop offset; GraphQL `DateTime` is UTC with a `Z`."""
    if not stamp:
        return None
    return datetime.fromisoformat(stamp).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _cursor(ident: int) -> str:
    return base64.b64encode(json.dumps({"last_id": ident}).encode()).decode()


def _after(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        return int(json.loads(base64.b64decode(cursor))["last_id"])
    except (ValueError, KeyError, TypeError) as exc:
        raise GraphQLError("Invalid cursor for current pagination sort.") from exc


def connection(items: Sequence[Any], ident: Callable[[Any], int], **args: Any) -> dict[str, Any]:
    """A Relay connection page over `items` (ordered by id) with Shopify's opaque cursors."""
    ordered = sorted(items, key=ident, reverse=bool(args.get("reverse")))
    ids = [ident(item) for item in ordered]
    after, before = _after(args.get("after")), _after(args.get("before"))
    start = ids.index(after) + 1 if after in ids else 0
    end = ids.index(before) if before in ids else len(ordered)
    window = ordered[start:end]
    if args.get("first") is not None:
        page = window[: args["first"]]
    else:
        page = window[max(0, len(window) - (args.get("last") or 0)) :]
    first_index = start + (window.index(page[0]) if page else 0)
    return {
        "edges": [{"cursor": _cursor(ident(item)), "node": item} for item in page],
        "nodes": page,
        "pageInfo": {
            "hasNextPage": first_index + len(page) < len(ordered),
            "hasPreviousPage": first_index > 0,
            "startCursor": _cursor(ident(page[0])) if page else None,
            "endCursor": _cursor(ident(page[-1])) if page else None,
        },
    }


def _lookup(kind: str) -> Callable[..., Any]:
    def resolve(_: Any, info: GraphQLResolveInfo, id: str) -> Any:
        ident = parse_gid(id)
        if ident is None:
            raise GraphQLError(f"Invalid global id '{id}'")
        if parse_gid(id, kind) is None:
            return None
        store = _store(info)
        tables: dict[str, dict[int, Any]] = {
            "Order": store.orders,
            "FulfillmentOrder": store.fulfillment_orders,
            "Fulfillment": store.fulfillments,
        }
        return tables[kind].get(ident)

    return resolve


MAX_INPUT_ITEMS = 250  # "Input arrays hold at most 250 items" (shopify.md §5.1)


def _node(_: Any, info: GraphQLResolveInfo, id: str) -> Any:
    """The node of a GID. Served kinds: Order, FulfillmentOrder, Fulfillment and Product; any
    other well-formed GID resolves to null (assumption: the sandbox has no such objects)."""
    for kind in ("Order", "FulfillmentOrder", "Fulfillment"):
        if parse_gid(id, kind) is not None:
            return _lookup(kind)(_, info, id)
    if parse_gid(id) is None:
        raise GraphQLError(f"Invalid global id '{id}'")
    product_id = parse_gid(id, "Product")
    if product_id is not None and info.context.inventory is not None:
        return info.context.inventory.products.get(product_id)
    return None


def _nodes(_: Any, info: GraphQLResolveInfo, ids: list[str]) -> list[Any]:
    """`nodes(ids:)`: one entry per id, in order, null where nothing has that id."""
    if len(ids) > MAX_INPUT_ITEMS:
        # Assumption: wording and code as Shopify's input-size errors read in public reports.
        raise GraphQLError(
            f"The input array size of {len(ids)} is greater than the maximum allowed of "
            f"{MAX_INPUT_ITEMS}.", extensions={"code": "MAX_INPUT_SIZE_EXCEEDED"})
    return [_node(_, info, each) for each in ids]


def _fo_line_item(line: FulfillmentOrderLine, info: GraphQLResolveInfo) -> dict[str, Any]:
    store = _store(info)
    fo = store.fulfillment_orders[store.fo_line_owner[line.id]]
    return store.orders[fo.order_id].line_item(line.line_item_id)


def _fulfillment_create(
    _: Any, info: GraphQLResolveInfo, fulfillment: dict[str, Any], message: str | None = None
) -> dict[str, Any]:
    made, errors = info.context.ops.fulfillment_create(fulfillment)
    return {"fulfillment": made, "userErrors": errors}


def _tracking_update(
    _: Any,
    info: GraphQLResolveInfo,
    fulfillmentId: str,
    trackingInfoInput: dict[str, Any],
    notifyCustomer: bool | None = None,
) -> dict[str, Any]:
    made, errors = info.context.ops.tracking_update(fulfillmentId, trackingInfoInput)
    return {"fulfillment": made, "userErrors": errors}


def _hold(
    _: Any, info: GraphQLResolveInfo, id: str, fulfillmentHold: dict[str, Any]
) -> dict[str, Any]:
    result = info.context.ops.hold(id, fulfillmentHold)
    return {
        "fulfillmentHold": result.hold,
        "fulfillmentOrder": result.fulfillment_order,
        "remainingFulfillmentOrder": result.remaining,
        "userErrors": result.errors,
    }


def _release(
    _: Any,
    info: GraphQLResolveInfo,
    id: str,
    holdIds: list[str] | None = None,
    externalId: str | None = None,
) -> dict[str, Any]:
    fo, errors = info.context.ops.release(id, holdIds)
    return {"fulfillmentOrder": fo, "userErrors": errors}


def _tags_add(_: Any, info: GraphQLResolveInfo, id: str, tags: list[str]) -> dict[str, Any]:
    order, errors = info.context.ops.tags_add(id, tags)
    return {"node": order, "userErrors": errors}


RESOLVERS: dict[str, dict[str, Callable[..., Any]]] = {
    "Query": {
        "order": _lookup("Order"),
        "fulfillmentOrder": _lookup("FulfillmentOrder"),
        "fulfillment": _lookup("Fulfillment"),
        "node": _node,
        "nodes": _nodes,
    },
    "Mutation": {
        "fulfillmentCreate": _fulfillment_create,
        "fulfillmentTrackingInfoUpdate": _tracking_update,
        "fulfillmentOrderHold": _hold,
        "fulfillmentOrderReleaseHold": _release,
        "tagsAdd": _tags_add,
    },
    "Order": {
        "id": lambda o, i: o.gid,
        "legacyResourceId": lambda o, i: str(o.id),
        "name": lambda o, i: o.rest.get("name"),
        "email": lambda o, i: o.rest.get("email"),
        "createdAt": lambda o, i: utc(o.rest.get("created_at")),
        "updatedAt": lambda o, i: utc(o.rest.get("updated_at")),
        "cancelledAt": lambda o, i: utc(o.rest.get("cancelled_at")),
        "closed": lambda o, i: o.rest.get("closed_at") is not None,
        "note": lambda o, i: o.rest.get("note"),
        "tags": lambda o, i: o.tags,
        "displayFinancialStatus": lambda o, i: (
            (o.rest.get("financial_status") or "").upper() or None
        ),
        "displayFulfillmentStatus": lambda o, i: _store(i).display_fulfillment_status(o),
        "fulfillmentOrders": lambda o, i, **a: connection(
            _store(i).order_fulfillment_orders(o), lambda fo: fo.id, **a
        ),
        "fulfillments": lambda o, i, first=None: _store(i).order_fulfillments(o)[:first],
    },
    "FulfillmentOrder": {
        "id": lambda fo, i: fo.gid,
        "createdAt": lambda fo, i: utc(fo.created_at),
        "updatedAt": lambda fo, i: utc(fo.updated_at),
        "orderId": lambda fo, i: gid("Order", fo.order_id),
        "orderName": lambda fo, i: _store(i).orders[fo.order_id].rest.get("name"),
        "order": lambda fo, i: _store(i).orders.get(fo.order_id),
        "requestStatus": lambda fo, i: fo.request_status,
        "supportedActions": lambda fo, i: [
            {"action": a, "externalUrl": None} for a in _ACTIONS.get(fo.status, [])
        ],
        "assignedLocation": lambda fo, i: {
            "address1": "500 Distribution Way",
            "city": "Louisville",
            "countryCode": "US",
            "name": LOCATION_NAME,
            "province": "Kentucky",
            "zip": "40213",
            "location": {"id": gid("Location", fo.location_id), "name": LOCATION_NAME},
        },
        "fulfillmentHolds": lambda fo, i: fo.holds,
        "lineItems": lambda fo, i, **a: connection(fo.lines, lambda ln: ln.id, **a),
    },
    "FulfillmentHold": {
        "id": lambda h, i: gid("FulfillmentHold", h.id),
        "reasonNotes": lambda h, i: h.reason_notes,
        "heldByRequestingApp": lambda h, i: h.held_by_requesting_app,
    },
    "FulfillmentOrderLineItem": {
        "id": lambda ln, i: gid("FulfillmentOrderLineItem", ln.id),
        "remainingQuantity": lambda ln, i: ln.remaining_quantity,
        "totalQuantity": lambda ln, i: ln.total_quantity,
        "sku": lambda ln, i: _fo_line_item(ln, i).get("sku"),
        "productTitle": lambda ln, i: _fo_line_item(ln, i).get("title"),
        "variantTitle": lambda ln, i: _fo_line_item(ln, i).get("variant_title"),
        "lineItem": lambda ln, i: _fo_line_item(ln, i),
    },
    "LineItem": {
        "id": lambda li, i: li["admin_graphql_api_id"],
        "variantTitle": lambda li, i: li.get("variant_title"),
        "requiresShipping": lambda li, i: li.get("requires_shipping", True),
    },
    "Fulfillment": {
        "id": lambda f, i: f.gid,
        "legacyResourceId": lambda f, i: str(f.id),
        "createdAt": lambda f, i: utc(f.created_at),
        "updatedAt": lambda f, i: utc(f.updated_at),
        "order": lambda f, i: _store(i).orders[f.order_id],
        "trackingInfo": lambda f, i, first=None: [
            {"company": t.company, "number": t.number, "url": t.url} for t in f.tracking
        ][:first],
    },
}

_NODE_TYPES = {
    ShopOrder: "Order",
    FulfillmentOrder: "FulfillmentOrder",
    Fulfillment: "Fulfillment",
    FulfillmentHold: "FulfillmentHold",
    CatalogProduct: "Product",
}


def bind(
    schema: GraphQLSchema, *extra: dict[str, dict[str, Callable[..., Any]]]
) -> GraphQLSchema:
    """Attach the resolvers (and `extra` resolver tables) to the schema (idempotent)."""
    for table in (RESOLVERS, *extra):
        for type_name, fields in table.items():
            graphql_type = schema.get_type(type_name)
            assert isinstance(graphql_type, GraphQLObjectType)
            for field_name, resolver in fields.items():
                graphql_type.fields[field_name].resolve = resolver
    node = schema.get_type("Node")
    node.resolve_type = lambda value, info, _type: _NODE_TYPES.get(type(value))  # type: ignore[union-attr]
    return schema
