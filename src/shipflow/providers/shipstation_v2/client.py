"""The ShipStation API v2 client: rates, labels, tracking and webhook subscriptions.

`API-Key` header, JSON bodies built and parsed in `v2_wire.py`, 200 requests a minute per
account (shipstation.md §2.1–2.2). Errors come in one envelope, `{request_id, errors[]}`, and
are mapped to `providers.errors`: 429 / `rate_limit_exceeded` -> `RateLimited` (waiting
`Retry-After`), 401/403 -> `AuthenticationError`, 404 -> `NotFound`, other 4xx (validation,
business rules) -> `RejectedRequest` whose message names the field.

The v1 client (`client.py`) stays: a merchant's warehouse may print labels in ShipStation (v1
SHIP_NOTIFY) while shipflow buys labels and follows tracking through v2.
"""

from __future__ import annotations

import logging
import random
from typing import Any, Mapping, Sequence
from urllib.parse import quote

import httpx

from shipflow.domain.tracking_events import TrackingUpdate
from shipflow.providers import http
from shipflow.providers.errors import (
    ErrorDetail,
    NotFound,
    RateLimited,
    RejectedRequest,
    UnexpectedResponse,
)
from shipflow.providers.shipstation_v2 import wire as v2_wire
from shipflow.providers.shipstation_v2.wire import (
    Carrier,
    Label,
    Rate,
    VoidResult,
    Warehouse,
    WebhookSubscription,
)
from shipflow.providers.urls import is_allowed_resource_url

log = logging.getLogger("shipflow.providers.shipstation")

REAL_BASE_URL = "https://api.shipstation.com"


def rate_budget(clock: http.Clock = http.SYSTEM_CLOCK) -> http.HeaderRateBudget:
    """A budget read from `X-Rate-Limit-*` headers, when the responses carry them.

    ShipStation documents only the limit (200/min) and `Retry-After` on 429 for v2; v1 sends
    these headers and the sandbox sends them for v2 too. Without them the budget never waits
    and the client relies on 429 + `Retry-After`. Share one instance per API key."""
    return http.HeaderRateBudget("X-Rate-Limit-Remaining", "X-Rate-Limit-Reset",
                                 limit_header="X-Rate-Limit-Limit", clock=clock)


def _segment(value: str, what: str) -> str:
    """One URL path segment from an id we were given (never a path of its own)."""
    if not value or not value.strip():
        raise ValueError(f"{what} is empty")
    return quote(value.strip(), safe="")


class ShipStationV2Client:
    """Synchronous ShipStation API v2 client.

    `base_url` is `https://api.shipstation.com` or a sandbox base such as
    `http://127.0.0.1:8100/shipstation` (paths are `v2/...` under it). Thread-safe; pass one
    shared `budget` to every client of the process using the same key.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
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
            headers={"API-Key": api_key},
            transport=transport,
            # Label purchase waits on the carrier.
            timeout=timeout if timeout is not None else http.default_timeout(read=60.0),
        )
        self._session = http.HttpSession(
            "shipstation", self._client, _check, retry=retry, clock=clock, budget=self.budget,
            rng=rng,
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> ShipStationV2Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- rates and labels ----------------------------------------------------------------------
    def rates(
        self,
        shipment_or_id: Mapping[str, Any] | str,
        carrier_ids: Sequence[str],
        *,
        service_codes: Sequence[str] | None = None,
        package_types: Sequence[str] | None = None,
        preferred_currency: str | None = None,
        calculate_tax_amount: bool | None = None,
    ) -> list[Rate]:
        """`POST /v2/rates`: the shipment's rates, cheapest total first. Build the shipment
        of an order with `v2_rating.order_shipment`; each rate carries `delivery_days` and
        `estimated_delivery_date` for choosing one that meets a promised date.

        Carrier-refused rates (`invalid_rates`) and warnings are logged, not returned. When no
        rate came back and the response carries errors, `RejectedRequest` with those errors.
        Retried on failure: a repeat only quotes again (it may leave one more shipment record
        in ShipStation, which buys nothing).
        """
        body = v2_wire.rates_request(
            shipment_or_id, carrier_ids, service_codes=service_codes,
            package_types=package_types, preferred_currency=preferred_currency,
            calculate_tax_amount=calculate_tax_amount,
        )
        response = self._session.request("POST", "v2/rates", json=body, idempotent=True)
        result = v2_wire.parse_rate_response(_json(response))
        for rate in result.invalid_rates:
            log.info("rate %s (%s) refused by the carrier: %s", rate.service_code,
                     rate.carrier_code, "; ".join(rate.error_messages) or "no reason")
        if not result.rates and result.errors:
            raise RejectedRequest(
                "; ".join(str(e) for e in result.errors), provider="shipstation",
                code=result.errors[0].error_code,
                details=tuple(ErrorDetail(e.message, e.field_name, e.error_code)
                              for e in result.errors))
        return sorted(result.rates, key=lambda r: r.total.amount)

    def create_label(
        self,
        shipment: Mapping[str, Any],
        *,
        label_format: str = "pdf",
        label_layout: str = "4x6",
        label_download_type: str = "url",
        test_label: bool = False,
        validate_address: str | None = None,
    ) -> Label:
        """`POST /v2/labels`: buys a label. Never retried once it may have reached ShipStation
        (a repeat buys a second label): before trying again, look for the label with
        `shipment_id_for(external_shipment_id)` and `labels(shipment_id=...)`."""
        body = v2_wire.label_request(
            shipment, label_format=label_format, label_layout=label_layout,
            label_download_type=label_download_type, test_label=test_label,
            validate_address=validate_address,
        )
        response = self._session.request("POST", "v2/labels", json=body, idempotent=False)
        return v2_wire.parse_label(_json(response))

    def label_from_rate(
        self,
        rate_id: str,
        *,
        label_format: str = "pdf",
        label_layout: str = "4x6",
        label_download_type: str = "url",
        validate_address: str | None = None,
    ) -> Label:
        """`POST /v2/labels/rates/{rate_id}`: buys the quoted rate (API label mode; then
        `ShipStationClient.mark_as_shipped` on the v1 order). Not retried (see
        `create_label`); before trying again after a failure, `shipment_id_for(external id)`
        and `labels(shipment_id=...)` show whether the first attempt bought it. The carrier's
        tracking of the label arrives as TRACK_EVENT_V2 webhooks."""
        body = v2_wire.label_from_rate_request(
            label_format=label_format, label_layout=label_layout,
            label_download_type=label_download_type, validate_address=validate_address,
        )
        response = self._session.request(
            "POST", f"v2/labels/rates/{_segment(rate_id, 'rate_id')}", json=body,
            idempotent=False)
        return v2_wire.parse_label(_json(response))

    def get_label(self, label_id: str) -> Label:
        response = self._session.request(
            "GET", f"v2/labels/{_segment(label_id, 'label_id')}", idempotent=True)
        return v2_wire.parse_label(_json(response))

    def labels(
        self,
        *,
        batch_id: str | None = None,
        shipment_id: str | None = None,
        tracking_number: str | None = None,
        page_size: int | None = None,
    ) -> list[Label]:
        """`GET /v2/labels` with filters, every page (following `links.next`)."""
        params = {k: v for k, v in {"batch_id": batch_id, "shipment_id": shipment_id,
                                    "tracking_number": tracking_number,
                                    "page_size": page_size}.items() if v is not None}
        url = self._client.base_url.join("v2/labels").copy_merge_params(params)
        return self._all_labels(url)

    def labels_from_resource(self, resource_url: str) -> list[Label]:
        """The labels a LABEL_CREATED_V2 webhook's `resource_url` points at
        (`/v2/labels?batch_id=se-…`), every page. The URL must be on the configured host and
        under its path (the same SSRF guard as v1)."""
        if not is_allowed_resource_url(resource_url, self.base_url):
            raise ValueError("resource_url is not on the configured ShipStation host and path")
        return self._all_labels(httpx.URL(resource_url))

    def _all_labels(self, url: httpx.URL) -> list[Label]:
        labels: list[Label] = []
        for _ in range(self.max_pages):
            response = self._session.request("GET", url, idempotent=True)
            page = v2_wire.parse_labels_page(_json(response))
            labels.extend(page.labels)
            if not page.next_url or page.page >= page.pages:
                return labels
            if not is_allowed_resource_url(page.next_url, self.base_url):
                raise UnexpectedResponse("links.next points outside the configured host",
                                         provider="shipstation")
            url = httpx.URL(page.next_url)
        log.warning("labels list has more than %d pages; stopped", self.max_pages)
        return labels

    def shipment_id_for(self, external_shipment_id: str) -> str | None:
        """`GET /v2/shipments/external_shipment_id/{id}`: ShipStation's shipment id for our
        key, or None when there is none (so a label purchase was never reached)."""
        try:
            response = self._session.request(
                "GET", "v2/shipments/external_shipment_id/"
                + _segment(external_shipment_id, "external_shipment_id"), idempotent=True)
        except NotFound:
            return None
        body = _object(response)
        value = body.get("shipment_id")
        return value if isinstance(value, str) and value else None

    def void_label(self, label_id: str) -> VoidResult:
        """`PUT /v2/labels/{id}/void`. Safe to repeat: voiding a voided label is refused with
        `approved: false`, never charged."""
        response = self._session.request(
            "PUT", f"v2/labels/{_segment(label_id, 'label_id')}/void", idempotent=True)
        return v2_wire.parse_void(_json(response))

    def track(self, label_id: str) -> TrackingUpdate:
        """`GET /v2/labels/{id}/track`: the carrier's history for a label we bought."""
        response = self._session.request(
            "GET", f"v2/labels/{_segment(label_id, 'label_id')}/track", idempotent=True)
        return v2_wire.parse_tracking_information(_json(response), label_id=label_id)

    def carriers(self) -> list[Carrier]:
        response = self._session.request("GET", "v2/carriers", idempotent=True)
        return v2_wire.parse_carriers(_json(response))

    def warehouses(self) -> list[Warehouse]:
        """`GET /v2/warehouses`: the account's ship-from locations, for `warehouse_id`."""
        response = self._session.request("GET", "v2/warehouses", idempotent=True)
        return v2_wire.parse_warehouses(_json(response))

    # -- webhooks ------------------------------------------------------------------------------
    def create_webhook(self, event: str, url: str, headers: Mapping[str, str] | None = None
                       ) -> WebhookSubscription:
        """`POST /v2/environment/webhooks`. Not retried: one URL per event, a repeat is a 409
        (`webhook_event_type_conflict`); look in `list_webhooks` first."""
        body = v2_wire.webhook_request(event, url, headers)
        response = self._session.request("POST", "v2/environment/webhooks", json=body,
                                         idempotent=False)
        return v2_wire.parse_webhook_subscription(_json(response))

    def list_webhooks(self) -> list[WebhookSubscription]:
        response = self._session.request("GET", "v2/environment/webhooks", idempotent=True)
        return v2_wire.parse_webhook_list(_json(response))

    def delete_webhook(self, webhook_id: str) -> None:
        self._session.request(
            "DELETE", f"v2/environment/webhooks/{_segment(webhook_id, 'webhook_id')}",
            idempotent=True)


def _json(response: httpx.Response) -> Any:
    body = http.response_json(response)
    if body is None:
        raise UnexpectedResponse("response is not JSON", provider="shipstation",
                                 status_code=response.status_code)
    return body


def _object(response: httpx.Response) -> dict[str, Any]:
    body = http.response_json(response)
    if not isinstance(body, dict):
        raise UnexpectedResponse("expected a JSON object", provider="shipstation",
                                 status_code=response.status_code)
    return body


def _check(response: httpx.Response) -> None:
    status = response.status_code
    if 200 <= status < 300:
        return
    body = http.response_json(response)
    request_id, errors = v2_wire.parse_errors(body)
    message = "; ".join(str(e) for e in errors) or (
        http.short_text(response) if body is None else response.reason_phrase)
    code = errors[0].error_code if errors else None
    details = tuple(ErrorDetail(e.message, e.field_name, e.error_code) for e in errors)
    if status == 429 or code == "rate_limit_exceeded":
        raise RateLimited(
            message, retry_after=http.parse_retry_after(response.headers.get("Retry-After")),
            provider="shipstation", status_code=status, code=code, request_id=request_id)
    http.raise_for_status("shipstation", response, message, code=code, details=details,
                          request_id=request_id)
