"""The official Klaviyo OpenAPI spec as request validators and rate-limit tiers.

The spec (`shared/specs/klaviyo-openapi-stable.json`, OpenAPI 3.0.2, revision 2026-07-15) is
loaded once, lazily. Request-body schemas reachable from an operation are converted to JSON
Schema draft 7: `nullable: true` becomes a union with `null`, and objects with declared
`properties` get `additionalProperties: false`, because Klaviyo rejects unknown fields
("'x' is not a valid field for the resource 'profile'.", klaviyo.md §8.3).
`openapi-subset.json` is the part of that spec the sandbox serves (repo `klaviyo/openapi`, MIT),
for installs without the shared specs directory; a test keeps it equal to `subset(shared)`.
"""

from __future__ import annotations

import copy
import json
import os
import re
import threading
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator

_REF = re.compile(r"#/components/schemas/([\w.-]+)")
_LOCK = threading.Lock()
_SPEC: KlaviyoSpec | None = None


SERVED_PATHS = (
    "/api/events", "/api/event-bulk-create-jobs", "/api/profile-import", "/api/profiles"
)
# Reads served too (the audit's): GET operations, whose response schemas the sandbox's answers
# are checked against in the tests.
SERVED_READS = ("/api/events", "/api/metrics")
BUNDLED = Path(__file__).with_name("openapi-subset.json")


def spec_path() -> Path:
    """`SHIPFLOW_KLAVIYO_SPEC`; else the full shared copy in a checkout; else the bundled
    subset (`openapi-subset.json`: the served operations and the schemas they reference)."""
    if os.environ.get("SHIPFLOW_KLAVIYO_SPEC"):
        return Path(os.environ["SHIPFLOW_KLAVIYO_SPEC"])
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "specs" / "klaviyo-openapi-stable.json"
        if candidate.exists():
            return candidate
    return BUNDLED


def subset(raw: dict[str, Any], paths: tuple[str, ...] = SERVED_PATHS,
           reads: tuple[str, ...] = SERVED_READS) -> dict[str, Any]:
    """The part of the spec the sandbox needs (how `openapi-subset.json` is made)."""
    chosen: dict[str, dict[str, Any]] = {}
    for path in paths:
        chosen.setdefault(path, {})["post"] = raw["paths"][path]["post"]
    for path in reads:
        chosen.setdefault(path, {})["get"] = raw["paths"][path]["get"]
    schemas = raw["components"]["schemas"]
    needed: set[str] = set()
    todo = _REF.findall(json.dumps(chosen))
    while todo:
        name = todo.pop()
        if name not in needed:
            needed.add(name)
            todo += _REF.findall(json.dumps(schemas[name]))
    return {
        "openapi": raw["openapi"],
        "info": raw["info"],
        "paths": chosen,
        "components": {
            "schemas": {name: schemas[name] for name in sorted(needed)},
            "responses": raw["components"]["responses"],
        },
    }


def _convert(schema: Any) -> Any:
    if isinstance(schema, list):
        return [_convert(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _convert(v) for k, v in schema.items() if k not in ("example", "description")}
    if "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    if out.pop("nullable", False):
        if "$ref" in out:
            return {"anyOf": [{"$ref": out["$ref"]}, {"type": "null"}]}
        if "type" in out:
            out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        for key in ("oneOf", "anyOf"):
            if key in out:
                out[key] = [*out[key], {"type": "null"}]
    return out


@dataclass(frozen=True)
class Operation:
    operation_id: str
    schema_name: str
    burst: int
    steady: int
    scopes: tuple[str, ...] = ()  # `x-klaviyo-scopes`: what a private key needs for it


class KlaviyoSpec:
    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        self.version: str = raw["info"]["version"]
        self._validators: dict[str, Draft7Validator] = {}

    def operation(self, method: str, path: str) -> Operation:
        """`schema_name`: the request body's schema, or for a GET its 200 response's."""
        op = self.raw["paths"][path][method.lower()]
        if "requestBody" in op:
            schema_ref = op["requestBody"]["content"]["application/vnd.api+json"]["schema"]["$ref"]
        else:
            content = op["responses"]["200"]["content"]["application/vnd.api+json"]
            schema_ref = content["schema"]["$ref"]
        limits = op.get("x-klaviyo-ratelimit", {"burst": "3/s", "steady": "60/m"})
        return Operation(
            op["operationId"],
            schema_ref.rsplit("/", 1)[-1],
            int(limits["burst"].split("/")[0]),
            int(limits["steady"].split("/")[0]),
            tuple(op.get("x-klaviyo-scopes", ())),
        )

    def validator(self, schema_name: str) -> Draft7Validator:
        with _LOCK:
            if schema_name not in self._validators:
                self._validators[schema_name] = Draft7Validator(self._document(schema_name))
            return self._validators[schema_name]

    def _document(self, root: str) -> dict[str, Any]:
        schemas = self.raw["components"]["schemas"]
        needed, todo = set(), [root]
        while todo:
            name = todo.pop()
            if name not in needed:
                needed.add(name)
                todo += _REF.findall(json.dumps(schemas[name]))
        converted = {name: _convert(copy.deepcopy(schemas[name])) for name in needed}
        return {"$ref": f"#/components/schemas/{root}", "components": {"schemas": converted}}

    @cached_property
    def profile_attributes(self) -> list[str]:
        data = self.raw["components"]["schemas"]["PostProfileResponse"]["properties"]["data"]
        return list(data["properties"]["attributes"]["properties"])


def load_spec() -> KlaviyoSpec:
    global _SPEC
    with _LOCK:
        if _SPEC is None:
            _SPEC = KlaviyoSpec(json.loads(spec_path().read_text()))
        return _SPEC
