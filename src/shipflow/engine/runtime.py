"""What the workflows use at run time: the store, the provider clients and the clock.

Workflows are module-level functions (DBOS registers them by name), so their collaborators are
bound here once per process instead of being imported; tests bind their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Callable

from shipflow.providers.klaviyo.client import KlaviyoClient
from shipflow.providers.shipstation.client import ShipStationClient
from shipflow.providers.shopify.client import ShopifyClient
from shipflow.store.lifecycle import Lifecycle
from shipflow.store.pipeline import Pipeline
from shipflow.store.repository import Store

if TYPE_CHECKING:
    from shipflow.providers.shipstation_v2.client import ShipStationV2Client
    from shipflow.rules import RuleSet


@dataclass
class Runtime:
    store: Store
    shopify: ShopifyClient
    shipstation: ShipStationClient
    klaviyo: KlaviyoClient
    clock: Callable[[], datetime]
    rules: RuleSet
    shipstation_v2: ShipStationV2Client | None = None  # buys labels in `api` label mode

    @property
    def pipeline(self) -> Pipeline:
        return Pipeline(self.store)

    @property
    def lifecycle(self) -> Lifecycle:
        return Lifecycle(self.store)

    def close(self) -> None:
        for client in (self.shopify, self.shipstation, self.klaviyo, self.shipstation_v2):
            if client is not None:
                client.close()


_bound: Runtime | None = None


def bind(runtime: Runtime | None) -> None:
    global _bound
    _bound = runtime


def current() -> Runtime:
    if _bound is None:
        raise RuntimeError("the engine runtime is not bound; start shipflow through Engine.launch")
    return _bound
