"""The simulated Klaviyo account: recorded events/profiles and per-endpoint rate limits.

Limits are per account (one private key = one account), one burst (1 s) and one steady (60 s)
fixed window per endpoint, with the tiers read from the spec's `x-klaviyo-ratelimit`
(klaviyo.md §4). `RateLimit-*` values are plain integers (the real value format is
unverified) and describe the steady window; Reset and Retry-After are real seconds.
"""

from __future__ import annotations

import math
from typing import Any

from shipflow_sandbox.clock import Clock
from shipflow_sandbox.config import SandboxConfig
from shipflow_sandbox.klaviyo.errors import KlaviyoError
from shipflow_sandbox.klaviyo.spec import Operation
from shipflow_sandbox.klaviyo.store import KlaviyoStore, Profile
from shipflow_sandbox.ratelimit import FixedWindow

_LOCATION = (
    "address1",
    "address2",
    "city",
    "country",
    "latitude",
    "longitude",
    "region",
    "zip",
    "timezone",
    "ip",
)
_ATTRIBUTES = (
    "email",
    "phone_number",
    "external_id",
    "first_name",
    "last_name",
    "organization",
    "locale",
    "title",
    "image",
)


class KlaviyoSim:
    def __init__(self, config: SandboxConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self.store = KlaviyoStore(config.seed, config.klaviyo_drop_test_domains)
        # The private key's scopes; None is full access (`SandboxConfig.klaviyo_api_scopes`).
        self.scopes: list[str] | None = (None if config.klaviyo_api_scopes is None
                                         else list(config.klaviyo_api_scopes))
        self._windows: dict[str, tuple[FixedWindow, FixedWindow]] = {}
        self.throttled = 0

    def limit(self, operation: Operation) -> dict[str, str]:
        """Count one request against the endpoint's windows; raise the 429 when full."""
        if operation.operation_id not in self._windows:
            self._windows[operation.operation_id] = (
                FixedWindow(self.clock, operation.burst, 1.0),
                FixedWindow(self.clock, operation.steady, 60.0),
            )
        burst, steady = self._windows[operation.operation_id]
        if not self.config.enforce_rate_limits:
            state = steady.peek()
            remaining = steady.limit
        else:
            full = [w.reset_real_seconds for w in (burst.peek(), steady.peek()) if not w.allowed]
            if full:
                self.throttled += 1
                wait = math.ceil(max(full))
                unit = "second" if wait == 1 else "seconds"
                raise KlaviyoError(
                    429,
                    "throttled",
                    f"Request was throttled. Expected available in {wait} {unit}.",
                    pointer="/data",
                    headers={"Retry-After": str(wait)},
                )
            burst.hit()
            state = steady.hit()
            remaining = state.remaining
        return {
            "RateLimit-Limit": str(steady.limit),
            "RateLimit-Remaining": str(remaining),
            "RateLimit-Reset": str(math.ceil(state.reset_real_seconds)),
        }

    def profile_document(
        self, profile: Profile, base: str, endpoint: str = "profile-import"
    ) -> dict[str, Any]:
        """The `PostProfileResponse` document for a profile, answered at `/api/<endpoint>`."""
        attributes: dict[str, Any] = {k: profile.attributes.get(k) for k in _ATTRIBUTES}
        events = [e.time for e in self.store.events if e.profile_id == profile.id]
        location = {k: None for k in _LOCATION}
        location.update(profile.attributes.get("location") or {})
        attributes.update(
            created=profile.created,
            updated=profile.updated,
            last_event_date=max(events) if events else None,
            location=location,
            properties=profile.attributes.get("properties") or {},
        )
        url = f"{base}/api/profiles/{profile.id}"
        return {
            "data": {
                "type": "profile",
                "id": profile.id,
                "attributes": attributes,
                "relationships": {
                    name: {
                        "links": {
                            "self": f"{url}/relationships/{name}/",
                            "related": f"{url}/{name}/",
                        }
                    }
                    for name in ("lists", "segments")
                },
                "links": {"self": f"{url}/"},
            },
            "links": {"self": f"{base}/api/{endpoint}"},
        }

    def counts(self) -> dict[str, Any]:
        return {**self.store.counts(), "throttled": self.throttled}
