"""Helpers for the ShipStation v2 and carrier tests: a client and a shipment body."""

from __future__ import annotations

import copy
from typing import Any

import httpx

from shipflow_sandbox import RunningSandbox

UPS, USPS, FEDEX = "se-2077422", "se-2077421", "se-2077423"
SHIP_TO = {
    "name": "Ann Smith",
    "phone": "313-555-0100",
    "address_line1": "411 W 4th St",
    "city_locality": "Royal Oak",
    "state_province": "MI",
    "postal_code": "48067",
    "country_code": "US",
    "address_residential_indicator": "yes",
}


def shipment(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "carrier_id": UPS,
        "service_code": "ups_ground",
        "ship_to": copy.deepcopy(SHIP_TO),
        "warehouse_id": "se-24079",
        "packages": [{"weight": {"value": 20, "unit": "ounce"}}],
    }
    body.update(changes)
    return body


class V2:
    def __init__(self, sandbox: RunningSandbox) -> None:
        self.sandbox = sandbox
        self.headers = {"API-Key": sandbox.config.shipstation_v2_api_key}

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        kwargs.setdefault("headers", self.headers)
        return httpx.request(method, self.sandbox.url("/shipstation" + path), **kwargs)

    def label(self, **changes: Any) -> dict[str, Any]:
        response = self.request("POST", "/v2/labels", json={"shipment": shipment(**changes)})
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    def track(self, label_id: str) -> dict[str, Any]:
        response = self.request("GET", f"/v2/labels/{label_id}/track")
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]
