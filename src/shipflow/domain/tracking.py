"""Carrier display names and public tracking links for ShipStation carrier codes."""

from __future__ import annotations

from urllib.parse import quote

from shipflow.domain.shipment import TrackingInfo

# ShipStation v1 carrier codes (shared/specs/shipstation.md §1.6) -> (name, tracking URL template)
_CARRIERS: dict[str, tuple[str, str]] = {
    "ups": ("UPS", "https://www.ups.com/track?tracknum={n}"),
    "ups_walleted": ("UPS", "https://www.ups.com/track?tracknum={n}"),
    "fedex": ("FedEx", "https://www.fedex.com/fedextrack/?trknbr={n}"),
    "fedex_walleted": ("FedEx", "https://www.fedex.com/fedextrack/?trknbr={n}"),
    "stamps_com": ("USPS", "https://tools.usps.com/go/TrackConfirmAction?tLabels={n}"),
    "endicia": ("USPS", "https://tools.usps.com/go/TrackConfirmAction?tLabels={n}"),
    "usps": ("USPS", "https://tools.usps.com/go/TrackConfirmAction?tLabels={n}"),
    "dhl_express": ("DHL Express", "https://www.dhl.com/en/express/tracking.html?AWB={n}"),
    "dhl_express_worldwide": (
        "DHL Express",
        "https://www.dhl.com/en/express/tracking.html?AWB={n}",
    ),
    "globalpost": ("GlobalPost", "https://www.goglobalpost.com/track-detail/?t={n}"),
}


def carrier_name(carrier_code: str) -> str:
    known = _CARRIERS.get(carrier_code)
    return known[0] if known else carrier_code.replace("_", " ").title()


def tracking_url(carrier_code: str, tracking_number: str) -> str:
    known = _CARRIERS.get(carrier_code)
    template = known[1] if known else "https://www.google.com/search?q={n}"
    return template.format(n=quote(tracking_number, safe=""))


def tracking_info(carrier_code: str, tracking_number: str) -> TrackingInfo:
    return TrackingInfo(
        number=tracking_number,
        carrier_code=carrier_code,
        company=carrier_name(carrier_code),
        url=tracking_url(carrier_code, tracking_number),
    )
