"""Past labels for the audit: `GET /shipments?shipDateStart=…` rows with the fields a
baseline needs (when the label was made, whether and when it was voided), pure parsers only.

`createDate` is when the label was created (ShipStation's timestamps are Pacific wall time
without an offset, shipstation.md §1.4); `shipDate` is only a day. Voided labels are listed
too (`voided`, `voidDate`): a relabel is a voided label followed by a new one for the same
order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shipflow.providers.errors import UnexpectedResponse
from shipflow.providers.fields import Fields
from shipflow.providers.shipstation.mapping import read_datetime

PAGE_SIZE = 500  # the largest page v1 serves (shipstation.md §1.4)


@dataclass(frozen=True, slots=True)
class PastLabel:
    shipment_id: str
    order_id: str  # ShipStation's orderId
    order_key: str
    order_number: str
    tracking_number: str
    carrier_code: str
    created_at: datetime
    voided: bool
    voided_at: datetime | None


@dataclass(frozen=True, slots=True)
class PastLabelsPage:
    labels: tuple[PastLabel, ...]
    page: int
    pages: int


def parse_past_labels_page(body: Any) -> PastLabelsPage:
    root = Fields(body, "", UnexpectedResponse)
    labels = []
    for row in root.objects("shipments"):
        created = read_datetime(row.req_string("createDate"))
        void = row.string("voidDate", required=False, empty_is_none=True)
        if created is None:
            raise row.fail("createDate", "is not a ShipStation timestamp")
        labels.append(PastLabel(
            shipment_id=row.scalar_str("shipmentId") or "",
            order_id=row.scalar_str("orderId", required=False) or "",
            order_key=row.string("orderKey", required=False) or "",
            order_number=row.scalar_str("orderNumber", required=False) or "",
            tracking_number=row.string("trackingNumber", required=False) or "",
            carrier_code=row.string("carrierCode", required=False) or "",
            created_at=created,
            voided=row.boolean("voided", False),
            voided_at=read_datetime(void) if void else None,
        ))
    return PastLabelsPage(tuple(labels), root.integer("page", required=False) or 1,
                          root.integer("pages", required=False) or 1)
