"""The ports the engine calls, in the domain's words; each provider package implements one.

Each port comes in two halves. The read half (`...Reads`) is what flows may call: the engine's
`Runtime` is typed on it. The whole port, writes included, is held only by the outbox
(`engine/outbox.py`), so a write cannot be made except as a keyed, ledgered effect. A second
label platform, messaging platform or notification channel is a new package behind one of
these, not an edit to the lifecycle.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol, Sequence

from shipflow.domain.effects import AmendImported, PushPart
from shipflow.domain.fulfilment import PartLine
from shipflow.domain.milestone import MilestoneEvent
from shipflow.domain.order import Order
from shipflow.domain.rating import RateOption
from shipflow.domain.reconcile import LabelSeen, PaidOrderSeen
from shipflow.domain.routing import Hold
from shipflow.domain.shipment import Shipment, TrackingInfo
from shipflow.domain.tracking_events import TrackingUpdate


@dataclass(frozen=True, slots=True)
class PushResult:
    """What the label platform answered for one pushed part."""

    ok: bool
    platform_order_id: int | None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ImportedOrder:
    """An order found in the label platform by order number and store (`store_import`)."""

    platform_order_id: int
    order_key: str
    order_number: str
    status: str
    store_id: int | None
    made_by_shipflow: bool  # shipflow's own order (pushed, or already amended)


@dataclass(frozen=True, slots=True)
class Stock:
    tracked: bool
    available: int | None


@dataclass(frozen=True, slots=True)
class BoughtLabel:
    label_id: str
    tracking_number: str
    carrier_code: str | None
    service_code: str | None
    ship_date: date | None


@dataclass(frozen=True, slots=True)
class LabelQuote:
    """The rates for one part's parcel, as options `domain/rating.py` chooses between."""

    options: tuple[RateOption, ...]


class OrderSourceReads(Protocol):
    """Shopify, read side: stock, products and inventory items."""

    def stock(self, skus: Sequence[str]) -> dict[str, Stock]:
        """Stock per SKU, read in as few calls as the provider allows; a SKU that is not the
        store's (a bundle, a service) is simply absent."""

    def sku_of_inventory_item(self, inventory_item_id: int) -> str | None: ...

    def product_categories(self, product_ids: Sequence[int]) -> dict[int, tuple[str, ...]]: ...

    def paid_orders(self, since: datetime) -> list[PaidOrderSeen]:
        """Paid orders updated at or after `since`, every page (reconciliation, backfill)."""


class OrderSource(OrderSourceReads, Protocol):
    """Shopify, whole: fulfillments, holds and tags too. Only the outbox holds this."""

    def fulfil(self, order: Order, tracking: TrackingInfo, lines: tuple[PartLine, ...] | None,
               *, retried: bool) -> str:
        """Create the fulfillment (only `lines` when given); returns its id. `retried`: an
        earlier attempt may have created it, so look first."""

    def update_tracking(self, fulfillment_id: str, tracking: TrackingInfo) -> None: ...

    def adopt_fulfilment(self, order: Order, tracking: TrackingInfo,
                         lines: tuple[PartLine, ...] | None, *, attempt: int) -> tuple[str, str]:
        """The fulfillment another app (ShipStation's store connection) made for this label,
        its tracking corrected where missing or wrong: `(fulfillment id, what was done)`.
        Raises a transient error while none is visible; from a later `attempt` on, creates
        it instead."""

    def hold(self, order: Order, hold: Hold) -> list[str]:
        """Hold the open fulfillment orders; returns those now held by shipflow."""

    def release(self, order: Order) -> list[str]:
        """Release shipflow's own holds; returns the fulfillment orders released."""

    def add_tags(self, order: Order, tags: Sequence[str]) -> None: ...


class LabelPlatformReads(Protocol):
    """ShipStation v1, read side: the labels a SHIP_NOTIFY points at."""

    def fetch_labels(self, resource_url: str) -> list[Shipment]: ...

    def shopify_store_id(self) -> int | None:
        """The label platform's store that imports the Shopify orders, if it has one."""

    def find_imported(self, order_numbers: Sequence[str], store_id: int,
                      since: datetime) -> dict[str, list[ImportedOrder]]:
        """The orders of that store with those order numbers (placed after `since`), by
        number; a number with none is absent."""

    def labels_between(self, start: date, end: date) -> list[LabelSeen]:
        """Every label with a ship date from `start` to `end`, voided ones too."""

    def order_keys_since(self, since: datetime) -> set[str] | None:
        """The order keys of every order ShipStation lists as changed since `since` (every
        status); None when the list is longer than the client reads."""

    def label_resource_url(self, tracking_number: str) -> str:
        """A SHIP_NOTIFY-style resource URL listing the labels with this tracking number."""


class LabelPlatform(LabelPlatformReads, Protocol):
    """ShipStation v1, whole. Only the outbox holds this."""

    def push(self, parts: Sequence[PushPart]) -> dict[str, PushResult]:
        """Create or update (upsert by orderKey) the parts' orders; results by orderKey."""

    def existing_order(self, push: PushPart) -> int | None:
        """The platform's id of the order an earlier attempt of this push created, or None.
        Asked when a push is refused: an earlier attempt (the engine's, or the HTTP client's
        own retry within one send) may have acted, its answer lost, and the order moved on
        (shipped) where it can no longer be updated."""

    def amend(self, amendments: Sequence[AmendImported]) -> dict[str, PushResult]:
        """Apply the parts' decisions to the imported orders (or create a split's further
        parts beside them); results by orderKey."""

    def restore_from_hold(self, order_key: str, platform_order_id: int | None) -> None: ...

    def cancel(self, order_key: str, platform_order_id: int | None) -> None: ...

    def mark_shipped(self, order_key: str, platform_order_id: int | None, carrier_code: str,
                     ship_date: date, tracking_number: str) -> None: ...


class LabelPurchasingReads(Protocol):
    """ShipStation v2, read side: rates for a part's parcel."""

    def quote(self, order: Order, order_key: str, *, confirmation: str, ship_date: date,
              lines: tuple[PartLine, ...] | None) -> LabelQuote:
        """Rates for the part (only `lines` of a split order); empty when none ships it."""

    def tracking(self, tracking_number: str) -> TrackingUpdate | None:
        """The carrier's picture of a parcel by its tracking number (any label platform's
        label), or None when the carrier has nothing yet."""


class LabelPurchasing(LabelPurchasingReads, Protocol):
    """ShipStation v2, whole. Only the outbox holds this."""

    def existing_label(self, order_key: str) -> BoughtLabel | None:
        """A live label bought earlier for this part (a retried purchase)."""

    def buy(self, rate_id: str) -> BoughtLabel: ...


class CustomerMessaging(Protocol):
    """Klaviyo: milestone events that start the merchant's flows. Writes only."""

    def send_events(self, events: Sequence[MilestoneEvent]) -> None:
        """Send every event; each `unique_id` is the platform's dedupe key, so a repeat is
        harmless."""
