"""The engine's small interface: launch, start the work for an order or a label, shut down.

Nothing outside `engine/` touches the durable-execution library; the web layer and the CLI
only call these methods.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import Callable, Literal

from shipflow.config import Settings
from shipflow.domain import keys
from shipflow.domain.delays import DelayNotice
from shipflow.domain.order import Order, OrderState
from shipflow.domain.tracking_events import TrackingUpdate
from shipflow.engine import durable, runtime
from shipflow.engine.flows import cancel, holds, push, reconcile, repush, retrack, ship, timers, track
from shipflow.engine.loops.dispatcher import Dispatcher
from shipflow.engine.loops.keepalive import keep_alive
from shipflow.engine.loops.reconcile_tick import ReconcileTick
from shipflow.engine.loops.sweeper import Sweeper
from shipflow.engine.outbox import Outbox, Ports
from shipflow.engine.privacy import PrivacyDesk
from shipflow.engine.runtime import Runtime
from shipflow.providers.errors import ProviderError
from shipflow.providers.klaviyo.client import KlaviyoClient
from shipflow.providers.klaviyo.messaging import KlaviyoMessaging
from shipflow.providers.shipstation.client import ShipStationClient
from shipflow.providers.shipstation.label_platform import (
    MAX_ORDERS_PER_BULK,
    ShipStationLabelPlatform,
)
from shipflow.providers.shipstation.webhooks import parse_pointer
from shipflow.providers.shipstation_v2 import webhooks as v2_webhooks
from shipflow.providers.shipstation_v2.client import ShipStationV2Client
from shipflow.providers.shipstation_v2.label_purchasing import ShipStationLabelPurchasing
from shipflow.providers.shopify.client import ShopifyClient
from shipflow.providers.shopify.order_source import ShopifyOrderSource
from shipflow.rules import RuleSet, load_configured
from shipflow.store import Store
from shipflow.store.clock import utcnow
from shipflow.store.rate_budget import SharedRateBudget

log = logging.getLogger("shipflow.engine")

Role = Literal["all", "web", "worker"]


def build_runtime(settings: Settings, store: Store, rules: RuleSet | None = None,
                  clock: Callable[[], datetime] = utcnow, *,
                  record_only: bool = False) -> Runtime:
    """The composition root: provider clients behind their ports, the outbox holding the
    ports' write halves, the runtime their read halves. `record_only`: every write is
    recorded in the ledger and never sent (what shadow runs use)."""
    limit, period = settings.shipstation_rate
    shipstation_budget = SharedRateBudget(
        store.db, "shipstation-v1", limit=limit, period=period,
        remaining_header="X-Rate-Limit-Remaining", reset_header="X-Rate-Limit-Reset",
    )
    orders = ShopifyOrderSource(ShopifyClient(settings.shopify_shop_url,
                                              settings.shopify_access_token),
                                settings.expected_shop_domain)
    labels = ShipStationLabelPlatform(ShipStationClient(
        settings.shipstation_base_url, settings.shipstation_api_key,
        settings.shipstation_api_secret, budget=shipstation_budget))
    messaging = KlaviyoMessaging(KlaviyoClient(settings.klaviyo_base_url,
                                               settings.klaviyo_api_key))
    purchasing = ShipStationLabelPurchasing(ShipStationV2Client(
        settings.shipstation_v2_base_url, settings.shipstation_v2_api_key)) \
        if settings.shipstation_v2_api_key else None
    ports = Ports(orders=orders, labels=labels, messaging=messaging, purchasing=purchasing)
    return Runtime(
        store=store,
        outbox=Outbox(store.ledger, ports, record_only=record_only,
                      handled_manually=store.orders.handled_manually),
        shopify=orders, shipstation=labels, rates=purchasing, clock=clock,
        rules=rules if rules is not None else load_configured(settings.rules_path),
        closers=[a.close for a in (orders, labels, messaging, purchasing) if a is not None],
        shipstation_store_id=settings.shipstation_store_id or None,
        store_import_wait=settings.store_import_wait,
    )


class Engine:
    """One per process. `role="web"` enqueues work but never runs it (PostgreSQL deployments
    with separate `shipflow worker` processes); `"worker"` and `"all"` run workflows too."""

    def __init__(self, settings: Settings, store: Store, role: Role = "all",
                 rt: Runtime | None = None, clock: Callable[[], datetime] | None = None,
                 rules: RuleSet | None = None, record_only: bool = False) -> None:
        self.settings = settings
        self.store = store
        self.role = role
        self.runtime = rt or build_runtime(settings, store, rules, clock=clock or utcnow,
                                           record_only=record_only)
        self.records = durable.EngineRecords(settings.database_url)
        self.privacy = PrivacyDesk(store, self.records, clock=self.runtime.clock,
                                   retention_days=settings.webhook_retention_days)
        self.dispatcher = Dispatcher(store.orders, self._start_batch, durable.workflow_status,
                                     batch_size=MAX_ORDERS_PER_BULK)
        self.sweeper = Sweeper(
            store, clock=self.runtime.clock,
            delay_policy=lambda: self.runtime.rules.policies.delays,
            start_stop=self.start_stop, start_timers=self._start_timers,
            start_delay=self._start_delay, batch_status=durable.workflow_status,
            keepalive=self._keepalive if role == "worker" and settings.executor_id else None,
            wake_dispatcher=self.dispatcher.wake,
            privacy=self.privacy.process_open, retention=self.privacy.purge_expired,
            interval=settings.sweep_interval, delay_interval=settings.delay_sweep_interval,
            retention_interval=settings.retention_sweep_interval,
            reconcile=self._reconcile_tick())
        self._launched = False

    def _reconcile_tick(self) -> ReconcileTick:
        _, interval, lookback = self.settings.reconcile_spans
        return ReconcileTick(
            lambda since, trigger, until: self.reconciler().run(since, trigger, until=until),
            self.store.reconcile_runs,
            has_orders=self.store.orders.any, clock=self.runtime.clock, interval=interval,
            lookback=lookback)

    def launch(self) -> None:
        runtime.bind(self.runtime)
        if self.sweeper.keepalive is not None:
            # A first heartbeat before DBOS can hand this worker anything: a worker that took a
            # workflow and died before its first sweep would otherwise leave no trace to adopt.
            self._beat()
        durable.configure(
            self.settings.database_url,
            executor_id=self.settings.executor_id,
            listen=self.role != "web",
            log_level="WARNING",
            pool_size=2 * self.settings.database_pool_size,
        )
        durable.launch(self.settings.worker_concurrency)
        self._launched = True
        self.redispatch_pending()
        self.dispatcher.start()
        if self.role != "web":
            if isinstance(self.sweeper.reconcile, ReconcileTick):
                self.sweeper.reconcile.start()
            self.sweeper.start()

    def shutdown(self) -> None:
        if self._launched:
            self.dispatcher.stop()
            if self.role != "web":
                self.sweeper.stop()
            durable.destroy()
            self._launched = False
        runtime.bind(None)
        self.runtime.close()
        self.records.close()

    # -- starting work -----------------------------------------------------------------------
    def start_order(self, order: Order) -> None:
        """The paid order is in the store; the dispatcher puts it in the next push batch."""
        self.dispatcher.wake()

    def _start_batch(self, batch_id: str, order_pks: list[int]) -> None:
        durable.enqueue(durable.ORDERS_QUEUE, batch_id, push.push_orders, order_pks)

    def start_ship_notify(self, resource_url: str) -> str:
        workflow_id = keys.ship_notify_workflow_id(resource_url)
        durable.enqueue(durable.SHIPMENTS_QUEUE, workflow_id, ship.handle_ship_notify,
                        resource_url)
        return workflow_id

    def start_tracking(self, update: TrackingUpdate) -> str:
        workflow_id = keys.tracking_workflow_id(update)
        durable.enqueue(durable.SHIPMENTS_QUEUE, workflow_id, track.track_parcel, update)
        return workflow_id

    def start_repush(self, order_pk: int, order_keys: list[str], again: int) -> str:
        """Send parts ShipStation lost again, as recorded (reconciliation)."""
        workflow_id = keys.repush_workflow_id(",".join(order_keys), again)
        durable.enqueue(durable.ORDERS_QUEUE, workflow_id, repush.repush_parts, order_pk,
                        order_keys, again)
        return workflow_id

    def start_retrack(self, order_pk: int, shipment_id: str, fulfillment_id: str,
                      carrier_code: str, tracking_number: str, again: int) -> str:
        """Put a live label's tracking back on its Shopify fulfillment (reconciliation)."""
        workflow_id = keys.retrack_workflow_id(shipment_id, again)
        durable.enqueue(durable.SHIPMENTS_QUEUE, workflow_id, retrack.retrack, order_pk,
                        shipment_id, fulfillment_id, carrier_code, tracking_number, again)
        return workflow_id

    def start_release(self, order_pk: int) -> str:
        """Release a rule's hold (address review) on both sides."""
        workflow_id = keys.release_workflow_id(order_pk, str(uuid.uuid4()))
        durable.enqueue(durable.ORDERS_QUEUE, workflow_id, holds.release_hold, order_pk)
        return workflow_id

    def start_restock(self, inventory_item_id: int, webhook_id: str) -> str:
        workflow_id = keys.restock_workflow_id(inventory_item_id, webhook_id)
        durable.enqueue(durable.ORDERS_QUEUE, workflow_id, holds.restock, inventory_item_id)
        return workflow_id

    def retry(self, order_pk: int, who: str) -> OrderState | None:
        """Send an order that needs attention through again (a person asked): back to the
        dispatcher when ShipStation never took it. Returns its state."""
        state = self.store.orders.retry(order_pk, f"retried by {who}")
        if state is OrderState.PAID:
            self.dispatcher.wake()
        return state

    def start_stop(self, order_pk: int) -> None:
        durable.enqueue(durable.ORDERS_QUEUE, keys.stop_workflow_id(order_pk), cancel.stop_order,
                        order_pk)

    def start_timers(self, batch_id: str, timer_keys: list[str]) -> None:
        """Fire timers already claimed under `batch_id` (the sweeper's and reconciliation's)."""
        self._start_timers(batch_id, timer_keys)

    def _start_timers(self, batch_id: str, timer_keys: list[str]) -> None:
        durable.enqueue(durable.SHIPMENTS_QUEUE, batch_id, timers.fire_timers, timer_keys)

    def _start_delay(self, shipment_id: str, notice: DelayNotice) -> None:
        durable.enqueue(durable.SHIPMENTS_QUEUE,
                        keys.delay_workflow_id(shipment_id, notice.reason, notice.occurrence),
                        track.tell_delay, shipment_id, notice)

    def reconciler(self, progress: reconcile.Progress | None = None) -> reconcile.Reconciler:
        """A reconciliation sweep whose repairs start this engine's workflows."""
        settle, _, _ = self.settings.reconcile_spans
        rec = reconcile.Reconciler(
            self.store, self.runtime.shopify, self.runtime.shipstation, self,
            shop_domain=self.settings.expected_shop_domain, clock=self.runtime.clock,
            rates=self.runtime.rates, settle=settle,
            store_import=self.runtime.rules.policies.shipstation.store_import)
        if progress is not None:
            rec.progress = progress
        return rec

    # -- recovery ----------------------------------------------------------------------------
    def _beat(self) -> None:
        assert self.settings.executor_id is not None
        self.store.executors.beat(self.settings.executor_id)

    def _keepalive(self) -> None:
        assert self.settings.executor_id is not None
        keep_alive(self.store.executors, self.settings.executor_id,
                   timedelta(seconds=self.settings.executor_ttl), durable.adopt)

    def redispatch_pending(self) -> int:
        """Start the work for accepted deliveries whose start was never confirmed.

        A process can die after a webhook was stored and answered but before its workflow was
        enqueued; the inbox still holds it, so nothing accepted is lost. Starting is idempotent
        (workflow ids come from provider ids), so re-dispatching a started one is harmless.
        (Shopify order deliveries need none of this: the order row itself waits for the
        dispatcher.)
        """
        count = 0
        for inbox_id, provider, body in self.store.inbox.undispatched():
            workflow_id: str | None = None
            try:
                if provider == "shipstation":
                    workflow_id = self.start_ship_notify(parse_pointer(body).resource_url)
                elif provider == "shipstation-v2":
                    tracking = v2_webhooks.parse_webhook(body).tracking
                    if tracking is not None:
                        workflow_id = self.start_tracking(tracking)
            except (ValueError, ProviderError) as exc:
                log.error("inbox delivery %s cannot be re-dispatched: %s", inbox_id, exc)
            self.store.inbox.mark_dispatched(inbox_id, workflow_id)
            count += 1
        if count:
            log.info("re-dispatched %d stored deliveries", count)
        return count
