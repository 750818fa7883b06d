"""The v2 error envelope (shipstation.md §2.2): every non-2xx body is
`{"request_id": "<uuid>", "errors": [{"error_source", "error_type", "error_code", "message"}]}`.

Wordings are assumptions in ShipEngine's style (the specs give the codes, not the texts):
validation errors name the field (`shipment.ship_to.postal_code is required`); unknown ids
answer 404 with `invalid_identifier` (the v2 spec's `GET /v2/labels/{id}` documents an empty
404 body instead; the envelope is what the rest of the API uses).
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.responses import Response

from shipflow_sandbox.routing import json_response


class V2Error(Exception):
    def __init__(self, status: int, error_type: str, error_code: str, message: str,
                 headers: dict[str, str] | None = None, source: str = "ShipStation") -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.error_code = error_code
        self.message = message
        self.headers = headers
        self.source = source

    def body(self) -> dict[str, Any]:
        return {
            "request_id": str(uuid.uuid4()),
            "errors": [
                {
                    "error_source": self.source,
                    "error_type": self.error_type,
                    "error_code": self.error_code,
                    "message": self.message,
                }
            ],
        }

    def response(self) -> Response:
        return json_response(self.body(), self.status, self.headers)

    @classmethod
    def required(cls, field: str) -> V2Error:
        return cls(400, "validation", "field_value_required", f"{field} is required")

    @classmethod
    def invalid(cls, field: str, detail: str) -> V2Error:
        return cls(400, "validation", "invalid_field_value", f"{field} {detail}")

    @classmethod
    def not_found(cls, field: str, value: str) -> V2Error:
        return cls(404, "validation", "invalid_identifier", f"{field} '{value}' was not found")

    @classmethod
    def unauthorized(cls) -> V2Error:
        return cls(401, "security", "unauthorized",
                   "The API key is invalid. Please see https://www.shipengine.com/docs/auth")

    @classmethod
    def rate_limited(cls, retry_after: int) -> V2Error:
        return cls(429, "system", "rate_limit_exceeded",
                   "You have exceeded the rate limit. Please see "
                   "https://www.shipengine.com/docs/rate-limits",
                   headers={"Retry-After": str(retry_after)})

    @classmethod
    def system(cls) -> V2Error:
        return cls(500, "system", "unspecified",
                   "An unknown error occurred. Please try again later.")
