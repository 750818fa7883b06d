"""The ShipStation v1 client: the only place shipflow talks to ShipStation.

Basic auth (API key:secret), JSON bodies, 40 requests a minute per key pair, announced in
`X-Rate-Limit-Remaining`/`X-Rate-Limit-Reset` on every response (shipstation.md §1.2). Bodies
are built and parsed in `mapping.py`.
"""

from __future__ import annotations

import logging
import random
from datetime import date
from typing import Any, Sequence

import httpx

from shipflow.domain.shipment import Shipment
from shipflow.providers import http
from shipflow.providers.errors import RejectedRequest, UnexpectedResponse
from shipflow.providers.shipstation import history, mapping, stores, subscriptions
from shipflow.providers.shipstation.mapping import (
    Carrier,
    CreateOrdersResult,
    Label,
    MarkedShipped,
    OrdersPage,
    RateQuote,
    ShipmentsPage,
    ShipStationOrder,
    Tag,
)
from shipflow.providers.urls import is_allowed_resource_url

log = logging.getLogger("shipflow.providers.shipstation")

# Which 5xx answers are ShipStation refusing the request (permanent) rather than failing at it
# (transient, retried), shipstation.md §1.3. v1 is ASP.NET Web API: its validation *throws*, so
# a bad order comes back as HTTP 500 with the exception JSON, and the validation exceptions are
# the plain `System.Exception` with a sentence for the user, e.g. the real capture
# `{"Message": "An error has occurred.", "ExceptionMessage": "Ship To: Postal Code must be
# provided.", "ExceptionType": "System.Exception", "StackTrace": "..."}` (agritheory/
# shipstation-client fixture `v1_error_createorder_missing_postal_code.real.json`). The docs name
# one more permanent 500: `createlabelfororder` without an active Manual Store answers "Object
# reference not set to an instance of an object." (docs.shipstation.com/apis/shipstation-v1/
# docs/orders/create-label-for-order). Every other 5xx (another exception type such as a
# SqlException or TimeoutException, a body without `ExceptionType`, an HTML gateway page, 502,
# 503, 504) is transient.
_VALIDATION_EXCEPTION = "System.Exception"
_NO_MANUAL_STORE = ("orders/createlabelfororder",
                    "Object reference not set to an instance of an object.")


def is_validation_error(response: httpx.Response) -> bool:
    """True for the 500s above that mean "this request is invalid" (never retried)."""
    if response.status_code != 500:
        return False
    body = http.response_json(response)
    if not isinstance(body, dict):
        return False
    kind, message = body.get("ExceptionType"), body.get("ExceptionMessage")
    if not isinstance(kind, str) or not isinstance(message, str) or not message.strip():
        return False
    if kind.strip() == _VALIDATION_EXCEPTION:
        return True
    path, text = _NO_MANUAL_STORE
    return response.request.url.path.endswith(path) and message.strip() == text


def rate_budget(clock: http.Clock = http.SYSTEM_CLOCK) -> http.HeaderRateBudget:
    """A budget read from ShipStation's rate headers (40 requests a minute per key pair).

    Create one per API key and pass it to every `ShipStationClient` of the process (threads
    included) that uses that key: the window is the key's, not the client's. For one budget
    across processes, pass another `RateBudget` implementation (one kept in the database)."""
    return http.HeaderRateBudget("X-Rate-Limit-Remaining", "X-Rate-Limit-Reset",
                                 limit_header="X-Rate-Limit-Limit", clock=clock)


class ShipStationClient:
    """Synchronous ShipStation v1 client.

    `base_url` is `https://ssapi.shipstation.com` or a sandbox base such as
    `http://127.0.0.1:8100/shipstation`. When the rate budget is spent the next call waits for
    the window to reset, so this client never spends a request on a 429 it could foresee.

    `budget` is the seam for sharing ShipStation's per-key window: by default each client has
    its own; pass one `rate_budget()` to every client (and thread) of a process that uses the
    same key, or a database-backed `RateBudget` to share it across processes. The client is
    thread-safe: threads may share one instance, or each hold their own with a shared budget.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        api_secret: str,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: httpx.Timeout | float | None = None,
        retry: http.RetryPolicy | None = None,
        clock: http.Clock = http.SYSTEM_CLOCK,
        budget: http.RateBudget | None = None,
        rng: random.Random | None = None,
        max_pages: int = 50,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.max_pages = max_pages
        self.budget = budget if budget is not None else rate_budget(clock)
        self._client = http.build_client(
            self.base_url + "/",
            auth=httpx.BasicAuth(api_key, api_secret),
            transport=transport,
            # Label purchase waits on the carrier: give reads and writes a generous read timeout.
            timeout=timeout if timeout is not None else http.default_timeout(read=60.0),
        )
        self._session = http.HttpSession(
            "shipstation", self._client, _check, retry=retry, clock=clock, budget=self.budget,
            rng=rng,
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> ShipStationClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- orders --------------------------------------------------------------------------------
    def create_order(self, body: dict[str, Any]) -> dict[str, Any]:
        """`POST /orders/createorder`: create, or replace the order with the same `orderKey`.
        Retried on failure only when the body has an `orderKey` (then it is an upsert)."""
        response = self._session.request(
            "POST", "orders/createorder", json=body, idempotent=bool(body.get("orderKey"))
        )
        return _object(response)

    def create_orders(self, bodies: Sequence[dict[str, Any]]) -> CreateOrdersResult:
        """`POST /orders/createorders` in chunks of 100 (the documented maximum), one result per
        order in the order given. Individual failures come back as results, not exceptions."""
        results: list[mapping.CreateOrderResult] = []
        has_errors = False
        for start in range(0, len(bodies), mapping.MAX_ORDERS_PER_BULK):
            chunk = list(bodies[start:start + mapping.MAX_ORDERS_PER_BULK])
            response = self._session.request(
                "POST", "orders/createorders", json=chunk,
                idempotent=all(b.get("orderKey") for b in chunk),
            )
            parsed = mapping.parse_create_orders_response(response.json())
            results.extend(parsed.results)
            has_errors = has_errors or parsed.has_errors
        return CreateOrdersResult(has_errors=has_errors, results=tuple(results))

    def get_order(self, order_id: int) -> ShipStationOrder:
        response = self._session.request("GET", f"orders/{int(order_id)}", idempotent=True)
        return mapping.parse_order(response.json())

    def list_orders(self, **filters: Any) -> OrdersPage:
        """`GET /orders` with filters in snake_case (`order_number=`, `order_status=`,
        `page_size=`…); one page, parsed."""
        response = self._session.request(
            "GET", "orders", params=mapping.query_params(filters), idempotent=True
        )
        return mapping.parse_orders_page(response.json())

    def hold_until(self, order_id: int, until: date) -> None:
        """`POST /orders/holduntil`: on hold until `until`, then back to awaiting_shipment."""
        self._command("orders/holduntil", mapping.hold_until_request(order_id, until))

    def restore_from_hold(self, order_id: int) -> None:
        self._command("orders/restorefromhold", {"orderId": int(order_id)})

    def add_tag(self, order_id: int, tag_id: int) -> None:
        self._command("orders/addtag", {"orderId": int(order_id), "tagId": int(tag_id)})

    def mark_as_shipped(
        self,
        order_id: int,
        carrier_code: str,
        *,
        ship_date: date,
        tracking_number: str | None = None,
        notify_customer: bool = False,
        notify_sales_channel: bool = False,
    ) -> MarkedShipped:
        """`POST /orders/markasshipped`, for an order shipped outside ShipStation (API label
        mode: the label was bought through v2). Retried only when it notifies nobody (a repeat
        could email the customer twice). No SHIP_NOTIFY follows: the order becomes a
        fulfillment (`list_fulfillments`), not a shipment."""
        body = mapping.mark_as_shipped_request(
            order_id, carrier_code, ship_date=ship_date, tracking_number=tracking_number,
            notify_customer=notify_customer, notify_sales_channel=notify_sales_channel,
        )
        response = self._session.request(
            "POST", "orders/markasshipped", json=body,
            idempotent=not (notify_customer or notify_sales_channel),
        )
        return mapping.parse_marked_shipped(response.json())

    def cancel_order(self, order_id: int) -> ShipStationOrder:
        """Cancel an open order: v1 has no cancel call, so the order is read and sent back
        through createorder (an upsert by orderKey) with `orderStatus: cancelled`.

        The order is sent back as ShipStation returned it (the docs: "send the entire
        resource", there are no partial updates). Already cancelled: returned as is. Shipped:
        `RejectedRequest` (ShipStation refuses updates to shipped orders; void the label
        first). Safe to retry: the upsert is keyed.
        """
        raw = self._object("GET", f"orders/{int(order_id)}")
        current = mapping.parse_order(raw)
        if current.order_status == "cancelled":
            return current
        if not current.is_open:
            raise RejectedRequest(
                f"order {order_id} is {current.order_status} and cannot be cancelled",
                provider="shipstation", code="invalid_status")
        if not current.order_key:
            raise RejectedRequest(f"order {order_id} has no orderKey to update it by",
                                  provider="shipstation")
        body = dict(raw, orderStatus="cancelled")
        response = self._session.request("POST", "orders/createorder", json=body,
                                         idempotent=True)
        return mapping.parse_order(response.json())

    def list_fulfillments(self, **filters: Any) -> list[mapping.ShipStationFulfillment]:
        """`GET /fulfillments` (`order_id=`, `tracking_number=`…; one page): the orders marked
        as shipped (`mark_as_shipped`), which `list_shipments` never shows."""
        response = self._session.request(
            "GET", "fulfillments", params=mapping.query_params(filters), idempotent=True)
        return mapping.parse_fulfillments_page(response.json())

    def delete_order(self, order_id: int) -> None:
        """`DELETE /orders/{orderId}`: ShipStation hides the order (a soft delete)."""
        self._command(f"orders/{int(order_id)}", None, method="DELETE")

    def list_stores(self) -> list[stores.Store]:
        """`GET /stores`: the account's store connections (Shopify, manual stores...)."""
        return stores.parse_stores(
            self._session.request("GET", "stores", idempotent=True).json())

    def list_tags(self) -> list[Tag]:
        """`GET /accounts/listtags`: the account's tags, for `add_tag` by name."""
        return mapping.parse_tags(
            self._session.request("GET", "accounts/listtags", idempotent=True).json())

    def _object(self, method: str, path: str) -> dict[str, Any]:
        return _object(self._session.request(method, path, idempotent=True))

    def _command(self, path: str, body: dict[str, Any] | None, method: str = "POST") -> None:
        response = self._session.request(method, path, json=body, idempotent=True)
        success, message = mapping.parse_success(response.json())
        if not success:
            raise RejectedRequest(f"{path}: {message or 'success: false'}",
                                  provider="shipstation", status_code=response.status_code)

    # -- webhook subscriptions (configuration, not order effects: see ops/connect.py) ---------
    def list_webhooks(self) -> list[subscriptions.V1Webhook]:
        """`GET /webhooks`: every subscription of the account."""
        response = self._session.request("GET", "webhooks", idempotent=True)
        return subscriptions.parse_webhooks(response.json())

    def subscribe_webhook(self, target_url: str, event: str, *, store_id: int | None = None,
                          friendly_name: str | None = None) -> int:
        """`POST /webhooks/subscribe`; returns the new subscription's id. Not retried once it
        may have reached ShipStation (a repeat could subscribe twice): look in `list_webhooks`
        first."""
        body = subscriptions.subscribe_request(target_url, event, store_id=store_id,
                                               friendly_name=friendly_name)
        response = self._session.request("POST", "webhooks/subscribe", json=body,
                                         idempotent=False)
        return subscriptions.parse_subscribed(response.json())

    # -- shipments and labels ------------------------------------------------------------------
    def list_shipments(self, **filters: Any) -> ShipmentsPage:
        """`GET /shipments` with filters in snake_case (`order_number=`, `ship_date_start=`,
        `include_shipment_items=True`…); one page, parsed."""
        response = self._session.request(
            "GET", "shipments", params=mapping.query_params(filters), idempotent=True
        )
        return mapping.parse_shipments_page(response.json())

    def labels_shipped_between(self, start: date, end: date) -> list[history.PastLabel]:
        """Every label with a ship date from `start` to `end` (inclusive), voided ones too,
        every page (`GET /shipments?shipDateStart=&shipDateEnd=&pageSize=500`)."""
        labels: list[history.PastLabel] = []
        for page in range(1, self.max_pages + 1):
            response = self._session.request(
                "GET", "shipments", idempotent=True, params=mapping.query_params({
                    "ship_date_start": start, "ship_date_end": end, "sort_by": "CreateDate",
                    "sort_dir": "ASC", "page": page, "page_size": history.PAGE_SIZE}))
            found = history.parse_past_labels_page(response.json())
            labels.extend(found.labels)
            if found.page >= found.pages:
                return labels
        log.warning("shipments list has more than %d pages; stopped", self.max_pages)
        return labels

    def fetch_resource(self, resource_url: str) -> list[Shipment]:
        """The shipments a SHIP_NOTIFY / ITEM_SHIP_NOTIFY `resource_url` points at, every page.

        The URL is checked again against the configured base (`is_allowed_resource_url`) and
        fetched with `includeShipmentItems=true`, so each shipment says which lines it holds
        (the webhook's own URL asks for False). Rows that cannot be read are logged and left out.

        Each page is read under the session's byte cap and deadline (`http.HttpSession`); a
        5xx that is not a validation error (`is_validation_error`), or a page slower than the
        deadline, is a `TransientError`, so the engine's durable retry fetches the batch again
        instead of losing its labels.
        """
        if not is_allowed_resource_url(resource_url, self.base_url):
            raise ValueError("resource_url is not on the configured ShipStation host and path")
        url = httpx.URL(resource_url).copy_set_param("includeShipmentItems", "true")
        shipments: list[Shipment] = []
        page_number = 1
        while True:
            page_url = url if page_number == 1 else url.copy_set_param("page", str(page_number))
            response = self._session.request("GET", page_url, idempotent=True)
            body = response.json()
            if not isinstance(body, dict) or "shipments" not in body:
                raise UnexpectedResponse("resource is not a shipments list",
                                         provider="shipstation")
            page = mapping.parse_shipments_page(body)
            for skipped in page.skipped:
                log.warning("shipment %s in a SHIP_NOTIFY batch skipped: %s",
                            skipped.shipment_id, skipped.reason)
            shipments.extend(page.shipments)
            if page_number >= page.pages:
                return shipments
            if page_number >= self.max_pages:
                log.warning("SHIP_NOTIFY resource has %d pages; stopped after %d",
                            page.pages, self.max_pages)
                return shipments
            page_number += 1

    def get_rates(
        self,
        carrier_code: str,
        from_postal_code: str,
        to_country: str,
        to_postal_code: str,
        weight_grams: int,
        *,
        to_state: str | None = None,
        to_city: str | None = None,
        service_code: str | None = None,
        package_code: str | None = None,
        confirmation: str | None = None,
        residential: bool | None = None,
    ) -> list[RateQuote]:
        """`POST /shipments/getrates`: every service of one carrier, cheapest first.
        Rate shopping across carriers is one call per carrier (shipstation.md §1.6)."""
        body = mapping.rates_request(
            carrier_code, from_postal_code, to_country, to_postal_code, weight_grams,
            to_state=to_state, to_city=to_city, service_code=service_code,
            package_code=package_code, confirmation=confirmation, residential=residential,
        )
        response = self._session.request("POST", "shipments/getrates", json=body,
                                         idempotent=True)
        return sorted(mapping.parse_rates(response.json(), carrier_code), key=lambda q: q.total)

    def list_carriers(self) -> list[Carrier]:
        return mapping.parse_carriers(
            self._session.request("GET", "carriers", idempotent=True).json()
        )

    def create_label_for_order(
        self,
        order_id: int,
        carrier_code: str,
        service_code: str,
        *,
        ship_date: date,
        confirmation: str = "none",
        package_code: str = "package",
        weight_grams: int | None = None,
        test_label: bool = False,
    ) -> Label:
        """`POST /orders/createlabelfororder`: buys a label. Never retried once it may have
        reached ShipStation (a repeat buys a second label); look for the shipment first."""
        body = mapping.label_request(
            order_id, carrier_code, service_code, ship_date=ship_date, confirmation=confirmation,
            package_code=package_code, weight_grams=weight_grams, test_label=test_label,
        )
        response = self._session.request(
            "POST", "orders/createlabelfororder", json=body, idempotent=False
        )
        return mapping.parse_label(response.json())


def _object(response: httpx.Response) -> dict[str, Any]:
    body = http.response_json(response)
    if not isinstance(body, dict):
        raise UnexpectedResponse("expected a JSON object", provider="shipstation",
                                 status_code=response.status_code)
    return body


def _check(response: httpx.Response) -> None:
    status = response.status_code
    if 200 <= status < 300:
        if http.response_json(response) is None:
            raise UnexpectedResponse("response is not JSON", provider="shipstation",
                                     status_code=status)
        return
    body = http.response_json(response)
    message, code = mapping.parse_error(body)
    text = message or (http.short_text(response) if body is None else response.reason_phrase)
    if status == 429:
        retry_after = http.header_float(response.headers, "X-Rate-Limit-Reset")
        if retry_after is None:
            retry_after = http.parse_retry_after(response.headers.get("Retry-After"))
        http.raise_for_status("shipstation", response, text, code=code,
                              retry_after=retry_after)
    if is_validation_error(response):
        raise RejectedRequest(text, provider="shipstation", status_code=status, code=code)
    http.raise_for_status("shipstation", response, text, code=code)
