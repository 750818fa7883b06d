"""The simulated ShipStation v2 account: rates, labels, tracking, webhooks, signing keys.

It shares the account with v1 (same carriers, same warehouse): every v1 shipment gets a *twin*
v2 label (the same tracking number, `external_shipment_id` = the v1 `shipmentId` as a string,
`external_order_id` = the v1 `orderId`), so `GET /v2/labels/{id}/track` and TRACK_EVENT_V2
webhooks cover labels printed through v1 too. Join a v1 shipment to its v2 label with
`GET /v2/labels?tracking_number=<trackingNumber>` (works against the real service as well) or on
`external_shipment_id` (sandbox convention). Each v1 batch maps to one v2 batch, announced
with LABEL_CREATED_V2 when the batch is printed; v2 label purchases get a batch of their own.
Voiding either twin voids the other and stops the carrier's scans.

Every rate request with an inline shipment creates a shipment record (as ShipEngine does);
several may share an `external_shipment_id`. Looked up by it, the one with a label wins, else
the newest (assumption: the real choice is undocumented). A shipment may name the account's
warehouse (`warehouse_id`) instead of a `ship_from`; the record then shows the warehouse's
address as `ship_from` and `return_to`.
"""

from __future__ import annotations

import random
import secrets
from datetime import date
from typing import TYPE_CHECKING, Any

from shipflow_sandbox.carrier.geo import ORIGIN, destination, distance_km
from shipflow_sandbox.carrier.taxonomy import TRACKING_URLS, label_tracking_status
from shipflow_sandbox.carrier.tracker import CarrierSim, Parcel
from shipflow_sandbox.carrier.transit import add_business_days, pickup_day, transit_days
from shipflow_sandbox.clock import Clock
from shipflow_sandbox.config import SandboxConfig
from shipflow_sandbox.faults import Faults
from shipflow_sandbox.ratelimit import FixedWindow
from shipflow_sandbox.scheduler import Scheduler
from shipflow_sandbox.shipstation import pricing
from shipflow_sandbox.shipstation.carriers import SERVICES, Service, tracking_number
from shipflow_sandbox.shipstation.orders import ss_timestamp
from shipflow_sandbox.shipstation.store import Counter, StoredShipment
from shipflow_sandbox.shipstation_v2 import documents
from shipflow_sandbox.shipstation_v2.carriers import services_of
from shipflow_sandbox.shipstation_v2.errors import V2Error
from shipflow_sandbox.shipstation_v2.signing import KeyRing
from shipflow_sandbox.shipstation_v2.validation import (
    ADDRESS_KEYS,
    WAREHOUSE_ADDRESS,
    ShipmentInput,
)
from shipflow_sandbox.shipstation_v2.webhooks import V2Webhooks
from shipflow_sandbox.webhooks import WebhookDispatcher

if TYPE_CHECKING:
    from shipflow_sandbox.shipstation.sim import ShipStationSim


class ShipStationV2Sim:
    def __init__(self, config: SandboxConfig, clock: Clock, scheduler: Scheduler,
                 dispatcher: WebhookDispatcher, faults: Faults, v1: ShipStationSim) -> None:
        self.config = config
        self.clock = clock
        self.v1 = v1
        rng = random.Random(f"shipstation_v2:{config.seed}")
        self.rng = rng
        self.next_label = Counter(rng, 184_976_000)
        self.next_shipment = Counter(rng, 394_477_000)
        self.next_batch = Counter(rng, 64_616_000)
        self.next_rate = Counter(rng, 3_401_000)
        self.next_package = Counter(rng, 147_972_000)
        self.next_webhook = Counter(rng, 28_529_700)
        self.keys = KeyRing()
        self.window = FixedWindow(clock, config.shipstation_v2_rate_limit, 60.0)
        self.carrier = CarrierSim(config, clock, scheduler)
        self.carrier.listeners.append(self._on_scan)
        self.webhooks = V2Webhooks(config, clock, scheduler, dispatcher, faults, self.keys,
                                   self.next_webhook)
        self.labels: dict[str, dict[str, Any]] = {}
        self.shipments: dict[str, dict[str, Any]] = {}
        self.inputs: dict[str, ShipmentInput] = {}
        self.rates: dict[str, tuple[str, Service, pricing.Quote]] = {}
        self.by_tracking: dict[str, str] = {}
        self.twins: dict[int, str] = {}
        self.batches: dict[int, str] = {}
        self.downloads: dict[str, str] = {}
        for url in config.shipstation_v2_webhook_urls:
            self.webhooks.subscribe(url, "track_event_v2")
            self.webhooks.subscribe(url, "label_created_v2")
        v1.warehouse.label_hooks = self

    # -- rates -------------------------------------------------------------------------------
    def _transit(self, shipment: ShipmentInput, service: Service) -> tuple[int, date, date]:
        to = shipment.ship_to
        home, _ = destination(to["city_locality"], to["state_province"], to["postal_code"],
                              to["country_code"])
        pickup = pickup_day(self.clock.calendar(), ORIGIN.tz)
        days = transit_days(service.code, distance_km(ORIGIN, home),
                            home.state in ("AK", "HI", "PR"))
        return days, pickup, add_business_days(pickup, days)

    def quote(self, shipment: ShipmentInput, service: Service) -> pricing.Quote:
        to = shipment.ship_to
        zone = pricing.zone(shipment.ship_from["postal_code"], to["postal_code"],
                            to["country_code"])
        residential = to["address_residential_indicator"] != "no"
        return pricing.quote(service, shipment.weight_oz, zone, residential,
                             shipment.confirmation)

    def rate_shop(self, shipment: ShipmentInput, carrier_codes: list[str],
                  service_codes: list[str] | None, shipment_id: str | None) -> dict[str, Any]:
        """The `calculate_rates` response: the shipment plus `rate_response`."""
        now = self.clock.calendar()
        if shipment_id is None:
            shipment_id = f"se-{self.next_shipment()}"
            self.inputs[shipment_id] = shipment
        domestic = shipment.ship_to["country_code"] in ("US", "PR")
        rates = []
        ship_day = pickup_day(now, ORIGIN.tz)
        for code in carrier_codes:
            for service in services_of(code):
                if pricing.is_international(service) == domestic:
                    continue
                if service_codes and service.code not in service_codes:
                    continue
                rate_id = f"se-{self.next_rate()}"
                quote = self.quote(shipment, service)
                self.rates[rate_id] = (shipment_id, service, quote)
                days, ship_day, estimate = self._transit(shipment, service)
                rates.append(documents.rate_json(rate_id=rate_id, service=service, quote=quote,
                                                 days=days, ship_day=ship_day,
                                                 estimate=estimate))
        record = documents.shipment_json(shipment_id, shipment, now, ship_day)
        if self.shipments.get(shipment_id, {}).get("shipment_status") != "label_purchased":
            self.shipments[shipment_id] = record
        body = dict(record)
        body["rate_response"] = {
            "rates": rates,
            "invalid_rates": [],
            "rate_request_id": f"se-{self.next_rate()}",
            "shipment_id": shipment_id,
            "created_at": documents.stamp(now),
            "status": "completed",
            "errors": [],
        }
        return body

    def shipment_by_external_id(self, external_id: str) -> dict[str, Any] | None:
        """The shipment with that `external_shipment_id`: the one with a label when there is
        one, else the newest (assumption: the real API's choice among several is undocumented;
        each rate request with an inline shipment creates one)."""
        matches = [self.shipments[sid] for sid, given in self.inputs.items()
                   if given.external_shipment_id == external_id and sid in self.shipments]
        if not matches:
            return None
        bought = [m for m in matches if m["shipment_status"] == "label_purchased"]
        return (bought or matches)[-1]

    # -- labels ------------------------------------------------------------------------------
    def buy(self, shipment: ShipmentInput, service: Service, *, shipment_id: str | None = None,
            tracking: str | None = None, ship_day: date | None = None,
            batch_id: str | None = None, quote: pricing.Quote | None = None) -> dict[str, Any]:
        """Buy a label: shipment record, label record, carrier plan; LABEL_CREATED_V2 is sent
        unless the label belongs to a (v1) batch that is announced when printed."""
        now = self.clock.calendar()
        shipment_id = shipment_id or f"se-{self.next_shipment()}"
        label_id = f"se-{self.next_label()}"
        announce = batch_id is None
        batch_id = batch_id or f"se-{self.next_batch()}"
        tracking = tracking or tracking_number(service, self.rng)
        ship_day = ship_day or pickup_day(now, ORIGIN.tz)
        token = secrets.token_urlsafe(16)
        base = self.webhooks.base + "/shipstation/v2/downloads/14"
        number = label_id.removeprefix("se-")
        downloads = {fmt: f"{base}/{token}/label-{number}.{fmt}" for fmt in ("pdf", "png", "zpl")}
        downloads["href"] = downloads["pdf"]
        self.downloads[token] = label_id
        label = documents.label_json(
            label_id=label_id, shipment_id=shipment_id, batch_id=batch_id, created=now,
            ship_day=ship_day, service=service, quote=quote or self.quote(shipment, service),
            tracking=tracking, shipment=shipment, downloads=downloads,
            package_id=self.next_package(),
            tracking_url=TRACKING_URLS[service.carrier].format(n=tracking),
        )
        record = documents.shipment_json(shipment_id, shipment, now, ship_day,
                                         status="label_purchased")
        record.update(carrier_id=label["carrier_id"], service_code=service.code)
        self.shipments[shipment_id] = record
        self.inputs[shipment_id] = shipment
        self.labels[label_id] = label
        self.by_tracking[tracking] = label_id
        if announce:
            self.webhooks.label_created(batch_id)
        self.carrier.register(tracking_number=tracking, carrier_code=service.carrier,
                              service_code=service.code, label_id=label_id,
                              ship_to=shipment.ship_to, confirmation=shipment.confirmation,
                              created=now)
        return label

    def buy_rate(self, rate_id: str) -> dict[str, Any]:
        if rate_id not in self.rates:
            raise V2Error.not_found("rate_id", rate_id)
        shipment_id, service, quote = self.rates[rate_id]
        return self.buy(self.inputs[shipment_id], service, shipment_id=shipment_id, quote=quote)

    def void(self, label_id: str, from_v1: bool = False) -> dict[str, Any]:
        label = self.labels[label_id]
        if label["voided"]:
            return {"approved": False, "message": "This label has already been voided.",
                    "reason_code": "label_already_voided"}
        parcel = self.carrier.parcels.get(label["tracking_number"])
        used = parcel is not None and any(
            scan.kind not in ("label_created", "electronic_advice")
            for scan in parcel.emitted_scans
        )
        if used and not from_v1:
            return {"approved": False, "message": "The label has already been used by the "
                    "carrier and cannot be voided.", "reason_code": "label_already_used"}
        label.update(status="voided", voided=True,
                     voided_at=documents.stamp(self.clock.calendar()), void_type="manual")
        self.carrier.void(label["tracking_number"])
        external = label.get("external_shipment_id")
        if not from_v1 and external and external.isdigit():
            stored = self.v1.store.shipments.get(int(external))
            if stored is not None and not stored.data["voided"]:
                stored.data.update(voided=True, voidDate=ss_timestamp(self.clock.wall()))
        return {"approved": True, "message": "Request for refund submitted.  This label has "
                "been voided."}

    def track(self, label_id: str) -> dict[str, Any]:
        label = self.labels[label_id]
        parcel = self.carrier.parcels.get(label["tracking_number"])
        info = parcel.tracking_information() if parcel else None
        if info is None:
            raise V2Error(400, "business_rules", "tracking_not_supported",
                          f"label_id '{label_id}' has no tracking information yet")
        return info

    def _on_scan(self, parcel: Parcel, event: dict[str, Any]) -> None:
        label = self.labels.get(parcel.label_id)
        if label is None:
            return
        label["tracking_status"] = label_tracking_status(event["status_code"], parcel.done)
        if self.webhooks.wants_tracking():
            info = parcel.tracking_information()
            if info is not None:
                self.webhooks.tracking(parcel.label_id, info)

    # -- v1 twins (called by the v1 warehouse) ---------------------------------------------
    def v1_label_created(self, shipment: StoredShipment, order: dict[str, Any]) -> None:
        data = shipment.data
        to = data["shipTo"]
        residential = {True: "yes", False: "no"}.get(to.get("residential"), "unknown")
        service = SERVICES[data["serviceCode"]]
        twin = ShipmentInput(
            ship_to={"name": to.get("name"), "phone": to.get("phone"), "email": None,
                     "company_name": to.get("company"), "address_line1": to.get("street1"),
                     "address_line2": to.get("street2"), "address_line3": to.get("street3"),
                     "city_locality": to.get("city"), "state_province": to.get("state"),
                     "postal_code": to.get("postalCode"),
                     "country_code": (to.get("country") or "US").upper(),
                     "address_residential_indicator": residential},
            ship_from={key: WAREHOUSE_ADDRESS.get(key) for key in ADDRESS_KEYS},
            packages=[{"package_code": data["packageCode"] or "package",
                       "weight": {"value": max(0.1, data["weight"]["value"]), "unit": "ounce"},
                       "dimensions": None, "insured_value": None, "label_messages": None,
                       "external_package_id": None, "content_description": None}],
            confirmation=data["confirmation"] or "none",
            service=service,
            carrier_id=None,
            external_shipment_id=str(data["shipmentId"]),
            external_order_id=str(data["orderId"]),
            shipment_number=data["orderNumber"],
            warehouse_id=None,
        )
        if shipment.batch_id not in self.batches:
            self.batches[shipment.batch_id] = f"se-{self.next_batch()}"
        label = self.buy(twin, service, tracking=data["trackingNumber"],
                         ship_day=date.fromisoformat(data["shipDate"]),
                         batch_id=self.batches[shipment.batch_id])
        self.twins[data["shipmentId"]] = label["label_id"]

    def v1_batch_printed(self, batch_id: int) -> None:
        if batch_id in self.batches:
            self.webhooks.label_created(self.batches[batch_id])

    def v1_voided(self, shipment: StoredShipment) -> None:
        label_id = self.twins.get(shipment.data["shipmentId"])
        if label_id is not None:
            self.void(label_id, from_v1=True)

    def counts(self) -> dict[str, Any]:
        labels = list(self.labels.values())
        v2 = [d for d in self.webhooks.dispatcher.deliveries if d.provider == "shipstation_v2"]
        return {
            "labels": len(labels),
            "labels_voided": sum(label["voided"] for label in labels),
            "labels_by_tracking_status": _count(label["tracking_status"] for label in labels),
            "webhooks": _count(d.state for d in v2),
            "webhooks_reordered": self.webhooks.reordered,
            "carrier": self.carrier.counts(),
        }


def _count(values: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for value in values:
        out[value] = out.get(value, 0) + 1
    return dict(sorted(out.items()))
