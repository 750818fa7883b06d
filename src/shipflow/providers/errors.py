"""Every error a provider client or parser raises, so callers decide by type, not by message.

```
ProviderError                     something went wrong talking to, or reading from, a provider
├── TransientError                5xx, timeouts, connection errors: the same call may work later
│   ├── RateLimited               429 or Shopify THROTTLED: wait `retry_after` seconds, then retry
│   └── DeadlineExceeded          the response was not complete within the client's deadline
├── AuthenticationError           401/403: the credentials are wrong, revoked or lack a scope
├── NotFound                      404, or a GraphQL lookup that returned null
├── RejectedRequest               4xx validation: the provider refused what we sent
│   └── UserErrors                Shopify GraphQL `userErrors`, each with its field path
├── MalformedPayload              a body we received is not the shape we rely on (also ValueError)
│   ├── MalformedWebhook          an inbound webhook delivery: answer 400, never retry it
│   └── UnexpectedResponse        a 2xx response we cannot read: the provider changed, not us
│       └── ResponseTooLarge      a body over the session's byte cap (never read in full)
└── SignatureError                an inbound webhook failed verification: answer `status_code`
```

`RateLimited` is a `TransientError` so that a caller who only asks "try again later?" catches
both; the clients themselves wait out short limits and raise only when the wait is too long.
Messages carry the provider's own words (validation text, GraphQL messages), never the request
body; log lines (see `providers.http`) carry only the status and the error code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class ProviderError(Exception):
    """Base class: a call to, or a payload from, Shopify, ShipStation or Klaviyo went wrong."""

    def __init__(
        self,
        message: str,
        *,
        provider: str | None = None,
        status_code: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.status_code = status_code
        self.code = code  # the provider's error code ("THROTTLED", "invalid"), safe to log
        self.request_id = request_id

    def __reduce__(self) -> tuple[Any, ...]:
        # Durable execution pickles a step's exception; keyword-only state must survive that.
        return (_restore, (type(self), self.args, dict(self.__dict__)))

    def __str__(self) -> str:
        where = f"{self.provider} " if self.provider else ""
        status = f"HTTP {self.status_code}: " if self.status_code else ""
        return f"{where}{status}{self.message}"


def _restore(cls: type[ProviderError], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class TransientError(ProviderError):
    """The provider failed or could not be reached (5xx, timeout, connection); retry later."""


class RateLimited(TransientError):
    """The provider's rate limit was hit; `retry_after` is the wait in seconds, if known."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class DeadlineExceeded(TransientError):
    """A response did not arrive in full within the client's overall deadline
    (`providers.http`); like a timeout, the provider may or may not have acted."""


class AuthenticationError(ProviderError):
    """The credentials were refused (401) or lack the permission or scope (403)."""


class NotFound(ProviderError):
    """The resource does not exist, or these credentials cannot see it."""


@dataclass(frozen=True, slots=True)
class ErrorDetail:
    """One problem the provider reported: its message and, when given, where in our request."""

    message: str
    pointer: str | None = None  # a JSON pointer, GraphQL field path or parameter name
    code: str | None = None

    def __str__(self) -> str:
        return f"{self.pointer}: {self.message}" if self.pointer else self.message


class RejectedRequest(ProviderError):
    """The provider refused the request as invalid (4xx); sending it again will not help."""

    def __init__(
        self, message: str, *, details: tuple[ErrorDetail, ...] = (), **kwargs: Any
    ) -> None:
        super().__init__(message, **kwargs)
        self.details = details


@dataclass(frozen=True, slots=True)
class UserError:
    """One Shopify GraphQL `userErrors` entry: `field` is the path into the input, if any."""

    field: tuple[str, ...]
    message: str
    code: str | None = None

    def __str__(self) -> str:
        return f"{'.'.join(self.field)}: {self.message}" if self.field else self.message


class UserErrors(RejectedRequest):
    """A Shopify mutation answered with `userErrors` (HTTP 200, business rule refused it)."""

    def __init__(self, operation: str, errors: tuple[UserError, ...], **kwargs: Any) -> None:
        text = "; ".join(str(e) for e in errors) or "no message"
        details = tuple(
            ErrorDetail(e.message, ".".join(e.field) or None, e.code) for e in errors
        )
        kwargs.setdefault("provider", "shopify")
        super().__init__(f"{operation}: {text}", details=details, **kwargs)
        self.operation = operation
        self.errors = errors


class MalformedPayload(ProviderError, ValueError):
    """A body we received lacks data we need or has it in the wrong type; `reason` says where."""

    def __init__(self, reason: str, **kwargs: Any) -> None:
        super().__init__(reason, **kwargs)
        self.reason = reason

    def __str__(self) -> str:
        return self.reason


class MalformedWebhook(MalformedPayload):
    """An inbound webhook delivery we cannot accept (missing header, wrong field type)."""


class UnexpectedResponse(MalformedPayload):
    """A successful response whose body is not the documented shape."""


class ResponseTooLarge(UnexpectedResponse):
    """A response body over the client's byte cap (`providers.http`): it was not read in full,
    and asking again would return the same; the message names the path and the cap."""


class SignatureError(ProviderError):
    """A signed webhook failed verification; answer `status_code`, log `reason`."""

    # The status follows the provider's instructions (ShipStation v2, shipstation.md §2.4): 404
    # when the signature headers are missing, 400 for a stale or unreadable timestamp, 401 for
    # an unknown key or a signature that does not match. Deliberately not a MalformedWebhook,
    # so a web layer answering 400 to malformed bodies does not swallow the 404 and 401.
    def __init__(self, status_code: int, reason: str, **kwargs: Any) -> None:
        kwargs.setdefault("provider", "shipstation")
        super().__init__(reason, status_code=status_code, **kwargs)
        self.reason = reason

    def __str__(self) -> str:
        return f"webhook signature rejected ({self.status_code}): {self.reason}"
