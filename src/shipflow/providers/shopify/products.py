"""Admin GraphQL read of what review timing is keyed on: each product's type and tags.

One `nodes(ids:)` query per 250 product ids (the input-array cap, shopify.md §5.1), selecting
`... on Product { productType tags }`. Cost: `nodes` returns one object per id and scalars cost
nothing, so a call requests one point per id — 250 at most, a quarter of the 1,000-point cap
(assumption: Shopify's rate-limit page prices objects at 1 and interfaces at their most
expensive selection; it says nothing specific about `nodes`, and `actualQueryCost` shows
the real figure, which the client learns after the first call).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Sequence

from shipflow.providers.fields import Fields
from shipflow.providers.shopify.graphql import MAX_INPUT_ITEMS, Operation
from shipflow.providers.shopify.models import _numeric_id, gid

PRODUCTS_PER_CALL = MAX_INPUT_ITEMS


@lru_cache(maxsize=8)
def _operation() -> Operation:
    return Operation(
        "productCategories",
        """
query productCategories($ids: [ID!]!) {
  nodes(ids: $ids) {
    ... on Product { id productType tags }
  }
}
""".strip(),
        estimated_cost=float(PRODUCTS_PER_CALL),
        idempotent=True,
    )


PRODUCT_CATEGORIES = _operation()
OPERATIONS = (PRODUCT_CATEGORIES,)


def product_ids_variables(ids: Sequence[int | str]) -> dict[str, list[str]]:
    """`{"ids": [gid…]}` for one call: 1–250 distinct product ids (numeric or GIDs)."""
    unique = list(dict.fromkeys(gid("Product", i) for i in ids))
    if not unique or len(unique) > PRODUCTS_PER_CALL:
        raise ValueError(f"1–{PRODUCTS_PER_CALL} product ids per call")
    return {"ids": unique}


def categories(product_type: str | None, tags: Sequence[str]) -> tuple[str, ...]:
    """The product type first (when set), then the tags, each once, in Shopify's order."""
    values = [product_type or "", *tags]
    return tuple(dict.fromkeys(v.strip() for v in values if v and v.strip()))


def parse_product_categories(data: Fields) -> dict[int, tuple[str, ...]]:
    """`{product id: (product type, *tags)}`; ids Shopify does not know (null entries) and
    nodes that are not products (a wrong GID kind comes back as `{}`) are left out."""
    found: dict[int, tuple[str, ...]] = {}
    for index, raw in enumerate(data.array("nodes")):
        if raw is None:
            continue
        node = Fields(raw, data.at(f"nodes[{index}]"), data.error)
        ident = node.string("id", required=False)
        product_id = _numeric_id(ident) if ident and "/Product/" in ident else None
        if product_id is None:
            continue
        tags = tuple(str(t) for t in node.array("tags", required=False) if isinstance(t, str))
        found[product_id] = categories(node.string("productType", required=False), tags)
    return found
