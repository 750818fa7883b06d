"""`shipflow replay` end to end, on SQLite and PostgreSQL: orders go through live intake with
rules A on the sandbox; replaying them with rules B lists exactly the decisions that would
change, and writes nothing to the store or to any provider."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from typer.testing import CliRunner

from shipflow.cli import app
from shipflow.store.tables import metadata
from tests.integration.lifecycle_env import running
from tests.integration.test_lifecycle_rules import rules as rules_a

RULES_B = """
version: 1
vars:
  signature_threshold: 1000
policy:
  default_backorder: hold
rules:
  - name: signature-above-threshold
    when: order.total_price > vars.signature_threshold
    then: {confirmation: signature}
  - name: address-review
    when: "!order.destination.contiguous_us"
    then: {tags: [check-address]}
  - name: heavy-parcels-ground
    when: order.total_weight_grams > 9000 && order.destination.contiguous_us
    then: {service: {carrier: fedex, service: fedex_ground}}
  - name: tag-kettles
    when: "'KTL-GOOSE-BK' in order.skus"
    then: {tags: [kettle, gift-check]}
"""


def _row_counts(url: str) -> dict[str, int]:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as conn:
            return {t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                    for t in metadata.sorted_tables}
    finally:
        engine.dispose()


def _replay(database_url: str, *args: str, rules_env: str | None = None) -> dict:
    env = {"SHIPFLOW_DATABASE_URL": database_url}
    if rules_env:
        env["SHIPFLOW_RULES"] = rules_env
    result = CliRunner().invoke(app, ["replay", *args, "--json"], env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_replay_lists_exactly_the_decisions_that_change(tmp_path: Path, database_url: str) -> None:
    new_rules = tmp_path / "new.yaml"
    new_rules.write_text(RULES_B)
    with running(tmp_path, database_url, rules_a("split")) as s:
        s.set_stock("GRN-BURR-01", 0)
        [pricey] = s.place(line_items=[{"sku": "KTL-GOOSE-BK", "quantity": 3}],
                           destination="contiguous")
        [remote] = s.place(line_items=[{"sku": "MUG-CER-16", "quantity": 1}],
                           destination="noncontiguous")
        [short] = s.place(line_items=[{"sku": "MUG-CER-16", "quantity": 1},
                                      {"sku": "GRN-BURR-01", "quantity": 1}],
                          destination="contiguous")
        [cheap] = s.place(line_items=[{"sku": "FLT-PAPER-100", "quantity": 1}],
                          destination="contiguous")
        s.wait_state(pricey, "in_shipstation", "shipped")
        s.wait_state(remote, "on_hold")
        s.wait_state(short, "partially_shipped")
        s.wait_state(cheap, "in_shipstation", "shipped")
        names = {i: s.view(i)["name"] for i in (pricey, remote, short, cheap)}
        s.stop()  # shipflow stops; the sandbox keeps running

        requests_before = dict(s.sandbox_app.state.sandbox.requests)
        rows_before = _row_counts(database_url)

        report = _replay(database_url, "--rules", str(new_rules), "--since", "14d")

        changes = {(c["shopify_order_id"], c["action"]): (c["rule"], c["before"], c["after"])
                   for c in report["changes"]}
        assert changes == {
            (pricey, "confirmation"): ("signature-above-threshold",
                                       "signature-above-threshold: signature confirmation", "-"),
            (remote, "hold"): ("address-review", "address-review: hold for address_review: "
                               "Check the address before any label", "-"),
            (remote, "tags"): ("address-review", "-", "address-review: tag check-address"),
            (remote, "outcome"): ("", "on hold (address_review)", "ships"),
            (short, "backorder"): (
                "policy.default_backorder",
                "policy.default_backorder: backorder policy split (SKUs out of stock: GRN-BURR-01)",
                "policy.default_backorder: backorder policy hold (SKUs out of stock: GRN-BURR-01)"),
            (short, "outcome"): ("", "split: part 1 ships, part 2 on hold (backorder)",
                                 "on hold (backorder)"),
        }
        assert len(report["changes"]) == 6
        assert {c["order"] for c in report["changes"]} == {names[pricey], names[remote],
                                                           names[short]}
        assert report["baseline"] == "recorded decisions"
        assert report["counts"] == {
            "orders_in_window": 4, "replayed": 4, "changed_orders": 3, "unchanged_orders": 1,
            "not_replayable": 0, "not_routed": 0, "changed_decisions": 6,
            "changed_backorder": 1, "changed_confirmation": 1, "changed_hold": 1,
            "changed_outcome": 2, "changed_tags": 1,
        }

        # The same rules as live intake decide exactly what live intake decided.
        same = tmp_path / "same.yaml"
        same.write_text(rules_a("split"))
        unchanged = _replay(database_url, "--rules", str(same), "--since", "14d")
        assert unchanged["changes"] == [] and unchanged["counts"]["replayed"] == 4
        # Against the current rules (SHIPFLOW_RULES = rules A) the answer is the same.
        current = _replay(database_url, "--rules", str(new_rules), "--against", "current",
                          rules_env=str(same))
        assert current["baseline"] == f"current rules ({same})"
        assert current["changes"] == report["changes"]
        # A window that ends before these orders holds none of them.
        assert _replay(database_url, "--rules", str(new_rules), "--since",
                       "2999-01-01")["counts"]["orders_in_window"] == 0

        # No side effects: the store and the providers saw nothing.
        assert _row_counts(database_url) == rows_before
        assert dict(s.sandbox_app.state.sandbox.requests) == requests_before

        text = CliRunner().invoke(app, ["replay", "--rules", str(new_rules)],
                                  env={"SHIPFLOW_DATABASE_URL": database_url})
        assert text.exit_code == 0, text.output
        lines = [line.split() for line in text.output.splitlines()]
        assert ["changed_orders", "3"] in lines and ["not_replayable", "0"] in lines
        assert any(line[:3] == [names[remote], "outcome", "on"] for line in lines if line)
