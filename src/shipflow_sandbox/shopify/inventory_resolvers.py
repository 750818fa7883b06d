"""Resolvers for the inventory queries; they read `info.context.inventory` (`Inventory`).

`productVariants(query:)` understands Shopify's `sku:<value>` terms (quoted or not; several
terms match any of them) and otherwise matches free text against SKU and title.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo

from shipflow_sandbox.shopify.ids import gid, parse_gid
from shipflow_sandbox.shopify.inventory import QUANTITY_NAMES, StockItem
from shipflow_sandbox.shopify.resolvers import LOCATION_NAME, connection, utc
from shipflow_sandbox.shopify.store import LOCATION_ID

_LEVEL = re.compile(r"^gid://shopify/InventoryLevel/(\d+)\?inventory_item_id=(\d+)$")


def _inventory(info: GraphQLResolveInfo) -> Any:
    return info.context.inventory


def lookup(kind: str) -> Callable[..., Any]:
    def resolve(_: Any, info: GraphQLResolveInfo, id: str) -> Any:
        if parse_gid(id) is None and not _LEVEL.match(id or ""):
            raise GraphQLError(f"Invalid global id '{id}'")
        ident = parse_gid(id, kind)
        inventory = _inventory(info)
        table = inventory.items if kind == "InventoryItem" else inventory.by_variant
        return table.get(ident) if ident is not None else None

    return resolve


def _matches(item: StockItem, query: str | None) -> bool:
    if not query:
        return True
    try:
        terms = shlex.split(query)
    except ValueError:
        terms = query.split()
    skus = [t.split(":", 1)[1].lower() for t in terms if t.lower().startswith("sku:")]
    words = [t.lower() for t in terms if ":" not in t and t.upper() not in ("OR", "AND")]
    if skus and item.sku.lower() not in skus:
        return False
    text = f"{item.sku} {item.product.title} {item.product.variant_title or ''}".lower()
    return all(word in text for word in words)


def _variants(_: Any, info: GraphQLResolveInfo, query: str | None = None, **args: Any) -> Any:
    items = [i for i in _inventory(info).items.values() if _matches(i, query)]
    return connection(items, lambda i: i.variant_id, **args)


def _quantities(item: StockItem, info: GraphQLResolveInfo, names: list[str]) -> list[Any]:
    unknown = [n for n in names if n not in QUANTITY_NAMES]
    if unknown:
        raise GraphQLError(f"Invalid quantity name: {unknown[0]}. Valid names are: "
                           + ", ".join(QUANTITY_NAMES))
    return [
        {"id": f"{item.level_gid}&name={name}", "name": name, "quantity": item.quantity(name),
         "updatedAt": utc(item.updated_at)}
        for name in names
    ]


def _level(item: StockItem, info: GraphQLResolveInfo, locationId: str) -> Any:
    return item if parse_gid(locationId, "Location") == LOCATION_ID else None


def _title(item: StockItem) -> str:
    return item.product.variant_title or "Default Title"


class _Level:
    """An inventory level is the (item, location) pair; one location, so it wraps the item."""

    def __init__(self, item: StockItem) -> None:
        self.item = item


INVENTORY_RESOLVERS: dict[str, dict[str, Callable[..., Any]]] = {
    "Query": {
        "inventoryItem": lookup("InventoryItem"),
        "productVariant": lookup("ProductVariant"),
        "productVariants": _variants,
    },
    "InventoryItem": {
        "id": lambda i, _: gid("InventoryItem", i.id),
        "legacyResourceId": lambda i, _: str(i.id),
        "requiresShipping": lambda i, _: i.product.requires_shipping,
        "createdAt": lambda i, _: utc(i.updated_at),
        "updatedAt": lambda i, _: utc(i.updated_at),
        "variant": lambda i, _: i,
        "inventoryLevel": lambda i, info, locationId: (
            _Level(i) if _level(i, info, locationId) else None
        ),
        "inventoryLevels": lambda i, info, query=None, **a: connection(
            [_Level(i)] if i.tracked else [], lambda level: level.item.id, **a
        ),
    },
    "InventoryLevel": {
        "id": lambda level, _: level.item.level_gid,
        "createdAt": lambda level, _: utc(level.item.updated_at),
        "updatedAt": lambda level, _: utc(level.item.updated_at),
        "item": lambda level, _: level.item,
        "location": lambda level, _: {"id": gid("Location", LOCATION_ID), "name": LOCATION_NAME},
        "quantities": lambda level, info, names: _quantities(level.item, info, names),
    },
    "ProductVariant": {
        "id": lambda i, _: gid("ProductVariant", i.variant_id),
        "legacyResourceId": lambda i, _: str(i.variant_id),
        "sku": lambda i, _: i.sku,
        "title": lambda i, _: _title(i),
        "displayName": lambda i, _: f"{i.product.title} - {_title(i)}",
        "price": lambda i, _: i.product.price,
        "availableForSale": lambda i, _: i.policy == "CONTINUE" or i.available > 0,
        "inventoryPolicy": lambda i, _: i.policy,
        "inventoryQuantity": lambda i, _: i.available if i.tracked else None,
        "inventoryItem": lambda i, _: i,
        "product": lambda i, info: _inventory(info).products[i.product_id],
    },
    "Product": {
        "id": lambda p, _: gid("Product", p.id),
        "legacyResourceId": lambda p, _: str(p.id),
        "productType": lambda p, _: p.product_type,
        "tags": lambda p, _: list(p.tags),
    },
}
