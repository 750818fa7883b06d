"""Shopify identifiers: int64 REST ids per resource kind and `gid://shopify/<Type>/<n>` GIDs.

Real ids are large, increasing integers (often above 2**53, shopify fixtures README); the
allocator hands out increasing 13-14 digit ids per kind from a seeded start, with gaps.
"""

from __future__ import annotations

import random
import re

_GID = re.compile(r"^gid://shopify/(?P<type>[A-Za-z]+)/(?P<id>\d+)(?:\?.*)?$")

_BASES = {
    "Order": 5_800_000_000_000,
    "LineItem": 14_900_000_000_000,
    "Customer": 7_400_000_000_000,
    "MailingAddress": 9_100_000_000_000,
    "ShippingLine": 4_700_000_000_000,
    "FulfillmentOrder": 6_900_000_000_000,
    "FulfillmentOrderLineItem": 14_200_000_000_000,
    "Fulfillment": 5_300_000_000_000,
    "FulfillmentHold": 1_200_000_000,
    "Product": 8_100_000_000_000,
    "ProductVariant": 44_600_000_000_000,
    "InventoryItem": 46_300_000_000_000,
    "Refund": 9_300_000_000_000,
    "RefundLineItem": 4_800_000_000_000,
    "Transaction": 7_200_000_000_000,
}


class IdAllocator:
    def __init__(self, seed: int) -> None:
        self._rng = random.Random(f"ids:{seed}")
        self._next = {kind: base + self._rng.randrange(10**6) for kind, base in _BASES.items()}

    def next(self, kind: str) -> int:
        value = self._next[kind]
        self._next[kind] = value + self._rng.randrange(1, 5000)
        return value


def gid(kind: str, ident: int) -> str:
    return f"gid://shopify/{kind}/{ident}"


def parse_gid(value: str, kind: str | None = None) -> int | None:
    """The numeric id of a GID (of the given kind, if any); None when it is not one."""
    match = _GID.match(value or "")
    if not match or (kind is not None and match["type"] != kind):
        return None
    return int(match["id"])
