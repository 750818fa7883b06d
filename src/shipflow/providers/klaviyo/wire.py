"""Klaviyo JSON:API bodies for Create Event and Bulk Create Events, and its error documents.

Pure functions; the shapes are those of the official OpenAPI spec, revision 2026-07-15
(`EventCreateQueryV2`, `EventsBulkCreateJob`; klaviyo.md §2–3), and every body built here is
validated against that spec in `tests/contract/`.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from enum import Enum
from typing import Any, Iterable, Sequence

from shipflow.domain.milestone import MilestoneEvent

log = logging.getLogger("shipflow.providers.klaviyo")

MAX_METRIC_NAME = 127  # "< 128 chars"
MAX_UNIQUE_ID = 255
MAX_PROPERTIES = 400
MAX_BULK_EVENTS = 1000
MAX_BULK_BYTES = 5 * 1024 * 1024
_E164 = re.compile(r"\+[1-9]\d{6,14}")

ProfileKey = tuple[str | None, str | None, str | None]


def e164(phone: str | None) -> str | None:
    """The phone number if it is E.164 once spaces, dashes, dots and brackets are removed.

    Klaviyo rejects a non-E.164 phone (klaviyo.md §2), and the whole event with it; shipflow
    cannot guess a country code, so a phone it cannot vouch for is left out (the email or
    external id still identifies the profile).
    """
    if not phone:
        return None
    compact = re.sub(r"[\s\-().]", "", phone)
    return compact if _E164.fullmatch(compact) else None


def event_time(moment: datetime) -> str:
    """ISO-8601 with offset, cut to the second (Klaviyo truncates anyway). Naive means UTC."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return aware.replace(microsecond=0).isoformat()


def _json_safe(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return event_time(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return _json_safe(value.value)
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_json_safe(v) for v in value]
    return value


def profile_attributes(event: MilestoneEvent) -> dict[str, Any]:
    """Only the identifiers and names that are present; at least one identifier is required."""
    attributes = {
        "email": (event.email or "").strip() or None,
        "phone_number": e164(event.phone),
        "external_id": (event.external_id or "").strip() or None,
        "first_name": (event.first_name or "").strip() or None,
        "last_name": (event.last_name or "").strip() or None,
    }
    if not any(attributes[k] for k in ("email", "phone_number", "external_id")):
        raise ValueError(
            f"event {event.unique_id!r} has no profile identifier (email, E.164 phone or "
            "external id)"
        )
    return {k: v for k, v in attributes.items() if v}


def profile_key(event: MilestoneEvent) -> ProfileKey:
    """Who the event is for, as Klaviyo matches profiles (emails are case-insensitive)."""
    attributes = profile_attributes(event)
    email = attributes.get("email")
    return (email.lower() if email else None, attributes.get("phone_number"),
            attributes.get("external_id"))


def _event_attributes(event: MilestoneEvent) -> dict[str, Any]:
    name = event.milestone.value
    if not name or len(name) > MAX_METRIC_NAME:
        raise ValueError(f"metric name must be 1–{MAX_METRIC_NAME} characters")
    if not event.unique_id or len(event.unique_id) > MAX_UNIQUE_ID:
        raise ValueError(f"unique_id must be 1–{MAX_UNIQUE_ID} characters")
    properties = {k: _json_safe(v) for k, v in event.properties.items() if v is not None}
    if len(properties) > MAX_PROPERTIES:
        raise ValueError(f"an event has at most {MAX_PROPERTIES} properties")
    # Never `value`: lifecycle events carry no revenue, and once a metric has had a value,
    # events without one count as 0 (klaviyo.md §5.3).
    return {
        "properties": properties,
        "time": event_time(event.time),
        "unique_id": event.unique_id,
        "metric": {"data": {"type": "metric", "attributes": {"name": name}}},
    }


def event_request(event: MilestoneEvent) -> dict[str, Any]:
    """The body of `POST /api/events` (`EventCreateQueryV2`)."""
    attributes = _event_attributes(event)
    attributes["profile"] = {
        "data": {"type": "profile", "attributes": profile_attributes(event)}
    }
    return {"data": {"type": "event", "attributes": attributes}}


def dedupe(events: Iterable[MilestoneEvent]) -> list[MilestoneEvent]:
    """Drop repeats of (profile, metric, unique_id), keeping the first.

    In one bulk request a repeated unique_id for the same profile and metric fails the whole
    request (klaviyo.md §3); a repeat is by construction the same business fact.
    """
    seen: set[tuple[ProfileKey, str, str]] = set()
    kept = []
    for event in events:
        key = (profile_key(event), event.milestone.value, event.unique_id)
        if key in seen:
            log.debug("dropping a repeated event %s from a bulk request", event.unique_id)
            continue
        seen.add(key)
        kept.append(event)
    return kept


def bulk_events_request(events: Sequence[MilestoneEvent]) -> dict[str, Any]:
    """The body of `POST /api/event-bulk-create-jobs`: one entry per profile, each with its
    events, at most 1,000 events, repeats removed (see `dedupe`). Profile attributes of an
    entry are those of its first event, completed by later ones."""
    unique = dedupe(events)
    if not unique:
        raise ValueError("a bulk request needs at least one event")
    if len(unique) > MAX_BULK_EVENTS:
        raise ValueError(f"at most {MAX_BULK_EVENTS} events per bulk request; use bulk_requests")
    groups: dict[ProfileKey, tuple[dict[str, Any], list[dict[str, Any]]]] = {}
    for event in unique:
        key = profile_key(event)
        profile, entries = groups.setdefault(key, ({}, []))
        for name, value in profile_attributes(event).items():
            profile.setdefault(name, value)
        entries.append({"type": "event", "attributes": _event_attributes(event)})
    return {
        "data": {
            "type": "event-bulk-create-job",
            "attributes": {
                "events-bulk-create": {
                    "data": [
                        {
                            "type": "event-bulk-create",
                            "attributes": {
                                "profile": {"data": {"type": "profile", "attributes": profile}},
                                "events": {"data": entries},
                            },
                        }
                        for profile, entries in groups.values()
                    ]
                }
            },
        }
    }


def encoded_size(body: Any) -> int:
    return len(json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode())


def bulk_requests(events: Sequence[MilestoneEvent]) -> list[dict[str, Any]]:
    """As many bulk bodies as needed: ≤ 1,000 events and ≤ 5 MB each (klaviyo.md §3).
    An event without any profile identifier raises `ValueError` (naming its unique_id) before
    anything is built: filter such events out upstream rather than lose a whole batch."""
    unique = dedupe(events)
    bodies: list[dict[str, Any]] = []
    pending = [unique[i:i + MAX_BULK_EVENTS] for i in range(0, len(unique), MAX_BULK_EVENTS)]
    while pending:
        chunk = pending.pop(0)
        body = bulk_events_request(chunk)
        if encoded_size(body) > MAX_BULK_BYTES and len(chunk) > 1:
            half = len(chunk) // 2
            pending[:0] = [chunk[:half], chunk[half:]]
            continue
        bodies.append(body)
    return bodies


@dataclass(frozen=True, slots=True)
class KlaviyoError:
    """One JSON:API error object (klaviyo.md §2a). `status` is a number in real bodies."""

    detail: str
    code: str | None = None
    title: str | None = None
    status: int | None = None
    id: str | None = None
    pointer: str | None = None
    parameter: str | None = None

    def __str__(self) -> str:
        where = self.pointer or (f"?{self.parameter}" if self.parameter else None)
        return f"{self.detail} ({where})" if where else self.detail


def parse_errors(body: Any) -> list[KlaviyoError]:
    """`{"errors": [{id, code, title, detail, source:{pointer|parameter}, status}]}`; anything
    else (an HTML page from the CDN, an empty body) gives an empty list."""
    if isinstance(body, (bytes, str)):
        try:
            body = json.loads(body)
        except ValueError:
            return []
    if not isinstance(body, dict) or not isinstance(body.get("errors"), list):
        return []
    errors = []
    for raw in body["errors"]:
        if not isinstance(raw, dict):
            continue
        raw_source = raw.get("source")
        source: dict[str, Any] = raw_source if isinstance(raw_source, dict) else {}
        status = raw.get("status")
        if isinstance(status, str) and status.isdigit():
            status = int(status)
        errors.append(KlaviyoError(
            detail=_text(raw.get("detail")) or _text(raw.get("title")) or "error",
            code=_text(raw.get("code")),
            title=_text(raw.get("title")),
            status=status if isinstance(status, int) and not isinstance(status, bool) else None,
            id=_text(raw.get("id")),
            pointer=_text(source.get("pointer")),
            parameter=_text(source.get("parameter")),
        ))
    return errors


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
