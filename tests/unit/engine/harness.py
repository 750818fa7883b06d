"""One engine in-process on SQLite, bound to fake ports: flows run in this thread through
DBOS (`durable.run`), so a test drives them step by step and reads the store and the fakes."""

from __future__ import annotations

import itertools
import time
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

from shipflow.domain.order import Order, OrderState
from shipflow.engine import durable, runtime
from shipflow.engine.outbox import Outbox, Ports
from shipflow.engine.runtime import Runtime
from shipflow.rules import RuleSet
from shipflow.store import Database, Store, upgrade
from shipflow.store.inbox import Delivery
from tests.unit.domain.factories import an_order

from .fakes import FakeKlaviyo, FakeRates, FakeShipStation, FakeShopify

NOW = datetime(2026, 11, 2, 15, 0, tzinfo=timezone.utc)
_runs = itertools.count(1)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@dataclass
class Harness:
    store: Store
    rt: Runtime
    clock: Clock
    shopify: FakeShopify
    shipstation: FakeShipStation
    rates: FakeRates
    klaviyo: FakeKlaviyo
    batch: str = ""

    def run(self, func: Callable[..., Any], *args: Any, workflow_id: str | None = None) -> Any:
        return durable.run(workflow_id or f"test:{next(_runs)}", func, *args)

    def paid(self, *orders: Order) -> list[int]:
        """Store paid orders as intake would, claimed for one push batch; returns their pks."""
        for order in orders:
            self.store.inbox.accept(Delivery("shopify", f"d-{order.shopify_order_id}",
                                                "orders/paid", order.shop_domain, {}, b"{}", 2),
                                       order, dispatched=True)
        self.batch = f"push:{next(_runs)}"  # the workflow id a dispatcher would give it
        return self.store.orders.claim_paid(self.batch, 100)

    def wait(self, done: Callable[[], bool], timeout: float = 10.0) -> None:
        """For work DBOS runs in its own threads (a recovered workflow)."""
        deadline = time.monotonic() + timeout
        while not done():
            assert time.monotonic() < deadline, "timed out"
            time.sleep(0.05)

    def state(self, pk: int) -> OrderState:
        return self.store.orders.load([pk])[0].state

    def ledger(self) -> Counter[str]:
        """Ledger rows by effect kind and status."""
        return Counter(f"{r.effect}:{r.status}" for r in self.store.ledger.rows())


def order(n: int, **overrides: Any) -> Order:
    return replace(an_order(**overrides), shopify_order_id=1000 + n, name=f"#{1000 + n}")


def start(tmp_path: Path, rules: RuleSet, *, record_only: bool = False,
          listen: bool = False, executor_id: str | None = None,
          database_url: str | None = None) -> Harness:
    """`database_url`: an empty database to use (PostgreSQL too) instead of a SQLite file."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    url = database_url or f"sqlite:///{tmp_path / 'shipflow.db'}"
    upgrade(url)
    clock = Clock()
    store = Store(Database.connect(url), clock=clock, shipping=rules.policies.shipping)
    fakes = FakeShopify(), FakeShipStation(), FakeRates(), FakeKlaviyo()
    ports = Ports(orders=fakes[0], labels=fakes[1], messaging=fakes[3], purchasing=fakes[2])
    rt = Runtime(store=store, outbox=Outbox(store.ledger, ports, record_only=record_only),
                 shopify=fakes[0], shipstation=fakes[1], rates=fakes[2], clock=clock,
                 rules=rules, retry_delays=(0.0, 0.0))
    runtime.bind(rt)
    durable.configure(url, executor_id=executor_id, listen=listen, log_level="WARNING",
                      notification_poll=0.02)
    durable.launch(1)
    return Harness(store, rt, clock, *fakes)


def stop(h: Harness) -> None:
    durable.destroy()
    runtime.bind(None)
    h.store.db.dispose()
