"""What happens to a parcel: the outcomes the carrier simulator can plan, and their default odds.

Default odds (SandboxConfig `carrier_*_rate`) are in line with published US parcel figures:
most parcels arrive by the estimate, a few percent late, about 1-2 % fail an attempt, well
under 1 % are damaged or lost. `on_time` takes whatever probability is left.
"""

from __future__ import annotations

import random
from collections.abc import Mapping

OUTCOMES = (
    "on_time",
    "delayed",  # EX + CARRIER_DELAYS, estimate moves later, delivered late
    "stalled",  # no scan for several business days, then delivered late
    "failed_attempt",  # AT + ATTEMPTED_DELIVERY, delivered the next business day
    "undeliverable",  # EX + ADDRESS_QUERY, then EX + RETURN_TO_SENDER
    "damaged",  # EX + PARCEL_DAMAGED, delivered a day late as DELIVERED_DAMAGED
    "lost",  # scans stop; EX + PARCEL_LOST after several business days
)
DEFAULT_ODDS = {
    "delayed": 0.08,
    "stalled": 0.02,
    "failed_attempt": 0.03,
    "undeliverable": 0.01,
    "damaged": 0.005,
    "lost": 0.005,
}


def choose_outcome(rng: random.Random, odds: Mapping[str, float]) -> str:
    roll = rng.random()
    for outcome in OUTCOMES[1:]:
        chance = odds.get(outcome, 0.0)
        if roll < chance:
            return outcome
        roll -= chance
    return "on_time"
