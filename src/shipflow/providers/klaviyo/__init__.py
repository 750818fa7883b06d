"""Klaviyo: one event per customer milestone, deduplicated by a deterministic `unique_id`;
profiles upserted from the order's customer."""

from shipflow.providers.klaviyo.client import KlaviyoClient
from shipflow.providers.klaviyo.wire import (
    KlaviyoError,
    KlaviyoProfile,
    ProfileLocation,
    bulk_events_request,
    bulk_requests,
    event_request,
    parse_errors,
    profile_from_order,
    profile_import_request,
)

__all__ = [
    "KlaviyoClient",
    "KlaviyoError",
    "KlaviyoProfile",
    "ProfileLocation",
    "bulk_events_request",
    "bulk_requests",
    "event_request",
    "parse_errors",
    "profile_from_order",
    "profile_import_request",
]
