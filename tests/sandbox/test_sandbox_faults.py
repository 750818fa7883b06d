"""Fault injection: real 5xx/429 shapes per provider, slow responses, webhook drops,
duplicates and out-of-order tracking, the controls and the summary counts."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from sandbox_helpers import API, ShopifyClient, fixture_json, wait_until
from v2_helpers import V2

KLAVIYO_EVENT = "/klaviyo/api/events"


def faults(sandbox, body=None, method="POST") -> httpx.Response:
    return httpx.request(method, sandbox.url("/_sandbox/faults"), json=body)


def calls(sandbox):
    """One request per provider API: (api, response factory)."""
    v1 = (sandbox.config.shipstation_api_key, sandbox.config.shipstation_api_secret)
    shopify = {"X-Shopify-Access-Token": sandbox.config.shopify_access_token}
    klaviyo = {"Authorization": f"Klaviyo-API-Key {sandbox.config.klaviyo_api_key}",
               "revision": "2026-07-15", "Content-Type": "application/vnd.api+json"}
    event = fixture_json("klaviyo/create_event_request.placed_order.custom_integration_guide.json")
    return {
        "shopify": lambda: httpx.post(sandbox.url(API), headers=shopify,
                                      json={"query": "{ order(id: \"gid://shopify/Order/1\")"
                                                     " { id } }"}),
        "shipstation_v1": lambda: httpx.get(sandbox.url("/shipstation/carriers"), auth=v1),
        "shipstation_v2": lambda: V2(sandbox).request("GET", "/v2/carriers"),
        "klaviyo": lambda: httpx.post(sandbox.url(KLAVIYO_EVENT), headers=klaviyo, json=event),
    }


def test_error_rate_answers_with_each_providers_real_5xx(sandbox):
    requests = calls(sandbox)
    assert faults(sandbox, {"*": {"error_rate": 1.0}}).status_code == 200
    shopify = requests["shopify"]()
    assert shopify.status_code == 500
    assert shopify.json()["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    v1 = requests["shipstation_v1"]()
    assert v1.status_code == 500 and v1.json()["Message"] == "An error has occurred."
    assert "X-Rate-Limit-Limit" in v1.headers
    v2 = requests["shipstation_v2"]()
    assert v2.status_code == 500
    assert v2.json()["errors"][0]["error_type"] == "system"
    klaviyo = requests["klaviyo"]()
    assert klaviyo.status_code == 500
    assert klaviyo.json()["errors"][0]["status"] == 500
    assert klaviyo.headers["content-type"].startswith("application/vnd.api+json")
    fired = httpx.get(sandbox.url("/_sandbox/summary")).json()["faults"]
    assert fired == {"*": {"error_rate": 4}}
    assert faults(sandbox, method="DELETE").json() == {"switches": {}}
    assert requests["shipstation_v1"]().status_code == 200


def test_force_429_uses_each_providers_headers_then_recovers(sandbox):
    requests = calls(sandbox)
    faults(sandbox, {"shopify": {"force_429": 1}, "shipstation": {"force_429": 2},
                     "klaviyo": {"force_429": 1}})
    shopify = requests["shopify"]()
    assert shopify.status_code == 429 and float(shopify.headers["Retry-After"]) > 0
    assert shopify.json()["errors"][0]["extensions"]["code"] == "THROTTLED"
    v1 = requests["shipstation_v1"]()
    assert v1.status_code == 429 and v1.json() == {"message": "Too Many Requests"}
    assert v1.headers["X-Rate-Limit-Remaining"] == "0"
    assert int(v1.headers["X-Rate-Limit-Reset"]) >= 1 and v1.headers["X-Rate-Limit-Limit"]
    v2 = requests["shipstation_v2"]()
    assert v2.status_code == 429 and int(v2.headers["Retry-After"]) >= 1
    assert v2.json()["errors"][0]["error_code"] == "rate_limit_exceeded"
    klaviyo = requests["klaviyo"]()
    assert klaviyo.status_code == 429 and klaviyo.headers["Retry-After"] == "2"
    assert klaviyo.json()["errors"][0]["code"] == "throttled"
    assert all(r().status_code in (200, 202) for r in requests.values())
    current = faults(sandbox, method="GET").json()
    assert current["switches"]["shipstation"]["force_429"] == 0
    assert current["fired"] == {"klaviyo": {"force_429": 1}, "shipstation": {"force_429": 2},
                                "shopify": {"force_429": 1}}


def test_slow_adds_latency_to_that_fraction(sandbox):
    request = calls(sandbox)["shipstation_v2"]
    faults(sandbox, {"shipstation_v2": {"slow": 0.3, "slow_fraction": 1.0}})
    started = time.perf_counter()
    assert request().status_code == 200
    assert time.perf_counter() - started >= 0.3
    faults(sandbox, {"shipstation_v2": {"slow": 0}})
    started = time.perf_counter()
    request()
    assert time.perf_counter() - started < 0.3


@pytest.mark.parametrize("body", [
    {"nowhere": {"error_rate": 0.5}},
    {"*": {"error_rate": 2}},
    {"*": {"force_429": -1}},
    {"*": {"explode": 1}},
    [1, 2],
])
def test_bad_switches_are_refused(sandbox, body):
    assert faults(sandbox, body).status_code == 400


def test_dropped_and_duplicated_webhooks(make_sandbox, receiver):
    sandbox = make_sandbox(shopify_webhook_url=receiver.url("/shopify"),
                           faults={"shopify": {"drop_webhooks": 1.0}})
    ShopifyClient(sandbox).place_orders(2)
    deliveries = httpx.get(sandbox.url("/_sandbox/deliveries")).json()["deliveries"]
    assert [d["state"] for d in deliveries] == ["dropped"] * 4
    summary = httpx.get(sandbox.url("/_sandbox/summary")).json()
    assert summary["shopify"]["webhooks_dropped"] == 4
    assert summary["faults"] == {"shopify": {"drop_webhooks": 4}}
    faults(sandbox, {"shopify": {"drop_webhooks": 0, "duplicate_webhooks": 1.0}})
    ShopifyClient(sandbox).place_orders(1)
    wait_until(lambda: len(receiver.received) == 4)
    ids = [r.headers["x-shopify-webhook-id"] for r in receiver.received]
    assert len(set(ids)) == 2  # each delivery twice, same delivery id
    assert receiver.received[0].body in [r.body for r in receiver.received[1:]]
    httpx.post(sandbox.url("/_sandbox/reset"))
    assert faults(sandbox, method="GET").json()["switches"]["shopify"]["drop_webhooks"] == 1.0


def test_reorder_tracking_sends_history_backwards(make_sandbox, receiver):
    sandbox = make_sandbox(time_scale=86400 * 50, carrier_outcome="on_time",
                           shipstation_v2_webhook_urls=[receiver.url("/v2")],
                           faults={"shipstation_v2": {"reorder_tracking": 0.5}})
    V2(sandbox).label()
    time.sleep(0.5)
    bodies = [json.loads(r.body) for r in receiver.received]
    counts = [len(b["data"]["events"]) for b in bodies if b["resource_type"] == "TRACK_EVENT_V2"]
    assert sorted(counts) == list(range(1, len(counts) + 1))  # nothing lost
    assert counts != sorted(counts)  # but some arrive after a newer one
    summary = httpx.get(sandbox.url("/_sandbox/summary")).json()
    assert summary["faults"]["shipstation_v2"]["reorder_tracking"] >= 1
    assert summary["shipstation_v2"]["webhooks_reordered"] >= 1


# -- lose_response: the write is done, the answer is lost (issue 10, finding 6) ----------------
def test_lose_response_from_the_environment_acts_then_drops_the_connection(make_sandbox):
    from test_sandbox_shipstation import auth, order_body

    sandbox = make_sandbox(faults={"shipstation_v1": {
        "lose_response": 1.0, "lose_response_only": ["/orders/createorder"]}})
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(sandbox.url("/shipstation/orders/createorder"), json=order_body(),
                   auth=auth(sandbox))
    listed = httpx.get(sandbox.url("/shipstation/orders"), auth=auth(sandbox)).json()
    assert [o["orderKey"] for o in listed["orders"]] == ["gid://shopify/Order/1"]  # acted
    bulk = httpx.post(sandbox.url("/shipstation/orders/createorders"),
                      json=[order_body("1002", "k2")], auth=auth(sandbox))
    assert bulk.status_code == 200  # another endpoint: not in lose_response_only
    assert faults(sandbox, method="GET").json()["fired"] == {
        "shipstation_v1": {"lose_response": 1}}


def test_lose_response_after_answers_late_and_spares_reads(sandbox):
    requests = calls(sandbox)
    faults(sandbox, {"*": {"lose_response": 1.0, "lose_response_after": 0.4}})
    started = time.perf_counter()
    assert requests["shopify"]().status_code == 200  # a GraphQL query is not a write
    assert requests["shipstation_v1"]().status_code == 200  # a GET
    assert time.perf_counter() - started < 0.4
    started = time.perf_counter()
    klaviyo = requests["klaviyo"]()  # a write: done, answered 0.4 s late
    assert klaviyo.status_code == 202 and time.perf_counter() - started >= 0.4
    assert faults(sandbox, method="GET").json()["fired"] == {"*": {"lose_response": 1}}


def test_shopify_mutations_only_are_lost(sandbox):
    token = {"X-Shopify-Access-Token": sandbox.config.shopify_access_token}
    faults(sandbox, {"shopify": {"lose_response": 1.0, "lose_response_only": ["tagsAdd"]}})
    query = httpx.post(sandbox.url(API), headers=token,
                       json={"query": '{ order(id: "gid://shopify/Order/1") { id } }'})
    assert query.status_code == 200
    placed = ShopifyClient(sandbox).place_orders(1)[0]
    gid = f"gid://shopify/Order/{placed['id']}"
    mutation = ("mutation tagsAdd($id: ID!, $tags: [String!]!) { tagsAdd(id: $id, tags: $tags)"
                " { node { id } userErrors { field message } } }")
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(sandbox.url(API), headers=token,
                   json={"query": mutation, "variables": {"id": gid, "tags": ["lost"]}})
    tags = httpx.post(sandbox.url(API), headers=token, json={
        "query": f'{{ order(id: "{gid}") {{ tags }} }}'}).json()["data"]["order"]["tags"]
    assert "lost" in tags  # the mutation ran


@pytest.mark.parametrize("body", [
    {"*": {"lose_response_only": "/orders/createorder"}},
    {"*": {"lose_response_only": [""]}},
    {"*": {"lose_response": 1.5}},
    {"*": {"lose_response_after": -1}},
])
def test_bad_lose_response_switches_are_refused(sandbox, body):
    assert faults(sandbox, body).status_code == 400


def test_force_lose_response_loses_the_next_writes_whatever_the_odds(make_sandbox):
    from test_sandbox_shipstation import auth, order_body

    sandbox = make_sandbox(faults={"shipstation_v1": {"force_lose_response": 1}})
    with pytest.raises(httpx.RemoteProtocolError):  # the next write: done, answer lost
        httpx.post(sandbox.url("/shipstation/orders/createorder"), json=order_body(),
                   auth=auth(sandbox))
    again = httpx.post(sandbox.url("/shipstation/orders/createorder"), json=order_body(),
                       auth=auth(sandbox))
    assert again.status_code == 200  # used up; the upsert finds the order the first made
    listed = httpx.get(sandbox.url("/shipstation/orders"), auth=auth(sandbox)).json()
    assert len(listed["orders"]) == 1
    assert faults(sandbox, method="GET").json()["fired"] == {
        "shipstation_v1": {"lose_response": 1}}
    assert faults(sandbox, {"*": {"force_lose_response": 1.5}}).status_code == 400


def test_reorder_webhooks_holds_deliveries_back_and_loses_none(make_sandbox, receiver):
    sandbox = make_sandbox(shopify_webhook_url=receiver.url("/shopify"),
                           faults={"shopify": {"reorder_webhooks": 1.0}})
    faults(sandbox, {"shopify": {"reorder_webhooks": 0.0}})
    ShopifyClient(sandbox).place_orders(1)  # orders/create, orders/paid, in order
    wait_until(lambda: len(receiver.received) == 2)
    assert [r.headers["x-shopify-topic"] for r in receiver.received] == [
        "orders/create", "orders/paid"]
    receiver.received.clear()
    faults(sandbox, {"shopify": {"reorder_webhooks": 1.0}})
    ShopifyClient(sandbox).place_orders(1)  # both held 0.5 s: the second overtakes
    wait_until(lambda: len(receiver.received) == 2)
    assert faults(sandbox, method="GET").json()["fired"]["shopify"]["reorder_webhooks"] == 2


def test_webhook_retries_keep_a_real_time_floor_when_time_is_compressed(make_sandbox):
    # 8 retries over Shopify's 4 simulated hours pass in under a second at this scale; the
    # floor spreads them over real seconds, time enough for a receiver to restart.
    sandbox = make_sandbox(shopify_webhook_url="http://127.0.0.1:9/nobody", time_scale=86400,
                           webhook_retry_floor=0.3)
    ShopifyClient(sandbox).place_orders(1)
    time.sleep(1.0)
    [first, *_] = httpx.get(sandbox.url("/_sandbox/deliveries")).json()["deliveries"]
    assert first["state"] == "pending"
    assert 2 <= len(first["attempts"]) <= 3  # at 0, 0.3, 0.9 s: not all 9 at once
