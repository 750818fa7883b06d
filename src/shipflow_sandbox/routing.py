"""Route helpers shared by the simulated providers: request counting and JSON responses.

Every provider route is counted under `"<provider> <METHOD> <path template>"`, the keys of
`summary()["requests"]`, so a test can compare the sandbox's view of traffic with the
orchestrator's own numbers.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

Endpoint = Callable[[Request], Awaitable[Response]]
# Fault injection hook: a response to answer with instead of the endpoint's, or None.
FaultGate = Callable[[Request], Awaitable[Response | None]]


def counted(
    counter: Counter[str],
    provider: str,
    path: str,
    endpoint: Endpoint,
    methods: list[str],
    latency: Callable[[], float] = lambda: 0.0,
    fault: FaultGate | None = None,
) -> Route:
    """A route counted in `counter`; `latency()` real seconds are added before it answers,
    and `fault` (see `faults.py`) may answer instead of the endpoint, or (`LoseResponse`) let
    the endpoint do its work and then lose its answer."""

    async def handle(request: Request) -> Response:
        counter[f"{provider} {request.method} {path}"] += 1
        delay = latency()
        if delay > 0:
            await asyncio.sleep(delay)
        if fault is not None:
            injected = await fault(request)
            if isinstance(injected, LoseResponse):
                response = await endpoint(request)  # the provider acts…
                if injected.after > 0:
                    await asyncio.sleep(injected.after)  # …and answers after the timeout
                    return response
                return DroppedConnection()  # …or the connection drops before the answer
            if injected is not None:
                return injected
        return await endpoint(request)

    return Route(path, handle, methods=methods)


class LoseResponse(Response):
    """What a fault gate returns to have the endpoint run and its answer lost: dropped
    (`after` 0) or sent `after` real seconds late. Never sent itself."""

    def __init__(self, after: float) -> None:
        super().__init__(status_code=500)
        self.after = after


class DroppedConnection(Response):
    """Starts a 200 answer that promises a body and sends none: the server then closes the
    connection (uvicorn closes it when an app returns mid-answer), so the client sees the
    connection drop after the provider acted (`httpx.RemoteProtocolError`)."""

    def __init__(self) -> None:
        super().__init__(status_code=200)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", b"1024")]})


def json_response(
    body: Any,
    status: int = 200,
    headers: dict[str, str] | None = None,
    media_type: str = "application/json; charset=utf-8",
) -> Response:
    content = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    return Response(content, status_code=status, headers=headers, media_type=media_type)


async def read_json(request: Request) -> tuple[Any, bool]:
    """(parsed body, ok); ok is False when the body is not valid JSON."""
    raw = await request.body()
    try:
        return json.loads(raw or b"null"), True
    except (ValueError, UnicodeDecodeError):
        return None, False
