"""Request validation for the event endpoints: the official schema, then Klaviyo's data limits.

Schema failures become one JSON:API error whose `source.pointer` is the JSON pointer of the
offending member (unknown fields point at the field itself, klaviyo.md §2a). Limits (klaviyo.md
§2, §3): identifiers, email < 100 chars, E.164 phone, metric name < 128, time after 1990 (2000
for bulk) and at most a year ahead, unique_id 1-255 chars, <= 400 properties, strings <= 100 KB,
arrays <= 4000 items, nesting <= 10, <= 1000 events per bulk job, and no unique_id repeated for
one profile+metric inside a bulk request. Wordings not captured anywhere are assumptions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from jsonschema import Draft7Validator, ValidationError
from jsonschema.exceptions import best_match

from shipflow_sandbox.klaviyo.errors import KlaviyoError, invalid
from shipflow_sandbox.klaviyo.revisions import BACKFILL_SINCE

IDENTIFIERS = ("email", "phone_number", "external_id", "anonymous_id", "_kx")
MAX_BULK_EVENTS = 1000
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
PHONE_MESSAGE = "Invalid phone number format (Example of a valid phone number format: +12345678901)"


def pointer(path: Any) -> str:
    return "/" + "/".join(str(p) for p in path)


def _resource_type(body: Any, path: list[Any]) -> str | None:
    """The `type` of the innermost JSON:API resource object on `path`."""
    found, node = None, body
    for step in [None, *path]:
        if step is not None:
            node = node[step]
        if isinstance(node, dict) and isinstance(node.get("type"), str):
            found = node["type"]
    return found


def schema_error(validator: Draft7Validator, body: Any) -> KlaviyoError | None:
    error = best_match(validator.iter_errors(body))
    if error is None:
        return None
    while error.context and error.validator in ("anyOf", "oneOf"):
        error = best_match(error.context) or error
    return _translate(error, body)


def _translate(error: ValidationError, body: Any) -> KlaviyoError:
    path = list(error.absolute_path)
    field = str(path[-1]) if path else "data"
    if error.validator == "additionalProperties":
        # Only objects fail additionalProperties, against an object schema.
        schema = error.schema if isinstance(error.schema, Mapping) else {}
        instance = error.instance if isinstance(error.instance, Mapping) else {}
        allowed = set(schema.get("properties", {}))
        extra = sorted(k for k in instance if k not in allowed)[0]
        kind = _resource_type(body, path) or "resource"
        detail = f"'{extra}' is not a valid field for the resource '{kind}'."
        return invalid(detail, pointer([*path, extra]))
    if error.validator == "required":
        missing = re.findall(r"'([^']+)' is a required property", error.message)[0]
        return invalid(f"'{missing}' is a required field.", pointer([*path, missing]))
    if error.validator == "enum":
        return invalid(f"'{error.instance}' is not a valid choice for '{field}'.", pointer(path))
    if error.validator == "type":
        expected = error.validator_value
        expected = (
            [t for t in expected if t != "null"] if isinstance(expected, list) else [expected]
        )
        detail = f"Invalid input: '{field}' must be of type {' or '.join(expected)}."
        return invalid(detail, pointer(path))
    return invalid(f"Invalid input: {error.message}", pointer(path))


def _walk(value: Any, where: str, depth: int) -> None:
    if depth > 10:
        raise invalid("Event properties cannot be nested more than 10 levels deep.", where)
    if isinstance(value, str) and len(value.encode()) > 100 * 1024:
        raise invalid("String values cannot be larger than 100KB.", where)
    if isinstance(value, list):
        if len(value) > 4000:
            raise invalid("Arrays cannot contain more than 4000 items.", where)
        for index, item in enumerate(value):
            _walk(item, f"{where}/{index}", depth + 1)
    if isinstance(value, dict):
        for key, item in value.items():
            _walk(item, f"{where}/{key}", depth + 1)


def check_profile(profile: dict[str, Any], where: str) -> None:
    attributes = profile.get("attributes") or {}
    if not profile.get("id") and not any(attributes.get(k) for k in IDENTIFIERS):
        raise invalid("One or more identifiers is required", f"{where}/attributes")
    email = attributes.get("email")
    if email and (len(email) >= 100 or not _EMAIL.match(email)):
        raise invalid(f"Invalid email address: '{email}'.", f"{where}/attributes/email")
    phone = attributes.get("phone_number")
    if phone and not _E164.match(phone):
        raise invalid(PHONE_MESSAGE, f"{where}/attributes/phone_number")


def profile_key(profile: dict[str, Any]) -> str:
    """The identifier Klaviyo resolves a profile by: id, else email, phone, external id."""
    if profile.get("id"):
        return f"id:{profile['id']}"
    attributes = profile.get("attributes") or {}
    for key in IDENTIFIERS:
        if attributes.get(key):
            value = attributes[key]
            return f"{key}:{value.lower() if key == 'email' else value}"
    return "anonymous"


def parse_time(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def check_event(
    attributes: dict[str, Any], where: str, revision: date, now: datetime, min_year: int
) -> None:
    if "backfill" in attributes and revision < BACKFILL_SINCE:
        detail = "'backfill' is not a valid field for the resource 'event'."
        raise invalid(detail, f"{where}/backfill")
    name = attributes["metric"]["data"]["attributes"]["name"]
    if not name.strip() or len(name) >= 128:
        raise invalid(
            "Metric name must be between 1 and 127 characters.",
            f"{where}/metric/data/attributes/name",
        )
    if attributes.get("time"):
        moment = parse_time(attributes["time"])
        if moment is None:
            raise invalid(f"'{attributes['time']}' is not a valid datetime.", f"{where}/time")
        if moment.year < min_year or moment > now + timedelta(days=365):
            detail = f"Event time must be after {min_year} and no more than 1 year in the future."
            raise invalid(detail, f"{where}/time")
    unique_id = attributes.get("unique_id")
    if unique_id is not None and not 0 < len(unique_id) <= 255:
        raise invalid("unique_id must be between 1 and 255 characters.", f"{where}/unique_id")
    properties = attributes.get("properties") or {}
    if len(properties) > 400:
        raise invalid("Events cannot have more than 400 properties.", f"{where}/properties")
    _walk(properties, f"{where}/properties", 1)


def validate_create_event(body: dict[str, Any], revision: date, now: datetime) -> None:
    attributes = body["data"]["attributes"]
    check_profile(attributes["profile"]["data"], "/data/attributes/profile/data")
    check_event(attributes, "/data/attributes", revision, now, 1990)


def validate_bulk(body: dict[str, Any], revision: date, now: datetime) -> None:
    entries = body["data"]["attributes"]["events-bulk-create"]["data"]
    base = "/data/attributes/events-bulk-create/data"
    total = sum(len(entry["attributes"]["events"]["data"]) for entry in entries)
    if total > MAX_BULK_EVENTS:
        raise invalid(f"A maximum of {MAX_BULK_EVENTS} events can be created per request.", base)
    seen: set[tuple[str, str, str]] = set()
    for i, entry in enumerate(entries):
        attributes = entry["attributes"]
        if "backfill" in attributes and revision < BACKFILL_SINCE:
            detail = "'backfill' is not a valid field for the resource 'event-bulk-create'."
            raise invalid(detail, f"{base}/{i}/attributes/backfill")
        profile = attributes["profile"]["data"]
        check_profile(profile, f"{base}/{i}/attributes/profile/data")
        who = profile_key(profile)
        for j, event in enumerate(attributes["events"]["data"]):
            where = f"{base}/{i}/attributes/events/data/{j}/attributes"
            check_event(event["attributes"], where, revision, now, 2000)
            unique_id = event["attributes"].get("unique_id")
            metric = event["attributes"]["metric"]["data"]["attributes"]["name"]
            if unique_id is not None:
                if (who, metric, unique_id) in seen:
                    detail = (
                        f"Duplicate unique_id '{unique_id}' for metric '{metric}' on the "
                        "same profile; no events were processed."
                    )
                    raise invalid(detail, f"{where}/unique_id")
                seen.add((who, metric, unique_id))
