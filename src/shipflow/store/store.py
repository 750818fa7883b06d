"""The store: one repository per aggregate over shipflow's own tables, sharing one database
and one clock. Each repository's operations are one transaction each; callers pass domain
objects, never rows."""

from __future__ import annotations

from shipflow.domain.policy import ShippingPolicy
from shipflow.store.clock import Clock, utcnow
from shipflow.store.db import Database
from shipflow.store.executors import Executors
from shipflow.store.inbox import Inbox
from shipflow.store.ledger import Ledger
from shipflow.store.orders import Orders
from shipflow.store.parts import Parts
from shipflow.store.privacy import PrivacyRequests
from shipflow.store.reconcile_runs import ReconcileRuns
from shipflow.store.shipments import Shipments
from shipflow.store.timeline import Timeline
from shipflow.store.timers import Timers


class Store:
    def __init__(self, db: Database, clock: Clock = utcnow,
                 shipping: ShippingPolicy | None = None, handled_by: str = "shipflow") -> None:
        self.db = db
        self.clock = clock
        self.timeline = Timeline(db, clock)
        self.orders = Orders(db, clock, self.timeline, shipping or ShippingPolicy(), handled_by)
        self.parts = Parts(db, clock, self.orders, self.timeline)
        self.shipments = Shipments(db, clock, self.timeline)
        self.timers = Timers(db, clock, self.timeline)
        self.inbox = Inbox(db, clock, self.orders)
        self.ledger = Ledger(db, clock)
        self.privacy = PrivacyRequests(db, clock, self.inbox)
        self.reconcile_runs = ReconcileRuns(db, clock)
        # Heartbeats run on the wall clock, whatever calendar the lifecycle runs on.
        self.executors = Executors(db, utcnow)
