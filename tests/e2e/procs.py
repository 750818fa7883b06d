"""Starting and stopping real `shipflow` processes for end-to-end tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

import httpx

SHIPFLOW = [sys.executable, "-m", "shipflow.cli"]


class Proc:
    def __init__(self, name: str, args: list[str], env: dict[str, str], logdir: Path) -> None:
        self.name = name
        self.args = args
        self.env = env
        self.log_path = logdir / f"{name}.log"
        self.popen: subprocess.Popen[bytes] | None = None

    def start(self) -> "Proc":
        log = open(self.log_path, "ab")
        self.popen = subprocess.Popen(SHIPFLOW + self.args, env={**os.environ, **self.env},
                                      stdout=log, stderr=subprocess.STDOUT)
        return self

    def kill9(self) -> None:
        assert self.popen is not None
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(timeout=10)

    def stop(self) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        self.popen.terminate()
        try:
            self.popen.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(timeout=5)

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]


def wait_for(predicate: Callable[[], Any], timeout: float, what: str,
             procs: list[Proc] | None = None) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = predicate()
            if value:
                return value
        except (httpx.HTTPError, OSError):
            pass
        for p in procs or []:
            if not p.alive():
                raise AssertionError(f"{p.name} exited while waiting for {what}:\n{p.log()}")
        if time.monotonic() > deadline:
            logs = "\n".join(f"--- {p.name}\n{p.log()}" for p in procs or [])
            raise AssertionError(f"timed out waiting for {what}\n{logs}")
        time.sleep(0.25)


def http_ok(url: str) -> bool:
    return httpx.get(url, timeout=2).status_code == 200
