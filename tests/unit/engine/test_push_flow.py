"""push_orders: routing, one bulk push, results per order; retried, refused, duplicated."""

from __future__ import annotations

from shipflow.domain.order import OrderState
from shipflow.engine.flows import push
from shipflow.providers.errors import TransientError

from ..rules.helpers import rules
from .harness import order

TAGGED = rules("""
version: 1
rules:
  - name: tag everything
    when: "true"
    then: {tags: [vip]}
""")


def test_a_batch_is_pushed_in_one_write_and_each_order_moves_on(engine) -> None:
    h = engine()
    pks = h.paid(order(1), order(2), order(3))
    assert h.run(push.push_orders, pks) == 3
    assert h.shipstation.names() == ["push"]
    assert sorted(h.shipstation.orders) == ["1001", "1002", "1003"]
    assert [h.state(pk) for pk in pks] == [OrderState.IN_SHIPSTATION] * 3
    assert h.ledger() == {"shipstation_order:done": 3}


def test_a_transient_failure_is_retried_durably_and_nothing_is_pushed_twice(engine) -> None:
    h = engine()
    pks = h.paid(order(1), order(2))
    h.shipstation.fail("push", TransientError("503"))
    h.shipstation.lose_answer("push")  # the retry acts, then its answer is lost
    assert h.run(push.push_orders, pks) == 2
    assert h.shipstation.names() == ["push", "push"]  # an upsert by orderKey: harmless
    assert len(h.shipstation.orders) == 2
    assert h.ledger() == {"shipstation_order:done": 2}


def test_a_retry_finding_its_orders_already_shipped_takes_them_as_pushed(engine) -> None:
    """The first createorders acted but its answer was lost, and the warehouse printed the
    labels before the retry: ShipStation refuses to update a shipped order. The retry looks
    the orders up and goes on; nothing needs a person."""
    h = engine()
    pks = h.paid(order(1), order(2))
    h.shipstation.lose_answer("push")

    def printed_before_the_retry() -> None:
        for known in h.shipstation.orders.values():
            known["status"] = "shipped"

    original = h.shipstation.push

    def push_then_print(parts):  # type: ignore[no-untyped-def]
        try:
            return original(parts)
        finally:
            printed_before_the_retry()

    h.shipstation.push = push_then_print  # type: ignore[method-assign]
    assert h.run(push.push_orders, pks) == 2
    assert [h.state(pk) for pk in pks] == [OrderState.IN_SHIPSTATION] * 2
    assert h.ledger() == {"shipstation_order:done": 2}
    assert h.shipstation.names() == ["push", "push"]


def test_a_refused_order_needs_attention_and_the_others_go_on(engine) -> None:
    h = engine()
    pks = h.paid(order(1), order(2))
    h.shipstation.refuse["1002"] = "The order's address is invalid"
    assert h.run(push.push_orders, pks) == 1
    assert [h.state(pk) for pk in pks] == [OrderState.IN_SHIPSTATION, OrderState.NEEDS_ATTENTION]
    assert h.ledger() == {"shipstation_order:done": 1, "shipstation_order:failed": 1}


def test_the_same_batch_run_twice_pushes_once(engine) -> None:
    h = engine()
    pks = h.paid(order(1))
    h.run(push.push_orders, pks, workflow_id="push:same")
    h.run(push.push_orders, pks, workflow_id="push:same")
    assert h.shipstation.names() == ["push"]


def test_tags_after_the_push_go_through_the_outbox_once(engine) -> None:
    h = engine(TAGGED)
    pks = h.paid(order(1))
    h.run(push.push_orders, pks)
    assert h.shopify.writes == [("add_tags", (1001, ("vip",)))]
    assert h.ledger() == {"shipstation_order:done": 1, "shopify_tags:done": 1}


class Crash(BaseException):
    """The process dies here: nothing after it runs, and DBOS records no outcome."""


def test_a_crash_after_the_push_resumes_from_the_ledger_on_restart(engine) -> None:
    h = engine(TAGGED)
    pks = h.paid(order(1), order(2))
    h.shopify.fail("add_tags", Crash())  # dies after createorders, before the tags
    try:
        h.run(push.push_orders, pks, workflow_id="push:crash")
    except Crash:
        pass
    assert h.shipstation.names() == ["push"]
    restarted = engine(TAGGED, same_database=True)
    restarted.wait(lambda: len(restarted.shopify.writes) == 2
                   and restarted.ledger()["shopify_tags:done"] == 2)
    assert restarted.shipstation.writes == []  # the push is not made again
    assert [restarted.state(pk) for pk in pks] == [OrderState.IN_SHIPSTATION] * 2
    assert restarted.ledger() == {"shipstation_order:done": 2, "shopify_tags:done": 2}


def test_a_batch_whose_workflow_failed_hands_its_orders_to_a_person(engine) -> None:
    from shipflow.engine import durable
    h = engine()
    pks = h.paid(order(1), order(2))
    h.shipstation.fail("push", RuntimeError("a bug, not a provider error"))
    try:
        h.run(push.push_orders, pks, workflow_id=h.batch)
    except RuntimeError:
        pass
    assert [h.state(pk) for pk in pks] == [OrderState.QUEUED] * 2  # held: the old failure
    h.store.orders.release_orphans(durable.workflow_status)
    assert [h.state(pk) for pk in pks] == [OrderState.NEEDS_ATTENTION] * 2


def test_a_push_that_keeps_failing_transiently_is_retried_later_on_its_own(engine) -> None:
    from shipflow.domain.policy import DelayPolicy
    from shipflow.engine.loops.sweeper import Sweeper
    h = engine()
    pks = h.paid(order(1))
    h.shipstation.fail("push", *[TransientError("503")] * 3)  # every durable retry fails
    assert h.run(push.push_orders, pks) == 0
    assert h.state(pks[0]) is OrderState.NEEDS_ATTENTION
    sweeper = Sweeper(h.store, clock=h.clock, delay_policy=DelayPolicy,
                      start_stop=lambda pk: None, start_timers=lambda b, k: None,
                      start_delay=lambda s, n: None, batch_status=lambda b: None)
    assert sweeper.retry_due() == 0  # not yet: it waits its backoff
    h.clock.advance(minutes=11)
    assert sweeper.retry_due() == 1
    assert h.state(pks[0]) is OrderState.PAID  # back to the dispatcher
    assert sweeper.retry_due() == 0
    batch = h.store.orders.claim_paid("push:again", 100)
    assert h.run(push.push_orders, batch) == 1
    assert h.state(pks[0]) is OrderState.IN_SHIPSTATION


def test_a_person_retries_an_order_shipstation_refused(engine) -> None:
    h = engine()
    [pk] = h.paid(order(1))
    h.shipstation.refuse["1001"] = "The address is invalid"
    h.run(push.push_orders, [pk])
    assert h.state(pk) is OrderState.NEEDS_ATTENTION
    assert h.store.orders.retries_due(h.clock().replace(year=2030)) == []  # no auto retry
    del h.shipstation.refuse["1001"]
    assert h.store.orders.retry(pk, why="ops") is OrderState.PAID
    assert h.store.orders.retry(pk, why="ops") is OrderState.PAID  # idempotent
