"""Validate request and response bodies against an official OpenAPI document (3.0 or 3.1).

`OpenApiValidator(spec)` finds an operation by method and path (a template such as
`/v2/labels/{label_id}/track`, or a concrete path that one template matches), resolves `$ref`s
through one `referencing` registry, and validates with jsonschema (draft 2020-12). OpenAPI
schemas are not quite JSON Schema, and the ShipStation/ShipEngine specs have quirks that would
refuse every real body; `to_json_schema` rewrites them, each rule named here:

1. `nullable: true` (3.0) and `x-nullable: true` (ShipStation, a Swagger 2 left-over) admit
   null. OpenAPI-only keywords (`example`, `discriminator`, `x-*`…) are dropped.
2. `additionalProperties: false` next to `allOf`/`oneOf`/`anyOf` meant "nothing beyond the
   composed properties": that is `unevaluatedProperties: false`. And a schema used as a member
   of a composition is opened (its own `additionalProperties: false` would refuse its
   siblings' properties): members refer to an `…__open` copy of the component.
3. `readOnly` properties are not required in requests, `writeOnly` ones not in responses (the
   specs reuse response schemas for requests, e.g. `shipment_id` in a rate request).
4. `required` naming a property that only `oneOf` branches define moves into those branches
   (`calculate_rates_request_body` requires both `shipment_id` and `shipment`, meaning one).
5. `exclusiveMinimum`/`exclusiveMaximum` in the 3.0 boolean form become numbers; next to
   `minimum` a numeric `exclusiveMinimum` is read as that boolean (the v2 spec's `weight` says
   `minimum: 0, exclusiveMinimum: 1`, which 3.1 would read as "more than 1").
6. Strict mode (Klaviyo) closes every object schema that lists its properties: Klaviyo refuses
   unknown attributes, which its spec does not say (klaviyo.md §8).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Collection, Iterator, Mapping

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

_DROPPED = {"nullable", "x-nullable", "example", "examples", "discriminator", "xml",
            "externalDocs", "deprecated", "readOnly", "writeOnly"}
_COMBINATORS = ("allOf", "oneOf", "anyOf")
_SCHEMAS = "#/components/schemas/"
OPEN = "__open"
JSON_TYPES = ("application/json", "application/vnd.api+json")


@lru_cache(maxsize=None)
def load_spec(path: Path) -> dict[str, Any]:
    """The spec at `path` (YAML or JSON), parsed once per process."""
    text = path.read_text()
    if path.suffix in (".yaml", ".yml"):
        import yaml  # test-only dependency (PyYAML)

        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        loaded: dict[str, Any] = yaml.load(text, Loader=loader)  # noqa: S506 (safe loader)
        return loaded
    parsed: dict[str, Any] = json.loads(text)
    return parsed


def _pointer(*parts: str) -> str:
    return "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


class _Converter:
    def __init__(self, spec: dict[str, Any], *, direction: str, strict: bool) -> None:
        self.spec = spec
        self.skip_required = "readOnly" if direction == "request" else "writeOnly"
        self.strict = strict

    def resolve(self, node: Any) -> Any:
        seen = 0
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and seen < 50:
            ref = node["$ref"]
            if not ref.startswith("#/"):
                return node
            target: Any = self.spec
            for part in ref[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node, seen = target, seen + 1
        return node

    def properties(self, node: Any, depth: int = 0) -> Iterator[tuple[str, Any, str]]:
        """(name, schema, where) for every property a schema declares, through $ref and
        compositions; `where` is "own", "all" (allOf) or "one" (oneOf/anyOf)."""
        node = self.resolve(node)
        if not isinstance(node, dict) or depth > 20:
            return
        for name, schema in (node.get("properties") or {}).items():
            yield name, schema, "own"
        for key in _COMBINATORS:
            for member in node.get(key) or []:
                for name, schema, where in self.properties(member, depth + 1):
                    yield name, schema, ("all" if key == "allOf" and where != "one" else "one")

    @staticmethod
    def flagged(schema: Any, flag: str) -> bool:
        """`readOnly`/`writeOnly` on a property, or next to the `$ref` in its `allOf`."""
        if not isinstance(schema, dict):
            return False
        members = [m for m in schema.get("allOf") or [] if isinstance(m, dict)]
        return schema.get(flag) is True or any(m.get(flag) is True for m in members)

    def schema(self, node: Any, *, in_properties: bool = False, opened: bool = False) -> Any:
        """`node` as JSON Schema; `opened` converts the `…__open` variant of a component (its
        own members opened too, since whoever opened it has sibling properties)."""
        if isinstance(node, list):
            return [self.schema(n) for n in node]
        if not isinstance(node, dict):
            return node
        if in_properties:  # keys are property names, values are schemas
            return {k: self.schema(v) for k, v in node.items()}
        out: dict[str, Any] = {}
        # Rule 2: members need opening only when something else contributes properties.
        members = sum(len(node.get(c) or []) for c in _COMBINATORS)
        siblings = opened or members > 1 or "properties" in node
        for key, value in node.items():
            if key in _DROPPED or key.startswith("x-"):
                continue
            if key in _COMBINATORS:
                out[key] = [self._member(m) if siblings else self.schema(m) for m in value]
            else:
                out[key] = self.schema(value, in_properties=(key == "properties"))
        self._required(node, out)
        self._exclusive(out)
        composed = any(c in out for c in _COMBINATORS)
        if out.get("additionalProperties") is False and composed:
            del out["additionalProperties"]
            out["unevaluatedProperties"] = False
        elif self.strict and "properties" in out and "additionalProperties" not in out:
            out["unevaluatedProperties" if composed else "additionalProperties"] = False
        if node.get("nullable") is True or node.get("x-nullable") is True:
            kind = out.get("type")
            if isinstance(kind, str):
                out["type"] = [kind, "null"]
                if "enum" in out and None not in out["enum"]:
                    out["enum"] = [*out["enum"], None]
            elif isinstance(kind, list):
                out["type"] = kind if "null" in kind else [*kind, "null"]
            else:
                out = {"anyOf": [out, {"type": "null"}]}
        return out

    def _member(self, member: Any) -> Any:
        """A composition member, opened (rule 2)."""
        if isinstance(member, dict) and set(member) == {"$ref"} and member["$ref"].startswith(
                _SCHEMAS):
            return {"$ref": member["$ref"] + OPEN}
        converted = self.schema(member)
        if isinstance(converted, dict):
            if converted.get("additionalProperties") is False:
                del converted["additionalProperties"]
            converted.pop("unevaluatedProperties", None)
        return converted

    def _required(self, node: dict[str, Any], out: dict[str, Any]) -> None:
        required = node.get("required")
        if not isinstance(required, list):
            return
        found: dict[str, list[tuple[Any, str]]] = {}
        for name, schema, where in self.properties(node):
            found.setdefault(name, []).append((schema, where))
        kept = []
        for name in required:
            places = found.get(name, [])
            if places and all(self.flagged(s, self.skip_required) for s, _ in places):
                continue  # rule 3
            if places and all(w == "one" for _, w in places) and "oneOf" in out:
                for index, raw in enumerate(node["oneOf"]):  # rule 4
                    if not any(n == name for n, _, _ in self.properties(raw)):
                        continue
                    branch = out["oneOf"][index]
                    if "$ref" in branch:
                        branch = out["oneOf"][index] = {"allOf": [branch]}
                    branch["required"] = sorted({*branch.get("required", []), name})
                continue
            kept.append(name)
        if kept:
            out["required"] = kept
        else:
            out.pop("required", None)

    @staticmethod
    def _exclusive(out: dict[str, Any]) -> None:
        for bound, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
            value = out.get(exclusive)
            if value is None:
                continue
            if isinstance(value, bool) or bound in out:  # rule 5
                out.pop(exclusive)
                if value and bound in out:
                    out[exclusive] = out.pop(bound)

    def document(self) -> dict[str, Any]:
        converted: dict[str, Any] = self.schema(self.spec)
        schemas = converted.get("components", {}).get("schemas", {})
        for name, raw in self.spec.get("components", {}).get("schemas", {}).items():
            opened = self.schema(raw, opened=True)
            if isinstance(opened, dict):
                if opened.get("additionalProperties") is False:
                    del opened["additionalProperties"]
                opened.pop("unevaluatedProperties", None)
            schemas[name + OPEN] = opened
        return converted


def _without_required(spec: dict[str, Any], errata: Mapping[str, Collection[str]]
                      ) -> dict[str, Any]:
    """A shallow copy of `spec` whose named components no longer require the named
    properties (the cached spec itself is never changed)."""
    if not errata:
        return spec
    schemas = dict(spec["components"]["schemas"])
    for name, properties in errata.items():
        schema = schemas[name]
        missing = set(properties) - set(schema.get("required", []))
        if missing:
            raise KeyError(f"erratum for {name}: {sorted(missing)} not required anyway")
        schemas[name] = {**schema, "required": [
            p for p in schema["required"] if p not in set(properties)]}
    return {**spec, "components": {**spec["components"], "schemas": schemas}}


format_checker = FormatChecker()


@format_checker.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    datetime.fromisoformat(value.replace("Z", "+00:00"))
    return True


class OpenApiValidator:
    """Request/response validation against one OpenAPI document (see the module docstring)."""

    def __init__(
        self,
        spec: dict[str, Any],
        *,
        strict: bool = False,
        name: str = "spec",
        not_required: Mapping[str, Collection[str]] | None = None,
    ) -> None:
        """`not_required` declares errata: `{component schema: properties}` whose `required`
        entry the real API does not enforce (each with its reason where it is declared)."""
        self.spec = _without_required(spec, not_required or {})
        self.strict = strict
        self.name = name
        self._registries: dict[str, tuple[str, Registry[Any]]] = {}
        self._validators: dict[tuple[str, str], Draft202012Validator] = {}
        self._templates = [
            (template, re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
                                  + "$"), template.count("{"))
            for template in spec.get("paths", {})
        ]

    # -- lookup --------------------------------------------------------------------------------
    def template(self, path: str) -> str | None:
        """The path template `path` is (or matches); the most literal one wins."""
        if path in self.spec.get("paths", {}):
            return path
        matches = [(params, t) for t, pattern, params in self._templates if pattern.match(path)]
        return min(matches)[1] if matches else None

    def has_operation(self, method: str, path: str) -> bool:
        template = self.template(path)
        return template is not None and method.lower() in self.spec["paths"][template]

    def operation(self, method: str, path: str) -> tuple[str, dict[str, Any]]:
        template = self.template(path)
        if template is None or method.lower() not in self.spec["paths"][template]:
            raise KeyError(f"{self.name}: no operation {method.upper()} {path}")
        return template, self.spec["paths"][template][method.lower()]

    # -- validation ----------------------------------------------------------------------------
    def _registry(self, direction: str) -> tuple[str, Registry[Any]]:
        if direction not in self._registries:
            uri = f"urn:openapi:{self.name}:{direction}"
            document = _Converter(self.spec, direction=direction, strict=self.strict).document()
            registry: Registry[Any] = Registry().with_resource(
                uri, Resource(contents=document, specification=DRAFT202012))
            self._registries[direction] = (uri, registry)
        return self._registries[direction]

    def _validator(self, direction: str, pointer: str) -> Draft202012Validator:
        key = (direction, pointer)
        if key not in self._validators:
            uri, registry = self._registry(direction)
            self._validators[key] = Draft202012Validator(
                {"$ref": uri + pointer}, registry=registry, format_checker=format_checker)
        return self._validators[key]

    @staticmethod
    def _content_type(content: dict[str, Any], wanted: str | None) -> str:
        if wanted is not None:
            return wanted
        return next((t for t in JSON_TYPES if t in content), next(iter(content)))

    def request_errors(self, method: str, path: str, body: Any,
                       content_type: str | None = None) -> list[str]:
        template, operation = self.operation(method, path)
        request_body = operation.get("requestBody")
        if request_body is None:
            return [] if body is None else ["<root>: the operation takes no request body"]
        content = request_body["content"]
        kind = self._content_type(content, content_type)
        pointer = _pointer("paths", template, method.lower(), "requestBody", "content", kind,
                           "schema")
        return self._errors(self._validator("request", pointer), body)

    def response_errors(self, method: str, path: str, status: int, body: Any,
                        content_type: str | None = None) -> list[str]:
        template, operation = self.operation(method, path)
        responses = operation["responses"]
        code = str(status) if str(status) in responses else f"{str(status)[0]}XX"
        response = self._converter_resolve(responses[code])
        kind = self._content_type(response["content"], content_type)
        if "$ref" in responses[code]:
            ref = responses[code]["$ref"]
            pointer = ref + "/" + "/".join(
                p.replace("~", "~0").replace("/", "~1") for p in ("content", kind, "schema"))
        else:
            pointer = _pointer("paths", template, method.lower(), "responses", code, "content",
                               kind, "schema")
        return self._errors(self._validator("response", pointer), body)

    def _converter_resolve(self, node: Any) -> Any:
        return _Converter(self.spec, direction="response", strict=False).resolve(node)

    @staticmethod
    def _errors(validator: Draft202012Validator, body: Any) -> list[str]:
        return sorted(
            f"{'/'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}"
            for e in validator.iter_errors(body)
        )

    def errors(self, path: str, method: str, body: Any) -> list[str]:
        """Request-body errors (the original signature, kept for the Klaviyo tests)."""
        return self.request_errors(method, path, body)
