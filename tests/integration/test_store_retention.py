"""Retention on both databases, in the store: bounded passes, what is kept, what waits, and the
sweeper's ticks (the lifecycle runs are in test_privacy.py)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Callable

from shipflow.domain.policy import DelayPolicy
from shipflow.domain.privacy import PrivacyRequest, PrivacyTopic
from shipflow.domain.tracking_events import TrackingScan, TrackingStatus, TrackingUpdate
from shipflow.engine.loops.sweeper import Sweeper
from shipflow.engine.privacy import PrivacyDesk
from shipflow.store import Database, Store, upgrade
from shipflow.store.inbox import Delivery
from tests.unit.domain.factories import an_order

START = datetime(2026, 1, 1, tzinfo=timezone.utc)


class Calendar:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def test_webhook_bodies_go_after_the_period_in_bounded_passes(database_url: str) -> None:
    upgrade(database_url)
    calendar = Calendar()
    store = Store(Database.connect(database_url), clock=calendar)
    try:
        body = json.dumps({"customer": {"email": "ada@example.org"}}).encode()
        for n in range(5):
            store.inbox.accept(Delivery("shopify", f"d-{n}", "customers/update", "s", {},
                                        body + str(n).encode(), len(body)), None,
                               dispatched=n != 4)  # the last one's work never started
        desk = PrivacyDesk(store, None, clock=calendar, retention_days=30, batch=2)
        calendar.now = START + timedelta(days=29)
        assert desk.purge_expired()["webhook_bodies"] == 0
        calendar.now = START + timedelta(days=31)
        assert [desk.purge_expired()["webhook_bodies"] for _ in range(4)] == [2, 2, 0, 0]
        for n in range(3):  # tracking parked for labels that never came
            store.shipments.park(f"u-{n}", TrackingUpdate(f"1Z{n}", "ups", TrackingStatus.DELIVERED, (
                TrackingScan(START, TrackingStatus.DELIVERED, signer="ADA LOVELACE"),)))
        calendar.now = START + timedelta(days=62)
        assert [desk.purge_expired()["parked_tracking"] for _ in range(3)] == [2, 1, 0]
        left = store.inbox.undispatched()
        assert [(provider, bool(b)) for _, provider, b in left] == [("shopify", True)]

        ticks: list[str] = []
        sweeper = Sweeper(store, clock=calendar, delay_policy=DelayPolicy,
                          start_stop=lambda pk: None, start_timers=lambda b, k: None,
                          start_delay=lambda s, n: None, batch_status=lambda b: None,
                          privacy=lambda: ticks.append("privacy") or 0,
                          retention=lambda: ticks.append("retention") or {})
        sweeper.sweep_once(delays=False)
        sweeper.sweep_once(delays=False, retention=True)
        assert ticks == ["privacy", "privacy", "retention"]
    finally:
        store.db.dispose()


class Checkpoints:
    """Stands in for the engine's records: `running` workflows still use the customer."""

    def __init__(self, running: int) -> None:
        self.running = running
        self.searched: list[bool] = []

    def forget(self, matches: Callable[[bytes], bool], page: int = 500) -> tuple[int, int]:
        self.searched.append(matches(b"... ada@example.org ..."))
        return 0, self.running

    def expire(self, before_epoch_ms: int, limit: int = 500) -> int:
        return 0


def test_a_redaction_waits_for_the_workflows_using_the_customer(database_url: str) -> None:
    upgrade(database_url)
    calendar = Calendar()
    store = Store(Database.connect(database_url), clock=calendar)
    try:
        order = an_order()
        store.inbox.accept(Delivery("shopify", "d-1", "orders/paid", order.shop_domain, {},
                                    json.dumps({"email": order.email}).encode(), 10), order,
                           dispatched=True)
        request = PrivacyRequest(PrivacyTopic.CUSTOMER_REDACT, 1, order.shop_domain, 42,
                                 "ada@example.org", None, (order.shopify_order_id,))
        new, request_id = store.privacy.receive(
            Delivery("shopify", "d-2", "customers/redact", order.shop_domain, {}, b"{}", 2),
            request)
        assert new and request_id is not None
        engine = Checkpoints(running=1)
        desk = PrivacyDesk(store, engine, clock=calendar)
        assert desk.process_open() == 1
        stored = store.privacy.get(request_id)
        assert stored is not None and stored.status == "waiting"
        assert stored.request.email == "ada@example.org"  # still needed
        [(_, _, snapshot)] = store.orders.of_customer(order.shop_domain, 42, [], [])
        assert snapshot["email"] == order.email  # kept while a workflow uses it
        assert desk.process_open() == 0  # not tried again at once
        engine.running = 0
        calendar.now += timedelta(minutes=2)
        assert desk.process_open() == 1
        stored = store.privacy.get(request_id)
        assert stored is not None and stored.status == "done" and stored.attempts == 2
        assert stored.request.email is None and engine.searched == [True, True]
        assert store.orders.of_customer(order.shop_domain, 42, ["ada@example.org"], []) == []
    finally:
        store.db.dispose()


def test_one_worker_at_a_time_works_on_a_request(database_url: str) -> None:
    upgrade(database_url)
    store = Store(Database.connect(database_url))
    try:
        request = PrivacyRequest(PrivacyTopic.SHOP_REDACT, 1, "s.myshopify.com")
        _, request_id = store.privacy.receive(
            Delivery("shopify", "d-1", "shop/redact", "s.myshopify.com", {}, b"{}", 2), request)
        assert request_id is not None
        with store.privacy.working_on(request_id) as first:
            with store.privacy.working_on(request_id) as second:
                assert first
                assert second is (store.db.dialect != "postgresql")
        with store.privacy.working_on(request_id) as again:
            assert again  # released
    finally:
        store.db.dispose()
