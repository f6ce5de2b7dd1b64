"""The console in Debian's headless Chromium, driven by Playwright, against the real stack.

The stack (catalogue, evaluation, matching and the console, as processes on free ports) starts
once per session with the demo catalogue loaded; each test gets a fresh browser context (its own
sessionStorage and localStorage). A test fails if its page logs a console error, throws, or
receives a 5xx from the API. Screenshots go to `CONSOLE_SCREENSHOTS` (or a pytest temp dir);
the path is printed at the end of the run.

Chromium is Debian's (`apt-get install chromium`, which `./cityfit test` and `.ci/run` do when it
is missing): `playwright install` downloads a browser build of its own and is never used.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Response, sync_playwright

from services.catalogue.app import MIGRATIONS as CATALOGUE
from services.catalogue.service import demo
from services.evaluation.app import MIGRATIONS as EVALUATION
from services.matching.app import MIGRATIONS as MATCHING
from shared.db import make_engine
from shared.testing.databases import DatabaseFactory
from tests.e2e.processes import ServiceProcesses, running_stack

ADMIN_KEY = "cfk_browseradm_" + "B" * 43
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Chromium reports every 4xx answer to fetch() as a console error; those are the API's answers
# the pages show next to their fields (the tests provoke some), not faults of the page.
EXPECTED_API_ANSWER = re.compile(
    r"^Failed to load resource: the server responded with a status of 4\d\d"
)
SCREENSHOTS: list[Path] = []


@dataclass
class Console:
    url: str
    stack: ServiceProcesses
    keys: dict
    shots: Path

    def key(self, organisation: str) -> str:
        return self.keys["organisations"][organisation]["api_key"]

    def organisation_id(self, organisation: str) -> int:
        return self.keys["organisations"][organisation]["id"]


@pytest.fixture(scope="session")
def console(
    tmp_path_factory: pytest.TempPathFactory, database_factory: DatabaseFactory
) -> Iterator[Console]:
    urls = {
        "catalogue": database_factory.for_session("console_catalogue", CATALOGUE),
        "evaluation": database_factory.for_session("console_evaluation", EVALUATION),
        "matching": database_factory.for_session("console_matching", MATCHING),
    }
    engine = make_engine(urls["catalogue"])
    try:
        keys = demo.load(engine, only_if_empty=False)
    finally:
        engine.dispose()
    assert keys is not None
    shots = Path(os.environ.get("CONSOLE_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    shots.mkdir(parents=True, exist_ok=True)
    SCREENSHOTS.append(shots)
    workdir = tmp_path_factory.mktemp("browser-stack")
    with pytest.MonkeyPatch.context() as patch:
        # the lender's webhook goes to a receiver on 127.0.0.1, as in `cityfit up`
        patch.setenv("MATCHING_ALLOW_PRIVATE_WEBHOOKS", "true")
        patch.setenv("MATCHING_WEBHOOK_POLL_SECONDS", "0.1")
        processes = ServiceProcesses(workdir, urls, ADMIN_KEY)
        with running_stack(processes) as stack:
            stack.start_console()
            yield Console(stack.url("console"), stack, keys, shots)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as playwright:
        # launch() gives each run a fresh temporary user-data-dir of its own
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class Faults:
    messages: list[str] = field(default_factory=list)

    def console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and not EXPECTED_API_ANSWER.match(message.text):
            self.messages.append(f"console error: {message.text}")

    def response(self, response: Response) -> None:
        if response.status >= 500:
            self.messages.append(f"{response.status} from {response.request.method} {response.url}")


@pytest.fixture
def page(browser: Browser, console: Console) -> Iterator[Page]:
    context = browser.new_context(base_url=console.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    page = context.new_page()
    faults = Faults()
    page.on("console", faults.console)
    page.on("response", faults.response)
    page.on("pageerror", lambda error: faults.messages.append(f"uncaught: {error}"))
    yield page
    context.close()
    assert not faults.messages, "\n".join(faults.messages)


def shoot(page: Page, console: Console, name: str) -> None:
    page.screenshot(path=str(console.shots / f"{name}.png"), full_page=True)


def sign_in(page: Page, key: str) -> None:
    page.goto("/#/sign-in")
    page.get_by_test_id("input-api_key").fill(key)
    page.get_by_test_id("sign-in").click()
    page.get_by_test_id("organisation-name").wait_for()


class WebhookReceiver:
    """Answers 204 to every POST and counts them."""

    def __init__(self) -> None:
        received: list[bytes] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                received.append(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return

        self.received = received
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def events(self) -> list[dict]:
        return [json.loads(body) for body in self.received]


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        yield running


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for shots in SCREENSHOTS:
        terminalreporter.write_line(f"console screenshots: {shots}")
