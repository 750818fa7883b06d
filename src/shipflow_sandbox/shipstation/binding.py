"""What ShipStation v1's ASP.NET model binder accepts for numbers: JSON numbers, and JSON
strings holding one ("quantity": "2", "unitPrice": "19.99", "weight": {"value": "24"}).

ShipStation v1 is ASP.NET Web API (its errors are ASP.NET exception bodies, shipstation.md
§1.3), whose JSON binder (Json.NET) converts a string to the property's numeric type when the
text parses as one (invariant culture, surrounding spaces allowed): an `int` takes "2" but not
"2.5", a `decimal` takes "19.99" and "20". A string that does not parse is left as it is, so
the usual validation refuses it. `bind` applies that to the numeric fields of the request
models the sandbox serves, so what is stored (and answered) is a number, as the real service
would store it.
"""

from __future__ import annotations

import re
from typing import Any

INT = "int"
DECIMAL = "decimal"

_INT = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")

WEIGHT: dict[str, Any] = {"value": DECIMAL, "WeightUnits": INT}
DIMENSIONS: dict[str, Any] = {"length": DECIMAL, "width": DECIMAL, "height": DECIMAL}
INSURANCE: dict[str, Any] = {"insuredValue": DECIMAL}
ITEM: dict[str, Any] = {
    "quantity": INT, "unitPrice": DECIMAL, "taxAmount": DECIMAL, "shippingAmount": DECIMAL,
    "productId": INT, "weight": WEIGHT,
}
ORDER: dict[str, Any] = {
    "orderId": INT, "amountPaid": DECIMAL, "taxAmount": DECIMAL, "shippingAmount": DECIMAL,
    "weight": WEIGHT, "dimensions": DIMENSIONS, "insuranceOptions": INSURANCE,
    "internationalOptions": {"customsItems": [{"quantity": INT, "value": DECIMAL}]},
    "advancedOptions": {"warehouseId": INT, "storeId": INT},
    "items": [ITEM], "tagIds": [INT], "userId": INT,
}
# createlabelfororder, getrates, holduntil, restorefromhold, addtag, markasshipped.
COMMAND: dict[str, Any] = {
    "orderId": INT, "tagId": INT, "weight": WEIGHT, "dimensions": DIMENSIONS,
    "insuranceOptions": INSURANCE,
}


def bind(value: Any, schema: Any) -> Any:
    """`value` with the numeric strings `schema` names converted (a copy; other values as is).
    `schema` is INT, DECIMAL, `{field: schema}` or `[schema]` (every element of a list)."""
    if isinstance(schema, list):
        return [bind(v, schema[0]) for v in value] if isinstance(value, list) else value
    if isinstance(schema, dict):
        if not isinstance(value, dict):
            return value
        return {k: bind(v, schema[k]) if k in schema else v for k, v in value.items()}
    if isinstance(value, str):
        return number(value, schema)
    return value


def number(text: str, kind: str) -> Any:
    """`text` as an int or a decimal (a float, as it is written back to JSON), or unchanged."""
    stripped = text.strip()
    if kind == INT:
        return int(stripped) if _INT.fullmatch(stripped) else text
    if not _DECIMAL.fullmatch(stripped):
        return text
    if _INT.fullmatch(stripped):
        return int(stripped)
    return float(stripped)
