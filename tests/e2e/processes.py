"""The three services as real processes on free ports, driven only over HTTP.

An *instance* is one process of a service under a name of its own, with its own port and
database: the stack's three are named after their services; a test adds more (a second
matching process following the same catalogue as a reference) with `add_instance`. `settings`
are extra environment variables every process gets (e.g. `MATCHING_SUBSCRIPTION_MAX_RANK`).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import httpx

SERVICES = ("catalogue", "evaluation", "matching")

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ServiceProcesses:
    workdir: Path
    database_urls: dict[str, str]
    admin_key: str
    settings: dict[str, str] = field(default_factory=dict)
    services: dict[str, str] = field(default_factory=lambda: {name: name for name in SERVICES})
    ports: dict[str, int] = field(default_factory=lambda: {name: free_port() for name in SERVICES})
    running: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def url(self, instance: str) -> str:
        return f"http://127.0.0.1:{self.ports[instance]}"

    def add_instance(self, name: str, service: str, database_url: str) -> None:
        """Another process of `service` (not started), on its own port and database."""
        self.services[name] = service
        self.ports[name] = free_port()
        self.database_urls[name] = database_url

    def environment(self, instance: str) -> dict[str, str]:
        env = {**os.environ}
        for name in SERVICES:
            prefix = name.upper()
            env[f"{prefix}_PORT"] = str(self.ports[name])
            env[f"{prefix}_DATA_DIR"] = str(self.workdir)
            env[f"{prefix}_DATABASE_URL"] = self.database_urls[name]
            env[f"{prefix}_CATALOGUE_URL"] = self.url("catalogue")
            env[f"{prefix}_LOG_LEVEL"] = "WARNING"
        own = self.services[instance].upper()
        env[f"{own}_PORT"] = str(self.ports[instance])
        env[f"{own}_DATABASE_URL"] = self.database_urls[instance]
        env["MATCHING_EVALUATION_URL"] = self.url("evaluation")
        env["MATCHING_FEED_POLL_SECONDS"] = "0.1"
        env["MATCHING_BANKABILITY_TTL_SECONDS"] = "0"
        # the tests' webhook receiver listens on 127.0.0.1; a deployment refuses such targets
        env["MATCHING_ALLOW_PRIVATE_WEBHOOKS"] = "true"
        env["MATCHING_WEBHOOK_POLL_SECONDS"] = "0.1"
        env["CATALOGUE_BOOTSTRAP_ADMIN_KEY"] = self.admin_key
        return {**env, **self.settings}

    def start(self, *instances: str) -> None:
        """Start the processes together (they boot in parallel), then wait until each is up."""
        for instance in instances:
            log = (self.workdir / f"{instance}.log").open("ab")
            self.running[instance] = subprocess.Popen(
                [sys.executable, "-m", "services.cli", "serve", self.services[instance]],
                env=self.environment(instance),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        for instance in instances:
            self._wait_until_up(instance)

    def _wait_until_up(self, instance: str) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url(instance)}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"{instance} did not start; see {self.workdir / (instance + '.log')}")

    def stop(self, instance: str, sig: int = signal.SIGTERM) -> None:
        process = self.running.pop(instance)
        process.send_signal(sig)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            # never leave a process behind to write into the next test's databases
            process.kill()
            process.wait(timeout=30)

    def kill(self, instance: str) -> None:
        """SIGKILL: no shutdown code runs, whatever the process was doing."""
        self.stop(instance, signal.SIGKILL)

    def start_console(self) -> None:
        """The web console on a free port, passing the browser's API calls to this stack."""
        self.ports["console"] = free_port()
        env = {
            **os.environ,
            "CONSOLE_PORT": str(self.ports["console"]),
            "CONSOLE_LOG_LEVEL": "WARNING",
            **{f"CONSOLE_{name.upper()}_URL": self.url(name) for name in SERVICES},
        }
        log = (self.workdir / "console.log").open("ab")
        self.running["console"] = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "serve", "console"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url('console')}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the console did not start; see {self.workdir / 'console.log'}")

    def stop_all(self) -> None:
        for instance in list(self.running):
            self.stop(instance)


@contextmanager
def running_stack(processes: ServiceProcesses) -> Iterator[ServiceProcesses]:
    try:
        processes.start(*SERVICES)
        yield processes
    finally:
        processes.stop_all()


def wait_for(predicate: Callable[[], T], timeout: float = 20.0, interval: float = 0.1) -> T:
    """Poll until `predicate()` returns something truthy; that value, or the last one."""
    deadline = time.monotonic() + timeout
    value = predicate()
    while not value and time.monotonic() < deadline:
        time.sleep(interval)
        value = predicate()
    return value
