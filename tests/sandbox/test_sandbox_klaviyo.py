"""The simulated Klaviyo event API: auth, revisions, spec validation, limits, dedupe, throttling."""

from __future__ import annotations

import copy
from pathlib import Path

import httpx
import pytest
from sandbox_helpers import FIXTURES, fixture_json

EVENTS = "/klaviyo/api/events"
BULK = "/klaviyo/api/event-bulk-create-jobs"
RESET = "klaviyo/create_event_request.reset_password_with_unique_id.events_api_overview.json"


def headers(sandbox, **extra: str) -> dict[str, str]:
    return {
        "Authorization": f"Klaviyo-API-Key {sandbox.config.klaviyo_api_key}",
        "revision": "2026-07-15",
        "Content-Type": "application/vnd.api+json",
        "Accept": "application/vnd.api+json",
        **extra,
    }


def post(sandbox, path: str, body, **extra: str) -> httpx.Response:
    return httpx.post(sandbox.url(path), json=body, headers=headers(sandbox, **extra))


def summary(sandbox) -> dict:
    return httpx.get(sandbox.url("/_sandbox/summary")).json()["klaviyo"]


@pytest.mark.parametrize("path", sorted(p.name for p in (FIXTURES / "klaviyo").glob("*.json")))
def test_fixture_bodies_are_accepted_with_202(sandbox, path):
    body = fixture_json(f"klaviyo/{path}")
    response = post(sandbox, BULK if path.startswith("bulk") else EVENTS, body)
    assert response.status_code == 202, response.text
    assert response.content == b""
    assert int(response.headers["RateLimit-Limit"]) in (3500, 150)
    assert "RateLimit-Remaining" in response.headers and "RateLimit-Reset" in response.headers


def test_missing_or_wrong_key_gets_not_authenticated(sandbox):
    for value in (
        None,
        "Klaviyo-API-Key pk_" + "x" * 34,
        f"Bearer {sandbox.config.klaviyo_api_key}",
    ):
        sent = headers(sandbox)
        sent.pop("Authorization")
        if value:
            sent["Authorization"] = value
        response = httpx.post(sandbox.url(EVENTS), json=fixture_json(RESET), headers=sent)
        assert response.status_code == 401
        error = response.json()["errors"][0]
        assert (error["status"], error["code"]) == (401, "not_authenticated")
        assert error["title"] == "Authentication credentials were not provided."
        assert error["detail"] == "Missing or invalid private key."


def test_revision_header_is_required_and_checked(sandbox):
    body = fixture_json(RESET)
    sent = headers(sandbox)
    sent.pop("revision")
    missing = httpx.post(sandbox.url(EVENTS), json=body, headers=sent)
    assert missing.status_code == 400
    assert post(sandbox, EVENTS, body, revision="15-07-2026").status_code == 400
    future = post(sandbox, EVENTS, body, revision="2099-01-15")
    assert future.status_code == 404
    assert future.json()["errors"][0]["detail"] == "Unable to specify a future revision date"
    too_old = post(
        sandbox,
        BULK,
        fixture_json("klaviyo/bulk_create_events_request.single_profile.events_api_overview.json"),
        revision="2024-02-15",
    )
    assert too_old.json()["errors"][0]["detail"] == "No valid revisions found for method"
    assert post(sandbox, EVENTS, body, revision="2026-10-15").status_code == 202


def test_wrong_content_type_is_415(sandbox):
    response = httpx.post(
        sandbox.url(EVENTS),
        content=b"data=1",
        headers=headers(sandbox, **{"Content-Type": "text/plain"}),
    )
    assert response.status_code == 415
    assert response.json()["errors"][0]["code"] == "unsupported_media_type"
    plain_json = post(sandbox, EVENTS, fixture_json(RESET), **{"Content-Type": "application/json"})
    assert plain_json.status_code == 202


def test_schema_errors_point_at_the_offending_field(sandbox):
    body = fixture_json(RESET)
    body["data"]["attributes"]["profile"]["data"]["attributes"]["last_nam"] = "Mason"
    error = post(sandbox, EVENTS, body).json()["errors"][0]
    assert error["code"] == "invalid" and error["title"] == "Invalid input."
    assert error["detail"] == "'last_nam' is not a valid field for the resource 'profile'."
    assert error["source"] == {"pointer": "/data/attributes/profile/data/attributes/last_nam"}
    body = fixture_json(RESET)
    del body["data"]["attributes"]["properties"]
    error = post(sandbox, EVENTS, body).json()["errors"][0]
    assert error["source"]["pointer"] == "/data/attributes/properties"
    body = fixture_json(RESET)
    body["data"]["attributes"]["value"] = "lots"
    response = post(sandbox, EVENTS, body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["source"]["pointer"] == "/data/attributes/value"


def test_data_limits(sandbox):
    body = fixture_json(RESET)
    body["data"]["attributes"]["profile"]["data"]["attributes"] = {"phone_number": "555-0100"}
    error = post(sandbox, EVENTS, body).json()["errors"][0]
    assert error["source"]["pointer"].endswith("/phone_number")
    body["data"]["attributes"]["profile"]["data"]["attributes"] = {"first_name": "Sam"}
    assert post(sandbox, EVENTS, body).json()["errors"][0]["detail"] == (
        "One or more identifiers is required"
    )
    body = fixture_json(RESET)
    body["data"]["attributes"]["time"] = "1989-12-31T00:00:00+00:00"
    assert post(sandbox, EVENTS, body).status_code == 400
    body = fixture_json(RESET)
    body["data"]["attributes"]["backfill"] = True
    assert post(sandbox, EVENTS, body, revision="2026-01-15").status_code == 400
    assert post(sandbox, EVENTS, body).status_code == 202


def test_events_are_deduplicated_by_profile_metric_and_unique_id(sandbox):
    body = fixture_json(RESET)
    for _ in range(3):
        assert post(sandbox, EVENTS, body).status_code == 202
    other_metric = copy.deepcopy(body)
    other_metric["data"]["attributes"]["metric"]["data"]["attributes"]["name"] = "Order Shipped"
    assert post(sandbox, EVENTS, other_metric).status_code == 202
    counts = summary(sandbox)
    assert counts["events"] == 2 and counts["duplicates_dropped"] == 2
    assert counts["events_by_metric"] == {"Reset Password": 1, "Order Shipped": 1}
    events = httpx.get(sandbox.url("/_sandbox/klaviyo/events?metric=Reset%20Password")).json()
    event = events["events"][0]
    assert event["unique_id"] == body["data"]["attributes"]["unique_id"]
    assert event["profile"] == {"email": "sarah.mason@klaviyo-demo.com"}
    assert event["properties"]["PasswordResetLink"].startswith("https://")


def test_bulk_rejects_repeated_unique_ids_and_more_than_1000_events(sandbox):
    body = fixture_json(
        "klaviyo/bulk_create_events_request.single_profile.events_api_overview.json"
    )
    events = body["data"]["attributes"]["events-bulk-create"]["data"][0]["attributes"]["events"]
    repeated = copy.deepcopy(body)
    twin = copy.deepcopy(events["data"][0])
    repeated["data"]["attributes"]["events-bulk-create"]["data"][0]["attributes"]["events"][
        "data"
    ].append(twin)
    response = post(sandbox, BULK, repeated)
    assert response.status_code == 400
    assert response.json()["errors"][0]["source"]["pointer"].endswith("/2/attributes/unique_id")
    assert summary(sandbox)["events"] == 0
    many = copy.deepcopy(body)
    template = events["data"][0]
    many["data"]["attributes"]["events-bulk-create"]["data"][0]["attributes"]["events"]["data"] = [
        {**template, "attributes": {**template["attributes"], "unique_id": f"u{i}"}}
        for i in range(1001)
    ]
    assert post(sandbox, BULK, many).status_code == 400


def test_body_over_5mb_is_rejected(sandbox):
    body = fixture_json(RESET)
    body["data"]["attributes"]["properties"] = {f"p{i}": "x" * 60_000 for i in range(90)}
    assert post(sandbox, EVENTS, body).status_code == 400


def test_burst_limit_gives_429_with_retry_after(make_sandbox):
    sandbox = make_sandbox(seed=5)
    body = fixture_json(
        "klaviyo/bulk_create_events_request.single_profile.events_api_overview.json"
    )
    statuses = []
    for _ in range(25):
        response = post(sandbox, BULK, body)
        statuses.append(response.status_code)
        if response.status_code == 429:
            break
    assert statuses[-1] == 429 and statuses.count(202) >= 10
    assert int(response.headers["Retry-After"]) >= 1
    assert "RateLimit-Limit" not in response.headers
    error = response.json()["errors"][0]
    assert (error["status"], error["code"], error["title"]) == (
        429,
        "throttled",
        "Request was throttled.",
    )
    assert error["detail"].startswith("Request was throttled. Expected available in ")


def test_profile_import_creates_then_updates(sandbox):
    body = {
        "data": {
            "type": "profile",
            "attributes": {"email": "ana.k@klaviyo-demo.com", "first_name": "Ana"},
        }
    }
    created = post(sandbox, "/klaviyo/api/profile-import", body)
    assert created.status_code == 201
    profile_id = created.json()["data"]["id"]
    body["data"]["attributes"]["last_name"] = "Kim"
    updated = post(sandbox, "/klaviyo/api/profile-import", body)
    assert updated.status_code == 200
    data = updated.json()["data"]
    assert data["id"] == profile_id and data["attributes"]["last_name"] == "Kim"
    assert data["attributes"]["first_name"] == "Ana"


def test_spec_file_is_the_shared_one():
    from shipflow_sandbox.klaviyo.spec import load_spec, spec_path

    assert Path(spec_path()).name == "klaviyo-openapi-stable.json"
    assert load_spec().version == "2026-07-15"


def test_bundled_spec_subset_matches_the_shared_spec_and_validates():
    import json

    from shipflow_sandbox.klaviyo.spec import BUNDLED, KlaviyoSpec, subset
    from shipflow_sandbox.klaviyo.validation import schema_error

    shared = json.loads((FIXTURES.parent / "specs" / "klaviyo-openapi-stable.json").read_text())
    bundled = json.loads(BUNDLED.read_text())
    assert bundled == subset(shared)
    spec = KlaviyoSpec(bundled)
    operation = spec.operation("POST", "/api/events")
    assert (operation.burst, operation.steady) == (350, 3500)
    validator = spec.validator(operation.schema_name)
    assert schema_error(validator, fixture_json(RESET)) is None
    assert schema_error(validator, {"data": {"type": "event"}}).pointer == "/data/attributes"
