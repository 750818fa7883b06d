"""Assembles a running orchestrator from settings: database, engine, web app."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from fastapi import FastAPI

from shipflow import logs
from shipflow.config import Settings
from shipflow.domain.policy import LabelMode, RunMode
from shipflow.engine import Engine, Role
from shipflow.rules import RulesFileError, load_configured
from shipflow.store import Database, Store, upgrade
from shipflow.store.clock import accelerated, utcnow
from shipflow.web.app import ShadowReporter, create_app

log = logging.getLogger("shipflow")


class ConfigurationError(Exception):
    """Settings that cannot work; the message says which variable to set."""


@dataclass
class Service:
    settings: Settings
    store: Store
    engine: Engine
    app: FastAPI

    @classmethod
    def start(cls, settings: Settings, role: Role = "all",
              clock: Callable[[], datetime] | None = None, *,
              record_only: bool = False,
              shadow_report: ShadowReporter | None = None) -> "Service":
        """`clock` replaces the wall clock for the lifecycle's timers and delays (the sandbox's
        simulated calendar, in time-accelerated runs). `record_only`: every provider write is
        recorded in the outbound ledger and never sent (the seam shadow mode uses).
        `shadow_report`: serves `GET /api/shadow/report` (`ops/shadow_sources.py:reporter`)."""
        logs.quiet_third_party()
        missing = settings.missing_credentials()
        if missing:
            raise ConfigurationError("set " + ", ".join(missing) + " (see README, Configuration)")
        try:  # a bad rules file never starts the service: every error, with its line
            rules = load_configured(settings.rules_path)
        except RulesFileError as exc:
            raise ConfigurationError(str(exc)) from exc
        if rules.policies.labels.mode is LabelMode.API and not settings.shipstation_v2_api_key:
            raise ConfigurationError(
                f"{rules.source}: policy.labels.mode is api, which buys labels through "
                "ShipStation v2: set SHIPFLOW_SHIPSTATION_V2_API_KEY, or use mode: warehouse")
        if settings.clock_problem():
            raise ConfigurationError(str(settings.clock_problem()))
        if clock is None and settings.accelerated_from is not None:
            clock = accelerated(settings.accelerated_from, settings.clock_scale)
        problem = settings.api_access_problem() if role in ("all", "web") else None
        if problem:  # /api shares the port with the public webhooks: never open by accident
            raise ConfigurationError(problem)
        upgrade(settings.database_url)
        shadow = rules.policies.mode is RunMode.SHADOW  # policy.mode: every write recorded
        if shadow:
            log.warning("policy.mode is shadow: every write is recorded in the outbound ledger "
                        "and none is made (shipflow shadow-report compares)")
        database = Database.connect(settings.database_url, pool_size=settings.database_pool_size)
        store = Store(database, clock=clock or utcnow, shipping=rules.policies.shipping,
                      handled_by="manual" if shadow else "shipflow")
        engine = Engine(settings, store, role=role, clock=clock, rules=rules,
                        record_only=record_only or shadow)
        engine.launch()
        return cls(settings, store, engine,
                   create_app(settings, store, engine, shadow_report=shadow_report))

    def stop(self) -> None:
        self.engine.shutdown()
        self.store.db.dispose()
