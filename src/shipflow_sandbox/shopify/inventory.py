"""Stock of every catalog SKU at the shop's one location (shopify.md §6).

Quantities start from the seed: most SKUs hold 25-400 units and `deny` overselling; the grinder
and the espresso machine start at 0 with `continue` (backorderable), the tamper is low (3,
`continue`); the gift subscription is not tracked. An order moves units from `available` to
`committed` (with `continue`, `available` goes negative); a fulfillment takes them out of
`committed` (so `on_hand` = available + committed drops); a restock puts them back into
`available`. The sandbox does not refuse a checkout on a `deny` SKU (their stock is ample).
`products` are the catalog's products (one per `product_index`, with their variants), which
`Product` GraphQL nodes resolve to.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shipflow_sandbox.shopify.catalog import CATALOG, PRODUCTS, Product
from shipflow_sandbox.shopify.ids import IdAllocator, gid
from shipflow_sandbox.shopify.rest import shop_time
from shipflow_sandbox.shopify.store import LOCATION_ID

BACKORDERABLE = {"GRN-BURR-01": 0, "ESP-MACH-PRO": 0, "TMP-58-WAL": 3}
QUANTITY_NAMES = ("available", "committed", "damaged", "incoming", "on_hand",
                  "quality_control", "reserved", "safety_stock")


@dataclass
class StockItem:
    id: int
    product: Product
    variant_id: int
    product_id: int
    tracked: bool
    policy: str  # "DENY" | "CONTINUE" (GraphQL); lower-case in REST
    available: int
    updated_at: str
    committed: int = 0
    incoming: int = 0

    @property
    def sku(self) -> str:
        return self.product.sku

    @property
    def level_gid(self) -> str:
        return f"gid://shopify/InventoryLevel/{LOCATION_ID}?inventory_item_id={self.id}"

    def quantity(self, name: str) -> int:
        if name == "on_hand":
            return self.available + self.committed
        return {"available": self.available, "committed": self.committed,
                "incoming": self.incoming}.get(name, 0)


@dataclass
class CatalogProduct:
    """A product of the catalog: what `Product` nodes resolve to."""

    id: int
    title: str
    vendor: str
    product_type: str
    tags: tuple[str, ...]
    variants: list[StockItem]


class Inventory:
    def __init__(self, seed: int, ids: IdAllocator, variant_ids: dict[str, int],
                 product_ids: list[int], now: Callable[[], datetime]) -> None:
        rng = random.Random(f"inventory:{seed}")
        self.now = now
        self.items: dict[int, StockItem] = {}
        self.by_sku: dict[str, StockItem] = {}
        self.by_variant: dict[int, StockItem] = {}
        self.products: dict[int, CatalogProduct] = {}
        stamp = shop_time(now())
        for product in CATALOG:
            tracked = product.requires_shipping
            if product.sku in BACKORDERABLE:
                policy, available = "CONTINUE", BACKORDERABLE[product.sku]
            else:
                policy, available = "DENY", rng.randint(25, 400) if tracked else 0
            item = StockItem(ids.next("InventoryItem"), product, variant_ids[product.sku],
                             product_ids[product.product_index], tracked, policy, available,
                             stamp)
            self.items[item.id] = item
            self.by_sku[item.sku] = item
            self.by_variant[item.variant_id] = item
            if item.product_id not in self.products:
                info = PRODUCTS[product.product_index]
                self.products[item.product_id] = CatalogProduct(
                    item.product_id, product.title, product.vendor, info.product_type,
                    info.tags, [])
            self.products[item.product_id].variants.append(item)

    def _touch(self, item: StockItem) -> None:
        item.updated_at = shop_time(self.now())

    def reserve(self, line_items: list[dict[str, Any]]) -> list[StockItem]:
        """An order was placed: available -> committed for its tracked SKUs."""
        return self._move(line_items, available=-1, committed=+1)

    def restock(self, line_items: list[dict[str, Any]], from_committed: bool) -> list[StockItem]:
        return self._move(line_items, available=+1, committed=-1 if from_committed else 0)

    def ship(self, line_items: list[dict[str, Any]]) -> list[StockItem]:
        return self._move(line_items, available=0, committed=-1)

    def _move(self, line_items: list[dict[str, Any]], available: int,
              committed: int) -> list[StockItem]:
        touched = []
        for line in line_items:
            item = self.by_sku.get(line.get("sku") or "")
            if item is None or not item.tracked:
                continue
            quantity = int(line.get("quantity") or 0)
            item.available += available * quantity
            item.committed = max(0, item.committed + committed * quantity)
            self._touch(item)
            touched.append(item)
        return touched

    def set_available(self, sku: str, available: int, policy: str | None = None) -> StockItem:
        """Set a SKU's `available` stock (and, if given, its policy: DENY or CONTINUE)."""
        item = self.by_sku[sku]
        item.available = available
        if policy is not None:
            item.policy = policy
        self._touch(item)
        return item

    def level_json(self, item: StockItem) -> dict[str, Any]:
        """`inventory_levels/update` payload (`inventory_levels_update_docs_2026-07.json`)."""
        return {
            "inventory_item_id": item.id,
            "location_id": LOCATION_ID,
            "available": item.available,
            "updated_at": item.updated_at,
            "admin_graphql_api_id": item.level_gid,
        }

    def to_json(self, item: StockItem) -> dict[str, Any]:
        return {
            "sku": item.sku,
            "inventory_item_id": item.id,
            "inventory_item_gid": gid("InventoryItem", item.id),
            "variant_gid": gid("ProductVariant", item.variant_id),
            "inventory_policy": item.policy.lower(),
            "tracked": item.tracked,
            **{name: item.quantity(name) for name in ("available", "committed", "on_hand")},
        }
