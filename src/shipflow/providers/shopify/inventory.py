"""Admin GraphQL reads for stock: SKUs of inventory items, and a variant's available stock.

`inventory_levels/update` webhooks name only an inventory item (shopify.md §6), so the restock
path needs `inventory item -> (variant, SKU)`; the backorder check needs a variant's policy,
whether it is tracked and its `available` quantity at each location (§6's query, sized to stay
far under the 1,000-point cap of one query).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Sequence

from shipflow.providers.errors import NotFound
from shipflow.providers.fields import Fields
from shipflow.providers.shopify.graphql import Operation
from shipflow.providers.shopify.models import LocationStock, VariantStock, _numeric_id, gid

# One aliased `inventoryItem(id:)` per item, 100 per call: 2 points an item (the item and its
# variant), ~200 points a call. (`nodes(ids:)` would do too; the sandbox serves it for products
# only, see `products.py`.)
INVENTORY_ITEMS_PER_CALL = 100
# A SKU search can match more than one variant (Shopify tokenizes); the exact match is picked.
SKU_CANDIDATES = 5
LEVELS_PAGE = 25


@lru_cache(maxsize=INVENTORY_ITEMS_PER_CALL)
def inventory_item_skus_operation(count: int) -> Operation:
    """`inventoryItem(id:)` for `count` items in one document, aliased `i0`, `i1`…"""
    if not 1 <= count <= INVENTORY_ITEMS_PER_CALL:
        raise ValueError(f"1–{INVENTORY_ITEMS_PER_CALL} inventory items per call")
    parameters = ", ".join(f"$id{n}: ID!" for n in range(count))
    fields = "\n".join(f"  i{n}: inventoryItem(id: $id{n}) {{ id sku variant {{ id sku }} }}"
                       for n in range(count))
    return Operation("inventoryItemSkus", f"query inventoryItemSkus({parameters}) {{\n{fields}\n}}",
                     estimated_cost=2.0 * count, idempotent=True)


INVENTORY_ITEM_SKUS = inventory_item_skus_operation(INVENTORY_ITEMS_PER_CALL)

_VARIANT_STOCK_FIELDS = f"""
      id
      sku
      inventoryPolicy
      inventoryQuantity
      inventoryItem {{
        id
        tracked
        inventoryLevels(first: {LEVELS_PAGE}) {{
          nodes {{ location {{ id }} quantities(names: ["available"]) {{ name quantity }} }}
        }}
      }}"""

# Requested cost: 2 + 5 x (variant 1 + item 1 + levels (2 + 25 x (level 1 + location 1 +
# quantities 1))) = 397.
VARIANT_STOCK_BY_SKU = Operation(
    "variantStockBySku",
    f"""
query variantStockBySku($query: String!) {{
  productVariants(first: {SKU_CANDIDATES}, query: $query) {{
    nodes {{{_VARIANT_STOCK_FIELDS}
    }}
  }}
}}
""".strip(),
    estimated_cost=2.0 + SKU_CANDIDATES * (4 + 3 * LEVELS_PAGE),
    idempotent=True,
)

VARIANT_STOCK = Operation(
    "variantStock",
    f"""
query variantStock($id: ID!) {{
  productVariant(id: $id) {{{_VARIANT_STOCK_FIELDS}
  }}
}}
""".strip(),
    estimated_cost=4.0 + 3 * LEVELS_PAGE,
    idempotent=True,
)

# Stock of many SKUs in one search: `productVariants(query: "sku:\"A\" OR sku:\"B\" …")`, paged.
# A page of 12 variants requests 2 + 12 x 79 + 1 (pageInfo) = 951 points, under the 1,000 cap
# of one query (shopify.md §5.1); the points actually charged are for what comes back (one or
# two levels a variant), so a page costs far less of the bucket than 12 single-SKU reads.
STOCK_PAGE = 12
# Shopify publishes no length limit for a search string; these bounds are our assumption, kept
# small enough for any URL or log line: at most 50 terms and 2,000 characters a search.
SKUS_PER_SEARCH = 50
MAX_SEARCH_CHARS = 2000
# A chunk's search ends after this many pages per SKU of it (tokenized searches can match more
# than the SKUs asked for); SKUs still unseen then are read one by one, exactly.
PAGES_PER_SKU = 2

VARIANT_STOCK_BY_SKUS = Operation(
    "variantStockBySkus",
    f"""
query variantStockBySkus($query: String!, $after: String) {{
  productVariants(first: {STOCK_PAGE}, after: $after, query: $query) {{
    nodes {{{_VARIANT_STOCK_FIELDS}
    }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}
""".strip(),
    estimated_cost=3.0 + STOCK_PAGE * (4 + 3 * LEVELS_PAGE),
    idempotent=True,
)

OPERATIONS = (INVENTORY_ITEM_SKUS, VARIANT_STOCK_BY_SKU, VARIANT_STOCK, VARIANT_STOCK_BY_SKUS)


def inventory_item_ids_variables(ids: Sequence[int | str]) -> dict[str, str]:
    """`{"id0": gid, "id1": gid…}` for `inventory_item_skus_operation(len(...))`."""
    unique = list(dict.fromkeys(gid("InventoryItem", i) for i in ids))
    if not unique or len(unique) > INVENTORY_ITEMS_PER_CALL:
        raise ValueError(f"1–{INVENTORY_ITEMS_PER_CALL} inventory item ids per call")
    return {f"id{n}": value for n, value in enumerate(unique)}


def sku_query(sku: str) -> str:
    """Shopify search syntax for one SKU, quoted so spaces and colons stay part of it."""
    if not sku or not sku.strip():
        raise ValueError("sku is empty")
    escaped = sku.strip().replace("\\", "\\\\").replace('"', '\\"')
    return f'sku:"{escaped}"'


def sku_searches(skus: Sequence[str]) -> list[tuple[tuple[str, ...], str]]:
    """The SKUs (stripped, deduplicated, empty ones dropped) in chunks of at most
    `SKUS_PER_SEARCH` whose `sku:"A" OR sku:"B"…` search is at most `MAX_SEARCH_CHARS` long:
    `[(chunk, search)]`. A single SKU longer than the limit gets a search of its own."""
    unique = list(dict.fromkeys(s.strip() for s in skus if s and s.strip()))
    out: list[tuple[tuple[str, ...], str]] = []
    chunk: list[str] = []
    terms: list[str] = []
    for sku in unique:
        term = sku_query(sku)
        longer = len(" OR ".join([*terms, term]))
        if chunk and (len(chunk) >= SKUS_PER_SEARCH or longer > MAX_SEARCH_CHARS):
            out.append((tuple(chunk), " OR ".join(terms)))
            chunk, terms = [], []
        chunk.append(sku)
        terms.append(term)
    if chunk:
        out.append((tuple(chunk), " OR ".join(terms)))
    return out


def parse_variant_stock_page(
    data: Fields, wanted: Sequence[str]
) -> tuple[dict[str, VariantStock], str | None]:
    """The variants of one `VARIANT_STOCK_BY_SKUS` page whose SKU is exactly one of `wanted`
    (the first variant of a SKU wins, as in `parse_variant_stock_by_sku`), and the cursor of
    the next page (None on the last)."""
    targets = set(wanted)
    connection = data.obj("productVariants")
    found: dict[str, VariantStock] = {}
    for node in connection.objects("nodes"):
        sku = (node.string("sku", required=False) or "").strip()
        if sku in targets and sku not in found:
            found[sku] = _variant_stock(node)
    info = connection.optional_obj("pageInfo")
    after = None
    if info is not None and info.boolean("hasNextPage", False):
        after = info.string("endCursor", required=False, empty_is_none=True)
    return found, after


def parse_inventory_item_skus(data: Fields) -> dict[int, tuple[int, str | None]]:
    """`{inventory item id: (variant id, sku)}` from the aliased answers; ids Shopify does not
    know (null) are left out. The item's SKU wins; the variant's is the fallback."""
    found: dict[int, tuple[int, str | None]] = {}
    for alias in sorted(data.data):
        item = data.optional_obj(alias)
        if item is None:
            continue
        variant = item.optional_obj("variant")
        item_id = _numeric_id(item.req_string("id"))
        variant_id = _numeric_id(variant.req_string("id")) if variant else None
        if item_id is None or variant_id is None:
            continue
        sku = item.string("sku", required=False, empty_is_none=True) or (
            variant.string("sku", required=False, empty_is_none=True) if variant else None)
        found[item_id] = (variant_id, sku)
    return found


def _variant_stock(f: Fields) -> VariantStock:
    item = f.obj("inventoryItem")
    levels = []
    connection = item.optional_obj("inventoryLevels")
    for level in connection.objects("nodes") if connection else ():
        location = level.obj("location")
        available = sum(
            q.req_integer("quantity") for q in level.objects("quantities", required=False)
            if q.string("name", required=False) == "available")
        levels.append(LocationStock(location.req_string("id"), available))
    variant_id = _numeric_id(f.req_string("id"))
    item_id = _numeric_id(item.req_string("id"))
    if variant_id is None or item_id is None:
        raise f.fail("id", "expected a ProductVariant and an InventoryItem GID")
    return VariantStock(
        variant_id=variant_id,
        sku=f.string("sku", required=False, empty_is_none=True),
        available=sum(level.available for level in levels),
        policy=f.req_string("inventoryPolicy").upper(),
        tracked=item.boolean("tracked", True),
        inventory_item_id=item_id,
        levels=tuple(levels),
        inventory_quantity=f.integer("inventoryQuantity", required=False),
    )


def parse_variant_stock(data: Fields, variant_gid: str) -> VariantStock:
    variant = data.optional_obj("productVariant")
    if variant is None:
        raise NotFound(f"{variant_gid} not found", provider="shopify")
    return _variant_stock(variant)


def parse_variant_stock_by_sku(data: Fields, sku: str) -> VariantStock:
    """The variant whose SKU is exactly `sku` among the search results; `NotFound` if none."""
    wanted = sku.strip()
    for node in data.obj("productVariants").objects("nodes"):
        if (node.string("sku", required=False) or "").strip() == wanted:
            return _variant_stock(node)
    raise NotFound(f"no variant with SKU {wanted!r}", provider="shopify")
