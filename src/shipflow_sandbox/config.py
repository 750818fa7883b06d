"""Sandbox settings: the credentials the simulated providers accept and the knobs of the simulation.

`SandboxConfig.from_env()` reads the same `SHIPFLOW_*` variables as the orchestrator, so one
environment drives both sides; credentials that are unset are generated and returned by name
so the CLI can print them for the orchestrator (nothing is logged here).

Time: `time_scale` compresses simulated durations (rate-limit windows and restore rates,
webhook retry backoff, `auto_ship_after`); wall-clock timestamps in payloads stay real.
"""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from shipflow_sandbox.carrier.outcomes import DEFAULT_ODDS, OUTCOMES

_ALNUM = string.ascii_letters + string.digits

# GraphQL Admin bucket per plan: (bucket size, restore points/s). shopify.md §5.1: Standard is the
# observed 2000/100; the other bucket sizes are not published, assumed 20x the restore rate too.
SHOPIFY_PLANS: dict[str, tuple[float, float]] = {
    "standard": (2000.0, 100.0),
    "advanced": (4000.0, 200.0),
    "plus": (20000.0, 1000.0),
    "enterprise": (40000.0, 2000.0),
}


def _token(prefix: str, length: int, alphabet: str = _ALNUM) -> str:
    return prefix + "".join(secrets.choice(alphabet) for _ in range(length))


def new_shopify_access_token() -> str:
    return _token("shpat_", 32, string.hexdigits.lower()[:16])


def new_shopify_webhook_secret() -> str:
    return _token("shpss_", 32, string.hexdigits.lower()[:16])


def new_klaviyo_key() -> str:
    """Private keys are `pk_` + 34 alphanumerics (klaviyo.md §1)."""
    return _token("pk_", 34)


@dataclass
class SandboxConfig:
    """Everything the sandbox needs; secrets are excluded from `repr`."""

    shopify_access_token: str = field(default_factory=new_shopify_access_token, repr=False)
    shopify_webhook_secret: str = field(default_factory=new_shopify_webhook_secret, repr=False)
    shop_domain: str = "shipflow-demo.myshopify.com"
    shopify_api_version: str = "2026-07"
    shopify_webhook_url: str | None = None
    shopify_plan: str = "standard"
    shopify_bucket_size: float | None = None
    shopify_restore_rate: float | None = None
    shopify_echo_topics: bool = False
    # The app's granted access scopes (None: every scope shipflow needs, see
    # `shopify.installation.DEFAULT_SCOPES`) and where the compliance topics go (set in the
    # app's configuration, never through the API).
    shopify_access_scopes: list[str] | None = None
    shopify_compliance_webhook_url: str | None = None
    shipstation_api_key: str = field(default_factory=lambda: _token("", 32), repr=False)
    shipstation_api_secret: str = field(default_factory=lambda: _token("", 32), repr=False)
    shipstation_webhook_token: str = field(default_factory=lambda: _token("", 32), repr=False)
    shipstation_webhook_urls: list[str] = field(default_factory=list, repr=False)
    shipstation_rate_limit: int = 40
    shipstation_v2_api_key: str = field(default_factory=lambda: _token("", 43), repr=False)
    shipstation_v2_webhook_urls: list[str] = field(default_factory=list, repr=False)
    shipstation_v2_rate_limit: int = 200
    shipstation_v2_rate_headers: bool = True
    carrier_delayed_rate: float = DEFAULT_ODDS["delayed"]
    carrier_stalled_rate: float = DEFAULT_ODDS["stalled"]
    carrier_failed_attempt_rate: float = DEFAULT_ODDS["failed_attempt"]
    carrier_undeliverable_rate: float = DEFAULT_ODDS["undeliverable"]
    carrier_damaged_rate: float = DEFAULT_ODDS["damaged"]
    carrier_lost_rate: float = DEFAULT_ODDS["lost"]
    carrier_outcome: str | None = None
    faults: dict[str, dict[str, Any]] = field(default_factory=dict)
    shipstation_store_id: int = 171654
    # ShipStation's own Shopify store connection (`store_connection.py`): off while
    # `store_import_after` is None; else it imports paid Shopify orders that many simulated
    # seconds after it sees them, into this store, and notifies Shopify of their labels.
    shipstation_shopify_store_id: int = 171655
    store_import_after: float | None = None
    ship_batch_size: int = 20
    auto_ship_after: float | None = None
    klaviyo_api_key: str = field(default_factory=new_klaviyo_key, repr=False)
    klaviyo_drop_test_domains: bool = False
    # The private key's scopes (None: full access); an endpoint whose `x-klaviyo-scopes` the
    # key lacks answers 403 `permission_denied`.
    klaviyo_api_scopes: list[str] | None = None
    public_base_url: str | None = None
    enforce_rate_limits: bool = True
    duplicate_deliveries: int = 1
    webhook_retry_base: float = 56.25
    webhook_max_retries: int = 8
    latency: float = 0.0
    time_scale: float = 1.0
    # The real moment the simulated calendar starts (ISO 8601 with zone; default: start-up).
    # shipflow processes given the same SHIPFLOW_CLOCK_ORIGIN and scale share the calendar.
    clock_origin: str | None = None
    # Real seconds a webhook retry waits at least (doubling per attempt, at most 30 s): with
    # time compressed, a provider's hours of retries would otherwise pass in the second a
    # receiver takes to restart. 0: retries follow the simulated schedule only.
    webhook_retry_floor: float = 0.0
    seed: int = 1

    def __post_init__(self) -> None:
        if self.time_scale <= 0:
            raise ValueError("time_scale must be positive")
        if self.shopify_plan not in SHOPIFY_PLANS:
            raise ValueError(f"unknown shopify_plan {self.shopify_plan!r}")
        if self.duplicate_deliveries < 1:
            raise ValueError("duplicate_deliveries must be >= 1")
        if self.latency < 0:
            raise ValueError("latency must be >= 0")
        if self.webhook_retry_floor < 0:
            raise ValueError("webhook_retry_floor must be >= 0")
        if self.clock_origin is not None:
            origin = datetime.fromisoformat(self.clock_origin)
            if origin.tzinfo is None:
                raise ValueError("clock_origin needs a time zone, e.g. +00:00")
        if self.carrier_outcome is not None and self.carrier_outcome not in OUTCOMES:
            raise ValueError(f"carrier_outcome must be one of {', '.join(OUTCOMES)}")
        if sum(self.carrier_odds.values()) > 1:
            raise ValueError("the carrier_*_rate odds add up to more than 1")

    @property
    def carrier_odds(self) -> dict[str, float]:
        """Outcome -> probability for the carrier simulator (`on_time` gets the rest)."""
        return {name: getattr(self, f"carrier_{name}_rate") for name in OUTCOMES[1:]}

    def replace(self, **changes: Any) -> SandboxConfig:
        """A copy with some fields changed (`dataclasses.replace`)."""
        return dataclasses.replace(self, **changes)

    @property
    def shopify_bucket(self) -> tuple[float, float]:
        """(bucket size, restore rate per simulated second) of the GraphQL cost bucket."""
        size, rate = SHOPIFY_PLANS[self.shopify_plan]
        return (self.shopify_bucket_size or size, self.shopify_restore_rate or rate)

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, **overrides: Any
    ) -> tuple[SandboxConfig, dict[str, str]]:
        """(config, generated): a config from `SHIPFLOW_*` variables, and the credentials that
        were unset and so generated, by variable name (for the CLI to print as exports).

        Besides the orchestrator's credential variables it reads `SHIPFLOW_SANDBOX_*` knobs:
        `SHOPIFY_WEBHOOK_URL` (default `http://127.0.0.1:8000/webhooks/shopify`),
        `SHIPSTATION_WEBHOOK_URLS` (comma separated; default the orchestrator's
        `/webhooks/shipstation/{token}`), `PUBLIC_URL`, `AUTO_SHIP_AFTER`, `TIME_SCALE`, `SEED`,
        `RATE_LIMITS` (0 disables), `SHOPIFY_PLAN`, `LATENCY` (seconds added to every provider
        response), `SHIPSTATION_V2_WEBHOOK_URLS` (comma separated; default the orchestrator's
        `/webhooks/shipstation-v2`), `CARRIER_OUTCOME` (force every parcel's outcome),
        `CARRIER_ODDS` (JSON, e.g. `{"delayed": 0.2, "lost": 0}`), `FAULTS` (JSON, as
        `POST /_sandbox/faults` takes it), `STORE_IMPORT_AFTER` (ShipStation's Shopify store
        connection imports paid orders after that many simulated seconds), `SHOPIFY_SCOPES`
        and `KLAVIYO_SCOPES` (comma separated: what the credentials may do) and
        `COMPLIANCE_WEBHOOK_URL`.
        """
        env = os.environ if environ is None else environ
        generated: dict[str, str] = {}
        values: dict[str, Any] = {}

        def credential(var: str, attr: str, factory: Callable[[], str]) -> None:
            value = env.get(var)
            if not value:
                value = generated[var] = factory()
            values[attr] = value

        credential(
            "SHIPFLOW_SHOPIFY_ACCESS_TOKEN", "shopify_access_token", new_shopify_access_token
        )
        credential(
            "SHIPFLOW_SHOPIFY_WEBHOOK_SECRET", "shopify_webhook_secret", new_shopify_webhook_secret
        )
        credential("SHIPFLOW_SHIPSTATION_API_KEY", "shipstation_api_key", lambda: _token("", 32))
        credential(
            "SHIPFLOW_SHIPSTATION_API_SECRET", "shipstation_api_secret", lambda: _token("", 32)
        )
        credential(
            "SHIPFLOW_SHIPSTATION_WEBHOOK_TOKEN",
            "shipstation_webhook_token",
            lambda: _token("", 32),
        )
        credential("SHIPFLOW_KLAVIYO_API_KEY", "klaviyo_api_key", new_klaviyo_key)
        credential(
            "SHIPFLOW_SHIPSTATION_V2_API_KEY", "shipstation_v2_api_key", lambda: _token("", 43)
        )

        prefix = "SHIPFLOW_SANDBOX_"
        values["shopify_webhook_url"] = (
            env.get(prefix + "SHOPIFY_WEBHOOK_URL", "http://127.0.0.1:8000/webhooks/shopify")
            or None
        )
        urls = env.get(prefix + "SHIPSTATION_WEBHOOK_URLS")
        if urls is None:
            token = values["shipstation_webhook_token"]
            urls = f"http://127.0.0.1:8000/webhooks/shipstation/{token}"
        values["shipstation_webhook_urls"] = [u.strip() for u in urls.split(",") if u.strip()]
        v2_urls = env.get(prefix + "SHIPSTATION_V2_WEBHOOK_URLS")
        if v2_urls is None:
            v2_urls = "http://127.0.0.1:8000/webhooks/shipstation-v2"
        values["shipstation_v2_webhook_urls"] = [
            u.strip() for u in v2_urls.split(",") if u.strip()
        ]
        if env.get(prefix + "CARRIER_OUTCOME"):
            values["carrier_outcome"] = env[prefix + "CARRIER_OUTCOME"]
        if env.get(prefix + "CARRIER_ODDS"):
            odds = json.loads(env[prefix + "CARRIER_ODDS"])
            for name, chance in odds.items():
                if name not in OUTCOMES[1:]:
                    raise ValueError(f"unknown carrier outcome {name!r} in CARRIER_ODDS")
                values[f"carrier_{name}_rate"] = float(chance)
        if env.get(prefix + "FAULTS"):
            values["faults"] = json.loads(env[prefix + "FAULTS"])
        if env.get(prefix + "PUBLIC_URL"):
            values["public_base_url"] = env[prefix + "PUBLIC_URL"]
        if env.get(prefix + "STORE_IMPORT_AFTER"):
            values["store_import_after"] = float(env[prefix + "STORE_IMPORT_AFTER"])
        if env.get(prefix + "AUTO_SHIP_AFTER"):
            values["auto_ship_after"] = float(env[prefix + "AUTO_SHIP_AFTER"])
        if env.get(prefix + "TIME_SCALE"):
            values["time_scale"] = float(env[prefix + "TIME_SCALE"])
        if env.get(prefix + "CLOCK_ORIGIN"):
            values["clock_origin"] = env[prefix + "CLOCK_ORIGIN"]
        if env.get(prefix + "WEBHOOK_RETRY_FLOOR"):
            values["webhook_retry_floor"] = float(env[prefix + "WEBHOOK_RETRY_FLOOR"])
        if env.get(prefix + "SEED"):
            values["seed"] = int(env[prefix + "SEED"])
        if env.get(prefix + "RATE_LIMITS"):
            values["enforce_rate_limits"] = env[prefix + "RATE_LIMITS"] not in ("0", "false")
        if env.get(prefix + "SHOPIFY_PLAN"):
            values["shopify_plan"] = env[prefix + "SHOPIFY_PLAN"]
        for knob, attr in (("SHOPIFY_SCOPES", "shopify_access_scopes"),
                           ("KLAVIYO_SCOPES", "klaviyo_api_scopes")):
            if env.get(prefix + knob):
                values[attr] = [s.strip() for s in env[prefix + knob].split(",") if s.strip()]
        if env.get(prefix + "COMPLIANCE_WEBHOOK_URL"):
            values["shopify_compliance_webhook_url"] = env[prefix + "COMPLIANCE_WEBHOOK_URL"]
        if env.get(prefix + "LATENCY"):
            values["latency"] = float(env[prefix + "LATENCY"])
        known = {f.name for f in fields(cls)}
        for key, value in overrides.items():
            if key not in known:
                raise TypeError(f"unknown SandboxConfig field {key!r}")
            values[key] = value
        return cls(**values), generated

    def orchestrator_env(self, base_url: str | None = None) -> dict[str, str]:
        """The `SHIPFLOW_*` variables that point an orchestrator at this sandbox."""
        base = (base_url or self.public_base_url or "http://127.0.0.1:8100").rstrip("/")
        return {
            "SHIPFLOW_SHOPIFY_SHOP_URL": f"{base}/shopify",
            # Webhooks say they come from the simulated shop; shipflow accepts only its own.
            "SHIPFLOW_SHOPIFY_SHOP_DOMAIN": self.shop_domain,
            "SHIPFLOW_SHOPIFY_ACCESS_TOKEN": self.shopify_access_token,
            "SHIPFLOW_SHOPIFY_WEBHOOK_SECRET": self.shopify_webhook_secret,
            "SHIPFLOW_SHIPSTATION_BASE_URL": f"{base}/shipstation",
            "SHIPFLOW_SHIPSTATION_API_KEY": self.shipstation_api_key,
            "SHIPFLOW_SHIPSTATION_API_SECRET": self.shipstation_api_secret,
            "SHIPFLOW_SHIPSTATION_WEBHOOK_TOKEN": self.shipstation_webhook_token,
            "SHIPFLOW_SHIPSTATION_V2_BASE_URL": f"{base}/shipstation",
            "SHIPFLOW_SHIPSTATION_V2_API_KEY": self.shipstation_v2_api_key,
            "SHIPFLOW_KLAVIYO_BASE_URL": f"{base}/klaviyo",
            "SHIPFLOW_KLAVIYO_API_KEY": self.klaviyo_api_key,
        }
