"""Every write shipflow makes to a provider, as a value.

The engine decides *what* to write and hands these to the outbox (`engine/outbox.py`), which
keys each one (`domain/keys.py`), records it in the outbound ledger, and then either sends it
through a provider port or, in record-only mode, only records it. Because every write is one of
these, the ledger is the complete record of what the providers and the customer were sent, and
record-only (shadow) runs write exactly the same list without touching anything.

An effect carries everything its write needs; a port may still read the provider at send time
(which fulfillment orders are open, the ShipStation order id of an orderKey), because those
answers belong to the moment of sending, not to the decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, Union

from shipflow.domain import keys
from shipflow.domain.fulfilment import Part, PartLine
from shipflow.domain.milestone import MilestoneEvent
from shipflow.domain.order import Order
from shipflow.domain.routing import Confirmation, Hold, ServiceChoice
from shipflow.domain.shipment import TrackingInfo


class EffectKind(StrEnum):
    """What a ledger row's write is (the ledger's `effect` column)."""

    SHIPSTATION_ORDER = "shipstation_order"
    SHIPSTATION_AMEND = "shipstation_amend_imported"
    SHIPSTATION_RESTORE = "shipstation_restore_from_hold"
    SHIPSTATION_CANCEL = "shipstation_cancel"
    SHIPSTATION_MARK_SHIPPED = "shipstation_mark_shipped"
    LABEL_PURCHASE = "label_purchase"
    SHOPIFY_FULFILLMENT = "shopify_fulfillment"
    SHOPIFY_ADOPT_FULFILLMENT = "shopify_adopt_fulfillment"
    SHOPIFY_TRACKING_UPDATE = "shopify_tracking_update"
    SHOPIFY_HOLD = "shopify_hold"
    SHOPIFY_RELEASE = "shopify_release"
    SHOPIFY_TAGS = "shopify_tags"
    CUSTOMER_EVENT = "customer_event"


def _lines(lines: tuple[PartLine, ...] | None) -> list[list[Any]] | None:
    return None if lines is None else [[ln.line_item_id, ln.sku, ln.quantity] for ln in lines]


# -- ShipStation (the label platform) ----------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PushPart:
    """Create (upsert by orderKey) the ShipStation order of one part, decisions applied."""

    order_pk: int
    order: Order
    part: Part
    order_key: str
    split: bool  # the order has several parts: this one carries only its lines
    confirmation: Confirmation | None
    service: ServiceChoice | None
    again: int = 0  # 1, 2...: sent again because ShipStation lost the order (reconciliation)

    kind = EffectKind.SHIPSTATION_ORDER
    provider = "shipstation"
    operation = "createorders"

    @property
    def key(self) -> str:
        return keys.push_part_key(self.order_key, self.again)

    def describe(self) -> dict[str, Any]:
        return {"order_key": self.order_key, "status": self.part.status.value,
                "lines": _lines(self.part.lines if self.split else None),
                "confirmation": self.confirmation.value if self.confirmation else None,
                "carrier_code": self.service.carrier_code if self.service else None,
                "service_code": self.service.service_code if self.service else None,
                "hold_reason": self.part.hold_reason.value if self.part.hold_reason else None}


@dataclass(frozen=True, slots=True)
class AmendImported:
    """`store_import` mode: apply one part's decisions to the order ShipStation's own Shopify
    store connection imported (a createorder update of its orderKey and orderId), or, for a
    further part of a split, create that part's order in the same store. `tags`: the rules'
    tags, added where ShipStation has a tag of that name."""

    push: PushPart  # the part and its decisions, as push mode would send them
    imported_order_id: int | None  # None: a further part, created beside the import
    store_id: int
    tags: tuple[str, ...] = ()

    kind = EffectKind.SHIPSTATION_AMEND
    provider = "shipstation"
    operation = "createorder"

    @property
    def order_pk(self) -> int:
        return self.push.order_pk

    @property
    def order_key(self) -> str:
        return self.push.order_key

    @property
    def key(self) -> str:
        return keys.amend_imported_key(self.push.order_key)

    def describe(self) -> dict[str, Any]:
        return {**self.push.describe(), "imported_order_id": self.imported_order_id,
                "store_id": self.store_id, "tags": list(self.tags)}


@dataclass(frozen=True, slots=True)
class RestorePart:
    """Take a held ShipStation order off hold (a released review, a restock)."""

    order_pk: int
    order_key: str
    shipstation_order_id: int | None  # found by orderKey at send time when not known

    kind = EffectKind.SHIPSTATION_RESTORE
    provider = "shipstation"
    operation = "restorefromhold"

    @property
    def key(self) -> str:
        return keys.restore_part_key(self.order_key)

    def describe(self) -> dict[str, Any]:
        return {"order_key": self.order_key}


@dataclass(frozen=True, slots=True)
class CancelPart:
    """Cancel a ShipStation order that has not shipped (the Shopify order was cancelled)."""

    order_pk: int
    order_key: str
    shipstation_order_id: int | None

    kind = EffectKind.SHIPSTATION_CANCEL
    provider = "shipstation"
    operation = "cancelorder"

    @property
    def key(self) -> str:
        return keys.cancel_part_key(self.order_key)

    def describe(self) -> dict[str, Any]:
        return {"order_key": self.order_key}


@dataclass(frozen=True, slots=True)
class MarkShipped:
    """Mark the ShipStation order shipped with a label bought elsewhere (`api` label mode)."""

    order_pk: int
    order_key: str
    shipstation_order_id: int | None
    carrier_code: str
    ship_date: date
    tracking_number: str

    kind = EffectKind.SHIPSTATION_MARK_SHIPPED
    provider = "shipstation"
    operation = "markasshipped"

    @property
    def key(self) -> str:
        return keys.mark_shipped_key(self.order_key)

    def describe(self) -> dict[str, Any]:
        return {"order_key": self.order_key, "carrier_code": self.carrier_code,
                "tracking_number": self.tracking_number}


@dataclass(frozen=True, slots=True)
class BuyLabel:
    """Buy the label of one part at a quoted rate, once: a retry first looks for a label an
    earlier attempt bought (by the part's orderKey)."""

    order_pk: int
    order_key: str
    rate_id: str
    reason: str  # why this rate (domain/rating.py), for the timeline

    kind = EffectKind.LABEL_PURCHASE
    provider = "shipstation-v2"
    operation = "label"

    @property
    def key(self) -> str:
        return keys.label_purchase_key(self.order_key)

    def describe(self) -> dict[str, Any]:
        return {"order_key": self.order_key}


# -- Shopify (the order source) ----------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Fulfil:
    """Create the Shopify fulfillment of one label, with its tracking (only `lines` for one part
    of a split order); a retry looks for the fulfillment before creating a second."""

    order_pk: int
    order: Order
    shipment_id: str
    tracking: TrackingInfo
    lines: tuple[PartLine, ...] | None

    kind = EffectKind.SHOPIFY_FULFILLMENT
    provider = "shopify"
    operation = "fulfillmentCreate"

    @property
    def key(self) -> str:
        return keys.fulfillment_key(self.shipment_id)

    def describe(self) -> dict[str, Any]:
        return {"order": self.order.shopify_order_id, "shipment_id": self.shipment_id,
                "tracking_number": self.tracking.number, "carrier": self.tracking.company,
                "lines": _lines(self.lines)}


@dataclass(frozen=True, slots=True)
class AdoptFulfilment:
    """`store_import` mode: ShipStation's store connection notifies Shopify of a label itself.
    Find the fulfillment it created and correct its tracking only where it is missing or
    wrong; create one only when the connection never did (its notifications are off)."""

    order_pk: int
    order: Order
    shipment_id: str
    tracking: TrackingInfo
    lines: tuple[PartLine, ...] | None

    kind = EffectKind.SHOPIFY_ADOPT_FULFILLMENT
    provider = "shopify"
    operation = "fulfillmentTrackingInfoUpdate"

    @property
    def key(self) -> str:
        return keys.adopt_fulfilment_key(self.shipment_id)

    def describe(self) -> dict[str, Any]:
        return {"order": self.order.shopify_order_id, "shipment_id": self.shipment_id,
                "tracking_number": self.tracking.number, "lines": _lines(self.lines)}


@dataclass(frozen=True, slots=True)
class UpdateTracking:
    """A relabel: the existing fulfillment's tracking changes to the new label's."""

    order_pk: int
    shipment_id: str
    fulfillment_id: str
    tracking: TrackingInfo
    replaces: str  # the voided label's shipment id (itself when reconciliation restores it)
    again: int = 0  # 1, 2...: the label's tracking put back by reconciliation

    kind = EffectKind.SHOPIFY_TRACKING_UPDATE
    provider = "shopify"
    operation = "fulfillmentTrackingInfoUpdate"

    @property
    def key(self) -> str:
        return keys.tracking_update_key(self.shipment_id, self.again)

    def describe(self) -> dict[str, Any]:
        return {"shipment_id": self.shipment_id, "replaces": self.replaces,
                "tracking_number": self.tracking.number}


@dataclass(frozen=True, slots=True)
class HoldOrder:
    """Hold the order's open fulfillment orders in Shopify, with the reason."""

    order_pk: int
    order: Order
    hold: Hold

    kind = EffectKind.SHOPIFY_HOLD
    provider = "shopify"
    operation = "fulfillmentOrderHold"

    @property
    def key(self) -> str:
        return keys.shopify_hold_key(self.order.shopify_order_id)

    def describe(self) -> dict[str, Any]:
        return {"order": self.order.shopify_order_id, "reason": self.hold.reason.value}


@dataclass(frozen=True, slots=True)
class ReleaseOrder:
    """Release shipflow's own holds on the order (never another app's)."""

    order_pk: int
    order: Order
    occasion: str  # what lifted the hold: "released", "restock:<sku>"

    kind = EffectKind.SHOPIFY_RELEASE
    provider = "shopify"
    operation = "fulfillmentOrderReleaseHold"

    @property
    def key(self) -> str:
        return keys.shopify_release_key(self.order.shopify_order_id, self.occasion)

    def describe(self) -> dict[str, Any]:
        return {"order": self.order.shopify_order_id, "occasion": self.occasion}


@dataclass(frozen=True, slots=True)
class TagOrder:
    order_pk: int
    order: Order
    tags: tuple[str, ...]

    kind = EffectKind.SHOPIFY_TAGS
    provider = "shopify"
    operation = "tagsAdd"

    @property
    def key(self) -> str:
        return keys.shopify_tags_key(self.order.shopify_order_id)

    def describe(self) -> dict[str, Any]:
        return {"order": self.order.shopify_order_id, "tags": list(self.tags)}


# -- the customer (the messaging platform) -----------------------------------------------------
EVENT_OPERATION = "event:"  # a customer event's ledger operation: "event:<metric name>"


@dataclass(frozen=True, slots=True)
class TellCustomer:
    """One milestone event; its `unique_id` is the provider's own dedupe key too."""

    order_pk: int
    event: MilestoneEvent

    kind = EffectKind.CUSTOMER_EVENT
    provider = "klaviyo"

    @property
    def operation(self) -> str:
        return f"{EVENT_OPERATION}{self.event.milestone.value}"

    @property
    def key(self) -> str:
        return keys.customer_event_key(self.event.unique_id)

    def describe(self) -> dict[str, Any]:
        return {"metric": self.event.milestone.value, "unique_id": self.event.unique_id}


Effect = Union[PushPart, AmendImported, RestorePart, CancelPart, MarkShipped, BuyLabel, Fulfil,
               AdoptFulfilment, UpdateTracking, HoldOrder, ReleaseOrder, TagOrder, TellCustomer]
