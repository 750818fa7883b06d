"""Klaviyo: one event per customer milestone, deduplicated by a deterministic `unique_id`."""

from shipflow.providers.klaviyo.client import KlaviyoClient
from shipflow.providers.klaviyo.wire import (
    KlaviyoError,
    bulk_events_request,
    bulk_requests,
    event_request,
    parse_errors,
)

__all__ = [
    "KlaviyoClient",
    "KlaviyoError",
    "bulk_events_request",
    "bulk_requests",
    "event_request",
    "parse_errors",
]
