"""The engine's small interface: launch, start the work for an order or a label, shut down.

Nothing outside `engine/` touches the durable-execution library; the web layer and the CLI
only call these methods.
"""

from __future__ import annotations

import logging
from typing import Literal

from shipflow.config import Settings
from shipflow.domain import keys
from shipflow.domain.order import Order
from shipflow.domain.tracking_events import TrackingUpdate
from shipflow.engine import durable, runtime, workflows
from shipflow.engine.dispatcher import Dispatcher
from shipflow.engine.runtime import Runtime
from shipflow.providers.errors import ProviderError
from shipflow.providers.klaviyo.client import KlaviyoClient
from shipflow.providers.shipstation import v2_webhooks
from shipflow.providers.shipstation.client import ShipStationClient
from shipflow.providers.shipstation.webhooks import parse_pointer
from shipflow.providers.shopify.client import ShopifyClient
from shipflow.store.pipeline import Pipeline
from shipflow.store.rate_budget import SharedRateBudget
from shipflow.store.repository import Store, utcnow

log = logging.getLogger("shipflow.engine")

Role = Literal["all", "web", "worker"]


def build_runtime(settings: Settings, store: Store) -> Runtime:
    limit, period = settings.shipstation_rate
    shipstation_budget = SharedRateBudget(
        store.db, "shipstation-v1", limit=limit, period=period,
        remaining_header="X-Rate-Limit-Remaining", reset_header="X-Rate-Limit-Reset",
    )
    return Runtime(
        store=store,
        shopify=ShopifyClient(settings.shopify_shop_url, settings.shopify_access_token),
        shipstation=ShipStationClient(
            settings.shipstation_base_url, settings.shipstation_api_key,
            settings.shipstation_api_secret, budget=shipstation_budget,
        ),
        klaviyo=KlaviyoClient(settings.klaviyo_base_url, settings.klaviyo_api_key),
        clock=utcnow,
    )


class Engine:
    """One per process. `role="web"` enqueues work but never runs it (PostgreSQL deployments
    with separate `shipflow worker` processes); `"worker"` and `"all"` run workflows too."""

    def __init__(self, settings: Settings, store: Store, role: Role = "all",
                 rt: Runtime | None = None) -> None:
        self.settings = settings
        self.store = store
        self.role = role
        self.runtime = rt or build_runtime(settings, store)
        self.dispatcher = Dispatcher(Pipeline(store), self._start_batch, self._workflow_exists)
        self._launched = False

    def launch(self) -> None:
        runtime.bind(self.runtime)
        durable.configure(
            self.settings.database_url,
            executor_id=self.settings.executor_id,
            listen=self.role != "web",
            log_level="WARNING",
        )
        durable.launch(self.settings.worker_concurrency)
        self._launched = True
        self.redispatch_pending()
        self.dispatcher.start()

    def shutdown(self) -> None:
        if self._launched:
            self.dispatcher.stop()
            durable.destroy()
            self._launched = False
        runtime.bind(None)
        self.runtime.close()

    # -- starting work -----------------------------------------------------------------------
    def start_order(self, order: Order) -> None:
        """The paid order is in the store; the dispatcher puts it in the next push batch."""
        self.dispatcher.wake()

    def _start_batch(self, batch_id: str, order_pks: list[int]) -> None:
        durable.enqueue(durable.ORDERS_QUEUE, batch_id, workflows.push_orders, order_pks)

    def _workflow_exists(self, workflow_id: str) -> bool:
        return durable.workflow_status(workflow_id) is not None

    def start_ship_notify(self, resource_url: str) -> str:
        workflow_id = keys.ship_notify_workflow_id(resource_url)
        durable.enqueue(durable.SHIPMENTS_QUEUE, workflow_id, workflows.handle_ship_notify,
                        resource_url)
        return workflow_id

    def start_tracking(self, update: TrackingUpdate) -> str:
        workflow_id = keys.tracking_workflow_id(update)
        durable.enqueue(durable.SHIPMENTS_QUEUE, workflow_id, workflows.track_parcel, update)
        return workflow_id

    # -- recovery ----------------------------------------------------------------------------
    def redispatch_pending(self) -> int:
        """Start the work for accepted deliveries whose start was never confirmed.

        A process can die after a webhook was stored and answered but before its workflow was
        enqueued; the inbox still holds it, so nothing accepted is lost. Starting is idempotent
        (workflow ids come from provider ids), so re-dispatching a started one is harmless.
        (Shopify order deliveries need none of this: the order row itself waits for the
        dispatcher.)
        """
        count = 0
        for inbox_id, provider, body in self.store.undispatched():
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
            self.store.mark_dispatched(inbox_id, workflow_id)
            count += 1
        if count:
            log.info("re-dispatched %d stored deliveries", count)
        return count
