"""Running the sandbox: `serve()` blocks under uvicorn (the CLI); `running_sandbox()` runs it on
a free loopback port in a background thread (tests, the embedded demo).

Access logs are off by default: query strings of the controls can carry customer emails.
"""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import uvicorn

from shipflow_sandbox.app import create_app
from shipflow_sandbox.config import SandboxConfig
from shipflow_sandbox.state import SandboxState

T = TypeVar("T")


def _public_url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    return f"http://{'[' + shown + ']' if ':' in shown else shown}:{port}"


def serve(
    config: SandboxConfig, host: str = "127.0.0.1", port: int = 8100, log_level: str = "info"
) -> None:
    """Run the sandbox in the foreground until interrupted."""
    if config.public_base_url is None:
        config = dataclasses.replace(config, public_base_url=_public_url(host, port))
    uvicorn.run(create_app(config), host=host, port=port, log_level=log_level, access_log=False)


class _PromptServer(uvicorn.Server):
    """uvicorn checks `should_exit` every 100 ms; tests start and stop many servers, so this
    one checks every 10 ms (the once-a-second `Date` header refresh just happens more often)."""

    async def main_loop(self) -> None:
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + 1) % 864000
            await asyncio.sleep(0.01)
            should_exit = await self.on_tick(counter)


class ThreadedServer:
    """Any ASGI app served by uvicorn on a free loopback port from a daemon thread."""

    def __init__(self, app: Any, host: str = "127.0.0.1") -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, 0))
        self.port: int = self._socket.getsockname()[1]
        self.base_url = _public_url(host, self.port)
        self.app = app

    def start(self, timeout: float = 10.0) -> ThreadedServer:
        self._server = _PromptServer(
            uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="on")
        )
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._socket]},
            daemon=True,
            name="shipflow-sandbox-server",
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._server.should_exit = True
        self._thread.join(timeout)
        self._socket.close()

    def url(self, path: str) -> str:
        return self.base_url + path


class RunningSandbox(ThreadedServer):
    """The sandbox on a free loopback port; `state` is its live `SandboxState`."""

    def __init__(self, config: SandboxConfig | None = None, host: str = "127.0.0.1") -> None:
        super().__init__(None, host)
        config = config or SandboxConfig()
        if config.public_base_url is None:
            config = dataclasses.replace(config, public_base_url=self.base_url)
        self.config = config
        self.app = create_app(config)
        self.state: SandboxState = self.app.state.sandbox

    def start(self, timeout: float = 10.0) -> RunningSandbox:
        super().start(timeout)
        return self

    def call(self, func: Callable[..., T], *args: Any, timeout: float = 10.0) -> T:
        """Run `func(*args)` on the server's event loop (safe access to the state)."""
        loop = self.state.loop
        if loop is None:
            raise RuntimeError("sandbox is not running")

        async def run() -> T:
            return func(*args)

        return asyncio.run_coroutine_threadsafe(run(), loop).result(timeout)


@contextmanager
def running_sandbox(config: SandboxConfig | None = None) -> Iterator[RunningSandbox]:
    """`with running_sandbox(config) as sb: httpx.get(sb.url("/_sandbox/summary"))`."""
    sandbox = RunningSandbox(config).start()
    try:
        yield sandbox
    finally:
        sandbox.stop()
