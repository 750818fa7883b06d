"""Telling customers: milestone events through the outbox, once per `unique_id` (which Klaviyo
also dedupes on), and what a person must see when that fails."""

from __future__ import annotations

from shipflow.domain.effects import TellCustomer
from shipflow.domain.milestone import MilestoneEvent
from shipflow.engine import durable
from shipflow.engine.retries import with_durable_retries
from shipflow.engine.runtime import current
from shipflow.providers.errors import ProviderError
from shipflow.store.orders import Outcome


@durable.step("send_events")
def send_events(items: list[tuple[int, MilestoneEvent]]) -> int:
    """Send the events not sent yet; returns how many this call sent (or recorded)."""
    rt = current()
    effects: dict[str, TellCustomer] = {}
    for pk, event in items:
        effect = TellCustomer(pk, event)
        effects.setdefault(effect.key, effect)
    sent = rt.outbox.send(list(effects.values()))
    fresh = {key: e for key, e in effects.items() if not sent[key].replayed}
    rt.store.orders.settle(
        [Outcome(e.order_pk, True, f"Customer told: {e.event.milestone.value}", e.key,
                 {"unique_id": e.event.unique_id, "metric": e.event.milestone.value})
         if sent[key].ok else
         Outcome(e.order_pk, False, f"Klaviyo event failed: {sent[key].error}", e.key)
         for key, e in fresh.items()], kind="told")
    return sum(1 for key in fresh if sent[key].ok)


def tell(items: list[tuple[int, MilestoneEvent]]) -> int:
    """Inside a workflow: tell the customers, retrying durably across an outage."""
    if not items:
        return 0
    try:
        return int(with_durable_retries(send_events, items))
    except ProviderError as exc:
        note_failure([pk for pk, _ in items], "Klaviyo event", str(exc))
        return 0


@durable.step("note_failure")
def note_failure(order_pks: list[int], what: str, error: str) -> None:
    current().store.orders.settle(
        [Outcome(pk, False, f"{what} failed: {error}") for pk in order_pks], kind=what)
