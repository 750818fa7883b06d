"""The order's lifecycle as one pure transition: `advance(state, event) -> (state, effects)`.

Like `parcel.advance`, the store applies it inside one transaction that holds the order's row,
so every guard that used to be a SQL `WHERE` lives here, in one table a reader can check:
a cancellation wins over everything that arrives after it; a push that lands after the labels
never moves a shipped order back; only a shipped order can become delivered. An event that does
not apply to the current state changes nothing (a late or duplicate signal).

The effects are what the new state asks of the rest of shipflow: `StopPendingWork` (the
sweeper cancels open ShipStation orders and timers), `CancelTimers` (done in the same
transaction) and `NeedsPerson` (a failure a person must see; exception cases hook here).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from shipflow.domain.order import OrderState

S = OrderState

# Orders that a push, a label or a release may still move (not stopped).
_STOPPED = frozenset({S.CANCELLING, S.CANCELLED})
# A fast SHIP_NOTIFY can ship an order before the push step records it: never move it back.
_SHIPPING = frozenset({S.PARTIALLY_SHIPPED, S.SHIPPED, S.DELIVERED})


# -- events ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Snapshot:
    """A newer Shopify snapshot: paid or not, and whether it stops the order (cancelled, or
    every unit to ship refunded)."""

    paid: bool
    stops: bool


@dataclass(frozen=True, slots=True)
class Claimed:
    """A dispatcher took the paid order into a push batch."""


@dataclass(frozen=True, slots=True)
class Unclaimed:
    """Its batch's workflow never started (a crash in between): it waits again."""


@dataclass(frozen=True, slots=True)
class Pushed:
    """The label platform took every part; `held` when all of them wait (a rule's hold, or a
    backorder held whole)."""

    held: OrderState | None = None  # ON_HOLD or BACKORDERED


@dataclass(frozen=True, slots=True)
class NothingToShip:
    """Paid, but no line needs shipping."""


@dataclass(frozen=True, slots=True)
class Failed:
    """A provider refused a write for good: a person must look."""

    reason: str


@dataclass(frozen=True, slots=True)
class Released:
    """Its hold was lifted on both sides (a release, a restock)."""


@dataclass(frozen=True, slots=True)
class Shipped:
    """Labels went out; `partially` while a part still waits."""

    partially: bool


@dataclass(frozen=True, slots=True)
class Delivered:
    """The carrier delivered every live shipment."""


@dataclass(frozen=True, slots=True)
class Retried:
    """A person (or the automatic retry of a transient failure) sends a failed order through
    again; only an order ShipStation never took can be pushed again."""

    pushed: bool  # some part of it is in ShipStation already


@dataclass(frozen=True, slots=True)
class Stopped:
    """What a cancellation left pending is cancelled."""


OrderEvent = Union[Snapshot, Claimed, Unclaimed, Pushed, NothingToShip, Failed, Released,
                   Shipped, Delivered, Retried, Stopped]


# -- effects -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class StopPendingWork:
    """Cancel what is pending for it (ShipStation orders, timers), then mark it cancelled."""


@dataclass(frozen=True, slots=True)
class CancelTimers:
    pass


@dataclass(frozen=True, slots=True)
class NeedsPerson:
    reason: str


LifecycleEffect = Union[StopPendingWork, CancelTimers, NeedsPerson]


@dataclass(frozen=True, slots=True)
class Transition:
    state: OrderState
    effects: tuple[LifecycleEffect, ...] = ()


def advance(state: OrderState, event: OrderEvent) -> Transition:
    """The order's next state and what it asks for; the same state when `event` does not apply."""
    same = Transition(state)
    if isinstance(event, Snapshot):
        if state in (S.RECEIVED, S.PAID):
            if event.stops:
                return Transition(S.CANCELLED)
            # Once it may ship it stays so: a later snapshot that still carries an older
            # payment status (orders/updated after orders/paid) does not take that back.
            return Transition(S.PAID if event.paid or state is S.PAID else S.RECEIVED)
        if event.stops and state not in _STOPPED:
            return Transition(S.CANCELLING, (StopPendingWork(),))
        return same
    if isinstance(event, Stopped):
        return Transition(S.CANCELLED, (CancelTimers(),))
    if state in _STOPPED:
        return same  # a cancellation that came in meanwhile wins
    if isinstance(event, Claimed):
        return Transition(S.QUEUED) if state is S.PAID else same
    if isinstance(event, Unclaimed):
        return Transition(S.PAID) if state is S.QUEUED else same
    if isinstance(event, Pushed):
        if state in _SHIPPING:
            return same
        return Transition(event.held or S.IN_SHIPSTATION)
    if isinstance(event, NothingToShip):
        return Transition(S.NOTHING_TO_SHIP)
    if isinstance(event, Failed):
        return Transition(S.NEEDS_ATTENTION, (NeedsPerson(event.reason),))
    if isinstance(event, Released):
        return Transition(S.IN_SHIPSTATION)
    if isinstance(event, Shipped):
        return Transition(S.PARTIALLY_SHIPPED if event.partially else S.SHIPPED)
    if isinstance(event, Delivered):
        return Transition(S.DELIVERED) if state is S.SHIPPED else same
    if isinstance(event, Retried):
        return Transition(S.PAID) if state is S.NEEDS_ATTENTION and not event.pushed else same
    raise TypeError(f"not an order event: {event!r}")
