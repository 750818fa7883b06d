"""Fixtures shared by the integration tests (each runs on SQLite and on PostgreSQL)."""

from __future__ import annotations

from typing import Iterator

import pytest

from shipflow.domain.order import Order, OrderState
from shipflow.domain.tracking_events import TrackingUpdate
from shipflow.store import Database, Store, upgrade


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    """A migrated, empty store on the test's database."""
    upgrade(database_url)
    s = Store(Database.connect(database_url))
    yield s
    s.db.dispose()


class RecordingStarter:
    def __init__(self) -> None:
        self.orders: list[int] = []
        self.pointers: list[str] = []
        self.tracking: list[TrackingUpdate] = []
        self.restocks: list[int] = []
        self.releases: list[int] = []
        self.retries: list[int] = []

    def start_order(self, order: Order) -> str:
        self.orders.append(order.shopify_order_id)
        return f"order:{order.shopify_order_id}"

    def start_ship_notify(self, resource_url: str) -> str:
        self.pointers.append(resource_url)
        return f"ship-notify:{resource_url}"

    def start_tracking(self, update: TrackingUpdate) -> str:
        self.tracking.append(update)
        return f"tracking:{update.tracking_number}"

    def start_restock(self, inventory_item_id: int, webhook_id: str) -> str:
        self.restocks.append(inventory_item_id)
        return f"restock:{inventory_item_id}:{webhook_id}"

    def start_release(self, order_pk: int) -> str:
        self.releases.append(order_pk)
        return f"release:{order_pk}"

    def retry(self, order_pk: int, who: str) -> OrderState | None:
        self.retries.append(order_pk)
        return OrderState.PAID


@pytest.fixture
def starter() -> RecordingStarter:
    """Stands in for the engine: records what the web layer asked it to start."""
    return RecordingStarter()
