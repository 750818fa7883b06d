"""The layer rules hold: import-linter's contracts (pyproject.toml), no import cycle, and no
provider write called from anywhere but the outbox and the provider packages themselves."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import grimp

SRC = Path(__file__).resolve().parents[2] / "src"

# Provider write methods: the ports' write halves and the clients' writes behind them.
WRITES = frozenset({
    "push", "restore_from_hold", "cancel", "mark_shipped", "buy", "fulfil", "update_tracking",
    "hold", "release", "add_tags", "send_events", "create_orders", "create_order",
    "cancel_order", "mark_as_shipped", "create_fulfillment", "hold_fulfillment_order",
    "release_hold", "create_events_bulk", "create_event", "label_from_rate", "create_label",
    "void_label", "delete_order", "hold_until", "add_tag", "upsert_profile",
})
ALLOWED = ("shipflow/engine/outbox.py", "shipflow/providers/")
# Webhook subscriptions are the installation's configuration, not order effects: only
# `shipflow connect` makes them (ops/connect.py says why they bypass the outbox).
SUBSCRIPTION_WRITES = frozenset({"create_webhook_subscription", "subscribe_webhook",
                                 "create_webhook", "delete_webhook"})
SUBSCRIPTIONS_ALLOWED = ("shipflow/ops/connect.py", "shipflow/providers/")


def _on_self(func: ast.Attribute) -> bool:
    """`self.hold(...)`: a module's own method (the rules schema has one), not a provider's."""
    return isinstance(func.value, ast.Name) and func.value.id == "self"


def test_import_linter_contracts_are_kept() -> None:
    linter = Path(sys.executable).with_name("lint-imports")
    run = subprocess.run([str(linter)], capture_output=True, text=True, cwd=SRC.parent)
    assert run.returncode == 0, run.stdout[-3000:]
    assert "0 broken" in run.stdout


def test_no_import_cycle_under_src() -> None:
    graph = grimp.build_graph("shipflow", "shipflow_sandbox", exclude_type_checking_imports=True)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(module: str) -> None:  # Tarjan's strongly connected components
        index[module] = low[module] = len(index)
        stack.append(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    assert cycles == []


def test_only_the_outbox_calls_provider_writes() -> None:
    offenders = []
    for path in sorted((SRC / "shipflow").rglob("*.py")):
        relative = path.relative_to(SRC).as_posix()
        if relative.startswith(ALLOWED):
            continue
        for node in ast.walk(ast.parse(path.read_text(), relative)):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr in WRITES and not _on_self(node.func):
                offenders.append(f"{relative}:{node.lineno}: .{node.func.attr}(...)")
    assert offenders == []


def test_only_connect_changes_webhook_subscriptions() -> None:
    offenders = []
    for path in sorted((SRC / "shipflow").rglob("*.py")):
        relative = path.relative_to(SRC).as_posix()
        if relative.startswith(SUBSCRIPTIONS_ALLOWED):
            continue
        for node in ast.walk(ast.parse(path.read_text(), relative)):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr in SUBSCRIPTION_WRITES:
                offenders.append(f"{relative}:{node.lineno}: .{node.func.attr}(...)")
    assert offenders == []
# Offline use cases read the store and the providers; they write to neither. The store writes
# only inside `engine.begin()` transactions, through its repositories (`Store`), or by
# migrating (`upgrade`); offline code reads with `engine.connect()`.
STORE_WRITES = frozenset({"begin", "upgrade"})
OFFLINE = ("shipflow/ops/", "shipflow/store/queries/routing.py")


def test_offline_use_cases_write_nothing() -> None:
    offenders = []
    for path in sorted((SRC / "shipflow").rglob("*.py")):
        relative = path.relative_to(SRC).as_posix()
        if not relative.startswith(OFFLINE):
            continue
        for node in ast.walk(ast.parse(path.read_text(), relative)):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr in WRITES | STORE_WRITES:
                offenders.append(f"{relative}:{node.lineno}: .{node.func.attr}(...)")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                    and node.func.id in ("Store", "upgrade"):
                offenders.append(f"{relative}:{node.lineno}: {node.func.id}(...)")
    assert offenders == []
    assert (SRC / "shipflow" / "ops" / "replay.py").exists()
