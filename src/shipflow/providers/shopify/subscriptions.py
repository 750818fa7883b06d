"""The app's side of the shop: granted access scopes and webhook subscriptions (pure documents,
variables and parsers; `ShopifyClient` sends them).

- `currentAppInstallation { accessScopes { handle } }`: the scopes the token carries.
- `webhookSubscriptions(first:, after:)`: the subscriptions this app made through the API
  (Shopify: "Returns only shop-scoped subscriptions, not app-scoped subscriptions configured
  in TOML files").
- `webhookSubscriptionCreate(topic:, webhookSubscription: {uri, format})`: `uri` replaced the
  deprecated `callbackUrl` (WebhookSubscriptionInput, 2025-10 onwards). A repeat for the same
  topic and address answers the userError "Address for this topic has already been taken",
  which `is_already_taken` recognises so a caller can treat it as done.

`SHIPFLOW_TOPICS` are the topics shipflow's webhook route acts on (web/intake.py); the scope
table says which scope each of shipflow's calls needs, derived from the documents it sends
(graphql.py, inventory.py, products.py) and the Admin reference's "Requires … access scope"
lines. A `write_` scope implies its `read_` scope (Shopify's access-scope docs).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from shipflow.providers.errors import UserError
from shipflow.providers.fields import Fields
from shipflow.providers.shopify.graphql import MUTATION_ESTIMATE, Operation

# REST topic -> WebhookSubscriptionTopic enum, for what shipflow handles.
SHIPFLOW_TOPICS: dict[str, str] = {
    "orders/create": "ORDERS_CREATE",
    "orders/paid": "ORDERS_PAID",
    "orders/updated": "ORDERS_UPDATED",
    "orders/cancelled": "ORDERS_CANCELLED",
    "refunds/create": "REFUNDS_CREATE",
    "inventory_levels/update": "INVENTORY_LEVELS_UPDATE",
}
TOPIC_OF_ENUM = {name: topic for topic, name in SHIPFLOW_TOPICS.items()}
# The mandatory privacy topics: not in WebhookSubscriptionTopic; Shopify takes them only from
# the app's configuration (shopify.app.toml `[webhooks] compliance_topics`, or the Partner
# Dashboard) (shopify.md §1.4, §2; shopify.dev "Webhooks" reference).
COMPLIANCE_TOPICS = ("customers/data_request", "customers/redact", "shop/redact")

# (scope, what shipflow does with it), in plain words for `shipflow connect`.
REQUIRED_SCOPES: tuple[tuple[str, str], ...] = (
    ("read_orders", "read orders and receive the orders/* and refunds/create webhooks"),
    ("write_orders", "tag orders (tagsAdd on an Order)"),
    ("read_merchant_managed_fulfillment_orders",
     "read an order's fulfillment orders, lines and holds"),
    ("write_merchant_managed_fulfillment_orders",
     "create fulfillments with tracking (fulfillmentCreate, fulfillmentTrackingInfoUpdate) "
     "and hold or release fulfillment orders"),
    ("read_inventory",
     "read stock levels and receive inventory_levels/update (backorders, restocks)"),
    ("read_products", "find variants by SKU and read product types and tags (productVariants, "
                      "nodes on Product)"),
)
# The scope each topic's subscription needs.
TOPIC_SCOPES = {
    "orders/create": "read_orders", "orders/paid": "read_orders",
    "orders/updated": "read_orders", "orders/cancelled": "read_orders",
    "refunds/create": "read_orders", "inventory_levels/update": "read_inventory",
}
SUBSCRIPTIONS_PAGE = 100

ACCESS_SCOPES = Operation(
    "accessScopes",
    "query accessScopes {\n  currentAppInstallation { accessScopes { handle } }\n}",
    estimated_cost=2.0,
    idempotent=True,
)
WEBHOOK_SUBSCRIPTIONS = Operation(
    "webhookSubscriptions",
    f"""
query webhookSubscriptions($after: String) {{
  webhookSubscriptions(first: {SUBSCRIPTIONS_PAGE}, after: $after) {{
    nodes {{ id topic uri format }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}
""".strip(),
    estimated_cost=2.0 + SUBSCRIPTIONS_PAGE,
    idempotent=True,
)
# Not retried after it may have reached Shopify: the caller lists first, and a repeat would
# only come back "already taken" (which it treats as done), so nothing is ever duplicated.
WEBHOOK_SUBSCRIPTION_CREATE = Operation(
    "webhookSubscriptionCreate",
    """
mutation webhookSubscriptionCreate(
  $topic: WebhookSubscriptionTopic!, $webhookSubscription: WebhookSubscriptionInput!
) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $webhookSubscription) {
    webhookSubscription { id topic uri format }
    userErrors { field message }
  }
}
""".strip(),
    estimated_cost=MUTATION_ESTIMATE,
    idempotent=False,
)
ALREADY_TAKEN = "has already been taken"


@dataclass(frozen=True, slots=True)
class WebhookSubscription:
    id: str
    topic: str  # the REST form when known ("orders/paid"), else the enum name
    uri: str
    format: str = "JSON"


def has_scope(granted: Iterable[str], scope: str) -> bool:
    """`write_x` implies `read_x` (Shopify's access-scope docs)."""
    granted = set(granted)
    return scope in granted or (scope.startswith("read_") and "write_" + scope[5:] in granted)


def missing_scopes(granted: Iterable[str]) -> list[tuple[str, str]]:
    """The (scope, why) pairs of `REQUIRED_SCOPES` the token does not carry."""
    granted = list(granted)
    return [(scope, why) for scope, why in REQUIRED_SCOPES if not has_scope(granted, scope)]


def parse_access_scopes(data: Fields) -> tuple[str, ...]:
    installation = data.obj("currentAppInstallation")
    return tuple(entry.req_string("handle") for entry in installation.objects("accessScopes"))


def _subscription(f: Fields) -> WebhookSubscription:
    topic = f.req_string("topic")
    return WebhookSubscription(id=f.req_string("id"), topic=TOPIC_OF_ENUM.get(topic, topic),
                               uri=f.string("uri", required=False) or "",
                               format=f.string("format", required=False) or "JSON")


def parse_subscriptions_page(data: Fields) -> tuple[list[WebhookSubscription], str | None]:
    """(this page's subscriptions, the cursor of the next page or None)."""
    connection = data.obj("webhookSubscriptions")
    page = [_subscription(node) for node in connection.objects("nodes")]
    info = connection.obj("pageInfo")
    more = info.boolean("hasNextPage", False)
    return page, (info.string("endCursor", required=False) if more else None)


def create_variables(topic: str, uri: str) -> dict[str, object]:
    if topic not in SHIPFLOW_TOPICS:
        raise ValueError(f"shipflow does not subscribe to {topic!r}")
    return {"topic": SHIPFLOW_TOPICS[topic], "webhookSubscription": {"uri": uri, "format": "JSON"}}


def parse_create(data: Fields) -> tuple[WebhookSubscription | None, tuple[UserError, ...]]:
    """(the subscription made, or None with the userErrors that refused it)."""
    payload = data.obj("webhookSubscriptionCreate")
    errors = tuple(
        UserError(field=tuple(str(p) for p in entry.array("field", required=False)),
                  message=entry.string("message", required=False) or "error")
        for entry in payload.objects("userErrors", required=False))
    made = payload.optional_obj("webhookSubscription")
    return (_subscription(made) if made is not None and not errors else None), errors


def is_already_taken(errors: Iterable[UserError]) -> bool:
    """Every error is Shopify's duplicate answer: the subscription exists, nothing to do."""
    errors = list(errors)
    return bool(errors) and all(ALREADY_TAKEN in e.message for e in errors)
