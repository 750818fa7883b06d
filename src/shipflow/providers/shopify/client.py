"""The Shopify Admin GraphQL client: the only place shipflow talks to Shopify.

One method per operation the lifecycle needs; documents and parsers live in `graphql.py`, the
cost bucket in `throttle.py`, retries and logging in `providers.http`.
"""

from __future__ import annotations

import logging
import random
import threading
from datetime import datetime
from typing import Any, Mapping, Sequence

import httpx

from shipflow.domain.shipment import TrackingInfo
from shipflow.providers import http
from shipflow.providers.errors import NotFound, RateLimited, UnexpectedResponse, UserError
from shipflow.providers.fields import Fields
from shipflow.providers.shopify import graphql as gql
from shipflow.providers.shopify import history, inventory, paid_orders, products, subscriptions
from shipflow.providers.shopify.models import (
    Fulfillment,
    FulfillmentOrder,
    FulfillmentOrderRef,
    HoldReason,
    HoldResult,
    LineItemQuantity,
    VariantStock,
    gid,
)
from shipflow.providers.shopify.throttle import CostBucket

log = logging.getLogger("shipflow.providers.shopify")

DEFAULT_API_VERSION = "2026-07"


class ShopifyClient:
    """Synchronous Admin GraphQL client for one shop.

    `shop_url` is `https://<shop>.myshopify.com` or a sandbox base such as
    `http://127.0.0.1:8100/shopify`; requests go to `{shop_url}/admin/api/{version}/graphql.json`.
    Thread-safe: one instance can serve every worker thread (they share the cost bucket).
    """

    def __init__(
        self,
        shop_url: str,
        access_token: str,
        *,
        api_version: str = DEFAULT_API_VERSION,
        transport: httpx.BaseTransport | None = None,
        timeout: httpx.Timeout | float | None = None,
        retry: http.RetryPolicy | None = None,
        clock: http.Clock = http.SYSTEM_CLOCK,
        rng: random.Random | None = None,
    ) -> None:
        self.api_version = api_version
        self.path = f"admin/api/{api_version}/graphql.json"
        self._clock = clock
        self._bucket = CostBucket(clock)
        self._reserved = threading.local()  # points this thread's request in flight reserved
        self._costs: dict[str, float] = {}
        self._client = http.build_client(
            shop_url.rstrip("/") + "/",
            headers={"X-Shopify-Access-Token": access_token, "Accept": "application/json"},
            transport=transport,
            timeout=timeout if timeout is not None else http.default_timeout(read=20.0),
        )
        self._session = http.HttpSession(
            "shopify", self._client, self._check, retry=retry, clock=clock, rng=rng
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> ShopifyClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def bucket(self) -> CostBucket:
        return self._bucket

    # -- reads ---------------------------------------------------------------------------------
    def fulfillment_orders(self, order_gid: str | int) -> list[FulfillmentOrder]:
        """The order's fulfillment orders with their line items and holds.

        Reads the first 5 fulfillment orders and 50 lines of each (the §4.1 query, sized to
        stay under the 1,000-point cap); a page that comes back full is logged, since anything
        beyond it is not seen.
        """
        order_id = gid("Order", order_gid)
        data = self.execute(gql.FULFILLMENT_ORDERS, {"id": order_id})
        orders = gql.parse_fulfillment_orders(data, order_id)
        if len(orders) >= gql.FULFILLMENT_ORDERS_PAGE or any(
            len(fo.line_items) >= gql.LINE_ITEMS_PAGE for fo in orders
        ):
            log.warning("%s: a fulfillment-order page came back full; later ones are unread",
                        order_id)
        return orders

    def fulfillable_order_ids(self, order_gid: str | int) -> list[str]:
        """Ids of the order's fulfillment orders that can take a fulfillment (OPEN or
        IN_PROGRESS), by the cheap statuses-only query."""
        order_id = gid("Order", order_gid)
        data = self.execute(gql.OPEN_FULFILLMENT_ORDERS, {"id": order_id})
        return [fo.id for fo in gql.parse_fulfillment_orders(data, order_id)
                if fo.status in ("OPEN", "IN_PROGRESS")]

    def order_fulfillments(self, order_gid: str | int) -> list[Fulfillment]:
        """The fulfillments already on the order: look here before creating one, so a retried
        step never creates a second fulfillment for the same parcel."""
        order_id = gid("Order", order_gid)
        data = self.execute(gql.ORDER_FULFILLMENTS, {"id": order_id})
        return gql.parse_order_fulfillments(data, order_id)

    def inventory_item_skus(
        self, inventory_item_ids: Sequence[int | str]
    ) -> dict[int, tuple[int, str | None]]:
        """`{inventory item id: (variant id, SKU)}` for the ids Shopify knows, read with
        `inventoryItem(id:)` (aliased, 100 a call): what an `inventory_levels/update` webhook
        (which names only the inventory item) needs to find the orders it may release."""
        ids = list(dict.fromkeys(gid("InventoryItem", i) for i in inventory_item_ids))
        found: dict[int, tuple[int, str | None]] = {}
        step = inventory.INVENTORY_ITEMS_PER_CALL
        for start in range(0, len(ids), step):
            chunk = ids[start:start + step]
            data = self.execute(inventory.inventory_item_skus_operation(len(chunk)),
                                inventory.inventory_item_ids_variables(chunk))
            found.update(inventory.parse_inventory_item_skus(data))
        return found

    def product_categories(self, product_ids: Sequence[int | str]) -> dict[int, tuple[str, ...]]:
        """`{product id: (product type, *tags)}` for review timing by product category: one
        `nodes(ids:)` query per 250 ids (Shopify's input-array cap), about one cost point per
        id. Products Shopify does not know (deleted, or custom line items' null product ids
        filtered by the caller) are left out; a product with neither type nor tags maps to ()."""
        ids = list(dict.fromkeys(gid("Product", i) for i in product_ids))
        found: dict[int, tuple[str, ...]] = {}
        step = products.PRODUCTS_PER_CALL
        for start in range(0, len(ids), step):
            data = self.execute(products.PRODUCT_CATEGORIES,
                                products.product_ids_variables(ids[start:start + step]))
            found.update(products.parse_product_categories(data))
        return found

    def variant_stock(self, sku_or_variant: str | int) -> VariantStock:
        """Policy, tracking and `available` stock (summed over locations) of one variant,
        named by a `gid://shopify/ProductVariant/…`, its numeric id, or its SKU. A SKU is
        searched with `productVariants(query: "sku:…")` and must match exactly; `NotFound`
        when no variant has it."""
        text = str(sku_or_variant).strip()
        if text.startswith("gid://shopify/ProductVariant/") or isinstance(sku_or_variant, int):
            variant_gid = gid("ProductVariant", text)
            data = self.execute(inventory.VARIANT_STOCK, {"id": variant_gid})
            return inventory.parse_variant_stock(data, variant_gid)
        data = self.execute(inventory.VARIANT_STOCK_BY_SKU, {"query": inventory.sku_query(text)})
        return inventory.parse_variant_stock_by_sku(data, text)

    def variant_stocks(self, skus: Sequence[str]) -> dict[str, VariantStock]:
        """`variant_stock` for many SKUs at once: one `productVariants(query: "sku:A OR
        sku:B…")` search per chunk of SKUs (`inventory.sku_searches`), paged; `{sku: stock}`
        with the SKUs stripped, exact matches only; SKUs no variant has are left out."""
        found: dict[str, VariantStock] = {}
        for chunk, search in inventory.sku_searches(skus):
            after: str | None = None
            for _ in range(len(chunk) * inventory.PAGES_PER_SKU):
                data = self.execute(inventory.VARIANT_STOCK_BY_SKUS,
                                    {"query": search, "after": after})
                page, after = inventory.parse_variant_stock_page(data, chunk)
                for sku, stock in page.items():
                    found.setdefault(sku, stock)
                if after is None or all(sku in found for sku in chunk):
                    break
            else:
                unseen = [sku for sku in chunk if sku not in found]
                log.warning("SKU search still paging after %d pages; reading %d SKUs one by "
                            "one", len(chunk) * inventory.PAGES_PER_SKU, len(unseen))
                for sku in unseen:
                    try:
                        found[sku] = self.variant_stock(sku)
                    except NotFound:
                        continue
        return found

    # -- the app's installation: scopes and webhook subscriptions ------------------------------
    def access_scopes(self) -> tuple[str, ...]:
        """`currentAppInstallation { accessScopes { handle } }`: what the token may do."""
        return subscriptions.parse_access_scopes(self.execute(subscriptions.ACCESS_SCOPES, {}))

    def webhook_subscriptions(self) -> list[subscriptions.WebhookSubscription]:
        """Every webhook subscription this app made through the API, all pages."""
        found: list[subscriptions.WebhookSubscription] = []
        after: str | None = None
        while True:
            data = self.execute(subscriptions.WEBHOOK_SUBSCRIPTIONS, {"after": after})
            page, after = subscriptions.parse_subscriptions_page(data)
            found.extend(page)
            if after is None or not page:
                return found

    def create_webhook_subscription(self, topic: str, uri: str
                                    ) -> tuple[subscriptions.WebhookSubscription | None,
                                               tuple[UserError, ...]]:
        """`webhookSubscriptionCreate` for a REST topic ("orders/paid"): (the subscription,
        or None and the userErrors that refused it). Configuration, not an order effect (see
        ops/connect.py); "already taken" is for the caller to read as done."""
        data = self.execute(subscriptions.WEBHOOK_SUBSCRIPTION_CREATE,
                            subscriptions.create_variables(topic, uri))
        return subscriptions.parse_create(data)
    def orders_since(self, since: datetime, max_pages: int = 400) -> list[history.PastOrder]:
        """Orders created at or after `since` with their fulfillments and open holds, every
        page (`history.ORDERS_HISTORY`, 25 orders a page, paced by the cost bucket)."""
        found: list[history.PastOrder] = []
        after: str | None = None
        query = history.orders_query(since)
        for _ in range(max_pages):
            data = self.execute(history.ORDERS_HISTORY, {"query": query, "after": after})
            page, after = history.parse_orders_page(data)
            found.extend(page)
            if after is None:
                return found
        log.warning("orders list has more than %d pages; stopped", max_pages)
        return found

    def paid_orders_since(self, since: datetime, shop_domain: str, max_pages: int = 1000
                          ) -> tuple[list[paid_orders.PaidOrder], list[paid_orders.Unread]]:
        """Paid orders updated at or after `since`, every page (`paid_orders.PAID_ORDERS`, 10
        orders a page, paced by the cost bucket), and those too large to read whole."""
        found: list[paid_orders.PaidOrder] = []
        unread: list[paid_orders.Unread] = []
        after: str | None = None
        query = paid_orders.paid_orders_query(since)
        for _ in range(max_pages):
            data = self.execute(paid_orders.PAID_ORDERS, {"query": query, "after": after})
            page, skipped, after = paid_orders.parse_paid_orders_page(data, shop_domain)
            found.extend(page)
            unread.extend(skipped)
            if after is None:
                return found, unread
        log.warning("paid orders list has more than %d pages; stopped", max_pages)
        return found, unread

    # -- writes --------------------------------------------------------------------------------
    def create_fulfillment(
        self,
        fulfillment_order_ids: Sequence[str],
        tracking: TrackingInfo,
        *,
        line_items: Mapping[str, Sequence[LineItemQuantity | tuple[str, int]]] | None = None,
        notify_customer: bool = False,
        message: str | None = None,
    ) -> Fulfillment:
        """`fulfillmentCreate` with tracking. Never retried after it may have reached Shopify
        (a repeat would create a second fulfillment): the caller checks `order_fulfillments`.
        `notify_customer` stays False when Klaviyo sends the shipping email (shopify.md §4.2).

        `line_items` ships part of a fulfillment order: `{fulfillment order id: [(fulfillment
        order line item id, quantity), …]}` (`LineItemQuantity` or plain pairs). A fulfillment
        order without an entry is fulfilled in full. What is left stays on the same
        fulfillment order (status IN_PROGRESS, smaller `remaining_quantity`) for a later call."""
        variables = gql.fulfillment_create_variables(
            fulfillment_order_ids, tracking, line_items=line_items,
            notify_customer=notify_customer, message=message,
        )
        data = self.execute(gql.FULFILLMENT_CREATE, variables)
        return gql.parse_fulfillment_payload(data, gql.FULFILLMENT_CREATE)

    def update_tracking(
        self, fulfillment_id: str, tracking: TrackingInfo, notify_customer: bool = False
    ) -> Fulfillment:
        """`fulfillmentTrackingInfoUpdate`, for a relabel. Retried only when it does not email
        the customer (a repeat of the same tracking is otherwise harmless)."""
        variables = gql.tracking_update_variables(
            gid("Fulfillment", fulfillment_id), tracking, notify_customer=notify_customer
        )
        op = gql.FULFILLMENT_TRACKING_INFO_UPDATE
        data = self.execute(op, variables, idempotent=not notify_customer)
        return gql.parse_fulfillment_payload(data, op)

    def hold_fulfillment_order(
        self,
        fulfillment_order_id: str,
        reason: HoldReason | str,
        *,
        reason_notes: str | None = None,
        handle: str | None = None,
        notify_merchant: bool = False,
        line_items: Sequence[LineItemQuantity | tuple[str, int]] | None = None,
        external_id: str | None = None,
    ) -> HoldResult:
        """`fulfillmentOrderHold`. Pass a `handle` (unique per app per fulfillment order) so the
        hold can be found and released by id, and so the call is safe to retry."""
        variables = gql.hold_variables(
            gid("FulfillmentOrder", fulfillment_order_id), reason,
            reason_notes=reason_notes, handle=handle, notify_merchant=notify_merchant,
            line_items=line_items, external_id=external_id,
        )
        data = self.execute(gql.FULFILLMENT_ORDER_HOLD, variables, idempotent=handle is not None)
        return gql.parse_hold(data)

    def release_hold(
        self,
        fulfillment_order_id: str,
        hold_ids: Sequence[str] | None = None,
        *,
        external_id: str | None = None,
    ) -> FulfillmentOrderRef:
        """`fulfillmentOrderReleaseHold`. Always pass our `hold_ids`: without them Shopify
        releases every hold, other apps' included (shopify.md §4.5)."""
        variables = gql.release_hold_variables(
            gid("FulfillmentOrder", fulfillment_order_id), hold_ids, external_id
        )
        data = self.execute(gql.FULFILLMENT_ORDER_RELEASE_HOLD, variables)
        return gql.parse_release_hold(data)

    def add_tags(self, resource_gid: str, tags: Sequence[str]) -> None:
        """`tagsAdd`: additive and idempotent (unlike `orderUpdate`, which replaces tags)."""
        if not resource_gid.startswith("gid://shopify/"):
            raise ValueError(f"expected a GID such as gid://shopify/Order/1, got {resource_gid!r}")
        data = self.execute(gql.TAGS_ADD, gql.tags_add_variables(resource_gid, tags))
        gql.parse_tags_add(data)

    # -- the transport -------------------------------------------------------------------------
    def execute(
        self,
        operation: gql.Operation,
        variables: Mapping[str, Any],
        *,
        idempotent: bool | None = None,
    ) -> Fields:
        """Send one operation and return its `data` (as `Fields`), after waiting for the cost
        bucket and retrying THROTTLED answers; raises the errors of `providers.errors`."""
        def wait_for_points() -> None:
            expected = self._costs.get(operation.name, operation.estimated_cost)
            self._settle_unreported()  # a previous attempt of this call that got no report
            self._reserved.points = expected
            wait = self._bucket.reserve(expected)
            if wait > 0:
                log.info("shopify cost bucket low; waiting %.2fs before %s", wait, operation.name)
                self._clock.sleep(wait)

        def learn_cost(response: httpx.Response) -> None:
            # THROTTLED answers report the requested cost too: learn it before the retry.
            cost = gql.parse_cost(http.response_json(response))
            if cost is not None and cost.requested is not None:
                self._costs[operation.name] = cost.requested

        try:
            response = self._session.request(
                "POST",
                self.path,
                idempotent=operation.idempotent if idempotent is None else idempotent,
                json=gql.request_body(operation, variables),
                before_send=wait_for_points,
                after_response=learn_cost,
            )
        finally:
            self._settle_unreported()
        return gql.data_of(response.json())

    def _settle_unreported(self) -> None:
        points = getattr(self._reserved, "points", 0.0)
        if points:
            self._bucket.release(points)
            self._reserved.points = 0.0

    def _check(self, response: httpx.Response) -> None:
        request_id = response.headers.get("X-Request-Id")
        body = http.response_json(response)
        cost = gql.parse_cost(body)
        if cost is not None and cost.throttle is not None:
            self._bucket.observe(cost.throttle, settled=getattr(self._reserved, "points", 0.0))
            self._reserved.points = 0.0
        error = gql.top_level_error(body, response.status_code, request_id)
        if response.status_code == 429:
            # Both shapes are seen for a throttle (shopify.md §5.1): prefer Retry-After, then
            # the cost arithmetic, then backoff.
            retry_after = http.parse_retry_after(response.headers.get("Retry-After"))
            if retry_after is None:
                retry_after = gql.throttle_wait(cost)
            raise RateLimited(
                error.message if error else "Too Many Requests", retry_after=retry_after,
                provider="shopify", status_code=429, code="THROTTLED", request_id=request_id,
            )
        if error is not None:
            raise error
        http.raise_for_status("shopify", response, http.short_text(response),
                              request_id=request_id)
        if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
            raise UnexpectedResponse("response has no `data` object", provider="shopify",
                                     status_code=response.status_code, request_id=request_id)
