"""A running sandbox + shipflow for lifecycle scenarios, with helpers that read what the sandbox
recorded (the providers' side of every hand-off)."""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Iterator

import httpx

from shipflow.demo import make_environment
from shipflow.netutil import BackgroundServer, free_port
from shipflow.service import Service
from shipflow_sandbox.app import create_app as create_sandbox_app

TOKEN = "t0k-lifecycle-" + "x" * 32


class Scenario:
    def __init__(self, service: Service, http: httpx.Client, sandbox_url: str, shipflow_url: str,
                 sandbox_app: Any, start: Callable[[], tuple[Service, BackgroundServer]],
                 web: BackgroundServer) -> None:
        self.service = service
        self.http = http
        self.sandbox = sandbox_url
        self.shipflow = shipflow_url
        self.sandbox_app = sandbox_app
        self._start = start
        self._web = web
        self._stopped = False

    def restart(self) -> None:
        """Stop shipflow (web and engine), unless stopped already, and start a new one on the
        same database."""
        if not self._stopped:
            self._web.__exit__(None, None, None)
            self.service.stop()
        self.service, self._web = self._start()
        self._stopped = False

    def stop(self) -> None:
        """Stop shipflow (web and engine); the sandbox keeps running. Once is enough."""
        if self._stopped:
            return
        self._stopped = True
        self._web.__exit__(None, None, None)
        self.service.stop()

    # -- the merchant's side -----------------------------------------------------------------
    def place(self, *, count: int = 1, line_items: list[dict[str, Any]] | None = None,
              destination: str | None = None) -> list[int]:
        body: dict[str, Any] = {"count": count}
        if line_items:
            body["line_items"] = line_items
        if destination:
            body["destination"] = destination
        response = self.http.post(f"{self.sandbox}/_sandbox/shopify/orders", json=body)
        response.raise_for_status()
        return [int(o["id"]) for o in response.json()["orders"]]

    def set_stock(self, sku: str, available: int) -> None:
        self.http.post(f"{self.sandbox}/_sandbox/shopify/inventory",
                       json={"sku": sku, "available": available}).raise_for_status()

    def cancel(self, order_id: int) -> None:
        self.http.post(f"{self.sandbox}/_sandbox/shopify/orders/{order_id}/cancel",
                       json={"reason": "customer"}).raise_for_status()

    # -- what the providers recorded ---------------------------------------------------------
    def shipstation_order(self, order_key: str) -> dict[str, Any] | None:
        found = self.http.get(f"{self.sandbox}/_sandbox/shipstation/orders",
                              params={"orderKey": order_key}).json()
        rows = found["orders"] if isinstance(found, dict) else found
        return rows[0] if rows else None

    def shopify_order(self, order_id: int) -> dict[str, Any]:
        return self.http.get(f"{self.sandbox}/_sandbox/shopify/orders/{order_id}").json()

    def events(self, metric: str | None = None) -> list[dict[str, Any]]:
        params = {"metric": metric} if metric else {}
        found = self.http.get(f"{self.sandbox}/_sandbox/klaviyo/events", params=params).json()
        return found if isinstance(found, list) else found["events"]

    def events_for(self, order_id: int, metric: str | None = None) -> list[dict[str, Any]]:
        return [e for e in self.events(metric)
                if str(e["properties"].get("OrderId")) == str(order_id)]

    # -- shipflow's side ---------------------------------------------------------------------
    def view(self, order_id: int) -> dict[str, Any] | None:
        response = self.http.get(f"{self.shipflow}/api/orders/{order_id}",
                                 headers={"Authorization": f"Bearer {TOKEN}"})
        return response.json() if response.status_code == 200 else None

    def state(self, order_id: int) -> str | None:
        view = self.view(order_id)
        return view["state"] if view else None

    def release(self, order_id: int) -> httpx.Response:
        return self.http.post(f"{self.shipflow}/api/orders/{order_id}/release",
                              headers={"Authorization": f"Bearer {TOKEN}"})

    def wait_state(self, order_id: int, *states: str, timeout: float = 60.0) -> str:
        wait_until(lambda: self.state(order_id) in states, timeout,
                   lambda: f"order {order_id} is {self.state(order_id)}, wanted {states}")
        return str(self.state(order_id))


def wait_until(predicate: Callable[[], Any], timeout: float = 60.0,
               why: Callable[[], str] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out" + (f": {why()}" if why else ""))
        time.sleep(0.2)


@contextmanager
def running(tmp_path: Path, database_url: str, rules: str, *, time_scale: float = 60.0,
            limits: bool = True, auto_ship: bool = True,
            delay_sweep_interval: float = 1.0, record_only: bool = False,
            wrap_sandbox: Callable[[Any], Any] | None = None,
            shadow_report: Callable[..., Any] | None = None,
            sandbox: dict[str, Any] | None = None,
            settings: dict[str, Any] | None = None,
            prepare: Callable[[str], None] | None = None) -> Iterator[Scenario]:
    """`record_only`: shipflow records every provider write and sends none
    (`Service.start(record_only=True)`). `wrap_sandbox`: an ASGI middleware factory put around
    the sandbox app (e.g. to see every request it receives); `Scenario.sandbox_app` stays the
    sandbox app itself. `shadow_report`: serves `GET /api/shadow/report` (as `shipflow serve`
    hands it `ops.shadow_sources.reporter`). `sandbox` and `settings`: more `SandboxConfig` and
    `Settings` values (e.g. `reconcile_interval`). `prepare(sandbox_url)`: runs once the sandbox
    is up, before shipflow starts."""
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(rules)
    env = make_environment(tmp_path, free_port(), free_port(), time_scale=time_scale)
    env.settings = env.settings.with_overrides(
        database_url=database_url, api_token=TOKEN, rules=str(rules_file),
        sweep_interval=0.2, delay_sweep_interval=delay_sweep_interval, **(settings or {}))
    config = replace(env.sandbox_config, enforce_rate_limits=limits,
                     auto_ship_after=env.sandbox_config.auto_ship_after if auto_ship else None,
                     **(sandbox or {}))
    port = int(env.shipflow_url.rsplit(":", 1)[1])
    sandbox_port = int(env.sandbox_url.rsplit(":", 1)[1])
    sandbox_app = create_sandbox_app(config)
    served = wrap_sandbox(sandbox_app) if wrap_sandbox else sandbox_app
    with BackgroundServer(served, port=sandbox_port):
        clock = sandbox_app.state.sandbox.clock.calendar
        if prepare is not None:
            prepare(env.sandbox_url)

        def start() -> tuple[Service, BackgroundServer]:
            service = Service.start(env.settings, clock=clock, record_only=record_only,
                                    shadow_report=shadow_report)
            web = BackgroundServer(service.app, port=port)
            web.__enter__()
            return service, web

        service, web = start()
        with httpx.Client(timeout=30) as http:
            scenario = Scenario(service, http, env.sandbox_url, env.shipflow_url, sandbox_app,
                                start, web)
            try:
                yield scenario
            finally:
                scenario.stop()
