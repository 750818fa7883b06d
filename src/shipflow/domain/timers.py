"""The timers a delivery starts: a review request N days later, a reorder reminder when the
product should be running out (DESIGN.md §5, `TimerPolicy`).

Planning is pure: the engine schedules each `PlannedTimer` under its `key`, which is the
`unique_id` of the event it will send, so planning twice (a resent delivery scan, a replay)
schedules nothing new.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from shipflow.domain.keys import milestone_unique_id
from shipflow.domain.messages import shipment_lines
from shipflow.domain.milestone import Milestone
from shipflow.domain.order import Order
from shipflow.domain.policy import TimerPolicy
from shipflow.domain.shipment import Shipment


class TimerKind(StrEnum):
    REVIEW_REQUEST = "review_request"
    REORDER_REMINDER = "reorder_reminder"


@dataclass(frozen=True, slots=True)
class PlannedTimer:
    """One timer to schedule. `days` is how long after delivery it falls due; `shipment_id` is
    the delivery that started it; `sku` is set for reorder reminders."""

    kind: TimerKind
    key: str
    due_at: datetime
    shipment_id: str | None
    sku: str | None
    days: float


def _folded(name: str) -> str:
    return name.strip().casefold()


def category_days(categories: Iterable[str], policy: TimerPolicy) -> float | None:
    """The largest review delay configured for any of `categories` (product type and tags),
    names compared ignoring case and surrounding spaces; None when none is configured."""
    configured = {_folded(name): days for name, days in policy.review_days_by_category.items()}
    matches = [configured[_folded(c)] for c in categories if _folded(c) in configured]
    return max(matches) if matches else None


def review_days(
    product_ids: Iterable[int | None],
    categories: Mapping[int, Sequence[str]],
    policy: TimerPolicy,
) -> float:
    """Days after delivery to ask for a review of a parcel holding these products.

    One request covers the whole parcel, so it waits for the product that takes longest to
    judge (a skincare routine, not the mug next to it): asking too early about one item costs
    more than asking a little late about another. The default applies when no category of any
    product is configured.
    """
    found = [category_days(categories.get(pid, ()), policy) for pid in product_ids
             if pid is not None]
    days = [d for d in found if d is not None]
    return max(days) if days else policy.review_days_default


def _reorder_days_per_unit(sku: str, policy: TimerPolicy) -> float | None:
    exact = policy.reorder_days_by_sku.get(sku)
    if exact is not None:
        return exact
    folded = _folded(sku)
    for name, days in policy.reorder_days_by_sku.items():
        if _folded(name) == folded:
            return days
    return None


def plan_after_delivery(
    order: Order,
    shipment: Shipment,
    delivered_at: datetime,
    categories: Mapping[int, Sequence[str]],
    policy: TimerPolicy,
) -> list[PlannedTimer]:
    """The review timer of a delivered shipment and a reorder timer per SKU in it that has a
    consumption cycle.

    `categories` maps a product id to its candidate category names (product type and tags).
    A reorder reminder falls due when the units last: `days per unit × quantity`, counting
    every unit of that SKU on the order, not only those in this parcel. Its key is per order
    and SKU, so when an order's units come in several parcels the first delivery plans it,
    for all of them (the customer will have them all by the time they run out).
    SKUs are matched exactly, else ignoring case.
    """
    lines = shipment_lines(order, shipment)
    shop, order_id = order.shop_domain, order.shopify_order_id
    days = review_days((li.product_id for li, _ in lines), categories, policy)
    timers = [PlannedTimer(
        kind=TimerKind.REVIEW_REQUEST,
        key=milestone_unique_id(Milestone.REVIEW_REQUEST_DUE, shop, order_id,
                                shipment.shipment_id),
        due_at=delivered_at + timedelta(days=days),
        shipment_id=shipment.shipment_id,
        sku=None,
        days=days,
    )]
    seen: set[str] = set()
    for li, _ in lines:
        if not li.sku or li.sku in seen:
            continue
        seen.add(li.sku)
        per_unit = _reorder_days_per_unit(li.sku, policy)
        if per_unit is None or per_unit <= 0:
            continue
        quantity = sum(other.quantity for other in order.line_items if other.sku == li.sku)
        lasts = per_unit * quantity
        timers.append(PlannedTimer(
            kind=TimerKind.REORDER_REMINDER,
            key=milestone_unique_id(Milestone.REORDER_REMINDER_DUE, shop, order_id, li.sku),
            due_at=delivered_at + timedelta(days=lasts),
            shipment_id=shipment.shipment_id,
            sku=li.sku,
            days=lasts,
        ))
    return timers
