"""Reading history from the sandbox: `orders(query: "created_at:…")` and the pinned clock that
lets a test place orders, labels and fulfillments at known times."""

from __future__ import annotations

import httpx

QUERY = "query($q: String) { orders(first: 10, query: $q) { nodes { name createdAt } } }"


def _pin(sandbox, moment):
    return httpx.post(sandbox.url("/_sandbox/clock"), json={"pin": moment})


def _place(sandbox) -> None:
    response = httpx.post(sandbox.url("/_sandbox/shopify/orders"),
                          json={"count": 1, "deliver": False})
    assert response.status_code == 201, response.text


def test_orders_are_searched_by_creation_time(sandbox, shopify):
    for moment in ("2026-10-01T08:00:00Z", "2026-11-01T00:00:00Z", "2026-11-02T09:30:00Z"):
        assert _pin(sandbox, moment).json()["pinned"] == moment
        _place(sandbox)
    assert _pin(sandbox, None).json()["pinned"] is None

    def created(q: str) -> list[str]:
        nodes = shopify.gql(QUERY, q=q)["data"]["orders"]["nodes"]
        return [n["createdAt"] for n in nodes]

    assert len(created("")) == 3
    assert len(created("created_at:>='2026-11-01T00:00:00Z'")) == 2
    assert len(created("created_at:>'2026-11-01T00:00:00Z' status:any")) == 1
    assert len(created("created_at:<2026-11-01")) == 1
    assert len(created("created_at:2026-11-02")) == 1
    assert len(created("-created_at:2026-11-02")) == 2
    assert len(created("created_at:>=notadate")) == 3  # ignored, as an unknown term is


def test_the_clock_control_refuses_what_it_cannot_read(sandbox):
    assert _pin(sandbox, "yesterday").status_code == 400
    assert _pin(sandbox, "2026-11-01T00:00:00").status_code == 400  # no offset
    assert httpx.post(sandbox.url("/_sandbox/clock"), json={}).status_code == 400
    assert httpx.get(sandbox.url("/_sandbox/clock")).json()["pinned"] is None
