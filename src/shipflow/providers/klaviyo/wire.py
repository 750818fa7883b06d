"""Klaviyo JSON:API bodies for Create Event, Bulk Create Events and Create or Update Profile,
and its error documents.

Pure functions; the shapes are those of the official OpenAPI spec, revision 2026-07-15
(`EventCreateQueryV2`, `EventsBulkCreateJob`, `ProfileUpsertQuery`; klaviyo.md §2–3, §6), and
every body built here is validated against that spec in `tests/contract/`. An event's
`properties` come from `properties.py`.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from enum import Enum
from typing import Any, Iterable, Mapping, Sequence

from shipflow.domain.milestone import MilestoneEvent
from shipflow.domain.order import Order
from shipflow.providers.errors import UnexpectedResponse
from shipflow.providers.fields import Fields
from shipflow.providers.klaviyo.properties import properties

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


def json_properties(props: Mapping[str, Any]) -> dict[str, Any]:
    """Event properties as plain JSON (Decimals, dates, datetimes and enums converted,
    top-level `None`s left out); at most `MAX_PROPERTIES` of them."""
    converted = {k: _json_safe(v) for k, v in props.items() if v is not None}
    if len(converted) > MAX_PROPERTIES:
        raise ValueError(f"an event has at most {MAX_PROPERTIES} properties")
    return converted


def _event_attributes(event: MilestoneEvent) -> dict[str, Any]:
    name = event.milestone.value
    if not name or len(name) > MAX_METRIC_NAME:
        raise ValueError(f"metric name must be 1–{MAX_METRIC_NAME} characters")
    if not event.unique_id or len(event.unique_id) > MAX_UNIQUE_ID:
        raise ValueError(f"unique_id must be 1–{MAX_UNIQUE_ID} characters")
    # Never `value`: lifecycle events carry no revenue, and once a metric has had a value,
    # events without one count as 0 (klaviyo.md §5.3).
    return {
        "properties": json_properties(properties(event)),
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
    meta: Mapping[str, Any] | None = None

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
            meta=raw["meta"] if isinstance(raw.get("meta"), dict) else None,
        ))
    return errors


def duplicate_profile_id(errors: Sequence[KlaviyoError]) -> str | None:
    """The existing profile's id that a 409 `duplicate_profile` names in `meta`
    (`{"errors": [{"status": 409, "code": "duplicate_profile", "title": "Conflict.", "detail":
    "A profile already exists with one of these identifiers.", "source": {"pointer":
    "/data/attributes"}, "meta": {"duplicate_profile_id": "01…"}}]}`, klaviyo.md §2a/§6, real
    body in klaviyo/klaviyo-api-node#75); None for any other error."""
    for error in errors:
        if error.code == "duplicate_profile" and error.meta:
            found = error.meta.get("duplicate_profile_id")
            if isinstance(found, str) and found.strip():
                return found.strip()
    return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


# -- profiles ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ProfileLocation:
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    region: str | None = None  # state or province code
    zip: str | None = None
    country: str | None = None  # see `profile_from_order`


@dataclass(frozen=True, slots=True)
class KlaviyoProfile:
    """What shipflow tells Klaviyo about a customer. At least one identifier (email, E.164
    phone, external id) must survive `profile_import_request`'s checks."""

    email: str | None = None
    phone_number: str | None = None
    external_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    location: ProfileLocation | None = None


def profile_from_order(order: Order) -> KlaviyoProfile:
    """The order's customer, located at the shipping address.

    `external_id` is the Shopify customer id (the same one events carry); `location.country`
    is the ISO-2 code: the domain keeps no country names, and Klaviyo takes any string there.
    """
    customer = order.customer
    address = order.shipping_address or order.billing_address
    location = None
    if address is not None:
        location = ProfileLocation(
            address1=address.address1 or None, address2=address.address2, city=address.city or None,
            region=address.province_code, zip=address.zip or None,
            country=address.country_code or None)
    return KlaviyoProfile(
        email=order.contact_email,
        phone_number=(customer.phone if customer else None) or (
            address.phone if address else None),
        external_id=str(customer.customer_id) if customer and customer.customer_id else None,
        first_name=customer.first_name if customer else None,
        last_name=customer.last_name if customer else None,
        location=location,
    )


def profile_import_request(profile: KlaviyoProfile) -> dict[str, Any]:
    """The body of `POST /api/profile-import` (`ProfileUpsertQuery`).

    Only values shipflow knows are sent: in an upsert `null` *clears* a field (klaviyo.md §6),
    so an unknown value is left out, never sent as null. A phone that is not E.164 is left out
    (Klaviyo would refuse the whole profile). Raises `ValueError` without an identifier.
    """
    attributes: dict[str, Any] = {
        "email": (profile.email or "").strip() or None,
        "phone_number": e164(profile.phone_number),
        "external_id": (profile.external_id or "").strip() or None,
        "first_name": (profile.first_name or "").strip() or None,
        "last_name": (profile.last_name or "").strip() or None,
    }
    if not any(attributes[k] for k in ("email", "phone_number", "external_id")):
        raise ValueError("a profile needs an email, an E.164 phone or an external id")
    body = {k: v for k, v in attributes.items() if v}
    if profile.location is not None:
        location = {k: v.strip() for k, v in (
            ("address1", profile.location.address1), ("address2", profile.location.address2),
            ("city", profile.location.city), ("region", profile.location.region),
            ("zip", profile.location.zip), ("country", profile.location.country))
            if v and v.strip()}
        if location:
            body["location"] = location
    return {"data": {"type": "profile", "attributes": body}}


def parse_profile_id(body: Any) -> str:
    """`data.id` of a profile-import response (`PostProfileResponse`, 200 or 201)."""
    return Fields(body, "", UnexpectedResponse).obj("data").req_string("id")
