"""The app's installation on the simulated shop: its granted access scopes and its webhook
subscriptions, as the Admin GraphQL API shows and changes them.

- `currentAppInstallation { accessScopes { handle description } }` lists the granted scopes
  (`SandboxConfig.shopify_access_scopes`; `POST /_sandbox/shopify/access-scopes` changes them).
- Root fields the token has no scope for resolve to null with Shopify's `ACCESS_DENIED` error:
  `Access denied for <field> field. Required access: `<scope>` access scope.`, extensions
  `{code, documentation, requiredAccess}` (the shape of real answers quoted in public issues,
  e.g. Shopify/shopify-api-ruby#1415, Shopify/function-examples#164). A `write_` scope implies
  its `read_` scope, as Shopify's scope docs say. Only root fields are checked (assumption: a
  faithful enough subset; Shopify also checks nested fields).
- `webhookSubscriptions`, `webhookSubscriptionCreate`, `webhookSubscriptionDelete`: the
  subscriptions the shop's deliveries go to, one delivery per subscription of the topic
  (shopify.md §1.4: "one per subscription"). A second subscription of a topic to the same
  address is refused with the userError `Address for this topic has already been taken`
  (field `["webhookSubscription", "callbackUrl"]`), as Shopify answers it. The compliance
  topics (`customers/data_request`, `customers/redact`, `shop/redact`) are not in
  `WebhookSubscriptionTopic`: like Shopify, the sandbox only takes them from the app's
  configuration (`SandboxConfig.shopify_compliance_webhook_url`).
- Addresses must be `https://` (Shopify: "Address protocol http:// is not supported"), except
  on loopback hosts, which the sandbox accepts so that a local shipflow can subscribe
  (a sandbox-only allowance).
- Subscribing to a topic whose read scope is not granted is refused with a userError naming the
  scope (assumption: Shopify's exact wording for this case is not documented).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from graphql import GraphQLError, GraphQLObjectType, GraphQLResolveInfo, GraphQLSchema

from shipflow_sandbox.shopify.ids import gid, parse_gid
from shipflow_sandbox.shopify.resolvers import connection

ACCESS_SCOPES_DOCS = "https://shopify.dev/api/usage/access-scopes"

# GraphQL enum -> REST topic, for the topics the sandbox can deliver (and a few an app
# commonly subscribes to). Names from the 2026-07 WebhookSubscriptionTopic enum.
TOPICS: dict[str, str] = {
    "APP_UNINSTALLED": "app/uninstalled",
    "APP_SCOPES_UPDATE": "app/scopes_update",
    "ORDERS_CREATE": "orders/create",
    "ORDERS_PAID": "orders/paid",
    "ORDERS_UPDATED": "orders/updated",
    "ORDERS_CANCELLED": "orders/cancelled",
    "ORDERS_FULFILLED": "orders/fulfilled",
    "ORDERS_PARTIALLY_FULFILLED": "orders/partially_fulfilled",
    "ORDERS_EDITED": "orders/edited",
    "ORDERS_DELETE": "orders/delete",
    "REFUNDS_CREATE": "refunds/create",
    "FULFILLMENTS_CREATE": "fulfillments/create",
    "FULFILLMENTS_UPDATE": "fulfillments/update",
    "FULFILLMENT_HOLDS_ADDED": "fulfillment_holds/added",
    "FULFILLMENT_HOLDS_RELEASED": "fulfillment_holds/released",
    "FULFILLMENT_ORDERS_PLACED_ON_HOLD": "fulfillment_orders/placed_on_hold",
    "FULFILLMENT_ORDERS_HOLD_RELEASED": "fulfillment_orders/hold_released",
    "INVENTORY_LEVELS_UPDATE": "inventory_levels/update",
    "INVENTORY_ITEMS_UPDATE": "inventory_items/update",
    "PRODUCTS_UPDATE": "products/update",
}
ENUM_OF_TOPIC = {topic: name for name, topic in TOPICS.items()}
COMPLIANCE_TOPICS = ("customers/data_request", "customers/redact", "shop/redact")

# The read scope a topic's payload needs (shopify.md §2; the webhook reference's scope lines).
_MERCHANT_FO = "read_merchant_managed_fulfillment_orders"
TOPIC_SCOPES: dict[str, str] = {
    "orders/": "read_orders",
    "refunds/": "read_orders",
    "fulfillments/": "read_fulfillments",
    "fulfillment_holds/": _MERCHANT_FO,
    "fulfillment_orders/": _MERCHANT_FO,
    "inventory_levels/": "read_inventory",
    "inventory_items/": "read_inventory",
    "products/": "read_products",
}

FIRST_SUBSCRIPTION_ID = 1_047_000_000
DEFAULT_SCOPES = (
    "read_orders", "write_orders", "read_merchant_managed_fulfillment_orders",
    "write_merchant_managed_fulfillment_orders", "read_fulfillments", "write_fulfillments",
    "read_inventory", "read_products",
)
_FO_WRITE = ("write_merchant_managed_fulfillment_orders", "write_assigned_fulfillment_orders",
             "write_third_party_fulfillment_orders")
_FO_READ = ("read_merchant_managed_fulfillment_orders", "read_assigned_fulfillment_orders",
            "read_third_party_fulfillment_orders")


def _tags_scope(args: dict[str, Any]) -> tuple[str, ...]:
    kind = str(args.get("id", "")).split("/")[3:4]
    return {"Product": ("write_products",), "Customer": ("write_customers",)}.get(
        kind[0] if kind else "", ("write_orders",))


# Root field -> the scopes any one of which allows it (the docs' "Requires ... access scope"
# lines), or a function of the field's arguments.
ROOT_SCOPES: dict[str, tuple[str, ...] | Callable[[dict[str, Any]], tuple[str, ...]]] = {
    "order": ("read_orders",),
    "orders": ("read_orders",),
    "fulfillment": ("read_orders",),
    "fulfillmentOrder": _FO_READ,
    "fulfillmentCreate": _FO_WRITE,
    "fulfillmentTrackingInfoUpdate": _FO_WRITE,
    "fulfillmentOrderHold": _FO_WRITE,
    "fulfillmentOrderReleaseHold": _FO_WRITE,
    "tagsAdd": _tags_scope,
    "inventoryItem": ("read_inventory",),
    "productVariant": ("read_products",),
    "productVariants": ("read_products",),
}


def has_scope(granted: Iterable[str], scope: str) -> bool:
    """`write_x` implies `read_x`."""
    granted = set(granted)
    return scope in granted or (scope.startswith("read_") and "write_" + scope[5:] in granted)


def required_access(scopes: tuple[str, ...]) -> str:
    """`read_orders` access scope. / `a` access scope, `b` access scope or `c` access scope."""
    parts = [f"`{s}` access scope" for s in scopes]
    joined = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " or " + parts[-1]
    return joined + "."


@dataclass
class Subscription:
    id: int
    topic: str  # the enum name, e.g. ORDERS_PAID
    uri: str
    format: str
    created_at: datetime
    updated_at: datetime
    include_fields: list[str] = field(default_factory=list)
    filter: str | None = None

    @property
    def gid(self) -> str:
        return gid("WebhookSubscription", self.id)


class AppInstallation:
    def __init__(self, now: Callable[[], datetime],
                 scopes: Iterable[str] = DEFAULT_SCOPES) -> None:
        # Its own counter, not the shop's IdAllocator: the shop's seeded ids stay as they were.
        self._next_id = FIRST_SUBSCRIPTION_ID
        self.now = now
        self.scopes: list[str] = list(dict.fromkeys(scopes))
        self.subscriptions: dict[int, Subscription] = {}
        self.compliance_uri: str | None = None

    def addresses(self, topic: str) -> list[str]:
        """Where a delivery of `topic` (REST form) goes: one address per subscription."""
        if topic in COMPLIANCE_TOPICS:
            return [self.compliance_uri] if self.compliance_uri else []
        name = ENUM_OF_TOPIC.get(topic)
        return [s.uri for s in sorted(self.subscriptions.values(), key=lambda s: s.id)
                if s.topic == name]

    def topic_scope(self, topic_enum: str) -> str | None:
        topic = TOPICS.get(topic_enum, "")
        return next((s for prefix, s in TOPIC_SCOPES.items() if topic.startswith(prefix)), None)

    def create(self, topic: str, data: dict[str, Any]) -> tuple[Subscription | None,
                                                                list[dict[str, Any]]]:
        uri = str(data.get("uri") or data.get("callbackUrl") or "").strip()
        fmt = str(data.get("format") or "JSON")
        errors = _address_errors(uri)
        scope = self.topic_scope(topic)
        if scope and not has_scope(self.scopes, scope):
            errors.append({"field": ["webhookSubscription"],
                           "message": f"Access denied for topic {topic}: the app needs the "
                                      f"`{scope}` access scope."})
        if any(s.topic == topic and s.uri == uri and s.format == fmt
               and s.filter == data.get("filter") for s in self.subscriptions.values()):
            errors.append({"field": ["webhookSubscription", "callbackUrl"],
                           "message": "Address for this topic has already been taken"})
        if errors:
            return None, errors
        return self.add(topic, uri, fmt, data.get("includeFields") or [],
                        data.get("filter")), []

    def add(self, topic: str, uri: str, fmt: str = "JSON",
            include_fields: list[str] | None = None, filter: str | None = None) -> Subscription:
        now = self.now()
        self._next_id += 1
        sub = Subscription(self._next_id, topic, uri, fmt, now, now,
                           list(include_fields or []), filter)
        self.subscriptions[sub.id] = sub
        return sub

    def delete(self, subscription_gid: str) -> tuple[str | None, list[dict[str, Any]]]:
        ident = parse_gid(subscription_gid, "WebhookSubscription")
        if ident is None or ident not in self.subscriptions:
            return None, [{"field": ["id"], "message": "Webhook subscription does not exist"}]
        del self.subscriptions[ident]
        return subscription_gid, []


def _address_errors(uri: str) -> list[dict[str, Any]]:
    def error(message: str) -> dict[str, Any]:
        return {"field": ["webhookSubscription", "callbackUrl"], "message": message}

    if not uri:
        return [error("Address can't be blank")]
    parts = urlsplit(uri)
    if parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1"):
        return []
    if parts.scheme != "https":
        return [error(f"Address protocol {parts.scheme or uri}:// is not supported")]
    if not parts.hostname:
        return [error("Address is invalid")]
    return []


APP_SDL = '''
extend type Query {
  currentAppInstallation: AppInstallation!
  webhookSubscription(id: ID!): WebhookSubscription
  webhookSubscriptions(
    first: Int, after: String, last: Int, before: String, reverse: Boolean = false,
    topics: [WebhookSubscriptionTopic!], format: WebhookSubscriptionFormat, uri: String,
    query: String
  ): WebhookSubscriptionConnection!
}

extend type Mutation {
  webhookSubscriptionCreate(
    topic: WebhookSubscriptionTopic!, webhookSubscription: WebhookSubscriptionInput!
  ): WebhookSubscriptionCreatePayload
  webhookSubscriptionDelete(id: ID!): WebhookSubscriptionDeletePayload
}

type AppInstallation implements Node {
  id: ID!
  accessScopes: [AccessScope!]!
}

type AccessScope {
  handle: String!
  description: String!
}

enum WebhookSubscriptionTopic { %s }

enum WebhookSubscriptionFormat { JSON XML }

input WebhookSubscriptionInput {
  uri: String
  callbackUrl: URL
  format: WebhookSubscriptionFormat
  includeFields: [String!]
  filter: String
  metafieldNamespaces: [String!]
}

type WebhookSubscription implements Node {
  id: ID!
  legacyResourceId: UnsignedInt64!
  topic: WebhookSubscriptionTopic!
  uri: String!
  callbackUrl: URL!
  format: WebhookSubscriptionFormat!
  includeFields: [String!]!
  filter: String
  createdAt: DateTime!
  updatedAt: DateTime!
}

type WebhookSubscriptionConnection {
  edges: [WebhookSubscriptionEdge!]!
  nodes: [WebhookSubscription!]!
  pageInfo: PageInfo!
}

type WebhookSubscriptionEdge {
  cursor: String!
  node: WebhookSubscription!
}

type WebhookSubscriptionCreatePayload {
  webhookSubscription: WebhookSubscription
  userErrors: [UserError!]!
}

type WebhookSubscriptionDeletePayload {
  deletedWebhookSubscriptionId: ID
  userErrors: [UserError!]!
}
''' % " ".join(TOPICS)


def _app(info: GraphQLResolveInfo) -> AppInstallation:
    return info.context.app  # type: ignore[no-any-return]


def _subscriptions(_: Any, info: GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
    subs = list(_app(info).subscriptions.values())
    if args.get("topics"):
        subs = [s for s in subs if s.topic in args["topics"]]
    if args.get("format"):
        subs = [s for s in subs if s.format == args["format"]]
    if args.get("uri"):
        subs = [s for s in subs if s.uri == args["uri"]]
    return connection(subs, lambda s: s.id, **args)


def _create(_: Any, info: GraphQLResolveInfo, topic: str,
            webhookSubscription: dict[str, Any]) -> dict[str, Any]:
    sub, errors = _app(info).create(topic, webhookSubscription)
    return {"webhookSubscription": sub, "userErrors": errors}


def _delete(_: Any, info: GraphQLResolveInfo, id: str) -> dict[str, Any]:
    deleted, errors = _app(info).delete(id)
    return {"deletedWebhookSubscriptionId": deleted, "userErrors": errors}


def _utc(stamp: datetime) -> str:
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")


APP_RESOLVERS: dict[str, dict[str, Callable[..., Any]]] = {
    "Query": {
        "currentAppInstallation": lambda _, info: _app(info),
        "webhookSubscription": lambda _, info, id: _app(info).subscriptions.get(
            parse_gid(id, "WebhookSubscription") or -1),
        "webhookSubscriptions": _subscriptions,
    },
    "Mutation": {
        "webhookSubscriptionCreate": _create,
        "webhookSubscriptionDelete": _delete,
    },
    "AppInstallation": {
        "id": lambda app, i: "gid://shopify/AppInstallation/1",
        "accessScopes": lambda app, i: [{"handle": s, "description": s.replace("_", " ")}
                                        for s in app.scopes],
    },
    "WebhookSubscription": {
        "id": lambda s, i: s.gid,
        "legacyResourceId": lambda s, i: str(s.id),
        "callbackUrl": lambda s, i: s.uri,
        "includeFields": lambda s, i: s.include_fields,
        "createdAt": lambda s, i: _utc(s.created_at),
        "updatedAt": lambda s, i: _utc(s.updated_at),
    },
}


def guard_scopes(schema: GraphQLSchema) -> None:
    """Wrap the root fields of `ROOT_SCOPES` with the access check (after `bind`)."""
    for root in (schema.query_type, schema.mutation_type):
        assert isinstance(root, GraphQLObjectType)
        for name, scopes in ROOT_SCOPES.items():
            if name in root.fields:
                root.fields[name].resolve = _guarded(name, scopes, root.fields[name].resolve)


def _guarded(name: str, scopes: tuple[str, ...] | Callable[[dict[str, Any]], tuple[str, ...]],
             resolve: Any) -> Callable[..., Any]:
    def check(parent: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
        app = getattr(info.context, "app", None)
        needed = scopes(args) if callable(scopes) else scopes
        if app is not None and not any(has_scope(app.scopes, s) for s in needed):
            access = required_access(needed)
            raise GraphQLError(
                f"Access denied for {name} field. Required access: {access}",
                extensions={"code": "ACCESS_DENIED", "documentation": ACCESS_SCOPES_DOCS,
                            "requiredAccess": access})
        return resolve(parent, info, **args)

    return check
