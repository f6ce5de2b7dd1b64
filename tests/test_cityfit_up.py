"""`cityfit up` as a newcomer runs it: real processes, demo data, URLs printed, clean Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_up_serves_the_demo_catalogue_and_stops_cleanly(tmp_path: Path) -> None:
    ports = {name: free_port() for name in ("CATALOGUE", "EVALUATION", "MATCHING", "CONSOLE")}
    env = {**os.environ, **{f"{name}_PORT": str(port) for name, port in ports.items()}}
    env.pop("CATALOGUE_DATABASE_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "up", "--data-dir", str(tmp_path)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        # its own process group, so a run that ignores Ctrl-C can be killed whole, services too
        start_new_session=True,
    )
    catalogue = f"http://127.0.0.1:{ports['CATALOGUE']}"
    console = f"http://127.0.0.1:{ports['CONSOLE']}"
    output: list[str] = []
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            output.append(line)
            if "try:" in line or process.poll() is not None:
                break
        printed = "".join(output)
        assert f"{catalogue}/docs" in printed, printed
        # the console's address comes first, before the services'
        assert printed.index(f"open the console: {console}/") < printed.index(catalogue), printed
        page = httpx.get(f"{console}/")
        assert page.status_code == 200
        assert "CityFIT Match" in page.text
        through = httpx.get(f"{console}/api/catalogue/v1/needs", params={"limit": 1})
        assert through.json()["items"][0]["id"] == 1

        needs = httpx.get(f"{catalogue}/v1/needs", params={"limit": 500}).json()["items"]
        assert any(n["category"] == "public_lighting" for n in needs)
        keys = json.loads((tmp_path / "demo-keys.json").read_text())
        assert keys["admin_key"] in printed
        who = httpx.get(
            f"{catalogue}/v1/auth/introspect",
            headers={"Authorization": f"Bearer {keys['admin_key']}"},
        )
        assert who.json()["role"] == "admin"
        assert (tmp_path / "catalogue.sqlite3").exists()
    finally:
        process.send_signal(signal.SIGINT)
        try:
            remaining, _ = process.communicate(timeout=30)
            stopped = True
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            remaining, _ = process.communicate()
            stopped = False
    assert stopped, f"`cityfit up` did not stop within 30 s of Ctrl-C:\n{remaining}"
    assert "all services stopped" in remaining
    assert process.returncode == 0
    for url in (catalogue, console):
        try:
            httpx.get(f"{url}/healthz", timeout=1)
            still_running = True
        except httpx.HTTPError:
            still_running = False
        assert not still_running, url
