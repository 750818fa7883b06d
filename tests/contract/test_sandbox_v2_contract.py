"""The ShipStation v2 sandbox against the official spec (`shipstation-v2-openapi.yaml`).

Every v2 response the sandbox gives, and the body of every v2 webhook it sends, must validate
against the response schema of that operation in the official spec, with `$ref`s resolved.
The spec is read once per session (PyYAML, a test-only dependency) and turned into plain JSON
Schema: `allOf` members are merged (so `additionalProperties: false` applies to the union, as
OpenAPI tools read it), `nullable`/`x-nullable` allow null, and OAS 3.0 style
`exclusiveMinimum` next to `minimum` means "exclusive at the minimum".

`ERRATA` are the places where the real service contradicts this spec copy. Each one is
justified by a real payload or by shipstation.md, and `test_real_payloads_need_only_the_errata`
shows the real captures validate once (and only once) the errata are applied.
"""

from __future__ import annotations

import copy
import json
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import yaml
from jsonschema import Draft202012Validator
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from shipflow_sandbox import SandboxConfig, ThreadedServer, running_sandbox
from shipflow_sandbox.server import RunningSandbox

from .paths import FIXTURES, SPECS

DROPPED = {"description", "example", "examples", "title", "readOnly", "writeOnly", "default",
           "deprecated", "externalDocs", "xml", "discriminator", "nullable"}
STATUS_CODES = ["UN", "AC", "IT", "DE", "EX", "AT", "NY", "SP"]
V2_WEBHOOK_EVENTS = ["batch_processed_v2", "fulfillment_rejected_v2", "fulfillment_shipped_v2",
                     "label_created_v2", "shipment_created_v2", "track_event_v2"]


def _detail_codes() -> list[str]:
    """Union of both specs' status_detail_code enums: the table in shipstation.md §3.4."""
    text = (SPECS / "shipstation.md").read_text()
    section = text[text.index("### 3.4"):text.index("## 4.")]
    return re.findall(r"^\| `([A-Z_0-9]+)` \|", section, flags=re.M)


def _set(node: dict[str, Any], path: str, **changes: Any) -> None:
    for key in path.split("/"):
        node = node[key]
    node.update(changes)


def _tracking(s: dict[str, Any]) -> None:
    info = s["tracking_information"]["properties"]
    event = info["events"]["items"]["properties"]
    for props in (info, event):
        props["status_code"] = {"type": "string", "enum": STATUS_CODES}
        props["status_detail_code"] = {"type": "string", "enum": _detail_codes(),
                                       "x-nullable": True}
        props["status_detail_description"]["x-nullable"] = True
    for name in ("exception_description", "actual_delivery_date", "estimated_delivery_date"):
        info[name]["x-nullable"] = True
    for name in ("company_name", "signer", "proof_of_delivery_url"):
        event[name]["x-nullable"] = True


def _label(s: dict[str, Any]) -> None:
    props = s["label"]["properties"]
    props["requested_comparison_amount"]["x-nullable"] = True
    for name in ("void_type", "refund_details", "shipping_rule_id"):
        props[name] = {"type": "string", "x-nullable": True}
    props["carrier_weight"] = {"$ref": "#/components/schemas/weight"}
    props["pickup_windows"] = {"type": "array"}
    detail = props["rate_details"]["items"]["properties"]
    for name in ("carrier_billing_code", "carrier_memo"):
        detail[name]["x-nullable"] = True
    package = s["label_package"]["properties"]
    for name in ("qr_code_download", "paperless_download", "external_package_id"):
        package[name]["x-nullable"] = True
    for name in ("company_name", "address_line2"):
        s["partial_address"]["properties"][name]["minLength"] = 0


# (what, why, patch of components.schemas)
ERRATA: list[tuple[str, str, Callable[[dict[str, Any]], None]]] = [
    ("tracking codes", "status_code refs the detail-code enum (shipstation.md §3.3); real "
     "payloads use detail codes of the 2026 ShipEngine enum and null (UPS fixture)", _tracking),
    ("label fields", "the real label (fixture) has void_type, refund_details, carrier_weight, "
     "shipping_rule_id, pickup_windows, null comparison amount, billing codes and package "
     "links, empty company_name/address_line2", _label),
    ("rates created_at", "typed both date-time and se_id", lambda s: s["rates_information"]
     ["properties"].__setitem__("created_at", {"$ref": "#/components/schemas/date_time"})),
    ("service carrier_code", "typed as an se_id, but it is a carrier code",
     lambda s: s["service"]["properties"].__setitem__(
         "carrier_code", {"$ref": "#/components/schemas/carrier_code"})),
    ("webhook events", "the ShipStation-v2 events (docs webhooks overview, shipstation.md "
     "§2.4) are missing from the enum",
     lambda s: s["webhook_event"]["enum"].extend(V2_WEBHOOK_EVENTS)),
    ("webhook name", "create_webhook returns `name` (docs, shipstation.md §2.4)",
     lambda s: s["webhook"]["properties"].__setitem__("name", {"type": "string"})),
]


def _merge(parts: list[dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    properties: dict[str, Any] = {}
    required: list[str] = []
    closed = False
    for part in parts:
        closed |= part.get("additionalProperties") is False
        for name, schema in part.get("properties", {}).items():
            properties[name] = {"allOf": [properties[name], schema]} if name in properties \
                else schema
        required += [r for r in part.get("required", []) if r not in required]
        for key, value in part.items():
            if key in ("properties", "required", "additionalProperties"):
                continue
            if key in merged and merged[key] != value:
                merged.setdefault("allOf", []).append({key: value})
            else:
                merged[key] = value
    if properties:
        merged["properties"] = properties
    if required:
        merged["required"] = required
    if closed:
        merged["additionalProperties"] = False
    return merged


class V2Spec:
    def __init__(self, raw: dict[str, Any], errata: bool = True) -> None:
        self.raw = copy.deepcopy(raw)
        if errata:
            for _, _, patch in ERRATA:
                patch(self.raw["components"]["schemas"])
        self.schemas = self.raw["components"]["schemas"]
        self._cache: dict[str, Draft202012Validator] = {}

    def flatten(self, node: Any, stack: tuple[str, ...] = ()) -> Any:
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            if name in stack:
                return {}
            target = self.flatten(self.schemas[name], (*stack, name))
            rest = {k: v for k, v in node.items() if k != "$ref"}
            return _merge([target, self.flatten(rest, stack)]) if rest else target
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in DROPPED or key.startswith("x-") or key == "allOf":
                continue
            if key == "properties":
                out[key] = {p: self.flatten(s, stack) for p, s in value.items()}
            elif key in ("items", "not") or (key == "additionalProperties"
                                             and isinstance(value, dict)):
                out[key] = self.flatten(value, stack)
            elif key in ("oneOf", "anyOf"):
                out[key] = [self.flatten(s, stack) for s in value]
            else:
                out[key] = value
        if "allOf" in node:
            out = _merge([*(self.flatten(s, stack) for s in node["allOf"]), out])
        for bound in ("minimum", "maximum"):
            exclusive = "exclusive" + bound.capitalize()
            if bound in out and exclusive in out:
                out[exclusive] = out.pop(bound)
        if node.get("nullable") is True or node.get("x-nullable") is True:
            out = {"anyOf": [out, {"type": "null"}]}
        return out

    def validator(self, name: str) -> Draft202012Validator:
        if name not in self._cache:
            schema = self.flatten({"$ref": f"#/components/schemas/{name}"})
            self._cache[name] = Draft202012Validator(schema)
        return self._cache[name]

    def response_schema_name(self, path: str, method: str, status: int) -> str:
        """The component schema of an operation's response (the error envelope for errors:
        the spec's 401/429/500 are undocumented or declared empty; real ones are envelopes)."""
        if status >= 400:
            return "error_response_body"
        response = self.raw["paths"][path][method.lower()]["responses"][str(status)]
        schema = response["content"]["application/json"]["schema"]
        if "$ref" in schema:
            return str(schema["$ref"].rsplit("/", 1)[-1])
        name = "_inline_" + re.sub(r"\W+", "_", f"{method}{path}{status}")
        self.schemas[name] = schema
        return name

    def errors(self, name: str, body: Any) -> list[str]:
        return sorted(
            f"{'/'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message[:200]}"
            for e in self.validator(name).iter_errors(body)
        )


@pytest.fixture(scope="session")
def v2_raw() -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load((SPECS / "shipstation-v2-openapi.yaml").read_text(), Loader=loader)


@pytest.fixture(scope="session")
def v2_spec(v2_raw: dict[str, Any]) -> V2Spec:
    return V2Spec(v2_raw)


def _fixture(name: str) -> Any:
    body = json.loads((FIXTURES / "shipstation" / name).read_text())
    body.pop("_captured_at", None)
    return body


def test_real_payloads_need_only_the_errata(v2_raw: dict[str, Any], v2_spec: V2Spec) -> None:
    labels = _fixture("v2_label_created_v2_resource_url_response.real.json")
    track = _fixture("v2_track_event_v2_ups_delivered.real.json")
    assert v2_spec.errors("list_labels_response_body", labels) == []
    assert v2_spec.errors("tracking_information", track["data"]) == []
    plain = V2Spec(v2_raw, errata=False)
    assert plain.errors("list_labels_response_body", labels)
    assert plain.errors("tracking_information", track["data"])


# -- the sandbox -------------------------------------------------------------------------------
class Inbox:
    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.server = ThreadedServer(Starlette(routes=[Route("/hook", self.record,
                                                             methods=["POST"])]))

    async def record(self, request: Request) -> Response:
        self.bodies.append(json.loads(await request.body()))
        return Response(status_code=204)


@pytest.fixture(scope="module")
def inbox() -> Iterator[Inbox]:
    box = Inbox()
    box.server.start()
    yield box
    box.server.stop()


@pytest.fixture(scope="module")
def sandbox(inbox: Inbox) -> Iterator[RunningSandbox]:
    config = SandboxConfig(seed=5, time_scale=86400 * 20, carrier_outcome="failed_attempt",
                           shipstation_v2_webhook_urls=[inbox.server.url("/hook")])
    with running_sandbox(config) as running:
        yield running


SHIP_TO = {"name": "Ann Smith", "phone": "313-555-0100", "address_line1": "411 W 4th St",
           "city_locality": "Royal Oak", "state_province": "MI", "postal_code": "48067",
           "country_code": "US", "address_residential_indicator": "yes"}


def _shipment(**changes: Any) -> dict[str, Any]:
    body = {"carrier_id": "se-2077423", "service_code": "fedex_ground", "ship_to": SHIP_TO,
            "warehouse_id": "se-24079", "external_shipment_id": "order-1001",
            "packages": [{"weight": {"value": 1.5, "unit": "pound"}}]}
    body.update(changes)
    return body


class Calls:
    """Calls the v2 API and checks each answer against its operation's response schema."""

    def __init__(self, sandbox: RunningSandbox, spec: V2Spec) -> None:
        self.sandbox = sandbox
        self.spec = spec
        self.headers = {"API-Key": sandbox.config.shipstation_v2_api_key}
        self.checked: list[tuple[str, str, int]] = []

    def __call__(self, method: str, template: str, status: int, *, json_body: Any = None,
                 headers: dict[str, str] | None = None, **path: str) -> Any:
        url = self.sandbox.url("/shipstation" + template.format(**path))
        response = httpx.request(method, url, json=json_body,
                                 headers=self.headers if headers is None else headers)
        assert response.status_code == status, response.text
        if status == 204:
            assert response.content == b""
            return None
        body = response.json()
        name = self.spec.response_schema_name(template.split("?")[0], method, status)
        assert self.spec.errors(name, body) == [], (template, status)
        self.checked.append((method, template, status))
        return body


def test_every_v2_response_matches_the_spec(sandbox: RunningSandbox, v2_spec: V2Spec) -> None:
    call = Calls(sandbox, v2_spec)
    carriers = call("GET", "/v2/carriers", 200)
    assert {c["carrier_code"] for c in carriers["carriers"]} == {"stamps_com", "ups", "fedex"}
    call("GET", "/v2/carriers/{carrier_id}", 200, carrier_id="se-2077422")
    quoted = call("POST", "/v2/rates", 200, json_body={
        "rate_options": {"carrier_ids": ["se-2077421", "se-2077423"]},
        "shipment": _shipment(confirmation="adult_signature")})
    rate = quoted["rate_response"]["rates"][0]
    label = call("POST", "/v2/labels/rates/{rate_id}", 200, json_body={"label_format": "pdf"},
                 rate_id=rate["rate_id"])
    assert label["shipment_id"] == quoted["shipment_id"]
    again = call("POST", "/v2/rates", 200, json_body={
        "rate_options": {"carrier_ids": ["se-2077422"]}, "shipment_id": quoted["shipment_id"]})
    assert again["rate_response"]["rates"]
    bought = call("POST", "/v2/labels", 200, json_body={"shipment": _shipment()})
    call("GET", "/v2/labels/{label_id}", 200, label_id=bought["label_id"])
    page = call("GET", "/v2/labels?batch_id={batch}", 200, batch=bought["batch_id"])
    assert [x["label_id"] for x in page["labels"]] == [bought["label_id"]]
    call("GET", "/v2/labels?page_size=1&page=2", 200)
    time.sleep(0.5)  # a simulated week: every scan has happened
    tracked = call("GET", "/v2/labels/{label_id}/track", 200, label_id=bought["label_id"])
    assert tracked["status_code"] == "DE"
    call("PUT", "/v2/labels/{label_id}/void", 200, label_id=bought["label_id"])
    fresh = call("POST", "/v2/labels", 200, json_body={"shipment": _shipment()})
    call("PUT", "/v2/labels/{label_id}/void", 200, label_id=fresh["label_id"])
    hook = call("POST", "/v2/environment/webhooks", 200, json_body={
        "url": "https://example.invalid/hook", "event": "track_event_v2",
        "headers": [{"key": "X-Secret", "value": "s"}]})
    call("GET", "/v2/environment/webhooks", 200)
    call("POST", "/v2/environment/webhooks", 409, json_body={  # the same event and url again
        "url": "https://example.invalid/hook", "event": "track_event_v2"})
    call("GET", "/v2/environment/webhooks/{webhook_id}", 200, webhook_id=hook["webhook_id"])
    call("DELETE", "/v2/environment/webhooks/{webhook_id}", 204, webhook_id=hook["webhook_id"])
    # errors
    call("GET", "/v2/carriers", 401, headers={})
    call("POST", "/v2/labels", 400, json_body={"shipment": _shipment(service_code=None)})
    call("GET", "/v2/labels/{label_id}", 404, label_id="se-1")
    call("GET", "/v2/labels/{label_id}/track", 404, label_id="se-1")
    httpx.post(sandbox.url("/_sandbox/faults"),
               json={"shipstation_v2": {"force_429": 1, "error_rate": 0}})
    call("GET", "/v2/carriers", 429)
    httpx.post(sandbox.url("/_sandbox/faults"), json={"shipstation_v2": {"error_rate": 1.0}})
    call("GET", "/v2/carriers", 500)
    httpx.delete(sandbox.url("/_sandbox/faults"))
    assert len(call.checked) >= 20


def test_warehouse_and_shipment_reads_match_the_spec(sandbox: RunningSandbox,
                                                     v2_spec: V2Spec) -> None:
    """API label mode reads: the warehouse a shipment names by `warehouse_id`, and a
    shipment by id or by our `external_shipment_id` (to find a label bought before a crash)."""
    call = Calls(sandbox, v2_spec)
    [warehouse] = call("GET", "/v2/warehouses", 200)["warehouses"]
    call("GET", "/v2/warehouses/{warehouse_id}", 200, warehouse_id=warehouse["warehouse_id"])
    shipment = _shipment(external_shipment_id="order-2002-1", carrier_id=None,
                         service_code=None)
    quoted = call("POST", "/v2/rates", 200, json_body={
        "rate_options": {"carrier_ids": ["se-2077422"]}, "shipment": shipment})
    by_id = call("GET", "/v2/shipments/{shipment_id}", 200, shipment_id=quoted["shipment_id"])
    by_key = call("GET", "/v2/shipments/external_shipment_id/{external_shipment_id}", 200,
                  external_shipment_id="order-2002-1")
    assert by_id == by_key and by_key["warehouse_id"] == warehouse["warehouse_id"]
    call("GET", "/v2/shipments/{shipment_id}", 404, shipment_id="se-1")
    call("GET", "/v2/warehouses/{warehouse_id}", 404, warehouse_id="se-1")


def test_v2_webhook_bodies_match_the_spec_and_the_real_shape(
    sandbox: RunningSandbox, inbox: Inbox, v2_spec: V2Spec
) -> None:
    headers = {"API-Key": sandbox.config.shipstation_v2_api_key}
    httpx.post(sandbox.url("/shipstation/v2/labels"), headers=headers,
               json={"shipment": _shipment(carrier_id="se-2077422", service_code="ups_ground")})
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not any(
        b["resource_type"] == "TRACK_EVENT_V2" and b["data"]["status_code"] == "DE"
        for b in inbox.bodies
    ):
        time.sleep(0.05)
    real = _fixture("v2_track_event_v2_ups_delivered.real.json")
    tracks = [b for b in inbox.bodies if b["resource_type"] == "TRACK_EVENT_V2"]
    assert tracks and any(b["data"]["status_code"] == "DE" for b in tracks)
    for body in tracks:
        assert list(body) == list(real)
        assert list(body["data"]) == list(real["data"])
        assert all(list(e) == list(real["data"]["events"][0]) for e in body["data"]["events"])
        assert v2_spec.errors("tracking_information", body["data"]) == []
    pointers = [b for b in inbox.bodies if b["resource_type"] == "LABEL_CREATED_V2"]
    assert pointers and all(set(b) == {"resource_url", "resource_type"} for b in pointers)
    label_page = httpx.get(pointers[-1]["resource_url"], headers=headers).json()
    assert v2_spec.errors("list_labels_response_body", label_page) == []
    real_label = _fixture("v2_label_created_v2_resource_url_response.real.json")["labels"][0]
    assert list(label_page["labels"][0]) == list(real_label)


def test_sandbox_paths_exist_in_the_spec(v2_raw: dict[str, Any]) -> None:
    wanted = {"/v2/rates", "/v2/labels", "/v2/labels/rates/{rate_id}", "/v2/labels/{label_id}",
              "/v2/labels/{label_id}/void", "/v2/labels/{label_id}/track", "/v2/carriers",
              "/v2/environment/webhooks", "/v2/environment/webhooks/{webhook_id}",
              "/v2/warehouses", "/v2/warehouses/{warehouse_id}", "/v2/shipments/{shipment_id}",
              "/v2/shipments/external_shipment_id/{external_shipment_id}"}
    assert wanted <= set(v2_raw["paths"])
