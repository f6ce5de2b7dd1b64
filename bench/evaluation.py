"""Appraisal latency (template to full results) and Monte Carlo time for 10,000 draws.

    uv run python bench/evaluation.py [--repeat 50]

In process, on the domain models the service runs: the LED lighting template with financing,
economics and VfM, a 25-year explicit project for the Monte Carlo (the issue's size), and one
full appraisal over HTTP against a running `cityfit serve evaluation` for the service overhead.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import httpx

from services.evaluation.domain.appraisal import appraise
from services.evaluation.domain.risk import monte_carlo, sensitivity

LED = {
    "template": "led_public_lighting",
    "inputs": {"points": 12000, "energy_price": 0.22, "cost_per_point": 550, "lifetime": 20},
    "financing": {"gearing": 0.7, "rate": 0.05, "tenor_years": 12, "amortization": "annuity"},
    "economic": {"co2_price": 100},
    "vfm": {"transferred_risk_share": 0.08},
}
YEARS = 25
PROJECT_25Y = {
    "cash_flows": {
        "investment": [10_000_000] + [0] * YEARS,
        "opex": [0] + [300_000] * YEARS,
        "revenues": [0] + [1_400_000] * YEARS,
    },
    "financing": {"gearing": 0.6, "rate": 0.05, "tenor_years": 15},
}
DISTRIBUTIONS = {
    "revenues": {"distribution": "normal", "sd_pct": 15},
    "opex": {"distribution": "triangular", "min_pct": -10, "mode_pct": 0, "max_pct": 30},
    "investment": {"distribution": "uniform", "min_pct": -5, "max_pct": 25},
}


def timed(function, repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return sorted(samples)


def describe(name: str, samples: list[float]) -> None:
    p99 = samples[max(0, int(len(samples) * 0.99) - 1)]
    print(f"{name:<48} p50 {statistics.median(samples):8.2f} ms   p99 {p99:8.2f} ms")


def over_http(repeat: int) -> list[float]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "EVALUATION_DATA_DIR": tempfile.mkdtemp(), "EVALUATION_LOG_LEVEL": "ERROR"}
    process = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "serve", "evaluation", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            for _ in range(200):
                try:
                    client.get("/healthz")
                    break
                except httpx.HTTPError:
                    time.sleep(0.1)
            body = {"cash_flows": [-1000, 300, 400, 500, 600], "rate": 0.05}
            return timed(lambda: client.post("/v1/calculations/npv", json=body), repeat)
    finally:
        process.terminate()
        process.wait(timeout=15)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    describe("appraisal, LED template, all results", timed(lambda: appraise(LED), args.repeat))
    describe(
        "Monte Carlo, 10,000 draws x 25 years",
        timed(
            lambda: monte_carlo(PROJECT_25Y, DISTRIBUTIONS, 10_000, 42), max(5, args.repeat // 5)
        ),
    )
    describe("sensitivity, LED template", timed(lambda: sensitivity(LED), max(5, args.repeat // 5)))
    describe("stateless npv over HTTP (round trip)", over_http(args.repeat * 4))
    return 0


if __name__ == "__main__":
    sys.exit(main())
