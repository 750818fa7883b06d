"""How orders enter ShipStation, as configured and as observed: `shipflow doctor`'s check that
`policy.shipstation.source` matches what ShipStation shows.

- `push` while ShipStation's own Shopify store connection imports orders (recent orders of the
  Shopify store that shipflow did not create): every order would exist twice in ShipStation,
  once imported and once pushed, and be shipped twice. A problem.
- `store_import` with no Shopify store in ShipStation (nothing would be imported): a problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from shipflow.domain.policy import ShipStationSource
from shipflow.ops.connect import Status
from shipflow.providers.shipstation.mapping import SOURCE, ShipStationOrder
from shipflow.providers.shipstation.stores import Store, shopify_store

RECENT = 50  # the newest orders of the Shopify store that are looked at


@dataclass(frozen=True, slots=True)
class EntryFinding:
    status: Status
    message: str


def imported_by_connection(orders: Sequence[ShipStationOrder]) -> list[ShipStationOrder]:
    """The orders a store connection imported: not created (or amended) by shipflow."""
    return [o for o in orders if o.source != SOURCE]


def order_entry(source: ShipStationSource, stores: Sequence[Store],
                recent: Sequence[ShipStationOrder], store_id: int | None = None
                ) -> EntryFinding:
    """`recent`: the newest orders of the Shopify store (`store_id`, else the one `stores`
    names Shopify)."""
    found = shopify_store(stores)
    store = store_id or (found.store_id if found else None)
    if store is None:
        if source is ShipStationSource.STORE_IMPORT:
            return EntryFinding("problem", "policy.shipstation.source is store_import, but "
                                "ShipStation has no Shopify store connection (GET /stores) and "
                                "SHIPFLOW_SHIPSTATION_STORE_ID is not set: no order would be "
                                "imported for shipflow to amend")
        return EntryFinding("ok", "source push; ShipStation has no Shopify store connection")
    imported = imported_by_connection(recent)
    if source is ShipStationSource.PUSH:
        if imported:
            numbers = ", ".join(o.order_number for o in imported[:5])
            return EntryFinding("problem", f"{len(imported)} of the newest {len(recent)} orders "
                                f"of ShipStation's Shopify store {store} came from its own store "
                                f"connection (e.g. {numbers}) while policy.shipstation.source is "
                                "push: every order would be in ShipStation twice. Set source: "
                                "store_import, or turn off the connection's order import")
        return EntryFinding("ok", f"source push; the Shopify store {store} in ShipStation "
                                  "imports no order")
    # Amended imports carry shipflow's mark (`source`), so they are not counted here.
    return EntryFinding("ok", f"source store_import; ShipStation's Shopify store {store} "
                              f"imports the orders ({len(recent)} recent)")
