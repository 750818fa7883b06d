"""Klaviyo JSON:API error documents (klaviyo.md §2a): `{"errors": [{id, status, code, title,
detail, source, links, meta}]}` with `status` a number and `id` a UUID.

Titles of the codes that are not captured follow Django REST Framework's defaults, which the
captured ones match ("Authentication credentials were not provided.", "Invalid input.").
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.responses import Response

from shipflow_sandbox.routing import json_response

JSONAPI = "application/vnd.api+json"
RATE_LIMIT_DOCS = (
    "https://developers.klaviyo.com/en/docs/rate_limits_and_error_handling#rate-limits"
)
TITLES = {
    "invalid": "Invalid input.",
    "parse_error": "Malformed request.",
    "not_authenticated": "Authentication credentials were not provided.",
    "not_found": "Not found.",
    "unsupported_media_type": "Unsupported media type.",
    "throttled": "Request was throttled.",
    "duplicate_profile": "Conflict.",
    "permission_denied": "You do not have permission to perform this action.",
    "error": "A server error occurred.",
}


class KlaviyoError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        pointer: str | None = None,
        parameter: str | None = None,
        headers: dict[str, str] | None = None,
        meta: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.headers = headers
        self.meta = meta
        self.status = status
        self.code = code
        self.detail = detail
        self.pointer = pointer
        self.parameter = parameter

    def document(self) -> dict[str, Any]:
        error: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "status": self.status,
            "code": self.code,
            "title": TITLES.get(self.code, "Invalid input."),
            "detail": self.detail,
        }
        if self.pointer is not None:
            error["source"] = {"pointer": self.pointer}
        elif self.parameter is not None:
            error["source"] = {"parameter": self.parameter}
        error["links"] = {"type": RATE_LIMIT_DOCS} if self.code == "throttled" else {}
        error["meta"] = dict(self.meta or {})
        return {"errors": [error]}

    def response(self, headers: dict[str, str] | None = None) -> Response:
        merged = {**(headers or {}), **(self.headers or {})}
        return json_response(self.document(), self.status, merged, media_type=JSONAPI)


def invalid(detail: str, pointer: str | None = "/data") -> KlaviyoError:
    return KlaviyoError(400, "invalid", detail, pointer=pointer)


def duplicate_profile(profile_id: str) -> KlaviyoError:
    """409 for an identifier another profile holds, naming that profile (klaviyo.md §2a, §6)."""
    return KlaviyoError(
        409,
        "duplicate_profile",
        "A profile already exists with one of these identifiers.",
        pointer="/data/attributes",
        meta={"duplicate_profile_id": profile_id},
    )


NOT_AUTHENTICATED = KlaviyoError(
    401, "not_authenticated", "Missing or invalid private key.", pointer="/data/"
)


def permission_denied() -> KlaviyoError:
    """403 for a key without the endpoint's scope (klaviyo.md §1, §2a: code `permission_denied`;
    title and detail are Django REST Framework's default for PermissionDenied, an assumption
    like the other uncaptured titles)."""
    return KlaviyoError(403, "permission_denied",
                        "You do not have permission to perform this action.")
