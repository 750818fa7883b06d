"""Customers' personal data: Shopify's compliance requests and the retention of raw payloads.

One use case over the store's repositories (each has its own `forget`/`expire` operation) and
the engine's checkpoints (`durable.EngineRecords`). Everything here is idempotent: a request
tried again (a crash, a workflow still running) repeats what was done and changes nothing more.

- `customers/data_request`: the export (the customer's orders as shipflow holds them, with
  shipments, timeline, what was sent to each provider, and the stored deliveries that name
  them) is kept on the request for the merchant (`GET /api/privacy/requests/{id}`).
- `customers/redact`: the customer is removed from every table: orders' snapshots masked
  (the order, its lines, totals, state and shipments stay, without a person attached),
  timeline, outbound ledger, parked tracking, stored webhook bodies, earlier exports, and the
  engine's checkpoints. The orders' timelines say so, without personal data.
- `shop/redact`: everything the shop's orders left is deleted; the request stays as a record.
- Retention (`SHIPFLOW_WEBHOOK_RETENTION_DAYS`): stored webhook bodies, parked tracking,
  unattached ledger entries, exports and finished workflows' checkpoints lose their personal
  data after the period; so do orders shipflow has finished with (delivered, cancelled,
  nothing to ship, no timer pending) and what hangs off them.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from datetime import datetime, timedelta
from typing import Any, Callable, Protocol

from shipflow.domain.privacy import (
    PersonalData,
    PrivacyTopic,
    mentions,
    personal_data_of_request,
    personal_data_of_snapshot,
)
from shipflow.store import Store
from shipflow.store.privacy import StoredRequest
from shipflow.store.queries import order_view

log = logging.getLogger("shipflow.privacy")


class Records(Protocol):
    """The engine's checkpoints (`durable.EngineRecords`)."""

    def forget(self, matches: Callable[[bytes], bool], page: int = 500) -> tuple[int, int]: ...

    def expire(self, before_epoch_ms: int, limit: int = 500) -> int: ...


class PrivacyDesk:
    def __init__(self, store: Store, records: Records | None, *,
                 clock: Callable[[], datetime], retention_days: int = 30,
                 batch: int = 500) -> None:
        if retention_days < 1:
            raise ValueError("SHIPFLOW_WEBHOOK_RETENTION_DAYS must be at least 1")
        self.store = store
        self.records = records
        self.clock = clock
        self.retention = timedelta(days=retention_days)
        self.batch = batch

    # -- requests --------------------------------------------------------------------------------
    def process_open(self, limit: int = 10) -> int:
        """Do (or try again) the requests not done yet; returns how many were tried."""
        requests = self.store.privacy.open(limit)
        for stored in requests:
            try:
                with self.store.privacy.working_on(stored.id) as mine:
                    fresh = self.store.privacy.get(stored.id) if mine else None
                    if fresh is not None and fresh.status != "done":  # else another worker
                        self.handle(fresh)                            # has it, or had it
            except Exception as exc:  # one request's failure must not stop the others
                # No traceback: a database error's text carries the statement's parameters,
                # which here are the customer's email and name.
                log.error("privacy request %d failed (%s); it will be tried again", stored.id,
                          type(exc).__name__)
        return len(requests)

    def handle(self, stored: StoredRequest) -> None:
        topic = stored.request.topic
        if topic is PrivacyTopic.DATA_REQUEST:
            outcome, export = self.export_customer(stored)
            self.store.privacy.settle(stored.id, done=True, outcome=outcome, export=export)
        elif topic is PrivacyTopic.CUSTOMER_REDACT:
            outcome, done = self.redact_customer(stored)
            self.store.privacy.settle(stored.id, done=done, outcome=outcome)
        else:
            outcome, done = self.redact_shop(stored)
            self.store.privacy.settle(stored.id, done=done, outcome=outcome)
        log.info("privacy request %d (%s) tried", stored.id, topic.value)

    def _customer(self, stored: StoredRequest
                  ) -> tuple[list[tuple[int, int, dict[str, Any]]], PersonalData]:
        r = stored.request
        found = self.store.orders.of_customer(r.shop_domain, r.customer_id,
                                              [r.email] if r.email else [], r.order_ids)
        data = personal_data_of_request(r)
        for _, _, snapshot in found:
            data = data | personal_data_of_snapshot(snapshot)
        return found, data

    def export_customer(self, stored: StoredRequest) -> tuple[dict[str, Any], dict[str, Any]]:
        r = stored.request
        found, data = self._customer(stored)
        orders = []
        for _pk, shopify_id, snapshot in found:
            view = order_view(self.store.db, shopify_id)
            orders.append({"order": snapshot,
                           "shipflow": dataclasses.asdict(view) if view else None})
        deliveries = self.store.inbox.naming(data, page=self.batch)
        export = json.loads(json.dumps({
            "shopify_data_request_id": r.data_request_id,
            "shop_domain": r.shop_domain,
            "customer": {"id": r.customer_id, "email": r.email, "phone": r.phone},
            "generated_at": self.clock().isoformat(),
            "what_this_is": "Everything shipflow holds on this customer: the orders as "
                            "received from Shopify, what shipflow did with each (shipments, "
                            "timeline, every call made to ShipStation, Shopify and Klaviyo), "
                            "and the webhook deliveries that name the customer. shipflow's "
                            "workflow checkpoints hold copies of the same data.",
            "orders": orders,
            "webhook_deliveries": deliveries,
        }, default=str))
        for pk, _, _ in found:
            self.store.timeline.note(pk, "privacy", f"Customer data exported for Shopify "
                                     f"(privacy request {stored.id})", {},
                                     dedupe_key=f"{pk}:privacy:export:{stored.id}")
        return {"orders": len(found), "webhook_deliveries": len(deliveries)}, export

    def redact_customer(self, stored: StoredRequest) -> tuple[dict[str, Any], bool]:
        found, data = self._customer(stored)
        pks = [pk for pk, _, _ in found]
        outcome = self._forget(pks, data)
        outcome["exports"] = self.store.privacy.forget_exports(
            shop_domain=stored.request.shop_domain, customer_id=stored.request.customer_id)
        emptied, running = self._forget_records(data)
        outcome.update(engine_records=emptied, engine_records_in_use=running)
        if running:  # keep the orders' values until the workflows using them have finished
            return outcome, False
        outcome["orders"] = self.store.orders.remove_personal_data(
            pks, f"Customer's personal data removed (Shopify customers/redact, privacy request "
            f"{stored.id})", f"redact:{stored.id}")
        return outcome, True

    def _forget(self, pks: list[int], data: PersonalData, *, loose: bool = True
                ) -> dict[str, Any]:
        store = self.store
        return {
            "timeline_entries": store.timeline.forget(pks, data),
            "outbound_calls": store.ledger.forget(pks, data, loose=loose),
            "parked_tracking": store.shipments.forget_parked(
                store.shipments.tracking_numbers_of(pks), data),
            "webhook_bodies": store.inbox.forget(data, page=self.batch) if loose else 0,
        }

    def _forget_records(self, data: PersonalData) -> tuple[int, int]:
        if self.records is None or not data.strong:
            return 0, 0
        return self.records.forget(lambda blob: mentions(blob, data), page=self.batch)

    def redact_shop(self, stored: StoredRequest) -> tuple[dict[str, Any], bool]:
        store, shop = self.store, stored.request.shop_domain
        pks = store.orders.of_shop(shop)
        outcome: dict[str, Any] = {
            "outbound_calls": store.ledger.delete_for_orders(pks) + store.ledger.delete_unattached(),
            "orders": store.orders.delete(pks),
            # One shop per shipflow: every ShipStation delivery was about this shop's orders.
            "webhook_deliveries": store.inbox.of_shop(shop, keep_delivery=stored.webhook_id)
            + store.inbox.delete_provider("shipstation")
            + store.inbox.delete_provider("shipstation-v2"),
            "parked_tracking": store.shipments.delete_parked(),
            "privacy_requests": store.privacy.forget_contacts(shop),
        }
        emptied, running = (0, 0) if self.records is None else self.records.forget(
            lambda blob: True, page=self.batch)
        outcome.update(engine_records=emptied, engine_records_in_use=running)
        return outcome, running == 0

    # -- retention -------------------------------------------------------------------------------
    def purge_expired(self, now: datetime | None = None) -> dict[str, int]:
        """One bounded pass (at most `batch` rows of each kind) over what is past retention.
        A failure is logged without its details (they may be personal) and tried next pass."""
        try:
            return self._purge(now)
        except Exception as exc:
            log.error("retention pass failed (%s); tried again at the next pass",
                      type(exc).__name__)
            return {}

    def _purge(self, now: datetime | None) -> dict[str, int]:
        cutoff = (now or self.clock()) - self.retention
        store = self.store
        finished = store.orders.finished_before(cutoff, self.batch)
        days = self.retention.days
        for pk, snapshot in finished:
            self._forget([pk], personal_data_of_snapshot(snapshot), loose=False)
            store.orders.remove_personal_data(
                [pk], f"Customer's personal data removed after the {days}-day retention period",
                "retention")
        counts = {
            "orders": len(finished),
            "webhook_bodies": store.inbox.expire(cutoff, self.batch),
            "outbound_calls": store.ledger.expire_unattached(cutoff, self.batch),
            "parked_tracking": store.shipments.expire_parked(cutoff, self.batch),
            "exports": store.privacy.forget_exports(before=cutoff),
            "engine_records": self.records.expire(int(cutoff.timestamp() * 1000), self.batch)
            if self.records is not None else 0,
        }
        if any(counts.values()):
            log.info("retention: personal data removed from %s",
                     ", ".join(f"{n} {k}" for k, n in counts.items() if n))
        return counts
