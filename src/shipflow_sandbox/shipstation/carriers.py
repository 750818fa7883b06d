"""Carriers, services, tracking numbers, postage and label files of the simulated warehouse.

Carrier accounts mirror `v1_carriers_list_response.docs.json`; service codes are ShipStation's
(`usps_priority_mail`, `ups_ground`, `fedex_2day`, ...). Tracking-number formats: UPS `1Z` +
16 characters, USPS 22 digits starting `94`, FedEx 12 digits. Postage: `pricing.py`.
"""

from __future__ import annotations

import base64
import random
from dataclasses import dataclass
from typing import Any

CARRIERS: tuple[dict[str, Any], ...] = (
    {
        "name": "Stamps.com",
        "code": "stamps_com",
        "accountNumber": "SS123",
        "requiresFundedAccount": True,
        "balance": 2400.27,
        "nickname": None,
        "shippingProviderId": 12345,
        "primary": True,
    },
    {
        "name": "UPS",
        "code": "ups",
        "accountNumber": "ABCR80",
        "requiresFundedAccount": False,
        "balance": 0,
        "nickname": None,
        "shippingProviderId": 12347,
        "primary": True,
    },
    {
        "name": "FedEx",
        "code": "fedex",
        "accountNumber": 297929999,
        "requiresFundedAccount": False,
        "balance": 0,
        "nickname": "SS",
        "shippingProviderId": 12348,
        "primary": True,
    },
)


@dataclass(frozen=True)
class Service:
    code: str
    carrier: str
    name: str
    base: float
    per_lb: float
    ups_code: str = "03"


SERVICES = {
    s.code: s
    for s in (
        Service("usps_ground_advantage", "stamps_com", "USPS Ground Advantage", 4.75, 0.9),
        Service("usps_first_class_mail", "stamps_com", "USPS First Class Mail", 4.10, 0.8),
        Service("usps_priority_mail", "stamps_com", "USPS Priority Mail", 8.25, 1.35),
        Service(
            "usps_priority_mail_express", "stamps_com", "USPS Priority Mail Express", 28.75, 2.9
        ),
        Service(
            "usps_priority_mail_international", "stamps_com", "USPS Priority Mail Intl", 42.10, 4.2
        ),
        Service("ups_ground", "ups", "UPS® Ground", 9.85, 1.1, "03"),
        Service("ups_2nd_day_air", "ups", "UPS 2nd Day Air®", 19.40, 2.6, "02"),
        Service("ups_next_day_air", "ups", "UPS Next Day Air®", 39.90, 4.8, "01"),
        Service("fedex_ground", "fedex", "FedEx Ground®", 9.60, 1.05),
        Service("fedex_home_delivery", "fedex", "FedEx Home Delivery®", 9.95, 1.1),
        Service("fedex_2day", "fedex", "FedEx 2Day®", 18.90, 2.5),
        Service("fedex_standard_overnight", "fedex", "FedEx Standard Overnight®", 36.50, 4.4),
        Service("fedex_international_economy", "fedex", "FedEx International Economy®", 55.00, 5.1),
    )
}
DEFAULT_SERVICE = {
    "stamps_com": "usps_ground_advantage",
    "ups": "ups_ground",
    "fedex": "fedex_ground",
}
CARRIER_NAMES = {"stamps_com": "USPS", "ups": "UPS", "fedex": "FedEx"}

# Checkout rate titles -> service, first match wins (on lower-cased text).
_REQUESTED = (
    ("international", "usps_priority_mail_international"),
    ("express", "ups_next_day_air"),
    ("overnight", "fedex_standard_overnight"),
    ("next day", "ups_next_day_air"),
    ("2day", "fedex_2day"),
    ("2 day", "fedex_2day"),
    ("2nd day", "ups_2nd_day_air"),
    ("priority", "usps_priority_mail"),
    ("ups", "ups_ground"),
    ("fedex", "fedex_ground"),
)


def choose_service(order: dict[str, Any], weight_oz: float) -> Service:
    """The service a warehouse picks: the order's own choice, else the customer's request."""
    if order.get("serviceCode") in SERVICES:
        return SERVICES[order["serviceCode"]]
    if order.get("carrierCode") in DEFAULT_SERVICE:
        return SERVICES[DEFAULT_SERVICE[order["carrierCode"]]]
    country = ((order.get("shipTo") or {}).get("country") or "US").upper()
    if country not in ("US", "PR"):
        return SERVICES["usps_priority_mail_international"]
    requested = (order.get("requestedShippingService") or "").lower()
    for needle, code in _REQUESTED:
        if needle in requested:
            return SERVICES[code]
    if weight_oz > 20 * 16:
        return SERVICES["ups_ground"]
    return SERVICES["usps_ground_advantage"]


def tracking_number(service: Service, rng: random.Random) -> str:
    if service.carrier == "ups":
        shipper = "".join(rng.choice("0123456789ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(6))
        return f"1Z{shipper}{service.ups_code}{rng.randrange(10**8):08d}"
    if service.carrier == "fedex":
        return f"{rng.randrange(10**11, 10**12):012d}"
    return f"94{rng.choice(('00', '05', '99'))}1{rng.randrange(10**17):017d}"


def label_pdf(tracking: str, service: Service, ship_to: dict[str, Any]) -> str:
    """A minimal one-page 4x6 PDF carrying the service and tracking number, base64-encoded."""
    text = f"{service.name}  {tracking}  {ship_to.get('postalCode') or ''}".replace("(", "")
    stream = f"BT /F1 12 Tf 18 400 Td ({text.replace(')', '')}) Tj ET".encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 288 432] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return base64.b64encode(bytes(out)).decode()
