"""Past events for the audit: `GET /api/metrics` (a metric's id from its name) and
`GET /api/events?filter=equals(metric_id,"…"),greater-or-equal(datetime,…)`, paged through
`links.next` (get_metrics and get_events in the official spec, revision 2026-07-15).

Parsers only. An event's `datetime` is when it happened (the `time` it was sent with); its
`event_properties` hold what it was sent with, plus `$event_id` (its `unique_id`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shipflow.providers.errors import UnexpectedResponse
from shipflow.providers.fields import Fields

EVENTS_PAGE = 1000  # get_events' largest `page[size]`


@dataclass(frozen=True, slots=True)
class PastEvent:
    id: str
    at: datetime
    properties: dict[str, Any]


def events_filter(metric_id: str, since: datetime, until: datetime | None = None) -> str:
    def stamp(moment: datetime) -> str:
        return moment.isoformat(timespec="seconds").replace("+00:00", "Z")

    conditions = [f'equals(metric_id,"{metric_id}")', f"greater-or-equal(datetime,{stamp(since)})"]
    if until is not None:
        conditions.append(f"less-than(datetime,{stamp(until)})")
    return ",".join(conditions)


def parse_metrics_page(body: Any) -> tuple[list[tuple[str, str]], str | None]:
    """(metric name, id) on this page, and the next page's URL. Two integrations may each have
    a metric of the same name (an API `Fulfilled Order` beside Shopify's): both are listed."""
    root = Fields(body, "", UnexpectedResponse)
    found: list[tuple[str, str]] = []
    for metric in root.objects("data"):
        name = metric.obj("attributes").string("name", required=False)
        if name:
            found.append((name, metric.req_string("id")))
    return found, _next(root)


def parse_events_page(body: Any) -> tuple[list[PastEvent], str | None]:
    root = Fields(body, "", UnexpectedResponse)
    events = []
    for event in root.objects("data"):
        attributes = event.obj("attributes")
        raw = attributes.data.get("event_properties")
        events.append(PastEvent(event.req_string("id"), attributes.req_timestamp("datetime"),
                                dict(raw) if isinstance(raw, dict) else {}))
    return events, _next(root)


def _next(root: Fields) -> str | None:
    links = root.optional_obj("links")
    return links.string("next", required=False, empty_is_none=True) if links else None
