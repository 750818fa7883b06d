"""Fault injection: switches that make the simulated providers misbehave like real ones do.

Switches are kept per scope: a provider API (`shopify`, `shipstation_v1`, `shipstation_v2`,
`klaviyo`), `shipstation` (both ShipStation APIs) or `*` (everything). The most specific scope
with a non-zero value wins. The switches:

- `error_rate`: fraction of provider requests answered with that provider's real 5xx shape;
- `force_429`: the next N requests get the provider's real 429 (with its headers);
- `slow` (+ `slow_fraction`, default 1.0): real seconds added to that fraction of responses;
- `drop_webhooks`: fraction of outgoing webhooks never sent (recorded as `dropped`);
- `duplicate_webhooks`: fraction of outgoing webhooks sent twice;
- `reorder_tracking`: fraction of tracking webhooks held back and sent after the next one;
- `reorder_webhooks`: fraction of other outgoing webhooks (Shopify's topics, SHIP_NOTIFY) held
  back `REORDER_HOLD` real seconds, so the deliveries made just after them arrive first (an
  `orders/paid` before its `orders/create`);
- `lose_response`: fraction of *write* requests that the provider performs and whose answer is
  then lost: with `lose_response_after` 0 (the default) the connection is dropped once the
  write is done (headers sent, body never: the client sees the connection close mid-answer);
  with `lose_response_after` N the real answer is sent only after N real seconds, past the
  client's timeout. `lose_response_only` (a list) limits it to some endpoints: a path suffix
  ("/orders/createorder", "/v2/labels", "/api/event-bulk-create-jobs") or, for Shopify, a
  mutation's root field ("fulfillmentCreate"). `force_lose_response` N: the next N such writes
  lose their answer whatever the fraction (counted down like `force_429`). Writes are every
  non-GET request except the read-only POSTs (v1 `getrates`, v2 `rates`); for Shopify, GraphQL mutations only.

Every fault that fires is counted by (scope, switch) for `/_sandbox/summary`. Rolls use a
seeded RNG, so a run with the same seed and the same traffic fires the same faults.
"""

from __future__ import annotations

import dataclasses
import json
import random
from collections import Counter
from dataclasses import dataclass, field, fields
from typing import Any

from graphql import FieldNode, GraphQLError, OperationDefinitionNode, OperationType, parse

SCOPES = ("*", "shopify", "shipstation", "shipstation_v1", "shipstation_v2", "klaviyo")
# The scopes consulted for each API, most specific first.
CHAINS = {
    "shopify": ("shopify", "*"),
    "klaviyo": ("klaviyo", "*"),
    "shipstation_v1": ("shipstation_v1", "shipstation", "*"),
    "shipstation_v2": ("shipstation_v2", "shipstation", "*"),
}


@dataclass
class FaultSwitches:
    error_rate: float = 0.0
    force_429: int = 0
    slow: float = 0.0
    slow_fraction: float = 1.0
    drop_webhooks: float = 0.0
    duplicate_webhooks: float = 0.0
    reorder_tracking: float = 0.0
    reorder_webhooks: float = 0.0
    lose_response: float = 0.0
    force_lose_response: int = 0
    lose_response_after: float = 0.0
    lose_response_only: list[str] = field(default_factory=list)

    @classmethod
    def parse(cls, data: Any, base: FaultSwitches | None = None) -> FaultSwitches:
        """Merge a JSON object into `base` (a copy); unknown keys and bad values raise."""
        if not isinstance(data, dict):
            raise ValueError("fault switches must be a JSON object")
        known = {f.name: f.type for f in fields(cls)}
        current = dataclasses.replace(base) if base else cls()
        current.lose_response_only = list(current.lose_response_only)
        for key, value in data.items():
            if key not in known:
                raise ValueError(f"unknown fault switch {key!r}")
            if key == "lose_response_only":
                if not isinstance(value, list) or not all(
                        isinstance(v, str) and v.strip() for v in value):
                    raise ValueError("lose_response_only must be a list of endpoint names")
                setattr(current, key, [v.strip() for v in value])
                continue
            if key in ("force_429", "force_lose_response"):
                if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                    raise ValueError(f"{key} must be a non-negative integer")
            elif not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{key} must be a non-negative number")
            elif key not in ("slow", "lose_response_after") and value > 1:
                raise ValueError(f"{key} is a fraction between 0 and 1")
            setattr(current, key, value)
        return current

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class Faults:
    def __init__(self, initial: dict[str, Any] | None = None, seed: int = 1) -> None:
        self.rng = random.Random(f"faults:{seed}")
        self.switches: dict[str, FaultSwitches] = {}
        self.fired: Counter[tuple[str, str]] = Counter()
        self.initial = dict(initial or {})
        self.update(self.initial)

    def update(self, data: Any) -> None:
        """Merge `{scope: {switch: value}}` into the current switches (validated first)."""
        if not isinstance(data, dict):
            raise ValueError('expected {"<scope>": {"<switch>": value}}')
        parsed = {}
        for scope, values in data.items():
            if scope not in SCOPES:
                raise ValueError(f"unknown scope {scope!r}; one of {', '.join(SCOPES)}")
            parsed[scope] = FaultSwitches.parse(values, self.switches.get(scope))
        self.switches.update(parsed)

    def clear(self) -> None:
        self.switches.clear()

    def _find(self, api: str, name: str) -> tuple[str, FaultSwitches] | None:
        for scope in CHAINS.get(api, (api, "*")):
            switches = self.switches.get(scope)
            if switches is not None and getattr(switches, name):
                return scope, switches
        return None

    def _roll(self, api: str, name: str) -> bool:
        found = self._find(api, name)
        if found is None or self.rng.random() >= getattr(found[1], name):
            return False
        self.fired[(found[0], name)] += 1
        return True

    def request_fault(self, api: str) -> str | None:
        """"429", "5xx" or None for one provider request (a forced 429 is used up)."""
        found = self._find(api, "force_429")
        if found is not None:
            found[1].force_429 -= 1
            self.fired[(found[0], "force_429")] += 1
            return "429"
        return "5xx" if self._roll(api, "error_rate") else None

    def slow_delay(self, api: str) -> float:
        found = self._find(api, "slow")
        if found is None or self.rng.random() >= found[1].slow_fraction:
            return 0.0
        self.fired[(found[0], "slow")] += 1
        return found[1].slow

    def loses_responses(self, api: str) -> bool:
        """Whether a `lose_response` switch applies to `api` at all (cheap; no roll)."""
        return (self._find(api, "lose_response") or self._find(api, "force_lose_response")) \
            is not None

    def lose_response(self, api: str, names: tuple[str, ...]) -> float | None:
        """For one write request named by `names` (its path, and for Shopify its mutations'
        root fields): None to answer normally, else the seconds to hold the answer once the
        write is done (0: drop the connection)."""
        found = self._find(api, "force_lose_response") or self._find(api, "lose_response")
        if found is None:
            return None
        scope, switches = found
        only = switches.lose_response_only
        if only and not any(name.endswith(o) or name == o for o in only for name in names):
            return None
        if switches.force_lose_response > 0:
            switches.force_lose_response -= 1
        elif self.rng.random() >= switches.lose_response:
            return None
        self.fired[(scope, "lose_response")] += 1
        return float(switches.lose_response_after)

    def webhook_copies(self, api: str) -> int:
        """0 (dropped), 1, or 2 (duplicated) copies of one outgoing webhook."""
        if self._roll(api, "drop_webhooks"):
            return 0
        return 2 if self._roll(api, "duplicate_webhooks") else 1

    def reorder(self, api: str) -> bool:
        return self._roll(api, "reorder_tracking")

    def hold_back(self, api: str) -> float:
        """Real seconds to hold one outgoing webhook back (`reorder_webhooks`), or 0."""
        return REORDER_HOLD if self._roll(api, "reorder_webhooks") else 0.0

    def to_json(self) -> dict[str, Any]:
        return {scope: s.to_json() for scope, s in sorted(self.switches.items())}

    def summary(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for (scope, name), count in sorted(self.fired.items()):
            out.setdefault(scope, {})[name] = count
        return out


# How long a `reorder_webhooks` delivery is held back (real seconds): long enough for the
# deliveries submitted right after it to overtake it.
REORDER_HOLD = 0.5

# POSTs that change nothing (quotes), so losing their answer is not a lost write.
READ_ONLY_POSTS = ("/shipments/getrates", "/v2/rates")


def write_names(api: str, method: str, path: str, body: bytes) -> tuple[str, ...] | None:
    """The names a write request is known by for `lose_response_only` (its path, plus for
    Shopify GraphQL the root fields of the mutation), or None when the request is a read."""
    if method.upper() in ("GET", "HEAD", "OPTIONS"):
        return None
    if api == "shopify" and path.endswith("/graphql.json"):
        fields_ = _mutation_fields(body)
        return None if fields_ is None else (path, *fields_)
    if any(path.endswith(read) for read in READ_ONLY_POSTS):
        return None
    return (path,)


def _mutation_fields(body: bytes) -> tuple[str, ...] | None:
    try:
        data = json.loads(body or b"null")
        document = parse(data["query"])
    except (ValueError, TypeError, KeyError, GraphQLError):
        return None
    wanted = data.get("operationName")
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = next((o for o in operations if o.name and o.name.value == wanted), None) if wanted \
        else (operations[0] if len(operations) == 1 else None)
    if chosen is None or chosen.operation != OperationType.MUTATION:
        return None
    return tuple(s.name.value for s in chosen.selection_set.selections
                 if isinstance(s, FieldNode))
