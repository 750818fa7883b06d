"""Where an order ships to, in the terms shipping rules care about: the contiguous US, Alaska and
Hawaii, a US territory, a military (APO/FPO/DPO) address, abroad, or nowhere known.

Territories appear in Shopify both as countries (`country_code` "PR") and as US provinces
(`country_code` "US", `province_code` "PR"); military addresses use the US "provinces" AA, AE and
AP and the city names APO, FPO and DPO. When a US address has no recognizable state, the ZIP
code decides (USPS prefixes); when neither helps, the destination counts as `missing`, so that
the address is reviewed rather than assumed to be in the lower 48.
"""

from __future__ import annotations

from enum import StrEnum

from shipflow.domain.order import Address


class Destination(StrEnum):
    CONTIGUOUS_US = "contiguous_us"  # the 48 states and DC
    ALASKA_HAWAII = "alaska_hawaii"
    US_TERRITORY = "us_territory"
    MILITARY = "military"  # APO/FPO/DPO
    INTERNATIONAL = "international"
    MISSING = "missing"  # no address, or too little of one to place it


CONTIGUOUS_STATES = frozenset(
    "AL AZ AR CA CO CT DE DC FL GA ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY "
    "NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY".split()
)
ALASKA_HAWAII_STATES = frozenset({"AK", "HI"})
US_TERRITORIES = frozenset({"PR", "GU", "VI", "AS", "MP", "UM", "FM", "MH", "PW"})
MILITARY_STATES = frozenset({"AA", "AE", "AP"})
MILITARY_CITIES = frozenset({"APO", "FPO", "DPO"})

# First three digits of a ZIP code outside the contiguous US (USPS ZIP prefix list). American
# Samoa shares 967 with Hawaii, so its one ZIP code is checked first.
_AMERICAN_SAMOA_ZIP = "96799"
_ZIP_PREFIXES: dict[str, Destination] = {
    **{p: Destination.US_TERRITORY for p in ("006", "007", "008", "009", "969")},
    **{p: Destination.ALASKA_HAWAII for p in ("967", "968", "995", "996", "997", "998", "999")},
    **{f"{n:03d}": Destination.MILITARY for n in (*range(90, 99), 340, *range(962, 967))},
}


def classify_destination(address: Address | None) -> Destination:
    """The kind of destination of a shipping address (None: the order has none)."""
    if address is None:
        return Destination.MISSING
    country = address.country_code.strip().upper()
    if not country:
        return Destination.MISSING
    if country in US_TERRITORIES:
        return Destination.US_TERRITORY
    if country != "US":
        return Destination.INTERNATIONAL
    state = (address.province_code or "").strip().upper()
    if state in MILITARY_STATES or address.city.strip().upper() in MILITARY_CITIES:
        return Destination.MILITARY
    if state in US_TERRITORIES:
        return Destination.US_TERRITORY
    if state in ALASKA_HAWAII_STATES:
        return Destination.ALASKA_HAWAII
    if state in CONTIGUOUS_STATES:
        return Destination.CONTIGUOUS_US
    return _classify_us_zip(address.zip)


def _classify_us_zip(zip_code: str) -> Destination:
    digits = zip_code.strip()[:5]
    if len(digits) < 5 or not digits.isdigit():
        return Destination.MISSING
    if digits == _AMERICAN_SAMOA_ZIP:
        return Destination.US_TERRITORY
    return _ZIP_PREFIXES.get(digits[:3], Destination.CONTIGUOUS_US)
