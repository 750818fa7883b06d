"""Validate request bodies against an OpenAPI 3.0 document with jsonschema + referencing.

OpenAPI 3.0 schemas are not quite JSON Schema: `nullable: true` stands for `"null"` in `type`,
and `$ref` siblings are ignored. `to_json_schema` rewrites those, and (in strict mode) closes
every object schema that lists its `properties`: Klaviyo refuses unknown attributes with
"'x' is not a valid field for the resource 'y'" (klaviyo.md §8), which the spec itself does not
express.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_URI = "urn:openapi:spec"
_DROPPED = {"nullable", "example", "examples", "discriminator", "xml", "externalDocs",
            "deprecated", "readOnly", "writeOnly"}
_COMBINATORS = ("oneOf", "anyOf", "allOf", "not")


def to_json_schema(node: Any, *, strict: bool, in_properties: bool = False) -> Any:
    if isinstance(node, list):
        return [to_json_schema(n, strict=strict) for n in node]
    if not isinstance(node, dict):
        return node
    if in_properties:  # keys are property names, values are schemas
        return {k: to_json_schema(v, strict=strict) for k, v in node.items()}
    out = {
        k: to_json_schema(v, strict=strict, in_properties=(k == "properties"))
        for k, v in node.items()
        if k not in _DROPPED and not k.startswith("x-")
    }
    if strict and "properties" in out and "additionalProperties" not in out and not any(
            c in out for c in _COMBINATORS):
        out["additionalProperties"] = False
    if node.get("nullable") is True:
        if "$ref" in out:
            ref = out.pop("$ref")
            out = {**out, "anyOf": [{"$ref": ref}, {"type": "null"}]}
        elif isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
            if "enum" in out and None not in out["enum"]:
                out["enum"] = [*out["enum"], None]
    return out


format_checker = FormatChecker()


@format_checker.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    datetime.fromisoformat(value.replace("Z", "+00:00"))
    return True


class OpenApiValidator:
    def __init__(self, spec: dict[str, Any], *, strict: bool = True) -> None:
        self.spec = spec
        self.converted = to_json_schema(spec, strict=strict)
        self.registry: Registry[Any] = Registry().with_resource(
            SPEC_URI, Resource(contents=self.converted, specification=DRAFT202012)
        )
        self._validators: dict[tuple[str, str, str], Draft202012Validator] = {}

    def request_validator(self, path: str, method: str,
                          content_type: str = "application/vnd.api+json") -> Draft202012Validator:
        key = (path, method.lower(), content_type)
        if key not in self._validators:
            operation = self.spec["paths"][path][method.lower()]
            schema = operation["requestBody"]["content"][content_type]["schema"]
            ref = schema["$ref"]
            self._validators[key] = Draft202012Validator(
                {"$ref": SPEC_URI + ref}, registry=self.registry, format_checker=format_checker
            )
        return self._validators[key]

    def errors(self, path: str, method: str, body: Any) -> list[str]:
        validator = self.request_validator(path, method)
        return sorted(
            f"{'/'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}"
            for e in validator.iter_errors(body)
        )
