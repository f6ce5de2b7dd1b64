"""The console serves its pages and passes `/api/{service}/v1/...` through, verbatim."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from services.console.app import create_app
from services.console.settings import ConsoleSettings
from shared.testing.transport import unreachable_transport

QUIET = {"json_logs": False, "log_level": "WARNING"}


class Recorder:
    """A fake service: records what reached it and answers what the test set."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.seen: list[httpx.Request] = []
        self.answer = httpx.Response(200, json={"service": name})

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        return self.answer


@pytest.fixture
def services() -> dict[str, Recorder]:
    return {name: Recorder(name) for name in ("catalogue", "evaluation", "matching")}


@pytest.fixture
def console(services: dict[str, Recorder]) -> Iterator[TestClient]:
    transports = {name: httpx.MockTransport(recorder) for name, recorder in services.items()}
    app = create_app(ConsoleSettings(**QUIET), transports=transports)
    with TestClient(app) as client:
        yield client


class TestPages:
    def test_the_home_page_and_its_modules_are_served(self, console: TestClient) -> None:
        page = console.get("/")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert 'type="module"' in page.text
        script = console.get("/js/app.js")
        assert script.status_code == 200
        assert "javascript" in script.headers["content-type"]

    def test_pages_are_revalidated_and_run_only_this_origins_scripts(
        self, console: TestClient
    ) -> None:
        page = console.get("/")
        assert page.headers["cache-control"] == "no-cache"
        policy = page.headers["content-security-policy"]
        assert "script-src 'self'" in policy
        assert "connect-src 'self'" in policy
        assert "frame-ancestors 'none'" in policy
        assert page.headers["x-content-type-options"] == "nosniff"
        unchanged = console.get("/js/api.js")
        again = console.get("/js/api.js", headers={"If-None-Match": unchanged.headers["etag"]})
        assert again.status_code == 304

    def test_an_unknown_page_is_a_problem_not_a_crash(self, console: TestClient) -> None:
        answer = console.get("/no-such-page.html")
        assert answer.status_code == 404
        assert answer.headers["content-type"] == "application/problem+json"


class TestPassThrough:
    def test_method_path_query_body_and_api_headers_reach_the_service(
        self, console: TestClient, services: dict[str, Recorder]
    ) -> None:
        body = {"title": "LED", "nuts_code": "ITC11"}
        console.post(
            "/api/catalogue/v1/needs?dry=1&q=led%20lights",
            json=body,
            headers={
                "Authorization": "Bearer cfk_abc_def",
                "Idempotency-Key": "k-1",
                "If-Match": '"3"',
                "X-Request-ID": "req-42",
                "Cookie": "session=secret",
                "X-Forwarded-For": "10.0.0.1",
            },
        )
        (seen,) = services["catalogue"].seen
        assert seen.method == "POST"
        assert seen.url.raw_path == b"/v1/needs?dry=1&q=led%20lights"
        assert json.loads(seen.content) == body
        assert seen.headers["authorization"] == "Bearer cfk_abc_def"
        assert seen.headers["idempotency-key"] == "k-1"
        assert seen.headers["if-match"] == '"3"'
        assert seen.headers["content-type"] == "application/json"
        assert seen.headers["x-request-id"] == "req-42"
        # nothing the public API does not define goes through
        assert "cookie" not in seen.headers
        assert "x-forwarded-for" not in seen.headers

    def test_each_service_is_reached_by_its_name(
        self, console: TestClient, services: dict[str, Recorder]
    ) -> None:
        for name in ("catalogue", "evaluation", "matching"):
            assert console.get(f"/api/{name}/v1/anything").json() == {"service": name}
            assert services[name].seen[-1].url.path == "/v1/anything"

    def test_the_answer_comes_back_verbatim(
        self, console: TestClient, services: dict[str, Recorder]
    ) -> None:
        problem = {
            "type": "https://cityfit.example/problems/validation-error",
            "title": "Invalid request",
            "status": 422,
            "detail": "Invalid fields: nuts_code",
            "errors": [{"field": "nuts_code", "reason": "unknown NUTS code"}],
        }
        services["catalogue"].answer = httpx.Response(
            422,
            content=json.dumps(problem).encode(),
            headers={
                "content-type": "application/problem+json",
                "etag": '"7"',
                "location": "/v1/needs/9",
                "set-cookie": "tracking=1",
            },
        )
        answer = console.patch("/api/catalogue/v1/needs/9", json={"nuts_code": "ITZ99"})
        assert answer.status_code == 422
        assert answer.json() == problem
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.headers["etag"] == '"7"'
        assert answer.headers["location"] == "/v1/needs/9"
        assert "set-cookie" not in answer.headers

    def test_an_empty_answer_stays_empty(
        self, console: TestClient, services: dict[str, Recorder]
    ) -> None:
        services["catalogue"].answer = httpx.Response(204)
        answer = console.delete("/api/catalogue/v1/offers/3", headers={"If-Match": '"1"'})
        assert answer.status_code == 204
        assert answer.content == b""
        assert services["catalogue"].seen[-1].method == "DELETE"


class TestWhatIsNotPassed:
    @pytest.mark.parametrize(
        "path",
        [
            "/api/billing/v1/invoices",
            "/api/catalogue/healthz",
            "/api/catalogue/metrics",
            "/api/catalogue/v1/../metrics",
            "/api/catalogue/v1/%2e%2e/metrics",
            "/api/catalogue/v1/needs/%2E%2E/%2E%2E/metrics",
        ],
    )
    def test_only_the_public_v1_paths_of_the_three_services(
        self, console: TestClient, services: dict[str, Recorder], path: str
    ) -> None:
        answer = console.get(path)
        assert answer.status_code == 404
        assert answer.headers["content-type"] == "application/problem+json"
        assert all(not recorder.seen for recorder in services.values())


def test_a_service_that_is_down_is_a_503_problem_naming_it() -> None:
    transports = {name: unreachable_transport() for name in ("catalogue", "evaluation", "matching")}
    with TestClient(create_app(ConsoleSettings(**QUIET), transports=transports)) as console:
        answer = console.get("/api/matching/v1/programme/summary")
        assert answer.status_code == 503
        assert answer.headers["content-type"] == "application/problem+json"
        assert "matching could not be reached" in answer.json()["detail"]
        ready = console.get("/readyz")
        assert ready.status_code == 503
        assert set(ready.json()["checks"]) == {"catalogue", "evaluation", "matching"}


def test_ready_when_the_three_services_answer(console: TestClient) -> None:
    answer = console.get("/readyz")
    assert answer.status_code == 200
    assert answer.json()["checks"] == {
        "catalogue": "ok",
        "evaluation": "ok",
        "matching": "ok",
    }
