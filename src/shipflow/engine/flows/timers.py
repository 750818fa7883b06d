"""Timers: `Review Request Due` and `Reorder Reminder Due`, planned at delivery and claimed by
the sweeper when due (`fire_timers`, one per claimed batch)."""

from __future__ import annotations

from shipflow.domain import messages
from shipflow.domain.milestone import MilestoneEvent
from shipflow.domain.timers import TimerKind
from shipflow.engine import durable
from shipflow.engine.flows.tell import tell
from shipflow.engine.retries import with_durable_retries
from shipflow.engine.runtime import current


@durable.step("timer_events")
def timer_events(timer_keys: list[str]) -> list[tuple[int, MilestoneEvent]]:
    rt = current()
    due = rt.store.timers.by_key(timer_keys)
    stored = {s.pk: s for s in rt.store.orders.load(sorted({t.order_pk for t in due}))}
    now = rt.clock()
    out: list[tuple[int, MilestoneEvent]] = []
    for t in due:
        so = stored.get(t.order_pk)
        if so is None or so.state.is_stopped:
            continue
        order = so.order
        if t.kind == TimerKind.REVIEW_REQUEST.value and t.shipment_id:
            ship = rt.store.shipments.get(t.shipment_id)
            if ship is None or ship.progress.delivered_at is None:
                continue
            out.append((t.order_pk, messages.review_request_due(
                order, ship.shipment, ship.progress.delivered_at, t.days, now)))
        elif t.kind == TimerKind.REORDER_REMINDER.value and t.sku:
            line = next((li for li in order.shippable_items if li.sku == t.sku), None)
            if line is not None:
                out.append((t.order_pk, messages.reorder_reminder_due(
                    order, line, order.created_at, t.due_at, now)))
    return out


@durable.step("close_timers")
def close_timers(timer_keys: list[str]) -> None:
    current().store.timers.finish(timer_keys)


@durable.workflow("fire_timers")
def fire_timers(timer_keys: list[str]) -> int:
    told = tell(with_durable_retries(timer_events, timer_keys))
    close_timers(timer_keys)
    return told
