"""Typed field reads and the Shopify cost bucket."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from shipflow.providers.errors import UnexpectedResponse
from shipflow.providers.fields import Fields, parse_datetime
from shipflow.providers.shopify.models import ThrottleStatus, gid
from shipflow.providers.shopify.throttle import CostBucket

from .helpers import FakeClock


def test_timestamps() -> None:
    assert parse_datetime("2015-06-29T08:46:27.0000000") == datetime(
        2015, 6, 29, 8, 46, 27, tzinfo=timezone.utc)
    assert parse_datetime("2015-07-16T14:00:34.8230000Z") == datetime(
        2015, 7, 16, 14, 0, 34, 823000, tzinfo=timezone.utc)
    assert parse_datetime("2021-12-31T19:00:00-05:00") == datetime(
        2021, 12, 31, 19, 0, tzinfo=timezone(timedelta(hours=-5)))
    assert parse_datetime("2025-07-10T16:15:47.000000Z") is not None
    assert parse_datetime("") is None and parse_datetime("12/31/2021") is None


def test_reads_name_paths_and_types() -> None:
    f = Fields({"a": {"b": [{"n": "12"}, {"n": 1.5}]}, "m": 3, "s": ""}, "", UnexpectedResponse)
    first, second = f.obj("a").objects("b")
    assert first.integer("n") == 12
    with pytest.raises(UnexpectedResponse, match=r"^a\.b\[1\]\.n: expected an integer"):
        second.integer("n")
    assert f.decimal("m") == Decimal("3")
    assert f.string("s", required=False, empty_is_none=True) is None
    with pytest.raises(UnexpectedResponse, match="^s: must not be empty$"):
        f.req_string("s")
    with pytest.raises(UnexpectedResponse, match="^z: is missing$"):
        f.obj("z")


def test_gids() -> None:
    assert gid("Order", 1) == "gid://shopify/Order/1"
    assert gid("Order", "gid://shopify/Order/1") == "gid://shopify/Order/1"
    with pytest.raises(ValueError):
        gid("Order", "gid://shopify/Fulfillment/1")


def test_cost_bucket_queues_concurrent_reservations() -> None:
    clock = FakeClock()
    bucket = CostBucket(clock)
    assert bucket.reserve(500) == 0  # nothing known yet: go
    bucket.observe(ThrottleStatus(2000, 600, 100), settled=500)  # the answer to that one
    assert bucket.reserve(500) == 0  # 600 available
    assert bucket.reserve(500) == pytest.approx(4.0)  # 100 left: wait for 400 more
    assert bucket.reserve(500) == pytest.approx(9.0)  # queued behind the previous one
    clock.now += 20
    assert bucket.available() == pytest.approx(600 - 1500 + 2000)


def test_a_report_does_not_forget_requests_still_in_flight() -> None:
    clock = FakeClock()
    bucket = CostBucket(clock)
    bucket.observe(ThrottleStatus(2000, 1000, 100))
    assert bucket.reserve(400) == 0 and bucket.reserve(400) == 0  # two in flight
    bucket.observe(ThrottleStatus(2000, 600, 100), settled=400)  # the first one's answer
    assert bucket.available() == pytest.approx(200)  # the second one is still to be charged
    bucket.release(400)  # ... and it never got an answer
    assert bucket.available() == pytest.approx(200)
    bucket.observe(ThrottleStatus(2000, 600, 100))
    assert bucket.available() == pytest.approx(600)


def test_cost_bucket_never_waits_for_more_than_a_full_bucket() -> None:
    clock = FakeClock()
    bucket = CostBucket(clock)
    bucket.observe(ThrottleStatus(1000, 0, 50))
    assert bucket.reserve(5000) == pytest.approx(20.0)
