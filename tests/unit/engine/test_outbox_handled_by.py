"""Orders the merchant's old process handles (first seen in shadow mode): after the switch to
live their writes are only recorded, while other orders' writes are made."""

from __future__ import annotations

from pathlib import Path

from shipflow.domain.effects import TagOrder
from shipflow.engine.outbox import Outbox, Ports
from shipflow.store import Database, Store, upgrade
from tests.unit.engine.fakes import FakeKlaviyo, FakeRates, FakeShipStation, FakeShopify
from tests.unit.engine.harness import order


def test_live_outbox_only_records_the_old_process_orders(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shipflow.db'}"
    upgrade(url)
    db = Database.connect(url)
    try:
        shadow, live = Store(db, handled_by="manual"), Store(db)
        old, new = order(1), order(2)
        with db.engine.begin() as conn:
            shadow.orders.upsert(conn, [(old, "orders/paid")])
        with db.engine.begin() as conn:
            live.orders.upsert(conn, [(new, "orders/paid")])
        pks = live.orders.pks_by_shopify_id([old.shopify_order_id, new.shopify_order_id])
        assert live.orders.handled_manually(pks.values()) == {pks[old.shopify_order_id]}

        shopify = FakeShopify()
        outbox = Outbox(live.ledger, Ports(shopify, FakeShipStation(), FakeKlaviyo(),
                                           FakeRates()),
                        handled_manually=live.orders.handled_manually)
        tags = [TagOrder(pks[o.shopify_order_id], o, ("vip",)) for o in (old, new)]
        sent = outbox.send(tags)
        assert sent[tags[0].key].recorded and not sent[tags[1].key].recorded
        assert shopify.writes == [("add_tags", (new.shopify_order_id, ("vip",)))]
        assert {r.order_pk: r.status for r in live.ledger.rows()} == {
            pks[old.shopify_order_id]: "recorded", pks[new.shopify_order_id]: "done"}
        assert outbox.send(tags)[tags[0].key].replayed  # settled: never sent later either
        assert len(shopify.writes) == 1
    finally:
        db.dispose()
