"""ShipStation v1 stores (`GET /stores`) and the orders a store connection imported: pure
parsers and the choice of which imported order is the Shopify order's.

`GET /stores` answers a JSON array of stores: `storeId, storeName, marketplaceId,
marketplaceName, accountName, email, integrationUrl, active, companyName, phone, publicEmail,
website, refreshDate, lastRefreshAttempt, createDate, modifyDate, autoRefresh, statusMappings`
(the Store model of the v1 API, e.g. SFPL-IT/shipstation-php-client `docs/Model/
UpdateStoreresponse.md`). shipstation.md is silent on the Shopify connection's marketplace id,
so the Shopify store is recognised by `marketplaceName` alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from shipflow.providers.errors import UnexpectedResponse
from shipflow.providers.fields import Fields
from shipflow.providers.ports import ImportedOrder
from shipflow.providers.shipstation.mapping import SOURCE, ShipStationOrder

SHOPIFY_MARKETPLACE = "shopify"


@dataclass(frozen=True, slots=True)
class Store:
    store_id: int
    name: str
    marketplace_id: int | None
    marketplace_name: str
    active: bool

    @property
    def is_shopify(self) -> bool:
        return self.marketplace_name.strip().lower() == SHOPIFY_MARKETPLACE


def parse_stores(d: Any) -> list[Store]:
    if not isinstance(d, list):
        raise UnexpectedResponse("stores: expected an array")
    stores = []
    for index, raw in enumerate(d):
        f = Fields(raw, f"[{index}]", UnexpectedResponse)
        stores.append(Store(f.req_integer("storeId"), f.string("storeName", required=False) or "",
                            f.integer("marketplaceId", required=False),
                            f.string("marketplaceName", required=False) or "",
                            f.boolean("active", True)))
    return stores


def shopify_store(stores: Sequence[Store]) -> Store | None:
    """The account's Shopify store: the active one first (a merchant may keep an old,
    deactivated connection beside the live one)."""
    shopify = [s for s in stores if s.is_shopify]
    return next((s for s in shopify if s.active), shopify[0] if shopify else None)


def imported(order: ShipStationOrder) -> ImportedOrder:
    return ImportedOrder(order.order_id, order.order_key or "", order.order_number,
                         order.order_status, order.store_id, order.source == SOURCE)
