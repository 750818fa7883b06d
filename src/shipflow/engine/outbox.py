"""The one seam for every outbound write: effects in, ledger rows and provider calls out.

`Outbox.send(effects)`: each effect (`domain/effects.py`) is keyed (`domain/keys.py`); one
already settled in the ledger is not sent again and its recorded answer is returned; the rest
are recorded as attempts, sent through the provider ports, and closed with the answer. In
record-only mode (`policy.mode: shadow`) they are recorded and never sent, and so are, in
live mode too, those of the orders the merchant's old process handles. This is the only
module that holds the ports' write halves; flows see only their read halves (`runtime.py`).

Failures as values: a provider's permanent refusal of one write comes back as a failed `Sent`
for that effect (the caller decides what a person must see). A transient failure or a rate
limit is raised after the writes that did finish are closed, so the durable retry of the step
re-runs it and finds those settled.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

from shipflow.domain.effects import (
    AdoptFulfilment,
    AmendImported,
    BuyLabel,
    CancelPart,
    Effect,
    Fulfil,
    HoldOrder,
    MarkShipped,
    PushPart,
    ReleaseOrder,
    RestorePart,
    TagOrder,
    TellCustomer,
    UpdateTracking,
)
from shipflow.providers.errors import ProviderError, RateLimited, RejectedRequest, TransientError
from shipflow.providers.ports import (
    BoughtLabel,
    CustomerMessaging,
    LabelPlatform,
    LabelPurchasing,
    OrderSource,
)
from shipflow.store.ledger import Closed, Entry, Ledger

log = logging.getLogger("shipflow.outbox")

PARALLEL = 4  # single writes in flight per send; the providers' rate budgets pace them


@dataclass(frozen=True, slots=True)
class Sent:
    """What became of one effect. `result` is the provider's answer as recorded (an order id, a
    fulfillment id, a label); empty when only recorded."""

    ok: bool
    result: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    recorded: bool = False  # record-only mode: written to the ledger, not sent
    replayed: bool = False  # settled by an earlier send: its recorded answer, nothing sent now


@dataclass
class Ports:
    """The whole ports, writes included: held by the outbox alone."""

    orders: OrderSource
    labels: LabelPlatform
    messaging: CustomerMessaging
    purchasing: LabelPurchasing | None = None


def _entry(effect: Effect) -> Entry:
    return Entry(effect.key, effect.provider, effect.operation, effect.kind.value,
                 effect.order_pk, effect.describe())


def label_result(label: BoughtLabel, reason: str, found_existing: bool) -> dict[str, Any]:
    return {"label_id": label.label_id, "tracking_number": label.tracking_number,
            "carrier_code": label.carrier_code, "service_code": label.service_code,
            "ship_date": label.ship_date.isoformat() if label.ship_date else None,
            "reason": "label found from an earlier attempt" if found_existing else reason}


class Outbox:
    def __init__(self, ledger: Ledger, ports: Ports, *, record_only: bool = False,
                 handled_manually: Callable[[Iterable[int]], set[int]] | None = None) -> None:
        """`handled_manually(order_pks)`: the orders the merchant's old process handles (first
        seen in shadow mode); their writes are only recorded, in live mode too, so switching a
        shadow run to live never acts twice on an order the old process already handled."""
        self.ledger = ledger
        self.ports = ports
        self.record_only = record_only
        self.handled_manually = handled_manually

    def send(self, effects: Sequence[Effect]) -> dict[str, Sent]:
        """Each effect once, by key; returns what became of every one of them."""
        unique: dict[str, Effect] = {}
        for effect in effects:
            unique.setdefault(effect.key, effect)
        if not unique:
            return {}
        settled = self.ledger.settled(unique)
        results = {key: Sent(True, result, replayed=True) for key, result in settled.items()}
        pending = [e for key, e in unique.items() if key not in settled]
        if not pending:
            return results
        if self.record_only:
            only_recorded, pending = pending, []
        else:
            manual = (self.handled_manually({e.order_pk for e in pending if e.order_pk})
                      if self.handled_manually else set())
            only_recorded = [e for e in pending if e.order_pk in manual]
            pending = [e for e in pending if e.order_pk not in manual]
        if only_recorded:
            self.ledger.begin([_entry(e) for e in only_recorded], status="recorded")
            results.update({e.key: Sent(True, recorded=True) for e in only_recorded})
        if not pending:
            return results
        entries = [_entry(e) for e in pending]
        attempts = self.ledger.begin(entries)
        sent, failure = self._dispatch(pending, attempts)
        self.ledger.close([Closed(key, s.ok, s.result, s.error) for key, s in sent.items()])
        if failure is not None:
            raise failure
        results.update(sent)
        return results

    # -- sending -------------------------------------------------------------------------------
    def _dispatch(self, pending: list[Effect], attempts: dict[str, int]
                  ) -> tuple[dict[str, Sent], Exception | None]:
        sent: dict[str, Sent] = {}
        failure: Exception | None = None
        pushes = [e for e in pending if isinstance(e, PushPart)]
        amends = [e for e in pending if isinstance(e, AmendImported)]
        told = [e for e in pending if isinstance(e, TellCustomer)]
        singles = [e for e in pending
                   if not isinstance(e, (PushPart, AmendImported, TellCustomer))]
        bulks: list[tuple[Sequence[Effect], Callable[[], dict[str, Sent]]]] = [
            (pushes, lambda: self._push(pushes)), (amends, lambda: self._amend(amends)),
            (told, lambda: self._tell(told))]
        for bulk, run in bulks:
            if bulk:
                try:
                    sent.update(run())
                except (TransientError, RateLimited) as exc:
                    failure = failure or exc
                except ProviderError as exc:  # the whole call was refused
                    sent.update({e.key: Sent(False, error=f"{type(exc).__name__}: {exc}")
                                 for e in bulk})
        if singles:
            with ThreadPoolExecutor(min(PARALLEL, len(singles))) as pool:
                futures = [(e, pool.submit(self._one, e, attempts.get(e.key, 1)))
                           for e in singles]
                for effect, future in futures:
                    try:
                        sent[effect.key] = Sent(True, future.result())
                    except (TransientError, RateLimited) as exc:
                        failure = failure or exc
                    except ProviderError as exc:
                        sent[effect.key] = Sent(False, error=str(exc))
        return sent, failure

    def _push(self, pushes: list[PushPart]) -> dict[str, Sent]:
        answers = self.ports.labels.push(pushes)
        out = {}
        for p in pushes:
            answer = answers[p.order_key]
            # A refusal may follow an attempt that acted and lost its answer (this send's or the
            # client's own retry of it): the order then exists and may be past updating.
            found = self.ports.labels.existing_order(p) if not answer.ok else None
            out[p.key] = (Sent(True, {"orderId": answer.platform_order_id}) if answer.ok
                          else Sent(True, {"orderId": found, "found": True}) if found
                          else Sent(False, error=answer.error))
        return out

    def _amend(self, amends: list[AmendImported]) -> dict[str, Sent]:
        answers = self.ports.labels.amend(amends)
        return {a.key: (Sent(True, {"orderId": answers[a.order_key].platform_order_id,
                                    "amended": a.imported_order_id is not None})
                        if answers[a.order_key].ok else Sent(False, error=answers[a.order_key].error))
                for a in amends}

    def _tell(self, told: list[TellCustomer]) -> dict[str, Sent]:
        self.ports.messaging.send_events([t.event for t in told])
        return {t.key: Sent(True, {"unique_id": t.event.unique_id}) for t in told}

    def _one(self, effect: Effect, attempt: int) -> dict[str, Any]:
        return self._HANDLERS[type(effect)](self, effect, attempt)

    def _restore(self, e: RestorePart, attempt: int) -> dict[str, Any]:
        self.ports.labels.restore_from_hold(e.order_key, e.shipstation_order_id)
        return {}

    def _cancel(self, e: CancelPart, attempt: int) -> dict[str, Any]:
        self.ports.labels.cancel(e.order_key, e.shipstation_order_id)
        return {}

    def _mark_shipped(self, e: MarkShipped, attempt: int) -> dict[str, Any]:
        self.ports.labels.mark_shipped(e.order_key, e.shipstation_order_id, e.carrier_code,
                                       e.ship_date, e.tracking_number)
        return {}

    def _buy_label(self, e: BuyLabel, attempt: int) -> dict[str, Any]:
        purchasing = self.ports.purchasing
        if purchasing is None:
            raise RejectedRequest("api label mode needs SHIPFLOW_SHIPSTATION_V2_API_KEY",
                                  provider="shipstation")
        # An earlier attempt may have bought it before the answer was lost: look first.
        found = purchasing.existing_label(e.order_key) if attempt > 1 else None
        label = found or purchasing.buy(e.rate_id)
        return label_result(label, e.reason, found is not None)

    def _fulfil(self, e: Fulfil, attempt: int) -> dict[str, Any]:
        return {"fulfillment_id": self.ports.orders.fulfil(e.order, e.tracking, e.lines,
                                                           retried=attempt > 1)}

    def _adopt(self, e: AdoptFulfilment, attempt: int) -> dict[str, Any]:
        fulfillment_id, action = self.ports.orders.adopt_fulfilment(e.order, e.tracking, e.lines,
                                                                    attempt=attempt)
        return {"fulfillment_id": fulfillment_id, "action": action}

    def _update_tracking(self, e: UpdateTracking, attempt: int) -> dict[str, Any]:
        self.ports.orders.update_tracking(e.fulfillment_id, e.tracking)
        return {"fulfillment_id": e.fulfillment_id, "relabel_of": e.replaces}

    def _hold(self, e: HoldOrder, attempt: int) -> dict[str, Any]:
        return {"fulfillment_orders": self.ports.orders.hold(e.order, e.hold)}

    def _release(self, e: ReleaseOrder, attempt: int) -> dict[str, Any]:
        return {"fulfillment_orders": self.ports.orders.release(e.order)}

    def _tags(self, e: TagOrder, attempt: int) -> dict[str, Any]:
        self.ports.orders.add_tags(e.order, e.tags)
        return {"tags": list(e.tags)}

    _HANDLERS: dict[type, Callable[[Any, Any, int], dict[str, Any]]] = {
        RestorePart: _restore, CancelPart: _cancel, MarkShipped: _mark_shipped,
        BuyLabel: _buy_label, Fulfil: _fulfil, AdoptFulfilment: _adopt,
        UpdateTracking: _update_tracking,
        HoldOrder: _hold, ReleaseOrder: _release, TagOrder: _tags,
    }
