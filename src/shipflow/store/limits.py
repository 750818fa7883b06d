"""What fits the tables: column limits and plausible ranges, checked before a value is stored.

A provider's value that would not fit a column (a tracking number longer than
`shipments.tracking_number`, a date PostgreSQL or Python cannot convert, a NUL character, which
PostgreSQL refuses in text) must be refused where it comes in, naming the field, never fail at
the database: there it fails a whole transaction (every label of a batch) and, at intake,
becomes a 5xx that the sender retries for days. String limits are read from the tables
themselves, so a migration that widens a column widens the check.

`OutOfRange`'s message is "<field path>: <problem>", safe to answer and to log: no value is
echoed (it may be a customer's address).
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from shipflow.domain.shipment import Shipment
from shipflow.domain.tracking import tracking_info
from shipflow.domain.tracking_events import TrackingUpdate
from shipflow.store.tables import early_tracking, line_items, shipments

MAX_ID = 2**63 - 1  # BIGINT
MAX_QUANTITY = 1_000_000  # units of one line
MONEY_LIMIT = Decimal(10) ** 12  # NUMERIC(14, 2): twelve digits before the point
EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(2100, 1, 1, tzinfo=timezone.utc)
# JSON nesting a provider's payload may have: real ones are under ten levels deep.
MAX_DEPTH = 32
MAX_PATH = 300  # characters of a path named in an answer (its keys are the sender's)
# Free text that ends on the timeline (a scan's description, a city): longer is not a carrier's.
MAX_TEXT = 1024  # timeline.message
MAX_SCANS = 1_000  # carrier events in one tracking update (a long journey has about a hundred)
MAX_SHIPMENT_ITEMS = 1_000


class OutOfRange(ValueError):
    """`str(exc)` is "<field path>: <problem>", safe to answer (no value is echoed)."""


def column_length(column: sa.Column[Any]) -> int:
    length = getattr(column.type, "length", None)
    return int(length) if length else 1 << 30


def text(path: str, value: str | None, limit: int) -> None:
    if value is None:
        return
    if len(value) > limit:
        raise OutOfRange(f"{path}: longer than {limit} characters")
    if "\x00" in value:
        raise OutOfRange(f"{path}: contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise OutOfRange(f"{path}: is not valid Unicode (a lone surrogate)") from None


def ident(path: str, value: int | None) -> None:
    if value is not None and not 1 <= value <= MAX_ID:
        raise OutOfRange(f"{path}: expected an id between 1 and {MAX_ID}")


def count(path: str, value: int, limit: int) -> None:
    if not 0 <= value <= limit:
        raise OutOfRange(f"{path}: expected between 0 and {limit}")


def money(path: str, value: Decimal) -> None:
    if value < 0:
        raise OutOfRange(f"{path}: must not be negative")
    if value >= MONEY_LIMIT:
        raise OutOfRange(f"{path}: expected less than {MONEY_LIMIT}")


def when(path: str, value: datetime | date | None) -> None:
    if value is None:
        return
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    aware = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    try:
        in_range = EARLIEST <= aware < LATEST
    except OverflowError:  # an offset that carries it past year 1 or 9999
        in_range = False
    if not in_range:
        raise OutOfRange(f"{path}: expected a date between 2000 and 2100")


def nesting(payload: Any, limit: int = MAX_DEPTH) -> None:
    """Refuse JSON nested deeper than `limit`, naming the path where it goes too deep."""
    stack: list[tuple[Any, str, int]] = [(payload, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if not isinstance(value, (dict, list)):
            continue
        if depth >= limit:
            raise OutOfRange(f"{path or 'body'}: nested deeper than {limit} levels")
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, child in items:
            at = (f"{path}[{key}]" if isinstance(key, int)
                  else f"{path}.{key}" if path else str(key))
            stack.append((child, at[:MAX_PATH], depth + 1))


# -- ShipStation -----------------------------------------------------------------------------
def check_tracking(update: TrackingUpdate, path: str = "data") -> None:
    """A carrier's tracking update (v2 `tracking_information`), where its values are stored:
    the shipment's progress, the timeline, the update kept until its label lands, the
    workflow id it is started under. Paths are the v2 payload's. Scans come sorted and without
    repeats (`normalize_scans`), so their payload index is gone: intake checks each raw event
    where it sits first (`web/limits.py`), and a scan refused here is named by its field only."""
    number_limit = min(column_length(shipments.c.tracking_number),
                       column_length(early_tracking.c.tracking_number))
    text(f"{path}.tracking_number", update.tracking_number, number_limit)
    text(f"{path}.carrier_code", update.carrier_code, column_length(shipments.c.carrier_code))
    text(f"{path}.status_detail_code", update.status_detail_code, 64)
    text(f"{path}.tracking_url", update.tracking_url, column_length(shipments.c.tracking_url))
    text(f"{path}.label_id", update.label_id, column_length(shipments.c.shipment_id))
    when(f"{path}.estimated_delivery_date", update.estimated_delivery)
    when(f"{path}.actual_delivery_date", update.actual_delivery)
    if len(update.scans) > MAX_SCANS:
        raise OutOfRange(f"{path}.events: more than {MAX_SCANS} events")
    at = f"{path}.events[]"
    for scan in update.scans:
        when(f"{at}.occurred_at", scan.occurred_at)
        for name, value in (("description", scan.description),
                            ("status_detail_code", scan.status_detail_code),
                            ("carrier_detail_code", scan.carrier_detail_code),
                            ("city_locality", scan.city), ("state_province", scan.state),
                            ("postal_code", scan.postal_code),
                            ("country_code", scan.country_code), ("signer", scan.signer)):
            text(f"{at}.{name}", value, MAX_TEXT)


def check_shipment(shipment: Shipment, path: str) -> None:
    """A v1 label (a row of a SHIP_NOTIFY resource) against `shipments`; paths are the v1
    Shipment's field names under `path`."""
    text(f"{path}.shipmentId", shipment.shipment_id, column_length(shipments.c.shipment_id))
    text(f"{path}.orderKey", shipment.order_key, column_length(shipments.c.order_key))
    text(f"{path}.trackingNumber", shipment.tracking_number,
         column_length(shipments.c.tracking_number))
    text(f"{path}.carrierCode", shipment.carrier_code, column_length(shipments.c.carrier_code))
    text(f"{path}.serviceCode", shipment.service_code, column_length(shipments.c.service_code))
    when(f"{path}.shipDate", shipment.ship_date)
    tracking = tracking_info(shipment.carrier_code, shipment.tracking_number)
    text(f"{path}.carrierCode", tracking.company, column_length(shipments.c.carrier_name))
    # The public tracking link quotes the number: non-ASCII characters grow ninefold.
    text(f"{path}.trackingNumber (as a tracking link)", tracking.url,
         column_length(shipments.c.tracking_url))
    if len(shipment.items) > MAX_SHIPMENT_ITEMS:
        raise OutOfRange(f"{path}.shipmentItems: more than {MAX_SHIPMENT_ITEMS} items")
    for index, item in enumerate(shipment.items):
        at = f"{path}.shipmentItems[{index}]"
        text(f"{at}.sku", item.sku, column_length(line_items.c.sku))
        text(f"{at}.name", item.name, column_length(line_items.c.title))
        count(f"{at}.quantity", item.quantity, MAX_QUANTITY)
