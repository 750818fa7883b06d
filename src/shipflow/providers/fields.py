"""Typed reads from decoded JSON, each failure naming the field path ("line_items[2].quantity").

Parsers of provider payloads use `Fields` instead of `payload["x"]` so that a missing or mistyped
field becomes a `MalformedPayload` subclass with a reason an operator can act on, never a
`KeyError` or a float id. Error messages name the path and the JSON type found, never the value
(it may be a customer's name or address).
"""

from __future__ import annotations

from datetime import date, datetime, timezone, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any, Iterator

from shipflow.providers.errors import MalformedPayload


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


_MISSING = object()


class Fields:
    """One JSON object and where it sits in the payload."""

    def __init__(
        self, data: Any, path: str = "", error: type[MalformedPayload] = MalformedPayload
    ) -> None:
        if not isinstance(data, dict):
            raise error(f"{path or 'body'}: expected an object, got {json_type(data)}")
        self.data: dict[str, Any] = data
        self.path = path
        self.error = error

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def fail(self, key: str, problem: str) -> MalformedPayload:
        return self.error(f"{self.at(key)}: {problem}")

    def _get(self, key: str, required: bool) -> Any:
        value = self.data.get(key, _MISSING)
        if value is _MISSING or value is None:
            if required:
                raise self.fail(key, "is missing" if value is _MISSING else "must not be null")
            return None
        return value

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def obj(self, key: str) -> Fields:
        return Fields(self._get(key, True), self.at(key), self.error)

    def optional_obj(self, key: str) -> Fields | None:
        value = self._get(key, False)
        return None if value is None else Fields(value, self.at(key), self.error)

    def objects(self, key: str, *, required: bool = True) -> Iterator[Fields]:
        """Each element of an array of objects, as `Fields` with an indexed path."""
        value = self._get(key, required)
        if value is None:
            return
        if not isinstance(value, list):
            raise self.fail(key, f"expected an array, got {json_type(value)}")
        for index, item in enumerate(value):
            yield Fields(item, f"{self.at(key)}[{index}]", self.error)

    def array(self, key: str, *, required: bool = True) -> list[Any]:
        value = self._get(key, required)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(key, f"expected an array, got {json_type(value)}")
        return value

    def integer(self, key: str, *, required: bool = True) -> int | None:
        """An integer; a digit string is accepted (GraphQL and some exports quote int64 ids)."""
        value = self._get(key, required)
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value.strip())
        if isinstance(value, float):
            # A float id has already lost digits above 2**53 (a JS round trip): refuse it.
            raise self.fail(key, "expected an integer, got a number (int64 ids must not be floats)")
        raise self.fail(key, f"expected an integer, got {json_type(value)}")

    def req_integer(self, key: str) -> int:
        value = self.integer(key)
        if value is None:
            raise self.fail(key, "is missing")
        return value

    def string(self, key: str, *, required: bool = True, empty_is_none: bool = False) -> str | None:
        value = self._get(key, required)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.fail(key, f"expected a string, got {json_type(value)}")
        if empty_is_none and not value.strip():
            if required:
                raise self.fail(key, "must not be empty")
            return None
        return value

    def req_string(self, key: str) -> str:
        value = self.string(key, empty_is_none=True)
        if value is None:
            raise self.fail(key, "is missing")
        return value

    def scalar_str(self, key: str, *, required: bool = True) -> str | None:
        """A string, or a number turned into one (ShipStation ids, account numbers)."""
        value = self._get(key, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise self.fail(key, f"expected a string or number, got {json_type(value)}")
        return value if isinstance(value, str) else str(value)

    def boolean(self, key: str, default: bool) -> bool:
        value = self._get(key, False)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.fail(key, f"expected a boolean, got {json_type(value)}")
        return value

    def decimal(self, key: str, *, required: bool = True) -> Decimal | None:
        """Money: decimal strings as sent by Shopify; plain JSON numbers are read via `str`."""
        value = self._get(key, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise self.fail(key, f"expected a decimal string, got {json_type(value)}")
        try:
            number = Decimal(value.strip() if isinstance(value, str) else str(value))
        except InvalidOperation:
            raise self.fail(key, "expected a decimal string") from None
        if not number.is_finite():
            raise self.fail(key, "expected a finite decimal")
        return number

    def req_decimal(self, key: str) -> Decimal:
        value = self.decimal(key)
        if value is None:
            raise self.fail(key, "is missing")
        return value

    def number(self, key: str, *, required: bool = True) -> float | None:
        value = self._get(key, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(key, f"expected a number, got {json_type(value)}")
        return float(value)

    def timestamp(self, key: str, *, required: bool = True) -> datetime | None:
        """An ISO-8601 timestamp; one without an offset is taken as UTC."""
        value = self.string(key, required=required, empty_is_none=not required)
        if value is None:
            return None
        parsed = parse_datetime(value)
        if parsed is None:
            raise self.fail(key, "expected an ISO-8601 timestamp")
        return parsed

    def req_timestamp(self, key: str) -> datetime:
        value = self.timestamp(key)
        if value is None:
            raise self.fail(key, "is missing")
        return value

    def day(self, key: str, *, required: bool = True) -> date | None:
        """A calendar date; a timestamp is cut to its date part (ShipStation mixes both)."""
        value = self.string(key, required=required, empty_is_none=not required)
        if value is None:
            return None
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            raise self.fail(key, "expected a date (YYYY-MM-DD)") from None


def parse_datetime(value: str, default_tz: tzinfo = timezone.utc) -> datetime | None:
    """ISO-8601 with or without offset ("Z" included) and with up to 7 fractional digits
    (ShipStation's .NET timestamps); naive values are taken to be in `default_tz`."""
    text = value.strip()
    if not text:
        return None
    if "." in text:
        head, _, tail = text.partition(".")
        digits = len(tail) - len(tail.lstrip("0123456789"))
        if digits > 6:  # Python reads at most microseconds
            text = f"{head}.{tail[:6]}{tail[digits:]}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=default_tz)
