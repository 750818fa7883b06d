"""Retention on both databases, in the store: bounded passes, what is kept, what waits, and the
sweeper's ticks (the lifecycle runs are in test_privacy.py)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from shipflow.domain.policy import DelayPolicy
from shipflow.engine.loops.sweeper import Sweeper
from shipflow.engine.privacy import PrivacyDesk
from shipflow.store import Database, Store, upgrade
from shipflow.store.inbox import Delivery

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
