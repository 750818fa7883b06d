"""Carrier tracking, normalized: scans, the milestone each one means, and exception types.

The taxonomy is ShipStation v2 / ShipEngine's (shared/specs/shipstation.md §3): an 8-value
`status_code` plus a finer `status_detail_code`. UPS leaves the detail code null and says
"out for delivery" only in its own `carrier_detail_code` (OT), so that is read too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class TrackingStatus(StrEnum):
    """ShipEngine `status_code` (§3.1)."""

    UNKNOWN = "UN"
    ACCEPTED = "AC"
    IN_TRANSIT = "IT"
    DELIVERED = "DE"
    EXCEPTION = "EX"
    DELIVERY_ATTEMPT = "AT"
    NOT_YET_IN_SYSTEM = "NY"
    DELIVERED_TO_COLLECTION_LOCATION = "SP"


class TrackingMilestone(StrEnum):
    """Where a parcel is, as a customer would say it. Ordered: later members are further on."""

    LABEL_CREATED = "label_created"
    ACCEPTED = "accepted"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    AVAILABLE_FOR_PICKUP = "available_for_pickup"
    DELIVERED = "delivered"

    @property
    def rank(self) -> int:
        return list(TrackingMilestone).index(self)


class ExceptionType(StrEnum):
    """What went wrong, in the words an ops person routes by (klaviyo.md §5.3 `ExceptionType`)."""

    ADDRESS_ISSUE = "address_issue"
    FAILED_ATTEMPT = "failed_attempt"
    DAMAGED = "damaged"
    LOST = "lost"
    RETURNED_TO_SENDER = "returned_to_sender"
    HELD_AT_CUSTOMS = "held_at_customs"
    DELAYED = "delayed"
    OTHER = "other"


# §3.3: exception reasons -> exact status_detail_codes.
_EXCEPTIONS: dict[str, ExceptionType] = {
    **dict.fromkeys(("ADDRESS_QUERY", "NO_ACCESS_TO_RECIPIENTS_ADDRESS", "CUSTOMER_MOVED",
                     "NOT_DELIVERED_ADDRESSEE_DECEASED"), ExceptionType.ADDRESS_ISSUE),
    **dict.fromkeys(("ATTEMPTED_DELIVERY", "ATTEMPTED_DELIVERY_FINAL", "ATTEMPTED_DELIVERY_2ND",
                     "ATTEMPTED_DELIVERY_3RD", "CUSTOMER_CARDED", "CUSTOMER_IDENTIFICATION_FAILED",
                     "COD_AMOUNT_NOT_PAID", "NOT_DELIVERED", "REFUSED_BY_CUSTOMER", "PICKUP_FAILED",
                     "COLLECTION_FAILED"), ExceptionType.FAILED_ATTEMPT),
    **dict.fromkeys(("PARCEL_DAMAGED", "DELIVERED_DAMAGED", "PARCEL_REPACKED"),
                    ExceptionType.DAMAGED),
    **dict.fromkeys(("PARCEL_LOST", "PARCEL_DISPOSED"), ExceptionType.LOST),
    **dict.fromkeys(("RETURN_TO_SENDER", "UNDELIVERABLE_RETURNED_TO_SENDER",
                     "NOT_COLLECTED_FROM_PICKUP_POINT"), ExceptionType.RETURNED_TO_SENDER),
    **dict.fromkeys(("HELD_BY_CUSTOMS", "HELD_BY_EXPORT_CUSTOMS", "HELD_BY_IMPORT_CUSTOMS",
                     "HELD_BY_CARRIER_FOR_CLEARANCE_PRE_PROCESSING", "INCORRECT_DECLARATION",
                     "DUTY_NOT_PAID"), ExceptionType.HELD_AT_CUSTOMS),
    **dict.fromkeys(("CARRIER_DELAYS", "DELAYED_NOT_CARRIER", "DELIVERY_RESCHEDULED",
                     "HELD_BY_CARRIER", "MISROUTED", "MISSORTED", "ROUTING_ERROR",
                     "PARCEL_REDIRECTED_BY_CARRIER", "NOT_YET_RECEIVED_BY_CARRIER",
                     "RECD_BY_CARRIER_NO_ELEC_ADVICE"), ExceptionType.DELAYED),
}
_PICKUP_DETAILS = frozenset({"AWAITING_COLLECTION_FROM_PICKUP_POINT", "COLLECT_AT_LOCAL_PO",
                             "CUSTOMER_TO_COLLECT_FROM_CARRIER", "DELIVERED_TO_PICKUP_POINT"})
# UPS carrier_detail_code "OT" = Out for Delivery (`OD` = loaded on vehicle, still in transit).
_OUT_FOR_DELIVERY_CARRIER_CODES = frozenset({"OT"})


@dataclass(frozen=True, slots=True)
class TrackingScan:
    """One carrier event."""

    occurred_at: datetime
    status_code: TrackingStatus
    description: str = ""
    status_detail_code: str | None = None
    carrier_detail_code: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country_code: str | None = None
    signer: str | None = None

    @property
    def location(self) -> str:
        return ", ".join(p for p in (self.city, self.state, self.country_code) if p)

    @property
    def key(self) -> tuple[str, str, str]:
        """Duplicates across cumulative webhooks share this (§2.4: dedupe on time and code)."""
        return (self.occurred_at.isoformat(), self.status_code.value,
                self.status_detail_code or self.carrier_detail_code or "")


@dataclass(frozen=True, slots=True)
class Reading:
    """What one scan means: a milestone reached, an exception, or neither (information only)."""

    milestone: TrackingMilestone | None
    exception: ExceptionType | None


def read_scan(scan: TrackingScan) -> Reading:
    """Classify one scan (§3.2). `EX` is not always a stop: a delay code is an exception of
    type DELAYED, which the lifecycle treats as "late", not as a lost parcel."""
    detail = scan.status_detail_code or ""
    status = scan.status_code
    if status is TrackingStatus.DELIVERED:
        if detail == "DELIVERED_DAMAGED":
            return Reading(TrackingMilestone.DELIVERED, ExceptionType.DAMAGED)
        return Reading(TrackingMilestone.DELIVERED, None)
    if status is TrackingStatus.DELIVERED_TO_COLLECTION_LOCATION or detail in _PICKUP_DETAILS:
        return Reading(TrackingMilestone.AVAILABLE_FOR_PICKUP, None)
    if status in (TrackingStatus.EXCEPTION, TrackingStatus.DELIVERY_ATTEMPT):
        kind = _EXCEPTIONS.get(detail)
        if kind is None:
            kind = (ExceptionType.FAILED_ATTEMPT if status is TrackingStatus.DELIVERY_ATTEMPT
                    else ExceptionType.OTHER)
        return Reading(None, kind)
    if detail in _EXCEPTIONS:  # e.g. IT + PARCEL_DAMAGED "will still be delivered"
        return Reading(TrackingMilestone.IN_TRANSIT, _EXCEPTIONS[detail])
    if detail == "OUT_FOR_DELIVERY" or scan.carrier_detail_code in _OUT_FOR_DELIVERY_CARRIER_CODES:
        return Reading(TrackingMilestone.OUT_FOR_DELIVERY, None)
    if status is TrackingStatus.IN_TRANSIT:
        return Reading(TrackingMilestone.IN_TRANSIT, None)
    if status is TrackingStatus.ACCEPTED:
        return Reading(TrackingMilestone.ACCEPTED, None)
    if status is TrackingStatus.NOT_YET_IN_SYSTEM:
        return Reading(TrackingMilestone.LABEL_CREATED, None)
    return Reading(None, None)


@dataclass(frozen=True, slots=True)
class TrackingUpdate:
    """A carrier's full picture of one parcel, as a tracking webhook or poll delivers it."""

    tracking_number: str
    carrier_code: str
    status_code: TrackingStatus
    scans: tuple[TrackingScan, ...]  # oldest first, duplicates removed
    status_detail_code: str | None = None
    estimated_delivery: datetime | None = None
    actual_delivery: datetime | None = None
    tracking_url: str | None = None
    label_id: str | None = None

    @property
    def latest(self) -> TrackingScan | None:
        return self.scans[-1] if self.scans else None


def normalize_scans(scans: list[TrackingScan]) -> tuple[TrackingScan, ...]:
    """Oldest first, one per `key`: carriers send history cumulatively and not reliably sorted."""
    unique = {scan.key: scan for scan in scans}
    return tuple(sorted(unique.values(), key=lambda s: s.occurred_at))
