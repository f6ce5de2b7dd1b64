"""The three services as real processes on free ports, driven only over HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

SERVICES = ("catalogue", "evaluation", "matching")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ServiceProcesses:
    workdir: Path
    database_urls: dict[str, str]
    admin_key: str
    ports: dict[str, int] = field(default_factory=lambda: {name: free_port() for name in SERVICES})
    running: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def environment(self) -> dict[str, str]:
        env = {**os.environ}
        for name in SERVICES:
            prefix = name.upper()
            env[f"{prefix}_PORT"] = str(self.ports[name])
            env[f"{prefix}_DATA_DIR"] = str(self.workdir)
            env[f"{prefix}_DATABASE_URL"] = self.database_urls[name]
            env[f"{prefix}_CATALOGUE_URL"] = self.url("catalogue")
            env[f"{prefix}_LOG_LEVEL"] = "WARNING"
        env["MATCHING_EVALUATION_URL"] = self.url("evaluation")
        env["MATCHING_FEED_POLL_SECONDS"] = "0.1"
        env["MATCHING_BANKABILITY_TTL_SECONDS"] = "0"
        env["CATALOGUE_BOOTSTRAP_ADMIN_KEY"] = self.admin_key
        return env

    def start(self, service: str) -> None:
        log = (self.workdir / f"{service}.log").open("ab")
        self.running[service] = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "serve", service],
            env=self.environment(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url(service)}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"{service} did not start; see {self.workdir / (service + '.log')}")

    def stop(self, service: str, sig: int = signal.SIGTERM) -> None:
        process = self.running.pop(service)
        process.send_signal(sig)
        process.wait(timeout=30)

    def stop_all(self) -> None:
        for service in list(self.running):
            self.stop(service)


@contextmanager
def running_stack(processes: ServiceProcesses) -> Iterator[ServiceProcesses]:
    try:
        for service in SERVICES:
            processes.start(service)
        yield processes
    finally:
        processes.stop_all()


def wait_for(predicate, timeout: float = 20.0, interval: float = 0.1):  # type: ignore[no-untyped-def]
    """Poll until `predicate()` returns something truthy; that value, or the last one."""
    deadline = time.monotonic() + timeout
    value = predicate()
    while not value and time.monotonic() < deadline:
        time.sleep(interval)
        value = predicate()
    return value
