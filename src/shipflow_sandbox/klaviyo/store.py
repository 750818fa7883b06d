"""Recorded Klaviyo profiles and events, with Klaviyo's event deduplication (klaviyo.md §2).

An event is identified by (profile, metric name, unique_id); without a unique_id the time to
the second stands in for it. A repeat is accepted by the API (202) but not recorded; it is
counted in `duplicates_dropped`. Events for test domains (example.com, test.com) are dropped
the same way when `drop_test_domains` is on.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from shipflow_sandbox.klaviyo.validation import IDENTIFIERS, parse_time

TEST_DOMAINS = ("example.com", "test.com", "example.org", "example.net")
_ULID = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PROFILE_FIELDS = (
    "email",
    "phone_number",
    "external_id",
    "first_name",
    "last_name",
    "organization",
    "locale",
    "title",
    "image",
    "location",
    "properties",
)


@dataclass
class Profile:
    id: str
    attributes: dict[str, Any]
    created: str
    updated: str


@dataclass
class Event:
    id: str
    metric: str
    profile_id: str
    profile: dict[str, Any]
    properties: dict[str, Any]
    unique_id: str | None
    time: str
    value: float | None
    value_currency: str | None
    backfill: bool
    received_at: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "metric": self.metric,
            "profile_id": self.profile_id,
            "profile": self.profile,
            "properties": self.properties,
            "unique_id": self.unique_id,
            "time": self.time,
            "value": self.value,
            "value_currency": self.value_currency,
            "backfill": self.backfill,
            "received_at": self.received_at,
        }


@dataclass
class KlaviyoStore:
    seed: int
    drop_test_domains: bool = False
    profiles: dict[str, Profile] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    duplicates_dropped: int = 0
    test_domain_dropped: int = 0
    _index: dict[str, str] = field(default_factory=dict)
    _seen: set[tuple[str, str, str]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._rng = random.Random(f"klaviyo:{self.seed}")

    def new_id(self) -> str:
        """A 26-character ULID-like id, as Klaviyo's profile and event ids look."""
        return "01" + "".join(self._rng.choice(_ULID) for _ in range(24))

    def find_profile(self, profile_id: str | None, attributes: dict[str, Any]) -> Profile | None:
        if profile_id and profile_id in self.profiles:
            return self.profiles[profile_id]
        for key in IDENTIFIERS:
            value = attributes.get(key)
            if value and f"{key}:{_norm(key, value)}" in self._index:
                return self.profiles[self._index[f"{key}:{_norm(key, value)}"]]
        return None

    def owners(self, attributes: dict[str, Any]) -> list[tuple[str, str]]:
        """(identifier, id of the profile that holds it) for each identifier in `attributes`
        that an existing profile holds, in precedence order (email, phone, external id)."""
        found = []
        for key in IDENTIFIERS:
            value = attributes.get(key)
            if value and f"{key}:{_norm(key, value)}" in self._index:
                found.append((key, self._index[f"{key}:{_norm(key, value)}"]))
        return found

    def conflicting_profile(
        self, profile_id: str | None, attributes: dict[str, Any]
    ) -> str | None:
        """The profile an upsert would collide with, or None.

        The upsert updates the profile named by `profile_id`, else the one its first identifier
        (email, then phone, then external id) finds. If another of its identifiers belongs to
        a different profile, Klaviyo refuses (409 `duplicate_profile`) rather than merging the
        two (klaviyo.md §6); the id returned is the other profile's (assumption: the captured
        409s name "a profile [that] already exists with one of these identifiers").
        """
        owners = self.owners(attributes)
        target = profile_id if profile_id in self.profiles else None
        if target is None and owners:
            target = owners[0][1]
        return next((owner for _, owner in owners if owner != target), None)

    def upsert_profile(
        self, profile_id: str | None, attributes: dict[str, Any], now: datetime
    ) -> tuple[Profile, bool]:
        """Create or update a profile from the given attributes; (profile, created)."""
        stamp = now.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        profile = self.find_profile(profile_id, attributes)
        created = profile is None
        if profile is None:
            profile = Profile(profile_id or self.new_id(), {}, stamp, stamp)
            self.profiles[profile.id] = profile
        for key, value in attributes.items():
            if key == "properties" and isinstance(value, dict):
                profile.attributes.setdefault("properties", {}).update(value)
            else:
                profile.attributes[key] = value
        profile.updated = stamp
        for key in IDENTIFIERS:
            if profile.attributes.get(key):
                self._index[f"{key}:{_norm(key, profile.attributes[key])}"] = profile.id
        return profile, created

    def record(
        self, profile_data: dict[str, Any], attributes: dict[str, Any], now: datetime
    ) -> bool:
        """Record one event; False when it is dropped (duplicate or test domain)."""
        profile_attributes = profile_data.get("attributes") or {}
        profile, _ = self.upsert_profile(profile_data.get("id"), profile_attributes, now)
        email = (profile.attributes.get("email") or "").lower()
        if self.drop_test_domains and email.rsplit("@", 1)[-1] in TEST_DOMAINS:
            self.test_domain_dropped += 1
            return False
        moment = parse_time(attributes["time"]) if attributes.get("time") else now
        moment = (moment or now).astimezone(UTC).replace(microsecond=0)
        metric = attributes["metric"]["data"]["attributes"]["name"]
        unique_id = attributes.get("unique_id")
        key = (profile.id, metric, unique_id or f"time:{moment.isoformat()}")
        if key in self._seen:
            self.duplicates_dropped += 1
            return False
        self._seen.add(key)
        self.events.append(
            Event(
                self.new_id(),
                metric,
                profile.id,
                {k: profile_attributes[k] for k in IDENTIFIERS if profile_attributes.get(k)},
                attributes.get("properties") or {},
                unique_id,
                moment.isoformat().replace("+00:00", "Z"),
                attributes.get("value"),
                attributes.get("value_currency"),
                bool(attributes.get("backfill")),
                now.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            )
        )
        return True

    def counts(self) -> dict[str, Any]:
        by_metric: dict[str, int] = {}
        for event in self.events:
            by_metric[event.metric] = by_metric.get(event.metric, 0) + 1
        return {
            "events": len(self.events),
            "events_by_metric": by_metric,
            "duplicates_dropped": self.duplicates_dropped,
            "test_domain_dropped": self.test_domain_dropped,
            "profiles": len(self.profiles),
        }


def _norm(key: str, value: Any) -> str:
    return str(value).lower() if key == "email" else str(value)
