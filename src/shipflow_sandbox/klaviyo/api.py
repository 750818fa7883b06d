"""Klaviyo HTTP surface under `/klaviyo/api` (klaviyo.md §1-4, §6, §8).

Checks, in order: `Authorization: Klaviyo-API-Key <key>` (401 `not_authenticated`), the
key's scopes against the operation's `x-klaviyo-scopes` (403 `permission_denied`; checked before
anything in the body, as Django REST Framework checks permissions before the view runs), the
`revision` header, the endpoint's burst/steady windows (429 `throttled` with `Retry-After`),
`Content-Type` (415), body size (5 MB), JSON, the official schema, then the data limits.
Success: events 202 with an empty body; profile-import 201 (created) / 200 (updated);
profiles (create) 201. Both profile endpoints answer 409 `duplicate_profile` (with
`meta.duplicate_profile_id`) when an identifier belongs to another profile: create, whenever
one is already taken; the upsert, when its identifiers belong to two different profiles.
Non-429 responses carry `RateLimit-Limit/Remaining/Reset` for the steady window.
Reads (`GET /api/events`, `GET /api/metrics`) are in `reads.py`.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from shipflow_sandbox.klaviyo import reads
from shipflow_sandbox.klaviyo.errors import (
    JSONAPI,
    NOT_AUTHENTICATED,
    KlaviyoError,
    duplicate_profile,
    invalid,
    permission_denied,
)
from shipflow_sandbox.klaviyo.revisions import parse_revision
from shipflow_sandbox.klaviyo.spec import load_spec
from shipflow_sandbox.klaviyo.validation import (
    check_profile,
    schema_error,
    validate_bulk,
    validate_create_event,
)
from shipflow_sandbox.routing import counted, json_response

if TYPE_CHECKING:
    from datetime import date

    from starlette.datastructures import QueryParams

    from shipflow_sandbox.klaviyo.store import KlaviyoStore
    from shipflow_sandbox.state import SandboxState

MAX_BODY = 5 * 1024 * 1024
CONTENT_TYPES = ("application/vnd.api+json", "application/json")
Handler = Callable[[dict[str, Any], "date", datetime], Response]
Reader = Callable[["KlaviyoStore", "QueryParams", str], dict[str, Any]]


def routes(state: SandboxState) -> list[Route]:
    def endpoint(path: str, handle: Handler) -> Route:
        async def run(request: Request) -> Response:
            try:
                return await _guarded(request, path, handle)
            except KlaviyoError as exc:
                return exc.response()

        return counted(
            state.requests,
            "klaviyo",
            f"/api/{path}",
            run,
            ["POST"],
            state.latency,
            state.fault_gate("klaviyo"),
        )

    async def _guarded(request: Request, path: str, handle: Handler) -> Response:
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        expected = state.config.klaviyo_api_key.encode()
        if scheme != "Klaviyo-API-Key" or not hmac.compare_digest(key.strip().encode(), expected):
            raise NOT_AUTHENTICATED
        operation = load_spec().operation("POST", f"/api/{path}")
        granted = state.klaviyo.scopes
        if granted is not None and not all(scope in granted for scope in operation.scopes):
            raise permission_denied()
        now = state.clock.wall()
        revision = parse_revision(
            request.headers.get("revision"), operation.operation_id, now.date()
        )
        headers = state.klaviyo.limit(operation)
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media not in CONTENT_TYPES:
            error = KlaviyoError(
                415, "unsupported_media_type", f'Unsupported media type "{media}" in request.'
            )
            return error.response(headers)
        raw = await request.body()
        if len(raw) > MAX_BODY:
            return invalid("Payload too large. The maximum payload size is 5MB.").response(headers)
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            error = KlaviyoError(400, "parse_error", f"JSON parse error - {exc}")
            return error.response(headers)
        problem = schema_error(load_spec().validator(operation.schema_name), body)
        if problem is not None:
            return problem.response(headers)
        response = handle(body, revision, now)
        response.headers.update(headers)
        return response

    def create_event(body: dict[str, Any], revision: date, now: datetime) -> Response:
        validate_create_event(body, revision, now)
        attributes = body["data"]["attributes"]
        state.klaviyo.store.record(attributes["profile"]["data"], attributes, now)
        return Response(status_code=202)

    def bulk_create(body: dict[str, Any], revision: date, now: datetime) -> Response:
        validate_bulk(body, revision, now)
        for entry in body["data"]["attributes"]["events-bulk-create"]["data"]:
            attributes = entry["attributes"]
            for event in attributes["events"]["data"]:
                event_attributes = dict(event["attributes"])
                if attributes.get("backfill") and "backfill" not in event_attributes:
                    event_attributes["backfill"] = True
                state.klaviyo.store.record(attributes["profile"]["data"], event_attributes, now)
        return Response(status_code=202)

    def profile_import(body: dict[str, Any], revision: date, now: datetime) -> Response:
        data = body["data"]
        attributes = data.get("attributes") or {}
        if not data.get("id") and not any(
            attributes.get(k) for k in ("email", "phone_number", "external_id")
        ):
            raise invalid("One or more identifiers is required", "/data/attributes")
        conflict = state.klaviyo.store.conflicting_profile(data.get("id"), attributes)
        if conflict is not None:
            raise duplicate_profile(conflict)
        profile, created = state.klaviyo.store.upsert_profile(data.get("id"), attributes, now)
        document = state.klaviyo.profile_document(profile, request_base(state))
        return json_response(document, 201 if created else 200, media_type=JSONAPI)

    def create_profile(body: dict[str, Any], revision: date, now: datetime) -> Response:
        data = body["data"]
        check_profile(data, "/data")
        owners = state.klaviyo.store.owners(data.get("attributes") or {})
        if owners:
            raise duplicate_profile(owners[0][1])
        profile, _ = state.klaviyo.store.upsert_profile(None, data.get("attributes") or {}, now)
        document = state.klaviyo.profile_document(profile, request_base(state), "profiles/")
        return json_response(document, 201, media_type=JSONAPI)

    def reader(path: str, read: Reader) -> Route:
        async def run(request: Request) -> Response:
            try:
                scheme, _, key = request.headers.get("authorization", "").partition(" ")
                expected = state.config.klaviyo_api_key.encode()
                if scheme != "Klaviyo-API-Key" or not hmac.compare_digest(
                        key.strip().encode(), expected):
                    raise NOT_AUTHENTICATED
                operation = load_spec().operation("GET", f"/api/{path}")
                granted = state.klaviyo.scopes  # the GET's x-klaviyo-scopes, as for writes
                if granted is not None and not all(scope in granted
                                                   for scope in operation.scopes):
                    raise permission_denied()
                parse_revision(request.headers.get("revision"), operation.operation_id,
                               state.clock.wall().date())
                headers = state.klaviyo.limit(operation)
                try:
                    document = read(state.klaviyo.store, request.query_params,
                                    request_base(state))
                except KlaviyoError as exc:
                    return exc.response(headers)
                return json_response(document, 200, headers, media_type=JSONAPI)
            except KlaviyoError as exc:
                return exc.response()

        return counted(state.requests, "klaviyo", f"/api/{path}", run, ["GET"], state.latency,
                       state.fault_gate("klaviyo"))

    return [
        reader("events", reads.get_events),
        reader("metrics", reads.get_metrics),
        endpoint("events", create_event),
        endpoint("event-bulk-create-jobs", bulk_create),
        endpoint("profile-import", profile_import),
        endpoint("profiles", create_profile),
    ]


def request_base(state: SandboxState) -> str:
    return (state.config.public_base_url or "http://127.0.0.1:8100").rstrip("/") + "/klaviyo"
