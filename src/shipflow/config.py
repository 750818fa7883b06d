"""Settings from the `SHIPFLOW_*` environment variables (the names are a public interface)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta
from typing import Mapping
from urllib.parse import urlsplit

REAL_SHIPSTATION = "https://ssapi.shipstation.com"
REAL_SHIPSTATION_V2 = "https://api.shipstation.com"
REAL_KLAVIYO = "https://a.klaviyo.com"
SHOPIFY_API_VERSION = "2026-07"
KLAVIYO_REVISION = "2026-07-15"

# Shopify retries a failed delivery and the body is the whole order; 1 MiB is far above any real
# order (a 250-line order is ~400 KB) and keeps a hostile sender from filling memory.
MAX_WEBHOOK_BYTES = 1024 * 1024
# A bearer token shorter than this is refused at start-up: it could be guessed.
MIN_API_TOKEN_LENGTH = 32
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
_TRUE = frozenset({"1", "true", "yes", "on"})
_SPAN_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def span(text: str) -> timedelta:
    """"90s", "10m", "1h", "7d" (a bare number is seconds); raises ValueError."""
    raw = text.strip().lower()
    unit = _SPAN_UNITS.get(raw[-1:]) if raw else None
    number = float(raw[:-1] if unit else raw)
    if number < 0:
        raise ValueError(f"{text!r}: a span cannot be negative")
    return timedelta(**{unit or "seconds": number})


@dataclass(frozen=True)
class Settings:
    """Everything shipflow reads from the environment. Secrets never appear in `repr`."""

    database_url: str = "sqlite:///shipflow.db"
    rules: str | None = None
    api_token: str | None = field(default=None, repr=False)
    # `/api` without a token is refused unless the operator says so (SHIPFLOW_API_INSECURE=1),
    # e.g. behind a proxy that authenticates, or on a laptop.
    api_insecure: bool = False
    # Where the providers reach this shipflow from outside (`https://shipflow.example.com`):
    # `shipflow connect` subscribes `<public_url>/webhooks/...` at each provider.
    public_url: str = ""
    shopify_shop_url: str = ""
    # The shop whose webhooks are accepted (`X-Shopify-Shop-Domain`); default: the host of
    # SHIPFLOW_SHOPIFY_SHOP_URL. Set it when that URL is not the shop's myshopify.com address.
    shopify_shop_domain: str = ""
    shopify_access_token: str = field(default="", repr=False)
    shopify_webhook_secret: str = field(default="", repr=False)
    shipstation_base_url: str = REAL_SHIPSTATION
    shipstation_api_key: str = field(default="", repr=False)
    shipstation_api_secret: str = field(default="", repr=False)
    shipstation_webhook_token: str = field(default="", repr=False)
    shipstation_v2_base_url: str = REAL_SHIPSTATION_V2
    shipstation_v2_api_key: str = field(default="", repr=False)
    klaviyo_base_url: str = REAL_KLAVIYO
    klaviyo_api_key: str = field(default="", repr=False)
    # ShipStation v1's published limit, "requests/seconds" (shipstation.md §1.2); raise it only if
    # ShipStation granted your key more.
    shipstation_rate_limit: str = "40/60"
    # PostgreSQL connections a process may hold: up to this many (plus as many again at peaks)
    # for shipflow's tables and twice this many for the engine's state, i.e. 4x per process.
    database_pool_size: int = 10
    # `policy.shipstation.source: store_import`: the ShipStation store whose connection imports
    # the Shopify orders (0: the store `GET /stores` names Shopify), and how long (seconds) an
    # order's import is waited for before the order needs a person.
    shipstation_store_id: int = 0
    store_import_wait: float = 1800.0
    executor_id: str | None = None
    worker_concurrency: int = 16
    # How often (seconds) the sweeper looks for cancelled orders and due timers, and for delayed
    # shipments (a query over every parcel on its way, so less often).
    sweep_interval: float = 1.0
    delay_sweep_interval: float = 300.0
    # A worker silent for this long (seconds) is dead for good: a live worker adopts its
    # workflows. Long enough that a slow database or a GC pause never triggers it.
    executor_ttl: float = 60.0
    # Unauthenticated webhook rejections (bad signature or token) kept for inspection, as
    # metadata only; beyond this many, they are counted and not stored.
    unauthenticated_rejections_max: int = 10_000
    # Time-accelerated runs against the sandbox only: the lifecycle's calendar (timers, delays,
    # retry backoff) equals the wall clock at SHIPFLOW_CLOCK_ORIGIN (ISO 8601) and then runs
    # SHIPFLOW_CLOCK_SCALE times faster, like the sandbox given the same two values. Refused
    # unless every provider URL is on loopback.
    clock_scale: float = 1.0
    clock_origin: str = ""
    # Days a stored webhook body (and the other raw payloads: engine checkpoints, parked
    # tracking, finished orders' customer data) keeps personal data; then the sweeper removes it.
    webhook_retention_days: int = 30
    # Seconds between the sweeper's retention passes (each pass is bounded; a backlog takes
    # several).
    retention_sweep_interval: float = 600.0
    # Reconciliation (`shipflow reconcile`, and the sweeper's schedule): how long work may stay
    # in flight before a gap is repaired, how often the sweeper runs it ("0" never) and how far
    # back it looks. Spans such as 90s, 10m, 1h, 7d.
    reconcile_settle: str = "10m"
    reconcile_interval: str = "1h"
    reconcile_lookback: str = "7d"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = env.get(f"SHIPFLOW_{f.name.upper()}")
            if raw is None or raw == "":
                continue
            values[f.name] = (int(raw) if f.type == "int" else float(raw) if f.type == "float"
                              else raw.strip().lower() in _TRUE if f.type == "bool" else raw)
        return cls(**values)  # type: ignore[arg-type]

    @property
    def reconcile_spans(self) -> tuple[timedelta, timedelta, timedelta]:
        """(settle, interval, lookback) from the SHIPFLOW_RECONCILE_* spans."""
        return (span(self.reconcile_settle), span(self.reconcile_interval),
                span(self.reconcile_lookback))

    def with_overrides(self, **changes: object) -> "Settings":
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def shipstation_rate(self) -> tuple[int, float]:
        """(requests, seconds) from SHIPFLOW_SHIPSTATION_RATE_LIMIT, e.g. "40/60"."""
        try:
            count, _, seconds = self.shipstation_rate_limit.partition("/")
            rate = (int(count), float(seconds))
        except ValueError:
            rate = (0, 0.0)
        if rate[0] <= 0 or rate[1] <= 0:
            raise ValueError(f"SHIPFLOW_SHIPSTATION_RATE_LIMIT={self.shipstation_rate_limit!r}: "
                             'expected "<requests>/<seconds>", e.g. "40/60"')
        return rate

    def webhook_urls(self) -> dict[str, str] | None:
        """The addresses shipflow's webhooks must be delivered to, by provider (None when
        SHIPFLOW_PUBLIC_URL is unset). The ShipStation v1 one carries the secret token."""
        base = self.public_url.strip().rstrip("/")
        if not base:
            return None
        return {
            "shopify": f"{base}/webhooks/shopify",
            "shipstation": f"{base}/webhooks/shipstation/{self.shipstation_webhook_token}",
            "shipstation_v2": f"{base}/webhooks/shipstation-v2",
        }

    @property
    def rules_path(self) -> str | None:
        """SHIPFLOW_RULES: the merchant's rules file; None means the shipped default rules."""
        return self.rules or None

    @property
    def expected_shop_domain(self) -> str:
        """The shop domain deliveries must name: SHIPFLOW_SHOPIFY_SHOP_DOMAIN, else the host of
        SHIPFLOW_SHOPIFY_SHOP_URL ("" when neither is set: then every delivery is refused)."""
        if self.shopify_shop_domain.strip():
            return self.shopify_shop_domain.strip().lower()
        url = self.shopify_shop_url.strip()
        if not url:
            return ""
        if "://" not in url:
            url = "https://" + url
        return (urlsplit(url).hostname or "").lower()

    def api_access_problem(self) -> str | None:
        """Why `/api` cannot be served as configured (a start-up error), or None."""
        if self.api_token is not None and self.api_token != "":
            if len(self.api_token) < MIN_API_TOKEN_LENGTH:
                return (f"SHIPFLOW_API_TOKEN is {len(self.api_token)} characters; use at least "
                        f"{MIN_API_TOKEN_LENGTH} random ones (e.g. `openssl rand -hex 32`)")
            return None
        if self.api_insecure:
            return None
        return ("set SHIPFLOW_API_TOKEN (at least 32 characters) to protect /api, or "
                "SHIPFLOW_API_INSECURE=1 to serve it without authentication")

    def clock_problem(self) -> str | None:
        """Why SHIPFLOW_CLOCK_SCALE / SHIPFLOW_CLOCK_ORIGIN cannot be used (a start-up error)."""
        if self.clock_scale == 1.0 and not self.clock_origin:
            return None
        if self.clock_scale <= 0:
            return "SHIPFLOW_CLOCK_SCALE must be positive"
        try:
            origin = datetime.fromisoformat(self.clock_origin) if self.clock_origin else None
        except ValueError:
            origin = None
        if origin is None or origin.tzinfo is None:
            return ("SHIPFLOW_CLOCK_ORIGIN must be an ISO 8601 time with its zone, e.g. "
                    "2026-12-04T18:00:00+00:00 (the moment the accelerated calendar starts)")
        urls = (self.shopify_shop_url, self.shipstation_base_url, self.shipstation_v2_base_url,
                self.klaviyo_base_url)
        if not all(urlsplit(u if "://" in u else "https://" + u).hostname in LOOPBACK
                   for u in urls):
            return ("SHIPFLOW_CLOCK_SCALE is for runs against the sandbox: every provider URL "
                    "must be on loopback")
        return None

    @property
    def accelerated_from(self) -> datetime | None:
        """SHIPFLOW_CLOCK_ORIGIN when a valid accelerated clock is asked for, else None."""
        if self.clock_problem() is not None or not self.clock_origin:
            return None
        return datetime.fromisoformat(self.clock_origin)

    def missing_credentials(self) -> list[str]:
        """The variables a worker cannot run without, for a clear start-up error."""
        required = {
            "SHIPFLOW_SHOPIFY_SHOP_URL": self.shopify_shop_url,
            "SHIPFLOW_SHOPIFY_ACCESS_TOKEN": self.shopify_access_token,
            "SHIPFLOW_SHOPIFY_WEBHOOK_SECRET": self.shopify_webhook_secret,
            "SHIPFLOW_SHIPSTATION_API_KEY": self.shipstation_api_key,
            "SHIPFLOW_SHIPSTATION_API_SECRET": self.shipstation_api_secret,
            "SHIPFLOW_SHIPSTATION_WEBHOOK_TOKEN": self.shipstation_webhook_token,
            "SHIPFLOW_KLAVIYO_API_KEY": self.klaviyo_api_key,
        }
        return [name for name, value in required.items() if not value]
