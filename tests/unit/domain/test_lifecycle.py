"""The order's transitions: the guards that used to be SQL, as a table."""

from __future__ import annotations

import pytest

from shipflow.domain.lifecycle import (
    CancelTimers,
    Claimed,
    Delivered,
    Failed,
    NeedsPerson,
    NothingToShip,
    Pushed,
    Released,
    Shipped,
    Snapshot,
    Stopped,
    StopPendingWork,
    Unclaimed,
    advance,
)
from shipflow.domain.order import OrderState as S


@pytest.mark.parametrize(("state", "event", "after"), [
    (S.RECEIVED, Snapshot(paid=True, stops=False), S.PAID),
    (S.PAID, Snapshot(paid=False, stops=False), S.PAID),  # a stale status never un-pays
    (S.PAID, Snapshot(paid=True, stops=True), S.CANCELLED),  # nothing pending yet
    (S.IN_SHIPSTATION, Snapshot(paid=True, stops=False), S.IN_SHIPSTATION),
    (S.PAID, Claimed(), S.QUEUED),
    (S.RECEIVED, Claimed(), S.RECEIVED),
    (S.QUEUED, Unclaimed(), S.PAID),
    (S.QUEUED, Pushed(), S.IN_SHIPSTATION),
    (S.QUEUED, Pushed(S.ON_HOLD), S.ON_HOLD),
    (S.QUEUED, Pushed(S.BACKORDERED), S.BACKORDERED),
    (S.SHIPPED, Pushed(), S.SHIPPED),  # a fast SHIP_NOTIFY shipped it first: never back
    (S.DELIVERED, Pushed(), S.DELIVERED),
    (S.QUEUED, NothingToShip(), S.NOTHING_TO_SHIP),
    (S.ON_HOLD, Released(), S.IN_SHIPSTATION),
    (S.IN_SHIPSTATION, Shipped(partially=True), S.PARTIALLY_SHIPPED),
    (S.PARTIALLY_SHIPPED, Shipped(partially=False), S.SHIPPED),
    (S.SHIPPED, Delivered(), S.DELIVERED),
    (S.PARTIALLY_SHIPPED, Delivered(), S.PARTIALLY_SHIPPED),
    (S.SHIPPED, Failed("Klaviyo refused"), S.NEEDS_ATTENTION),
])
def test_transitions(state: S, event: object, after: S) -> None:
    assert advance(state, event).state is after  # type: ignore[arg-type]


@pytest.mark.parametrize("event", [Pushed(), Released(), Shipped(False), Failed("x"),
                                   NothingToShip(), Claimed(), Delivered()])
@pytest.mark.parametrize("stopped", [S.CANCELLING, S.CANCELLED])
def test_a_cancellation_wins_over_everything_after_it(stopped: S, event: object) -> None:
    assert advance(stopped, event).state is stopped  # type: ignore[arg-type]


def test_what_a_transition_asks_for() -> None:
    assert advance(S.IN_SHIPSTATION, Snapshot(True, stops=True)).effects == (StopPendingWork(),)
    assert advance(S.CANCELLING, Stopped()).effects == (CancelTimers(),)
    assert advance(S.QUEUED, Failed("refused")).effects == (NeedsPerson("refused"),)
    assert advance(S.CANCELLED, Snapshot(True, stops=True)).effects == ()
