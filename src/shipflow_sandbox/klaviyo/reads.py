"""Klaviyo reads: `GET /api/metrics` and `GET /api/events` (get_metrics, get_events in the
official spec, revision 2026-07-15), answered from the recorded events.

- Auth, `revision` and the endpoint's burst/steady windows as for the writes (api.py).
- `filter` (get_events): comma-separated conditions, all of which must hold (`and(...)` too):
  `equals(metric_id,"ID")`, `equals(profile_id,"ID")`, and `greater-or-equal`,
  `greater-than`, `less-or-equal`, `less-than` on `datetime` (ISO 8601, quoted or not) or
  `timestamp` (epoch seconds). String literals must be quoted (an unquoted one is the real
  400 "Invalid filter provided"). get_metrics takes `equals(integration.name|category,...)`.
- `sort`: `datetime`, `-datetime`, `timestamp`, `-timestamp`; without it events come oldest
  first (assumption: the default order is not documented).
- Pages: `page[size]` 1..1000 (default 200) for events, 200 metrics a page; `links.next`
  carries an opaque `page[cursor]` (a bad one is 400 "Invalid cursor provided.").
- An event's `event_properties` are the properties it was sent with plus `$event_id` (its
  `unique_id`), as Klaviyo returns them; `datetime` is `YYYY-MM-DDTHH:MM:SS+00:00`.
- A metric exists once an event named it; its id is six characters derived from the name
  (Klaviyo's metric ids look like `Y6Hmxn`), `created` the first such event's arrival.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from shipflow_sandbox.klaviyo.errors import KlaviyoError
from shipflow_sandbox.klaviyo.store import Event, KlaviyoStore
from shipflow_sandbox.klaviyo.validation import parse_time

if TYPE_CHECKING:
    from starlette.datastructures import QueryParams

METRICS_PAGE = 200
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_CONDITION = re.compile(r"^\s*([a-z-]+)\(\s*([\w.$]+)\s*,\s*(.+?)\s*\)\s*$")
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "greater-or-equal": lambda a, b: a >= b,
    "greater-than": lambda a, b: a > b,
    "less-or-equal": lambda a, b: a <= b,
    "less-than": lambda a, b: a < b,
}
SORTS = ("datetime", "-datetime", "timestamp", "-timestamp")
# The integration of metrics created by API events (assumption: Klaviyo names it "API").
API_INTEGRATION = {"id": "0eMvjm", "name": "API", "category": "API"}


def metric_id(name: str) -> str:
    digest = hashlib.sha256(name.encode()).digest()
    return "".join(_ALPHABET[b % len(_ALPHABET)] for b in digest[:6])


def invalid_filter(detail: str = "Invalid filter provided") -> KlaviyoError:
    return KlaviyoError(400, "invalid", detail, parameter="filter")


def _split(text: str) -> list[str]:
    """Top-level comma-separated parts (commas inside parentheses or quotes stay)."""
    parts: list[str] = []
    current: list[str] = []
    depth, quote = 0, ""
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def _literal(text: str) -> tuple[str, bool]:
    """(value, was quoted)."""
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1], True
    return text, False


Predicate = Callable[[Event], bool]


def _event_condition(op: str, field: str, raw: str) -> Predicate:
    value, quoted = _literal(raw)
    if op == "equals" and field in ("metric_id", "profile_id"):
        if not quoted:
            raise invalid_filter()
        if field == "metric_id":
            return lambda e: metric_id(e.metric) == value
        return lambda e: e.profile_id == value
    if op in _COMPARE and field == "datetime":
        moment = parse_time(value)
        if moment is None:
            raise invalid_filter(f"Invalid datetime '{value}' in filter")
        bound = moment.timestamp()
        return lambda e: _COMPARE[op](_epoch(e), bound)
    if op in _COMPARE and field == "timestamp":
        try:
            number = float(value)
        except ValueError:
            raise invalid_filter(f"Invalid timestamp '{value}' in filter") from None
        return lambda e: _COMPARE[op](_epoch(e), number)
    if field in ("metric_id", "profile_id", "datetime", "timestamp", "metric", "profile"):
        raise invalid_filter(f"'{op}' is not a valid operator for '{field}'")
    raise invalid_filter(f"'{field}' is not a valid field for the resource 'event'.")


def event_filter(text: str | None) -> Predicate:
    if not text:
        return lambda e: True
    predicates: list[Predicate] = []
    for part in _split(text):
        if part.startswith("and(") and part.endswith(")"):
            predicates.append(event_filter(part[4:-1]))
            continue
        match = _CONDITION.match(part)
        if match is None:
            raise invalid_filter()
        predicates.append(_event_condition(match[1], match[2], match[3]))
    return lambda e: all(p(e) for p in predicates)


def _epoch(event: Event) -> float:
    moment = parse_time(event.time)
    assert moment is not None
    return moment.timestamp()


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, number = text.partition(":")
        if kind != "offset" or not number.isdigit():
            raise ValueError(text)
        return int(number)
    except ValueError:
        raise KlaviyoError(400, "invalid", "Invalid cursor provided.", pointer="/data/") from None


def _links(base: str, path: str, params: QueryParams, offset: int, size: int,
           total: int) -> dict[str, str]:
    def url(at: int | None) -> str:
        query = [(k, v) for k, v in params.multi_items() if k != "page[cursor]"]
        if at:
            query.append(("page[cursor]", _cursor(at)))
        return f"{base}/api/{path}" + (f"?{urlencode(query)}" if query else "")

    links = {"self": url(offset)}
    if offset + size < total:
        links["next"] = url(offset + size)
    if offset > 0:
        links["prev"] = url(max(0, offset - size))
    return links


def _stamp(event: Event) -> str:
    moment = parse_time(event.time)
    assert moment is not None
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def event_resource(event: Event, base: str) -> dict[str, Any]:
    url = f"{base}/api/events/{event.id}"
    properties = dict(event.properties)
    if event.unique_id:
        properties["$event_id"] = event.unique_id
    return {
        "type": "event",
        "id": event.id,
        "attributes": {
            "timestamp": int(_epoch(event)),
            "event_properties": properties,
            "datetime": _stamp(event),
            "uuid": event.id,
        },
        "relationships": {
            "profile": {"data": {"type": "profile", "id": event.profile_id},
                        "links": {"self": f"{url}/relationships/profile/",
                                  "related": f"{url}/profile/"}},
            "metric": {"data": {"type": "metric", "id": metric_id(event.metric)},
                       "links": {"self": f"{url}/relationships/metric/",
                                 "related": f"{url}/metric/"}},
        },
        "links": {"self": f"{url}/"},
    }


def get_events(store: KlaviyoStore, params: QueryParams, base: str) -> dict[str, Any]:
    sort = params.get("sort")
    if sort is not None and sort not in SORTS:
        raise KlaviyoError(400, "invalid", f"'{sort}' is not a valid sort field",
                           parameter="sort")
    raw_size = params.get("page[size]", "200")
    try:
        size = int(raw_size)
    except ValueError:
        size = 0
    if not 1 <= size <= 1000:
        raise KlaviyoError(400, "invalid", "Page size must be an integer between 1 and 1000.",
                           parameter="page[size]")
    offset = _offset(params.get("page[cursor]"))
    matches = event_filter(params.get("filter"))
    found = [e for e in store.events if matches(e)]
    found.sort(key=_epoch, reverse=bool(sort and sort.startswith("-")))
    page = found[offset:offset + size]
    return {"data": [event_resource(e, base) for e in page],
            "links": _links(base, "events", params, offset, size, len(found))}


def get_metrics(store: KlaviyoStore, params: QueryParams, base: str) -> dict[str, Any]:
    first_seen: dict[str, str] = {}
    for event in store.events:
        first_seen.setdefault(event.metric, event.received_at)
    text = params.get("filter")
    for part in _split(text or ""):
        match = _CONDITION.match(part)
        if match is None or match[1] != "equals" or match[2] not in (
                "integration.name", "integration.category"):
            raise invalid_filter()
        value, quoted = _literal(match[3])
        if not quoted:
            raise invalid_filter()
        if value != API_INTEGRATION[match[2].split(".")[1]]:
            first_seen = {}  # every metric here came through the API
    offset = _offset(params.get("page[cursor]"))
    names = list(first_seen)
    page = names[offset:offset + METRICS_PAGE]
    data = []
    for name in page:
        created = _iso_micro(first_seen[name])
        url = f"{base}/api/metrics/{metric_id(name)}"
        data.append({
            "type": "metric", "id": metric_id(name),
            "attributes": {"name": name, "created": created, "updated": created,
                           "integration": {"object": "integration", **API_INTEGRATION}},
            "relationships": {"flow-triggers": {"links": {
                "self": f"{url}/relationships/flow-triggers/",
                "related": f"{url}/flow-triggers/"}}},
            "links": {"self": f"{url}/"},
        })
    return {"data": data,
            "links": _links(base, "metrics", params, offset, METRICS_PAGE, len(names))}


def _iso_micro(stamp: str) -> str:
    """`YYYY-MM-DDTHH:MM:SS.mmmmmm`, as the spec describes a metric's `created`."""
    moment = parse_time(stamp) or datetime.now(UTC)
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")
