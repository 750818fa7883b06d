"""Deterministic postage shared by v1 `getrates`, v1 labels and v2 rates/labels.

Assumptions (no published rate table is reproduced): the zone comes from the first ZIP
digits (1 within the same ZIP3, else 2 + the difference of the first digits, capped at 8;
Alaska, Hawaii and Puerto Rico are zone 8; international has no zone); the billable weight
is whole pounds (at least 1); the price is the service's base + per-pound rate, 12 % more per
zone above 2. `other` holds UPS/FedEx fuel (15 %) and residential (5.35) surcharges and the
confirmation fee (signature 3.65 USPS / 6.95 UPS, FedEx; adult signature 8.45 / 7.95).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from shipflow_sandbox.shipstation.carriers import Service

WAREHOUSE_POSTAL = "40213"
_REMOTE = ("995", "996", "997", "998", "999", "967", "968", "006", "007", "008", "009")
_CONFIRMATION = {
    "stamps_com": {"signature": 3.65, "adult_signature": 8.45, "direct_signature": 3.65},
    "other": {"signature": 6.95, "adult_signature": 7.95, "direct_signature": 6.95},
}


@dataclass(frozen=True)
class Quote:
    shipping: float
    other: float
    confirmation: float
    zone: int | None

    @property
    def total(self) -> float:
        return round(self.shipping + self.other + self.confirmation, 2)


def zone(from_postal: str | None, to_postal: str | None, to_country: str | None) -> int | None:
    if (to_country or "US").upper() not in ("US", "PR"):
        return None
    origin = "".join(c for c in (from_postal or WAREHOUSE_POSTAL) if c.isdigit()) or "4"
    dest = "".join(c for c in (to_postal or "") if c.isdigit()) or origin
    if dest[:3] in _REMOTE:
        return 8
    if origin[:3] == dest[:3]:
        return 1
    return min(8, 2 + abs(int(origin[0]) - int(dest[0])))


def confirmation_fee(carrier: str, confirmation: str | None) -> float:
    table = _CONFIRMATION["stamps_com" if carrier == "stamps_com" else "other"]
    return table.get(confirmation or "none", 0.0)


def quote(service: Service, weight_oz: float, zone_number: int | None,
          residential: bool = True, confirmation: str | None = None) -> Quote:
    pounds = max(1, math.ceil(max(weight_oz, 0.0) / 16))
    factor = 1 + 0.12 * max(0, (zone_number or 5) - 2)
    shipping = round((service.base + service.per_lb * (pounds - 1)) * factor, 2)
    other = 0.0
    if service.carrier in ("ups", "fedex"):
        other = shipping * 0.15
        if residential and service.code != "fedex_home_delivery":
            other += 5.35
    return Quote(shipping, round(other, 2), confirmation_fee(service.carrier, confirmation),
                 zone_number)


def is_international(service: Service) -> bool:
    return "international" in service.code
