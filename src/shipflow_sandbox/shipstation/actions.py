"""ShipStation v1 order actions and rate shopping (shipstation.md §1.6), beside `api.py`.

- `POST /orders/holduntil`: an open order goes `on_hold` with `holdUntilDate`; on that date
  (midnight UTC on the simulated calendar; the account's time zone is not documented) it goes
  back to `awaiting_shipment` by itself. `POST /orders/restorefromhold` does it at once.
- `POST /orders/addtag` with one of `GET /accounts/listtags`' tags.
- `POST /orders/markasshipped`: the order is `shipped` without a label: no Shipment (so no
  SHIP_NOTIFY) and no carrier tracking from ShipStation v1; a Fulfillment (`GET /fulfillments`)
  records carrier and tracking number. The label may have been bought through v2 (API label
  mode), whose carrier simulation then sends the TRACK webhooks.
- `DELETE /orders/{orderId}`: a soft delete (the docs' wording): the order stays readable by
  id but leaves lists and the warehouse queue.
- `POST /shipments/getrates`: one carrier per call, an array of `{serviceName, serviceCode,
  shipmentCost, otherCost}`; prices from `pricing.py` (confirmation fees in `otherCost`).

Failures the docs do not word are `400 {"message": ...}` (the docs' error shape; wordings are
assumptions); unknown orders are `404 {"message": "Order not found"}` like `GET /orders/{id}`.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from shipflow_sandbox.routing import Endpoint, json_response, read_json
from shipflow_sandbox.shipstation import pricing
from shipflow_sandbox.shipstation.binding import COMMAND, bind
from shipflow_sandbox.shipstation.carriers import CARRIERS, SERVICES
from shipflow_sandbox.shipstation.orders import UPDATABLE, ounces

if TYPE_CHECKING:
    from shipflow_sandbox.state import SandboxState

TAGS = (
    {"tagId": 48211, "name": "Backorder", "color": "#FF9900"},
    {"tagId": 48212, "name": "Address Review", "color": "#CC0000"},
    {"tagId": 48213, "name": "Signature Required", "color": "#3366FF"},
    {"tagId": 48214, "name": "VIP", "color": "#9900CC"},
    {"tagId": 48215, "name": "Gift", "color": "#33AA33"},
)


class ActionError(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def handlers(state: SandboxState) -> list[tuple[str, Endpoint, str]]:
    store = state.shipstation.store

    async def body_of(request: Request) -> dict[str, Any]:
        body, ok = await read_json(request)
        if not ok or not isinstance(body, dict):
            raise ActionError("The request is invalid.")
        return dict(bind(body, COMMAND))  # numbers as strings bind as numbers (binding.py)

    def order_of(body: dict[str, Any]) -> dict[str, Any]:
        raw = body.get("orderId")
        if not isinstance(raw, int) or isinstance(raw, bool):
            raise ActionError("orderId must be provided.")
        order = store.orders.get(raw)
        if order is None or raw in store.deleted:
            raise ActionError("Order not found", 404)
        return order

    def endpoint(action: Any) -> Endpoint:
        async def run(request: Request) -> Response:
            try:
                return json_response(await action(request))
            except ActionError as exc:
                return json_response({"message": exc.message}, exc.status)

        return run

    async def hold_until(request: Request) -> Any:
        body = await body_of(request)
        order = order_of(body)
        try:
            until = date.fromisoformat(str(body.get("holdUntilDate") or "")[:10])
        except ValueError as exc:
            raise ActionError("holdUntilDate must be a valid date (yyyy-mm-dd).") from exc
        if order["orderStatus"] not in UPDATABLE:
            raise ActionError(f"Order {order['orderNumber']} cannot be held because its status "
                              f"is '{order['orderStatus']}'.")
        state.shipstation.hold(order, until)
        return {"success": True, "message": "Order held successfully."}

    async def restore(request: Request) -> Any:
        order = order_of(await body_of(request))
        if order["orderStatus"] != "on_hold":
            raise ActionError(f"Order {order['orderNumber']} is not on hold.")
        state.shipstation.release(order["orderId"])
        return {"success": True, "message": "The requested order has been restored"}

    async def add_tag(request: Request) -> Any:
        body = await body_of(request)
        order = order_of(body)
        if body.get("tagId") not in {t["tagId"] for t in TAGS}:
            raise ActionError("Tag not found.")
        tags = list(order["tagIds"] or [])
        if body["tagId"] not in tags:
            tags.append(body["tagId"])
        order["tagIds"] = tags
        return {"success": True, "message": "Tag added successfully."}

    async def list_tags(request: Request) -> Any:
        return [dict(t) for t in TAGS]

    async def mark_shipped(request: Request) -> Any:
        body = await body_of(request)
        order = order_of(body)
        if order["orderStatus"] not in UPDATABLE:
            raise ActionError(f"Order {order['orderNumber']} cannot be marked as shipped "
                              f"because its status is '{order['orderStatus']}'.")
        if not body.get("carrierCode"):
            raise ActionError("carrierCode must be provided.")
        state.shipstation.mark_shipped(order, body)
        return {"orderId": order["orderId"], "orderNumber": order["orderNumber"]}

    async def delete_order(request: Request) -> Any:
        raw = request.path_params["order_id"]
        if not raw.isdigit() or int(raw) not in store.orders or int(raw) in store.deleted:
            raise ActionError("Order not found", 404)
        store.deleted.add(int(raw))
        store.awaiting_since.pop(int(raw), None)
        return {"success": True, "message": "The requested order has been deleted."}

    async def get_rates(request: Request) -> Any:
        body = await body_of(request)
        for field in ("carrierCode", "fromPostalCode", "toCountry", "weight"):
            if body.get(field) in (None, ""):
                raise ActionError(f"{field} must be provided.")
        carrier = body["carrierCode"]
        if carrier not in {c["code"] for c in CARRIERS}:
            raise ActionError(f"Invalid carrierCode '{carrier}'.")
        country = str(body["toCountry"]).upper()
        if country == "US" and not body.get("toPostalCode"):
            raise ActionError("toPostalCode must be provided.")
        if carrier == "ups" and country == "US" and not body.get("toState"):
            raise ActionError("toState must be provided for UPS.")
        weight = body["weight"] if isinstance(body["weight"], dict) else {}
        if not isinstance(weight.get("value"), (int, float)) or weight["value"] <= 0:
            raise ActionError("weight.value must be greater than zero.")
        weight_oz = ounces(weight)
        zone = pricing.zone(body["fromPostalCode"], body.get("toPostalCode"), country)
        residential = body.get("residential") is not False
        rates = []
        for service in SERVICES.values():
            if service.carrier != carrier or pricing.is_international(service) == (
                country in ("US", "PR")
            ):
                continue
            if body.get("serviceCode") and service.code != body["serviceCode"]:
                continue
            quote = pricing.quote(service, weight_oz, zone, residential, body.get("confirmation"))
            rates.append({
                "serviceName": service.name,
                "serviceCode": service.code,
                "shipmentCost": quote.shipping,
                "otherCost": round(quote.other + quote.confirmation, 2),
            })
        return rates

    return [
        ("/orders/holduntil", endpoint(hold_until), "POST"),
        ("/orders/restorefromhold", endpoint(restore), "POST"),
        ("/orders/addtag", endpoint(add_tag), "POST"),
        ("/orders/markasshipped", endpoint(mark_shipped), "POST"),
        ("/orders/{order_id}", endpoint(delete_order), "DELETE"),
        ("/accounts/listtags", endpoint(list_tags), "GET"),
        ("/shipments/getrates", endpoint(get_rates), "POST"),
    ]
