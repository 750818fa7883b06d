"""The orders repository on both databases: refunds counted once per refund id, and batches
whose workflow will never finish their orders."""

from __future__ import annotations

from dataclasses import replace

from shipflow.domain.order import LineItem, OrderState
from shipflow.domain.policy import PAID, ShippingPolicy
from shipflow.store import Database, Store
from shipflow.store.inbox import Delivery
from shipflow.store.queries import order_view
from tests.unit.domain.factories import an_order


def stored(store: Store, n: int = 1) -> int:
    order = replace(an_order(), shopify_order_id=5000 + n, name=f"#{5000 + n}", line_items=(
        LineItem(1, "MUG-01", "Mug", 2, an_order().line_items[0].unit_price),))
    store.inbox.accept(Delivery("shopify", f"d-{n}", "orders/paid", order.shop_domain, {}, b"{}",
                                2), order, dispatched=True)
    return store.orders.pks_by_shopify_id([order.shopify_order_id])[order.shopify_order_id]


def test_a_refund_delivered_twice_counts_once(store: Store) -> None:
    pk = stored(store)
    shop = an_order().shop_domain
    assert store.orders.apply_refund(shop, 5001, 77, [(1, 1)]) is OrderState.PAID
    assert store.orders.apply_refund(shop, 5001, 77, [(1, 1)]) is OrderState.PAID  # again
    [order] = store.orders.load([pk])
    assert order.order.refunded == ((1, 1),)
    # a second refund (another id) for the last unit stops the order
    assert store.orders.apply_refund(shop, 5001, 78, [(1, 1)]) is OrderState.CANCELLED


def test_batches_that_will_never_finish_their_orders(store: Store) -> None:
    never, failed, running = stored(store, 1), stored(store, 2), stored(store, 3)
    claims = {}
    for pk, batch in ((never, "push:never"), (failed, "push:failed"), (running, "push:running")):
        claims[batch] = store.orders.claim_paid(batch, 1)
        assert claims[batch] == [pk]
    status = {"push:never": None, "push:failed": "ERROR", "push:running": "PENDING"}
    assert store.orders.release_orphans(status.__getitem__) == (1, 1)
    states = {s.pk: s.state for s in store.orders.load([never, failed, running])}
    assert states == {never: OrderState.PAID, failed: OrderState.NEEDS_ATTENTION,
                      running: OrderState.QUEUED}


def intake(store: Store, topic: str, n: int, **overrides: object) -> tuple[OrderState, list[str]]:
    order = replace(an_order(**overrides), shopify_order_id=6000 + n, name=f"#{6000 + n}")
    store.inbox.accept(Delivery("shopify", f"p-{n}-{topic}", topic, order.shop_domain, {}, b"{}",
                                2), order, dispatched=True)
    pk = store.orders.pks_by_shopify_id([order.shopify_order_id])[order.shopify_order_id]
    view = order_view(store.db, order.shopify_order_id)
    assert view is not None
    return store.orders.load([pk])[0].state, [e.message for e in view.timeline
                                              if e.kind == "not_shipped"]


def test_authorized_orders_ship_by_default_and_the_policy_can_say_paid(
        store: Store, database_url: str) -> None:
    default = store
    assert intake(default, "orders/create", 1, financial_status="authorized") \
        == (OrderState.PAID, [])
    strict = Store(Database.connect(database_url), shipping=ShippingPolicy(PAID))
    state, why = intake(strict, "orders/create", 2, financial_status="authorized")
    assert state is OrderState.RECEIVED
    assert why == ["Not shipped: payment is authorized; policy.ship_when ships orders that are "
                   "paid, partially_refunded"]
    # the topic is trusted: orders/paid means paid, whatever the body still says
    assert intake(strict, "orders/paid", 3, financial_status="authorized")[0] is OrderState.PAID
    state, why = intake(default, "orders/paid", 4, test=True)
    assert state is OrderState.RECEIVED and why == [
        "Not shipped: a Shopify test order (policy.ship_test_orders is false)"]
    strict.db.dispose()
