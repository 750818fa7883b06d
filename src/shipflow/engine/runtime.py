"""What the flows use at run time: the store, the outbox, the ports' read halves and the clock.

Workflows are module-level functions (DBOS registers them by name), so their collaborators are
bound here once per process instead of being imported; tests bind their own, with fake ports.
Flows read providers through `shopify`, `shipstation` and `rates` (typed on the read halves of
the ports) and write only through `outbox`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from shipflow.engine.outbox import Outbox
from shipflow.providers.ports import LabelPlatformReads, LabelPurchasingReads, OrderSourceReads
from shipflow.rules import RuleSet
from shipflow.store import Store


@dataclass
class Runtime:
    store: Store
    outbox: Outbox
    shopify: OrderSourceReads
    shipstation: LabelPlatformReads
    clock: Callable[[], datetime]
    rules: RuleSet
    rates: LabelPurchasingReads | None = None  # ShipStation v2, buys labels in `api` mode
    closers: list[Callable[[], None]] = field(default_factory=list)
    # Durable retries of a step across an outage: seconds before each new attempt.
    retry_delays: tuple[float, ...] = (5.0, 30.0, 120.0, 600.0, 1800.0)
    # `store_import` mode: the ShipStation store that imports Shopify orders (None: the one
    # `GET /stores` names Shopify), and how long (seconds) an import is waited for.
    shipstation_store_id: int | None = None
    store_import_wait: float = 1800.0

    def close(self) -> None:
        for close in self.closers:
            close()


_bound: Runtime | None = None


def bind(runtime: Runtime | None) -> None:
    global _bound
    _bound = runtime


def current() -> Runtime:
    if _bound is None:
        raise RuntimeError("the engine runtime is not bound; start shipflow through Engine.launch")
    return _bound
