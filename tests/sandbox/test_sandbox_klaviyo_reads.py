"""The simulated Klaviyo reads (get_metrics, get_events): filters, sort, pages, errors, and
answers that validate against the official spec's response schemas."""

from __future__ import annotations

import httpx
from test_sandbox_klaviyo import headers, post

from shipflow_sandbox.klaviyo.spec import load_spec
from shipflow_sandbox.klaviyo.validation import schema_error


def _event(metric: str, time: str, order: int, email: str = "ana@shop.test") -> dict:
    return {"data": {"type": "event", "attributes": {
        "properties": {"OrderId": order},
        "time": time,
        "unique_id": f"{metric}:{order}",
        "metric": {"data": {"type": "metric", "attributes": {"name": metric}}},
        "profile": {"data": {"type": "profile", "attributes": {"email": email}}},
    }}}


def _get(sandbox, path: str, **params) -> httpx.Response:
    sent = headers(sandbox)
    sent.pop("Content-Type")
    return httpx.get(sandbox.url(f"/klaviyo/api/{path}"), params=params, headers=sent)


def _valid(response: httpx.Response, operation: str) -> dict:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/vnd.api+json")
    spec = load_spec()
    schema = spec.operation("GET", f"/api/{operation}").schema_name
    body = response.json()
    assert schema_error(spec.validator(schema), body) is None
    return body


def test_metrics_then_events_by_metric_and_time(sandbox):
    for i, (metric, time) in enumerate([
            ("Fulfilled Order", "2026-11-02T10:00:00Z"), ("Placed Order", "2026-11-02T09:00:00Z"),
            ("Fulfilled Order", "2026-11-01T08:30:00Z"), ("Fulfilled Order", "2026-10-01T08:00:00Z")]):
        assert post(sandbox, "/klaviyo/api/events", _event(metric, time, 1000 + i)).status_code == 202

    metrics = _valid(_get(sandbox, "metrics"), "metrics")
    ids = {m["attributes"]["name"]: m["id"] for m in metrics["data"]}
    assert set(ids) == {"Fulfilled Order", "Placed Order"} and len(ids["Placed Order"]) == 6

    flt = f'equals(metric_id,"{ids["Fulfilled Order"]}"),greater-or-equal(datetime,2026-11-01T00:00:00Z)'
    first = _valid(_get(sandbox, "events", filter=flt, **{"page[size]": "1"}), "events")
    assert [e["attributes"]["datetime"] for e in first["data"]] == ["2026-11-01T08:30:00+00:00"]
    assert first["data"][0]["attributes"]["event_properties"] == {
        "OrderId": 1002, "$event_id": "Fulfilled Order:1002"}
    assert first["data"][0]["relationships"]["metric"]["data"]["id"] == ids["Fulfilled Order"]
    second = httpx.get(first["links"]["next"], headers=headers(sandbox)).json()
    assert [e["attributes"]["timestamp"] for e in second["data"]] == [1793613600]
    assert "next" not in second["links"]

    newest = _valid(_get(sandbox, "events", sort="-datetime"), "events")
    assert newest["data"][0]["attributes"]["datetime"] == "2026-11-02T10:00:00+00:00"


def test_bad_filters_cursors_and_sizes_are_400(sandbox):
    for params, source in [({"filter": "equals(metric_id,abc)"}, "filter"),
                           ({"filter": "equals(name,'x')"}, "filter"),
                           ({"sort": "name"}, "sort"),
                           ({"page[size]": "1001"}, "page[size]")]:
        response = _get(sandbox, "events", **params)
        assert response.status_code == 400, params
        error = response.json()["errors"][0]
        assert error["code"] == "invalid" and error["source"] == {"parameter": source}
    response = _get(sandbox, "events", **{"page[cursor]": "nope"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["detail"] == "Invalid cursor provided."
    sent = headers(sandbox)
    sent.pop("revision")
    assert httpx.get(sandbox.url("/klaviyo/api/events"), headers=sent).status_code == 400
    sent = headers(sandbox, Authorization="Klaviyo-API-Key pk_wrong")
    assert httpx.get(sandbox.url("/klaviyo/api/metrics"), headers=sent).status_code == 401
