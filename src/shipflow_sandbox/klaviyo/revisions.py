"""The `revision` header (klaviyo.md §1, §8.2).

Missing or malformed -> 400; a date after today -> 404 "Unable to specify a future revision
date"; before the endpoint's first revision -> 404 "No valid revisions found for method".
A well-formed date between two releases is accepted and means the latest release on or before
it (the 2022 rounding-down policy; assumption, the current policy page is stricter). Retired
revisions (older than two years) are still served (assumption: the retirement error is not
documented). Bodies are validated against the stored 2026-07-15 spec for every revision.
"""

from __future__ import annotations

import re
from datetime import date

from shipflow_sandbox.klaviyo.errors import KlaviyoError

_FORMAT = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(\.[A-Za-z0-9]+)?$")

# First GA revision of each endpoint (bulk create events: changelog 2024-05-15; profile-import:
# assumption 2023-02-22; create event and create profile: the first GA revision).
FIRST_REVISION = {
    "create_event": date(2022, 10, 17),
    "bulk_create_events": date(2024, 5, 15),
    "create_or_update_profile": date(2023, 2, 22),
    "create_profile": date(2022, 10, 17),
}
BACKFILL_SINCE = date(2026, 4, 15)


def parse_revision(value: str | None, operation_id: str, today: date) -> date:
    """The effective revision date, or a KlaviyoError to answer with."""
    if not value:
        raise KlaviyoError(
            400, "invalid", "Missing required header 'revision'.", parameter="revision"
        )
    match = _FORMAT.match(value.strip())
    try:
        revision = date(int(match[1]), int(match[2]), int(match[3])) if match else None
    except ValueError:
        revision = None
    if revision is None:
        raise KlaviyoError(
            400,
            "invalid",
            f"Invalid revision '{value}'. Revisions must be formatted as YYYY-MM-DD[.suffix].",
            parameter="revision",
        )
    if revision > today:
        raise KlaviyoError(404, "not_found", "Unable to specify a future revision date")
    if revision < FIRST_REVISION.get(operation_id, date(2022, 10, 17)):
        raise KlaviyoError(404, "not_found", "No valid revisions found for method")
    return revision
