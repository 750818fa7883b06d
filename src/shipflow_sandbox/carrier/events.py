"""Rendering scans as ShipStation v2 `track_event`s and `tracking_information`.

Key sets and order follow `v2_track_event_v2_ups_delivered.real.json` (20 event keys, 16
tracking keys; shipstation.md §2.3). `occurred_at` is UTC with `Z`; `carrier_occurred_at` is
the local time at the scan's place with a bogus `Z`, as carriers send it. Hub scans carry an
empty `postal_code`, the delivery scan the recipient's; `exception_description` stays null
(§3.2: "usually null"). `events` are newest first.
"""

from __future__ import annotations

import random
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from shipflow_sandbox.carrier.plan import PlannedScan
from shipflow_sandbox.carrier.taxonomy import (
    CARRIER_CODES,
    DETAIL,
    KINDS,
    NUMERIC_CARRIER_ID,
    STATUS,
    TRACKING_URLS,
    UPS_ROUTINE,
)

SIGNATURE = ("signature", "adult_signature", "direct_signature")
_DOOR = {
    "ups": ("Front Door", "Porch", "Side Door", "Garage", "Rear Door"),
    "fedex": ("front door", "front porch", "side door", "garage"),
    "stamps_com": ("Front Door/Porch", "In/At Mailbox", "Parcel Locker", "Front Desk/Reception"),
}


def utc_text(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ")


def day_text(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def signer_name(carrier: str, recipient: str) -> str:
    parts = recipient.split() or ["RECIPIENT"]
    last, initial = parts[-1].upper(), parts[0][0].upper()
    return {"ups": last, "fedex": f"{initial}.{last}"}.get(carrier, f"{initial} {last}")


def delivery_details(carrier: str, confirmation: str | None, recipient: str,
                     rng: random.Random) -> tuple[str | None, str]:
    """(signer, description) of the delivery scan: who signed and where it was left."""
    if confirmation in SIGNATURE:
        signer = signer_name(carrier, recipient)
        text = {"ups": f"Delivered - Receiver: {signer}",
                "fedex": f"Delivered - Signed for by {signer}"}
        return signer, text.get(carrier, "Delivered, Left with Individual")
    door = rng.choice(_DOOR.get(carrier, _DOOR["ups"]))
    text = {"ups": f"Delivered - {door}", "fedex": f"Delivered - Left at {door}. Signature "
            "Service not requested."}
    return None, text.get(carrier, f"Delivered, {door}")


def render(carrier: str, scan: PlannedScan, *, description: str | None = None,
           signer: str | None = None, company: str | None = None) -> dict[str, Any]:
    status_code, detail_code = KINDS[scan.kind]
    codes = CARRIER_CODES.get(carrier, CARRIER_CODES["ups"])[scan.kind]
    event_code, carrier_status, carrier_detail, carrier_text = codes
    detail: str | None = detail_code
    if carrier == "ups" and scan.kind in UPS_ROUTINE:
        detail = None
    place = scan.place
    local = scan.at.astimezone(ZoneInfo(place.tz)).strftime("%Y-%m-%dT%H:%M:%SZ")
    delivered = status_code == "DE"
    text = description or carrier_text
    city = place.city.upper() if delivered and carrier == "ups" else place.city
    return {
        "occurred_at": utc_text(scan.at),
        "carrier_occurred_at": local,
        "description": text,
        "city_locality": city,
        "state_province": place.state,
        "postal_code": place.postal if delivered else "",
        "country_code": place.country,
        "company_name": company if delivered else None,
        "signer": signer,
        "event_code": event_code,
        "carrier_detail_code": carrier_detail,
        "status_code": status_code,
        "status_description": STATUS[status_code],
        "carrier_status_code": carrier_status,
        "carrier_status_description": text,
        "status_detail_code": detail,
        "status_detail_description": DETAIL[detail] if detail else None,
        "proof_of_delivery_url": None,
        "latitude": round(place.lat, 4),
        "longitude": round(place.lon, 4),
    }


def tracking_information(*, tracking_number: str, carrier: str, events: list[dict[str, Any]],
                         ship_date: str, estimate: date | None) -> dict[str, Any]:
    """The `tracking_information` object; `events` oldest first in, newest first out."""
    newest = list(reversed(events))
    latest = newest[0]
    delivered = next((e for e in newest if e["status_code"] == "DE"), None)
    return {
        "tracking_number": tracking_number,
        "tracking_url": TRACKING_URLS.get(carrier, TRACKING_URLS["ups"]).format(n=tracking_number),
        "status_code": latest["status_code"],
        "status_detail_code": latest["status_detail_code"],
        "status_detail_description": latest["status_detail_description"],
        "carrier_code": carrier,
        "carrier_id": NUMERIC_CARRIER_ID.get(carrier, 0),
        "carrier_detail_code": latest["carrier_detail_code"],
        "status_description": latest["status_description"],
        "carrier_status_code": latest["carrier_status_code"],
        "carrier_status_description": latest["carrier_status_description"],
        "ship_date": ship_date,
        "estimated_delivery_date": day_text(estimate) if estimate else None,
        "actual_delivery_date": delivered["occurred_at"] if delivered else None,
        "exception_description": None,
        "events": newest,
    }
