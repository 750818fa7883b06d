"""The simulated shop as one object: store, mutations, webhooks, order generator, cost bucket."""

from __future__ import annotations

import copy
from typing import Any

from shipflow_sandbox.clock import Clock
from shipflow_sandbox.config import SandboxConfig
from shipflow_sandbox.ratelimit import LeakyBucket
from shipflow_sandbox.shopify.ids import IdAllocator, gid
from shipflow_sandbox.shopify.installation import DEFAULT_SCOPES, ENUM_OF_TOPIC, AppInstallation
from shipflow_sandbox.shopify.inventory import Inventory
from shipflow_sandbox.shopify.merchant import Merchant
from shipflow_sandbox.shopify.operations import ShopifyOperations
from shipflow_sandbox.shopify.orders import OrderGenerator
from shipflow_sandbox.shopify.privacy import ShopPrivacy
from shipflow_sandbox.shopify.store import ShopifyStore, ShopOrder
from shipflow_sandbox.shopify.webhooks import ShopifyWebhooks
from shipflow_sandbox.webhooks import WebhookDispatcher

# Every topic the simulated shop delivers (merchant actions, app writes, stock changes).
SENT_TOPICS = (
    "orders/create", "orders/paid", "orders/updated", "orders/cancelled", "orders/fulfilled",
    "orders/partially_fulfilled", "refunds/create", "fulfillments/create",
    "fulfillments/update", "fulfillment_holds/added", "fulfillment_holds/released",
    "fulfillment_orders/placed_on_hold", "fulfillment_orders/hold_released",
    "inventory_levels/update",
)


class ShopifySim:
    def __init__(self, config: SandboxConfig, clock: Clock, dispatcher: WebhookDispatcher) -> None:
        self.config = config
        self.clock = clock
        self.ids = IdAllocator(config.seed)
        self.store = ShopifyStore(self.ids, clock.wall)
        self.app = AppInstallation(clock.wall, config.shopify_access_scopes
                                   if config.shopify_access_scopes is not None else DEFAULT_SCOPES)
        # The app's configuration names where the compliance topics go; without one, the same
        # endpoint as its other webhooks (a common app setup).
        self.app.compliance_uri = (config.shopify_compliance_webhook_url
                                   or config.shopify_webhook_url)
        if config.shopify_webhook_url:
            # The configured URL is subscribed to every topic the sandbox sends, as if an app
            # had registered them; `shipflow connect` against a sandbox started without it
            # registers its own.
            for topic in SENT_TOPICS:
                self.app.add(ENUM_OF_TOPIC[topic], config.shopify_webhook_url)
        self.webhooks = ShopifyWebhooks(config, clock, dispatcher, self.app)
        self.store.emit = self.webhooks.emit
        self.ops = ShopifyOperations(self.store, echo=config.shopify_echo_topics)
        self.generator = OrderGenerator(config.seed, self.ids, config.shop_domain)
        self.inventory = Inventory(
            config.seed, self.ids, self.generator.variant_ids, self.generator.product_ids,
            clock.wall,
        )
        self.merchant = Merchant(self.store, self.inventory, self.ids, config.shopify_echo_topics)
        self.privacy = ShopPrivacy(self.store, config.shop_domain)
        self.store.on_fulfilled = self._fulfilled
        self._buckets: dict[str, LeakyBucket] = {}

    def bucket(self, token: str) -> LeakyBucket:
        """The cost bucket of one app+store pair (here: one access token)."""
        if token not in self._buckets:
            size, rate = self.config.shopify_bucket
            self._buckets[token] = LeakyBucket(self.clock, size, rate)
        return self._buckets[token]

    def generate_orders(self, count: int, deliver: bool = True, *,
                        lines: list[tuple[str, int]] | None = None,
                        destination: str | None = None) -> list[ShopOrder]:
        """`count` generated orders; `lines` ((SKU, quantity) pairs) and `destination` (a
        `catalog` place kind) fix what would otherwise be drawn at random."""
        return [self.place(self.generator.generate(self.clock.wall(), lines=lines,
                                                   destination=destination), deliver)
                for _ in range(count)]

    def import_orders(self, orders: list[dict[str, Any]], deliver: bool = True) -> list[ShopOrder]:
        """Place REST orders supplied by the caller (e.g. a fixture); ids are kept if unused."""
        placed = []
        for supplied in orders:
            rest = copy.deepcopy(supplied)
            if not rest.get("id") or int(rest["id"]) in self.store.orders:
                rest["id"] = self.ids.next("Order")
            rest["admin_graphql_api_id"] = gid("Order", int(rest["id"]))
            for line in rest.get("line_items", []):
                line.setdefault("id", self.ids.next("LineItem"))
                line.setdefault("admin_graphql_api_id", gid("LineItem", int(line["id"])))
                line.setdefault("fulfillable_quantity", line.get("quantity", 1))
            rest.setdefault("fulfillments", [])
            placed.append(self.place(rest, deliver))
        return placed

    def place(self, rest: dict[str, Any], deliver: bool = True) -> ShopOrder:
        """A checkout: store the order and send orders/create, orders/paid (if paid).

        `deliver=False` places the order silently, for tests that send its webhooks themselves.
        """
        order = self.store.add_order(rest)
        touched = self.inventory.reserve(rest.get("line_items", []))
        if not deliver:
            return order
        topics = [("orders/create", rest)]
        if rest.get("financial_status") == "paid":
            topics.append(("orders/paid", rest))
        if self.config.shopify_echo_topics:
            topics.append(("orders/updated", rest))
        self.store.emit(topics + self.merchant.stock_changed(touched))
        return order

    def _fulfilled(self, order: ShopOrder, quantities: dict[int, int]) -> None:
        lines = [{"sku": order.line_item(line_id).get("sku"), "quantity": qty}
                 for line_id, qty in quantities.items()]
        self.inventory.ship(lines)

    def order_json(self, order: ShopOrder) -> dict[str, Any]:
        """The order as the controls show it: the REST order, its fulfillment orders (status,
        holds, line items with what remains) and its fulfillments (REST shape: tracking
        numbers, company, URLs and the line items each one shipped)."""
        store = self.store

        def line(ln: Any) -> dict[str, Any]:
            item = order.line_item(ln.line_item_id)
            return {
                "id": gid("FulfillmentOrderLineItem", ln.id),
                "line_item_id": gid("LineItem", ln.line_item_id),
                "sku": item.get("sku"),
                "variant_id": item.get("variant_id"),
                "total_quantity": ln.total_quantity,
                "remaining_quantity": ln.remaining_quantity,
            }

        return {
            "order": order.rest,
            "display_fulfillment_status": store.display_fulfillment_status(order),
            "fulfillment_orders": [
                {
                    "id": fo.gid,
                    "status": fo.status,
                    "holds": [
                        {
                            "id": gid("FulfillmentHold", h.id),
                            "reason": h.reason,
                            "handle": h.handle,
                            "reason_notes": h.reason_notes,
                            "held_by_requesting_app": h.held_by_requesting_app,
                        }
                        for h in fo.holds
                    ],
                    "line_items": [line(ln) for ln in fo.lines],
                }
                for fo in store.order_fulfillment_orders(order)
            ],
            "fulfillments": order.rest.get("fulfillments", []),
        }
