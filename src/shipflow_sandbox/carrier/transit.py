"""Transit times: business days per service by distance, and the business-day calendar.

Ranges are the carriers' published ones (UPS/FedEx Ground 1-5 business days by distance,
USPS Ground Advantage 2-5, Priority Mail 1-3, Priority Mail Express 1-2, 2-day and overnight
air as named); within a range the day count grows with distance (full range across ~4,000 km).
Alaska, Hawaii, Puerto Rico and APO/FPO add 2 days to non-air services. Business days are
Monday to Friday (assumption: carrier holidays are not modelled). Pickup is at the end of the
warehouse's day: labels made before 16:00 local leave that evening, later ones the next
business day.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

FULL_RANGE_KM = 4000.0
CUTOFF = time(16, 0)

# service code -> (min, max) business days; `air` services get no remote-area surcharge days.
SERVICE_DAYS: dict[str, tuple[int, int]] = {
    "usps_ground_advantage": (2, 5),
    "usps_first_class_mail": (1, 5),
    "usps_priority_mail": (1, 3),
    "usps_priority_mail_express": (1, 2),
    "usps_priority_mail_international": (6, 10),
    "ups_ground": (1, 5),
    "ups_2nd_day_air": (2, 2),
    "ups_next_day_air": (1, 1),
    "fedex_ground": (1, 5),
    "fedex_home_delivery": (1, 5),
    "fedex_2day": (2, 2),
    "fedex_standard_overnight": (1, 1),
    "fedex_international_economy": (4, 6),
}
AIR = {
    "usps_priority_mail_express",
    "ups_2nd_day_air",
    "ups_next_day_air",
    "fedex_2day",
    "fedex_standard_overnight",
}
DEFAULT_DAYS = (3, 5)


def is_business_day(day: date) -> bool:
    return day.weekday() < 5


def next_business_day(day: date) -> date:
    day += timedelta(days=1)
    while not is_business_day(day):
        day += timedelta(days=1)
    return day


def add_business_days(day: date, count: int) -> date:
    for _ in range(count):
        day = next_business_day(day)
    return day


def business_days_between(start: date, end: date) -> int:
    """Business days after `start` up to and including `end` (0 when end <= start)."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        count += is_business_day(day)
    return count


def transit_days(service_code: str, distance_km: float, remote: bool) -> int:
    low, high = SERVICE_DAYS.get(service_code, DEFAULT_DAYS)
    share = min(1.0, max(0.0, distance_km / FULL_RANGE_KM))
    days = low + round(share * (high - low))
    if remote and service_code not in AIR:
        days += 2
    return days


def pickup_day(created: datetime, tz: str) -> date:
    """The business day the carrier collects a label made at `created` (UTC)."""
    local = created.astimezone(ZoneInfo(tz))
    day = local.date()
    if not is_business_day(day) or local.time() >= CUTOFF:
        day = next_business_day(day)
    return day


def local_moment(day: date, hour: float, tz: str) -> datetime:
    """`hour` (e.g. 17.5) on `day` in `tz`, as an aware UTC datetime."""
    minutes = int(round(hour * 60))
    naive = datetime.combine(day, time(0, 0)) + timedelta(minutes=minutes)
    return naive.replace(tzinfo=ZoneInfo(tz)).astimezone(ZoneInfo("UTC"))
