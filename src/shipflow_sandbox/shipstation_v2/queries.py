"""`GET /v2/labels`: filters, newest-first ordering and the paged body with `links`.

Shape as in `v2_label_created_v2_resource_url_response.real.json`: `{labels, total, page,
pages, links: {first, last, prev, next}}`, where `prev`/`next` are `{}` when there is no such
page and every href repeats the query with `page` and `page_size`. Defaults: 25 per page,
sorted by `created_at` descending (v2 spec `list_labels`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from shipflow_sandbox.shipstation_v2.errors import V2Error

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 500
FILTERS = {
    "label_status": "status",
    "service_code": "service_code",
    "carrier_id": "carrier_id",
    "tracking_number": "tracking_number",
    "batch_id": "batch_id",
    "shipment_id": "shipment_id",
}


def _positive(params: Mapping[str, str], name: str, default: int) -> int:
    raw = params.get(name)
    if raw in (None, ""):
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise V2Error.invalid(name, "must be a positive integer")
    return int(raw)


def list_labels(labels: list[dict[str, Any]], params: Mapping[str, str], url: str,
                rates: Mapping[str, tuple[str, Any, Any]]) -> dict[str, Any]:
    selected = labels
    for param, key in FILTERS.items():
        if params.get(param):
            selected = [label for label in selected if label.get(key) == params[param]]
    if params.get("rate_id"):
        shipment = rates.get(params["rate_id"], (None,))[0]
        selected = [label for label in selected if label["shipment_id"] == shipment]
    for param, compare in (("created_at_start", str.__ge__), ("created_at_end", str.__le__)):
        if params.get(param):
            selected = [label for label in selected if compare(label["created_at"], params[param])]
    sort_by = params.get("sort_by") or "created_at"
    if sort_by not in ("created_at", "modified_at"):
        raise V2Error.invalid("sort_by", "must be one of created_at, modified_at")
    direction = (params.get("sort_dir") or "desc").lower()
    if direction not in ("asc", "desc"):
        raise V2Error.invalid("sort_dir", "must be one of asc, desc")
    selected = sorted(selected, key=lambda label: (label["created_at"], label["label_id"]),
                      reverse=direction == "desc")
    size = min(MAX_PAGE_SIZE, _positive(params, "page_size", DEFAULT_PAGE_SIZE))
    page = _positive(params, "page", 1)
    pages = math.ceil(len(selected) / size)
    query = {k: v for k, v in params.items() if k not in ("page", "page_size")}

    def link(number: int) -> dict[str, str]:
        return {"href": f"{url}?{urlencode({**query, 'page': number, 'page_size': size})}"}

    return {
        "labels": selected[(page - 1) * size : page * size],
        "total": len(selected),
        "page": page,
        "pages": pages,
        "links": {
            "first": link(1),
            "last": link(max(1, pages)),
            "prev": link(page - 1) if 1 < page <= pages + 1 else {},
            "next": link(page + 1) if page < pages else {},
        },
    }
