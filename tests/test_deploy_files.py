"""The deployment files against the code: Dockerfile, docker-compose.yml and deploy/k8s.

No Docker engine or Kubernetes cluster runs here, so these tests check what can be checked
without one: every environment variable the files set is a real setting of the service it
reaches (pydantic-settings introspection) and validates; ports, probes and health checks agree
with the settings; each service has its own database; secrets come from the environment or a
Secret; every command the image runs is a `cityfit` command; at most one feed follower writes
to a shared matching database. Then the compose topology is run for real: the three services as
processes (`tests.e2e.processes.ServiceProcesses`) with the environment docker-compose.yml gives
them, after its `migrate` step, with database URLs rewritten to throwaway databases (PostgreSQL
when TEST_DATABASE_URL names a server, else SQLite files) and container hostnames and ports to
free ports on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import yaml
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from services.cli import DATABASE_SERVICES, SERVICES, build_parser
from services.matching.tests.workers.test_webhook_delivery import ReceiverProcess
from shared.testing.databases import database_url_under_test
from tests.e2e.processes import ServiceProcesses, wait_for

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
K8S = ROOT / "deploy" / "k8s"
WORKLOADS = ("Deployment", "StatefulSet")
SECRET_SETTINGS = ("DATABASE_URL", "BOOTSTRAP_ADMIN_KEY")
ADMIN_KEY = "cfk_deploytst0_" + "D" * 43


# --- reading the files ----------------------------------------------------------------------------


def settings_class(service: str) -> type:
    return type(SERVICES[service].settings())


def setting_names(service: str) -> set[str]:
    """The environment variables a service reads: its prefix plus each settings field."""
    prefix = SERVICES[service].env_prefix
    return {prefix + name.upper() for name in settings_class(service).model_fields}


def service_of_variable(name: str) -> str | None:
    for entry in SERVICES.values():
        if name.startswith(entry.env_prefix):
            return entry.name
    return None


def settings_from(service: str, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """The service's settings as the process would build them from exactly `env`."""
    for name in os.environ:
        if service_of_variable(name) is not None:
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return settings_class(service)()


def dockerfile_instruction(name: str) -> list[str]:
    lines = DOCKERFILE.read_text().replace("\\\n", " ").splitlines()
    found = [line.split(None, 1)[1] for line in lines if line.startswith(f"{name} ")]
    return found


def dockerfile_env() -> dict[str, str]:
    """ENV of the runtime stage (the last FROM)."""
    text_ = DOCKERFILE.read_text().replace("\\\n", " ")
    runtime = text_.rsplit("\nFROM ", 1)[1]
    env: dict[str, str] = {}
    for line in runtime.splitlines():
        if line.startswith("ENV "):
            for pair in shlex.split(line.removeprefix("ENV ")):
                name, _, value = pair.partition("=")
                env[name] = value
    return env


def dockerfile_command() -> tuple[list[str], list[str]]:
    entrypoint = json.loads(dockerfile_instruction("ENTRYPOINT")[-1])
    command = json.loads(dockerfile_instruction("CMD")[-1])
    return entrypoint, command


def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


def compose_services() -> dict[str, dict[str, Any]]:
    """The compose services built from this repository's Dockerfile."""
    return {name: spec for name, spec in compose()["services"].items() if "build" in spec}


_VARIABLE = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)(?:(?P<op>:\?|:-)(?P<arg>[^}]*))?\}")


def interpolate(value: str, env: dict[str, str]) -> str:
    """docker compose's `${VAR}`, `${VAR:?message}` and `${VAR:-default}`."""

    def one(match: re.Match[str]) -> str:
        name, op, arg = match.group("name"), match.group("op"), match.group("arg")
        if env.get(name):
            return env[name]
        if op == ":-":
            return arg
        raise KeyError(f"{name} is not set: {arg or 'required'}")

    return _VARIABLE.sub(one, value)


def k8s_documents() -> list[dict[str, Any]]:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    documents: list[dict[str, Any]] = []
    for resource in kustomization["resources"]:
        documents += [d for d in yaml.safe_load_all((K8S / resource).read_text()) if d]
    return documents


def k8s_workloads() -> list[dict[str, Any]]:
    return [d for d in k8s_documents() if d["kind"] in WORKLOADS]


def served_service(args: list[str]) -> str | None:
    """The service a container's arguments serve (`serve matching`), or None."""
    parsed = build_parser().parse_args(args)
    return parsed.service if parsed.command == "serve" else None


def literal_env(container: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e["value"] for e in container.get("env", []) if "value" in e}


def env_names(container: dict[str, Any]) -> list[str]:
    return [e["name"] for e in container.get("env", [])]


def pod_labels(workload: dict[str, Any]) -> dict[str, str]:
    return workload["spec"]["template"]["metadata"]["labels"]


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


# --- the image ------------------------------------------------------------------------------------


class TestDockerfile:
    def test_the_entrypoint_is_the_cityfit_console_script(self) -> None:
        entrypoint, command = dockerfile_command()
        pyproject = (ROOT / "pyproject.toml").read_text()
        assert entrypoint == ["cityfit"]
        assert 'cityfit = "services.cli:main"' in pyproject
        assert served_service(command) == "catalogue"

    def test_its_environment_is_made_of_real_settings(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        env = dockerfile_env()
        by_service: dict[str, dict[str, str]] = {}
        for name, value in env.items():
            service = service_of_variable(name)
            if service is not None:
                assert name in setting_names(service), name
                by_service.setdefault(service, {})[name] = value
        assert set(by_service) == set(SERVICES)
        for service, values in by_service.items():
            settings = settings_from(service, values, monkeypatch)
            assert settings.host == "0.0.0.0"
            if service in DATABASE_SERVICES:  # SQLite files, when no database URL is given
                assert str(settings.data_dir) == "/data"

    def test_the_exposed_ports_are_the_default_ports(self) -> None:
        exposed = {int(port) for port in dockerfile_instruction("EXPOSE")[-1].split()}
        assert exposed >= {entry.settings().port for entry in SERVICES.values()}

    def test_the_build_context_keeps_what_the_package_needs(self) -> None:
        lines = (ROOT / ".dockerignore").read_text().splitlines()
        ignored = [line for line in lines if line and not line.startswith("#")]
        copied = " ".join(dockerfile_instruction("COPY"))
        for needed in ("pyproject.toml", "uv.lock", "README.md", "services", "shared"):
            assert needed not in ignored
            assert needed in copied
        assert "**/tests" in ignored  # tests stay out of the image


# --- docker compose -------------------------------------------------------------------------------


class TestCompose:
    def test_every_variable_is_a_setting_of_the_service_it_reaches(self) -> None:
        for name, spec in compose_services().items():
            parsed = build_parser().parse_args(spec["command"])
            reached = [parsed.service] if parsed.command == "serve" else list(SERVICES)
            for variable in spec["environment"]:
                service = service_of_variable(variable)
                assert service in reached, f"{name}: {variable}"
                assert variable in setting_names(service), f"{name}: {variable}"

    def test_commands_are_cityfit_commands(self) -> None:
        commands = {name: spec["command"] for name, spec in compose_services().items()}
        assert commands["migrate"] == ["migrate"]
        for service in SERVICES:
            assert served_service(commands[service]) == service

    def test_each_service_has_its_own_database_on_the_postgres_service(self) -> None:
        spec = compose()
        initdb = (ROOT / "deploy" / "compose" / "create-databases.sql").read_text()
        created = {spec["services"]["postgres"]["environment"]["POSTGRES_DB"]}
        created |= set(re.findall(r"CREATE DATABASE (\w+);", initdb))
        mounted = " ".join(spec["services"]["postgres"]["volumes"])
        assert "create-databases.sql:/docker-entrypoint-initdb.d/" in mounted
        databases: dict[str, str] = {}
        for service in DATABASE_SERVICES:
            url = compose_services()[service]["environment"][f"{service.upper()}_DATABASE_URL"]
            parts = urlsplit(url)
            assert parts.scheme == "postgresql"
            assert parts.hostname == "postgres"
            assert parts.password == "${POSTGRES_PASSWORD}"  # from the environment, never written
            databases[service] = parts.path.lstrip("/")
            migrate = compose_services()["migrate"]["environment"]
            assert migrate[f"{service.upper()}_DATABASE_URL"] == url
        assert len(set(databases.values())) == len(DATABASE_SERVICES)
        assert set(databases.values()) <= created

    def test_secrets_come_from_the_environment(self) -> None:
        catalogue = compose_services()["catalogue"]["environment"]
        assert re.fullmatch(
            r"\$\{CATALOGUE_BOOTSTRAP_ADMIN_KEY:\?[^}]*\}",
            catalogue["CATALOGUE_BOOTSTRAP_ADMIN_KEY"],
        )
        postgres = compose()["services"]["postgres"]["environment"]
        assert re.fullmatch(r"\$\{POSTGRES_PASSWORD:\?[^}]*\}", postgres["POSTGRES_PASSWORD"])
        with pytest.raises(KeyError, match="POSTGRES_PASSWORD"):
            interpolate(postgres["POSTGRES_PASSWORD"], {})

    def test_ports_and_health_checks_agree_with_the_settings(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        env = {"POSTGRES_PASSWORD": "pw", "CATALOGUE_BOOTSTRAP_ADMIN_KEY": ADMIN_KEY}
        for service in SERVICES:
            spec = compose_services()[service]
            values = {k: interpolate(v, env) for k, v in spec["environment"].items()}
            settings = settings_from(service, {**dockerfile_env(), **values}, monkeypatch)
            assert spec["ports"] == [f"{settings.port}:{settings.port}"]
            check = " ".join(spec["healthcheck"]["test"])
            assert f"http://127.0.0.1:{settings.port}/readyz" in check

    def test_services_start_after_migrations_and_their_dependencies(self) -> None:
        services = compose_services()
        assert services["migrate"]["restart"] == "no"
        for service in SERVICES:
            depends = services[service]["depends_on"]
            if service in DATABASE_SERVICES:
                assert depends["migrate"] == {"condition": "service_completed_successfully"}
            for variable, value in services[service]["environment"].items():
                if variable.endswith("_URL") and value.startswith("http://"):
                    host = urlsplit(value).hostname
                    assert depends[host] == {"condition": "service_healthy"}, variable


# --- Kubernetes -----------------------------------------------------------------------------------


class TestKubernetes:
    def test_the_kustomization_lists_every_manifest(self) -> None:
        listed = set(yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"])
        on_disk = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
        assert listed == on_disk

    def test_every_container_runs_a_cityfit_command_with_real_settings(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        for workload in k8s_workloads():
            spec = workload["spec"]["template"]["spec"]
            for container in spec.get("initContainers", []) + spec["containers"]:
                parsed = build_parser().parse_args(container["args"])
                reached = [parsed.service] if parsed.service else list(SERVICES)
                for variable in env_names(container):
                    service = service_of_variable(variable)
                    assert service in reached, f"{workload['metadata']['name']}: {variable}"
                    assert variable in setting_names(service), variable
                for service in reached:
                    prefix = SERVICES[service].env_prefix
                    values = {
                        k: v for k, v in literal_env(container).items() if k.startswith(prefix)
                    }
                    settings_from(service, {**dockerfile_env(), **values}, monkeypatch)

    def test_each_server_migrates_first_and_has_probes_ports_and_resources(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        for workload in k8s_workloads():
            name = workload["metadata"]["name"]
            spec = workload["spec"]["template"]["spec"]
            (container,) = spec["containers"]
            service = served_service(container["args"])
            assert service is not None, name
            if service in DATABASE_SERVICES:
                (migrate,) = spec["initContainers"]
                assert migrate["args"] == ["migrate", service]
                database = [n for n in env_names(container) if n.endswith("_DATABASE_URL")]
                assert env_names(migrate) == database, name  # migrates the database it serves
            else:
                assert "initContainers" not in spec, name

            settings = settings_from(
                service, {**dockerfile_env(), **literal_env(container)}, monkeypatch
            )
            ports = {p["name"]: p["containerPort"] for p in container["ports"]}
            assert ports == {"http": settings.port}, name
            assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
            assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
            assert {"cpu", "memory"} <= set(container["resources"]["requests"]), name
            assert "memory" in container["resources"]["limits"], name
            assert spec["securityContext"]["runAsNonRoot"] is True

    def test_secrets_come_from_the_secret(self) -> None:
        for workload in k8s_workloads():
            spec = workload["spec"]["template"]["spec"]
            for container in spec.get("initContainers", []) + spec["containers"]:
                for variable in container.get("env", []):
                    if variable["name"].endswith(SECRET_SETTINGS):
                        assert "value" not in variable, variable["name"]
                        reference = variable["valueFrom"]["secretKeyRef"]
                        assert reference["name"] == "cityfit"
                        assert reference["key"] == variable["name"]

    def test_each_service_has_its_own_database(self) -> None:
        keys: dict[str, set[str]] = {}
        for workload in k8s_workloads():
            (container,) = workload["spec"]["template"]["spec"]["containers"]
            service = served_service(container["args"])
            for variable in container.get("env", []):
                if variable["name"].endswith("_DATABASE_URL"):
                    key = variable["valueFrom"]["secretKeyRef"]["key"]
                    keys.setdefault(key, set()).add(service)  # type: ignore[arg-type]
        assert keys == {f"{name.upper()}_DATABASE_URL": {name} for name in DATABASE_SERVICES}

    def test_several_matching_replicas_serve_queries_each_with_its_own_store(self) -> None:
        (service,) = [
            d
            for d in k8s_documents()
            if d["kind"] == "Service" and d["metadata"]["name"] == "matching"
        ]
        behind = [w for w in k8s_workloads() if selects(service["spec"]["selector"], pod_labels(w))]
        (query,) = behind
        assert query["kind"] == "Deployment"
        assert query["spec"]["replicas"] > 1
        (container,) = query["spec"]["template"]["spec"]["containers"]
        env = literal_env(container)
        assert env["MATCHING_FOLLOW_FEED"] == "true"
        assert "MATCHING_DATABASE_URL" not in env_names(container)  # its own SQLite file
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        volumes = {v["name"]: v for v in query["spec"]["template"]["spec"]["volumes"]}
        assert "emptyDir" in volumes[mounts[env["MATCHING_DATA_DIR"]]]
        assert query["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0

    def test_at_most_one_feed_follower_writes_to_the_shared_matching_database(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        followers, senders = [], []
        for workload in k8s_workloads():
            (container,) = workload["spec"]["template"]["spec"]["containers"]
            if served_service(container["args"]) != "matching":
                continue
            if "MATCHING_DATABASE_URL" not in env_names(container):
                continue
            settings = settings_from("matching", literal_env(container), monkeypatch)
            if settings.follow_feed:
                followers.append(workload)
            if settings.deliver_webhooks:
                senders.append(workload)
        (leader,) = followers
        assert leader["kind"] == "StatefulSet"  # never two pods at once, even during an update
        assert leader["spec"]["replicas"] == 1
        assert sum(w["spec"]["replicas"] for w in senders) > 1  # SKIP LOCKED shares the table

    def test_services_and_ingress_reach_existing_pods_and_ports(self) -> None:
        documents = k8s_documents()
        workloads = k8s_workloads()
        services = {d["metadata"]["name"]: d for d in documents if d["kind"] == "Service"}
        for name, service in services.items():
            behind = [w for w in workloads if selects(service["spec"]["selector"], pod_labels(w))]
            assert len(behind) == 1, name
            (container,) = behind[0]["spec"]["template"]["spec"]["containers"]
            port_names = {p["name"] for p in container["ports"]}
            assert {p["targetPort"] for p in service["spec"]["ports"]} <= port_names
        for workload in workloads:
            selector = workload["spec"]["selector"]["matchLabels"]
            assert selects(selector, pod_labels(workload))
            others = [w for w in workloads if w is not workload]
            assert not any(selects(selector, pod_labels(w)) for w in others)
        (ingress,) = [d for d in documents if d["kind"] == "Ingress"]
        routes: dict[tuple[str, str], str] = {}
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                port_names = {p["name"] for p in services[backend["name"]]["spec"]["ports"]}
                assert backend["port"]["name"] in port_names
                routes[(rule["host"].split(".")[0], path["path"])] = backend["name"]
        assert routes[("matching", "/v1/subscriptions")] == "matching-subscriptions"
        assert routes[("matching", "/")] == "matching"


# --- the compose topology as real processes -------------------------------------------------------


@dataclass
class EmptyDatabases:
    """Empty (unmigrated) databases by name: on the TEST_DATABASE_URL server, else SQLite."""

    workdir: Path
    server: str | None = field(default_factory=database_url_under_test)
    created: dict[str, str] = field(default_factory=dict)

    def url(self, name: str) -> str:
        if name not in self.created:
            if self.server is None:
                self.created[name] = f"sqlite:///{self.workdir / name}.sqlite3"
            else:
                database = f"cityfit_deploy_{name}_{uuid.uuid4().hex[:8]}"
                admin = create_engine(self.server, isolation_level="AUTOCOMMIT")
                with admin.connect() as connection:
                    connection.execute(text(f'CREATE DATABASE "{database}"'))
                admin.dispose()
                server = make_url(self.server).set(database=database)
                self.created[name] = server.render_as_string(hide_password=False)
        return self.created[name]

    def drop(self) -> None:
        if self.server is None:
            return
        admin = create_engine(self.server, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            for url in self.created.values():
                name = make_url(url).database
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass
class ManifestProcesses(ServiceProcesses):
    """ServiceProcesses whose instances get the environment a deployment file gives them,
    rewritten for this machine (`envs`, by instance name)."""

    envs: dict[str, dict[str, str]] = field(default_factory=dict)

    def environment(self, instance: str) -> dict[str, str]:
        inherited = {k: v for k, v in os.environ.items() if service_of_variable(k) is None}
        return {**inherited, **self.envs[instance]}


def rewrite(value: str, databases: EmptyDatabases, hosts: dict[str, str]) -> str:
    """A value as it must read on this machine: the postgres service's databases become
    throwaway ones, another service's `http://name:port` becomes its 127.0.0.1 address."""
    parts = urlsplit(value)
    if parts.scheme == "postgresql" and parts.hostname == "postgres":
        return databases.url(parts.path.lstrip("/"))
    if parts.scheme == "http" and parts.hostname in hosts:
        return hosts[parts.hostname] + parts.path
    return value


@dataclass
class Machine:
    """How container environments are rewritten for processes on this machine."""

    workdir: Path
    databases: EmptyDatabases
    hosts: dict[str, str]

    def env(
        self, given: dict[str, str], *, port: int | None = None, data: str = ""
    ) -> dict[str, str]:
        """The image's ENV plus `given`, with secrets filled in, databases and hosts rewritten,
        listening on 127.0.0.1 (at `port`) and keeping files under `workdir / data`."""
        secrets = {"POSTGRES_PASSWORD": "unused", "CATALOGUE_BOOTSTRAP_ADMIN_KEY": ADMIN_KEY}
        merged = {**dockerfile_env(), **given}
        out = {
            name: rewrite(interpolate(value, secrets), self.databases, self.hosts)
            for name, value in merged.items()
            if service_of_variable(name) is not None
        }
        (self.workdir / data).mkdir(exist_ok=True)
        for entry in SERVICES.values():
            out[f"{entry.env_prefix}HOST"] = "127.0.0.1"
            out[f"{entry.env_prefix}DATA_DIR"] = str(self.workdir / data)
            if port is not None and f"{entry.env_prefix}PORT" in out:
                out[f"{entry.env_prefix}PORT"] = str(port)  # 8001... may be taken here
        return out

    def run(self, args: list[str], env: dict[str, str]) -> str:
        """A `cityfit` command (what the image's entrypoint runs); its output."""
        (output,) = self.run_together([(args, env)])
        return output

    def run_together(self, commands: list[tuple[list[str], dict[str, str]]]) -> list[str]:
        """`cityfit` commands started at once, as init containers of pods starting together; a
        failed one is run again, as the kubelet restarts a failed init container (migrations
        racing on one database: the loser's transaction rolls back, its retry finds the head)."""
        inherited = {k: v for k, v in os.environ.items() if service_of_variable(k) is None}

        def launch(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
            return subprocess.Popen(
                [sys.executable, "-m", "services.cli", *args],
                env={**inherited, **env},
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )

        outputs: list[str] = []
        running = [launch(args, env) for args, env in commands]
        for (args, env), first in zip(commands, running, strict=True):
            output, _ = first.communicate(timeout=300)
            finished = first
            if first.returncode != 0:
                finished = launch(args, env)
                output, _ = finished.communicate(timeout=300)
            assert finished.returncode == 0, output
            outputs.append(output)
        return outputs


@pytest.fixture(scope="module")
def compose_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ManifestProcesses]:
    """One compose stack for the tests below; each leaves it running (restarted if it stopped
    a process), so they do not depend on their order."""
    tmp_path = tmp_path_factory.mktemp("compose")
    databases = EmptyDatabases(tmp_path)
    services = compose_services()
    processes = ManifestProcesses(tmp_path, {}, ADMIN_KEY)
    processes.add_instance("console", "console", "")
    machine = Machine(tmp_path, databases, {name: processes.url(name) for name in SERVICES})
    try:
        migrated = machine.run(
            services["migrate"]["command"], machine.env(services["migrate"]["environment"])
        )
        assert migrated.count(": migrated") == len(DATABASE_SERVICES)
        for name in SERVICES:
            processes.envs[name] = machine.env(
                services[name]["environment"], port=processes.ports[name]
            )
        # together: compose's health-gated order is not what is tested here
        processes.start(*SERVICES)
        yield processes
    finally:
        processes.stop_all()
        databases.drop()


def compose_health_check(service: str, port: int) -> subprocess.CompletedProcess[str]:
    command = compose_services()[service]["healthcheck"]["test"]
    assert command[0] == "CMD"
    program = command[1:]
    assert program[0] == "python"
    program = [sys.executable, *program[1:]]
    program[-1] = program[-1].replace(
        f"127.0.0.1:{SERVICES[service].settings().port}", f"127.0.0.1:{port}"
    )
    return subprocess.run(program, capture_output=True, text=True, check=False, timeout=30)


@pytest.mark.slow
def test_the_compose_stack_runs_migrated_and_wired(compose_stack: ManifestProcesses) -> None:
    for name in SERVICES:
        ready = httpx.get(f"{compose_stack.url(name)}/readyz")
        assert ready.status_code == 200, (name, ready.text)
        assert compose_health_check(name, compose_stack.ports[name]).returncode == 0, name

    admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
    catalogue, evaluation = compose_stack.url("catalogue"), compose_stack.url("evaluation")
    who = httpx.get(f"{catalogue}/v1/auth/introspect", headers=admin)
    assert who.json()["role"] == "admin"  # CATALOGUE_BOOTSTRAP_ADMIN_KEY took effect

    # evaluation checks the key with catalogue at EVALUATION_CATALOGUE_URL
    appraisal = httpx.post(
        f"{evaluation}/v1/appraisals",
        headers=admin,
        json={"template": "led_public_lighting", "inputs": {"points": 1000}},
        timeout=30,
    )
    assert appraisal.status_code == 201, appraisal.text

    # matching follows the catalogue feed at MATCHING_CATALOGUE_URL
    registered = httpx.post(
        f"{catalogue}/v1/registrations",
        json={
            "organisation": {
                "kind": "supplier",
                "name": "Compose Lighting",
                "country": "IT",
                "cpv_codes": ["34928500"],
                "nuts_codes": ["ITC"],
            },
            "contact_email": "compose@example.org",
        },
    )
    assert registered.status_code == 201, registered.text

    def applied() -> int:
        status = httpx.get(f"{compose_stack.url('matching')}/v1/index/status").json()
        return status["feed"]["changes_applied"]

    assert wait_for(applied) >= 1

    # the console passes the browser's calls through to each service's URL
    for name in DATABASE_SERVICES:
        through = httpx.get(f"{compose_stack.url('console')}/api/{name}/v1/nothing-here")
        assert through.status_code == 404, (name, through.text)
        assert through.json()["instance"] == "/v1/nothing-here", name  # the service's own 404


@pytest.mark.slow
def test_the_query_replicas_startup_probe_waits_until_the_feed_was_read_to_its_end(
    compose_stack: ManifestProcesses,
) -> None:
    """deploy/k8s/matching.yaml's startup probe, run against a matching process: it fails while
    the replica has not reached the end of the catalogue feed since it started."""
    (query,) = [w for w in k8s_workloads() if w["metadata"]["name"] == "matching"]
    (container,) = query["spec"]["template"]["spec"]["containers"]
    command = container["startupProbe"]["exec"]["command"]
    assert command[:2] == ["python", "-c"]
    port = compose_stack.ports["matching"]
    program = [sys.executable, "-c", command[2].replace("127.0.0.1:8003", f"127.0.0.1:{port}")]

    def probe() -> bool:
        return subprocess.run(program, capture_output=True, check=False).returncode == 0

    assert wait_for(probe)
    compose_stack.stop("matching")
    compose_stack.stop("catalogue")
    compose_stack.start("matching")  # serving its stored index, but the feed is out of reach
    assert httpx.get(f"{compose_stack.url('matching')}/readyz").status_code == 200
    assert not probe()
    compose_stack.start("catalogue")
    assert wait_for(probe, timeout=90)


# --- the Kubernetes topology as real processes ----------------------------------------------------

# What the Secret holds, in the shape an operator gives it (rewritten like compose's URLs).
SECRET = {
    **{
        f"{name.upper()}_DATABASE_URL": f"postgresql://u:p@postgres:5432/{name}"
        for name in SERVICES
    },
    "CATALOGUE_BOOTSTRAP_ADMIN_KEY": ADMIN_KEY,
}
# The one setting added to the manifests' environment: the test's receiver is on 127.0.0.1.
PRIVATE_WEBHOOKS = {"MATCHING_ALLOW_PRIVATE_WEBHOOKS": "true"}
WATCHERS = 12  # subscriptions watching one need: one event each, shared by the workers
LED_NEED = {
    "title": "Illuminazione pubblica a LED",
    "description": "LED street lighting with remote management",
    "category": "public_lighting",
    "cpv_codes": ["34928500"],
    "nuts_code": "ITC11",
    "budget": {"amount": 4_500_000, "currency": "EUR"},
    "contract_forms": ["epc"],
}
LED_SUPPLIER = {
    "kind": "supplier",
    "name": "Lumen Street Lighting",
    "country": "IT",
    "description": "LED street lighting retrofits with remote management",
    "cpv_codes": ["34928500"],
    "nuts_codes": ["ITC"],
    "contract_forms": ["epc"],
    "project_size": {
        "min": {"amount": 500_000, "currency": "EUR"},
        "max": {"amount": 20_000_000, "currency": "EUR"},
    },
}


def container_env(container: dict[str, Any]) -> dict[str, str]:
    env = literal_env(container)
    for variable in container.get("env", []):
        reference = variable.get("valueFrom", {}).get("secretKeyRef")
        if reference is not None:
            env[variable["name"]] = SECRET[reference["key"]]
    return env


@pytest.fixture
def k8s_stack(tmp_path: Path) -> Iterator[tuple[ManifestProcesses, list[str]]]:
    """Every pod of deploy/k8s except the console, as processes: two matching query replicas,
    the subscription follower and a webhook worker, each with its manifest's environment, after
    running each pod's init container (`cityfit migrate ...`). Yields the query replicas' names."""
    databases = EmptyDatabases(tmp_path)
    processes = ManifestProcesses(tmp_path, {}, ADMIN_KEY)
    pods: list[tuple[str, dict[str, Any]]] = []
    for workload in k8s_workloads():
        name = workload["metadata"]["name"]
        if name == "console":
            continue
        # two matching query replicas show them following apart, two workers sharing the sends
        replicas = min(workload["spec"]["replicas"], 2) if name.startswith("matching") else 1
        pods += [(f"{name}-{n}" if replicas > 1 else name, workload) for n in range(replicas)]
    queries = [pod for pod, workload in pods if workload["metadata"]["name"] == "matching"]
    for pod, workload in pods:
        (container,) = workload["spec"]["template"]["spec"]["containers"]
        service = served_service(container["args"])
        assert service is not None
        if pod not in processes.ports:
            processes.add_instance(pod, service, "")
    hosts = {name: processes.url(name) for name in ("catalogue", "evaluation")}
    hosts["matching-subscriptions"] = processes.url("matching-subscriptions")
    machine = Machine(tmp_path, databases, hosts)
    inits: list[tuple[list[str], dict[str, str]]] = []
    try:
        for pod, workload in pods:
            spec = workload["spec"]["template"]["spec"]
            (container,) = spec["containers"]
            (init,) = spec["initContainers"]
            env = machine.env({**container_env(container), **PRIVATE_WEBHOOKS}, data=pod)
            env[f"{processes.services[pod].upper()}_PORT"] = str(processes.ports[pod])
            inits.append((init["args"], machine.env(container_env(init), data=pod)))
            processes.envs[pod] = env
        machine.run_together(inits)
        # in two waves of a few processes, so that each boots within ServiceProcesses' minute
        # on a busy machine; the followers would retry until the catalogue answers anyway
        first = ["catalogue", "evaluation", "matching-subscriptions"]
        processes.start(*first)
        processes.start(*(pod for pod, _ in pods if pod not in first))
        yield processes, queries
    finally:
        processes.stop_all()
        databases.drop()


@pytest.mark.slow
def test_the_kubernetes_roles_query_replicas_follow_apart_one_follower_records_workers_send(
    k8s_stack: tuple[ManifestProcesses, list[str]], tmp_path: Path
) -> None:
    processes, queries = k8s_stack
    catalogue = httpx.Client(base_url=processes.url("catalogue"), timeout=30)
    leader = httpx.Client(base_url=processes.url("matching-subscriptions"), timeout=30)
    receiver = ReceiverProcess(tmp_path)
    receiver.start()
    try:
        city = catalogue.post(
            "/v1/registrations",
            json={
                "organisation": {
                    "kind": "municipality",
                    "name": "Comune di Prova",
                    "country": "IT",
                    "nuts_codes": ["ITC11"],
                },
                "contact_email": "k8s@example.org",
            },
        )
        assert city.status_code == 201, city.text
        key = {"Authorization": f"Bearer {city.json()['api_key']}"}
        need = catalogue.post("/v1/needs", headers=key, json=LED_NEED)
        assert need.status_code == 201, need.text
        need_id = need.json()["id"]

        def ranked(client: httpx.Client) -> list[int] | None:
            answer = client.get(f"/v1/needs/{need_id}/matches", params={"kind": "supplier"})
            return (
                [m["candidate_id"] for m in answer.json()["items"]] if answer.is_success else None
            )

        assert wait_for(lambda: ranked(leader) is not None)
        subscriptions = []
        for n in range(WATCHERS):
            subscription = leader.post(
                "/v1/subscriptions",
                headers={**key, "Idempotency-Key": f"k8s-roles-{n}"},
                json={
                    "url": receiver.url,
                    "filter": {"need_id": need_id, "kind": "supplier"},
                    "min_score": 0,
                },
            )
            assert subscription.status_code == 201, subscription.text
            receiver.trust(subscription.json())
            subscriptions.append(subscription.json()["id"])

        supplier = catalogue.post(
            "/v1/registrations",
            json={"organisation": LED_SUPPLIER, "contact_email": "k8s-supplier@example.org"},
        )
        assert supplier.status_code == 201, supplier.text
        supplier_id = supplier.json()["organisation"]["id"]

        # each query replica follows the feed into its own store and ranks the newcomer
        for pod in queries:
            with httpx.Client(base_url=processes.url(pod), timeout=30) as replica:
                assert wait_for(lambda r=replica: supplier_id in (ranked(r) or [])), pod
                # subscriptions live with the follower only: the Ingress sends them there
                missing = replica.get(f"/v1/subscriptions/{subscriptions[0]}", headers=key)
                assert missing.status_code == 404, pod

        # the follower recorded one event per subscription; the workers (not the follower, which
        # does not send) shared the deliveries: each arrives once, signed
        def verified() -> list[dict[str, Any]]:
            return [r for r in receiver.records() if r["verified"]]

        wait_for(lambda: len(verified()) >= WATCHERS, timeout=60)
        received = verified()
        assert sorted(r["subscription_id"] for r in received) == sorted(subscriptions)
        assert {r["type"] for r in received} == {"match.created"}
        assert set(receiver.accepted().values()) == {1}  # no webhook-id twice

        # the receiver answers before the worker records its answer: poll the delivery log
        def statuses(subscription_id: int) -> list[str]:
            answer = leader.get(f"/v1/subscriptions/{subscription_id}/deliveries", headers=key)
            return [d["status"] for d in answer.json()["items"]]

        for subscription_id in subscriptions:
            wait_for(lambda s=subscription_id: statuses(s) == ["delivered"], timeout=30)
            assert statuses(subscription_id) == ["delivered"]
    finally:
        receiver.stop()
        catalogue.close()
        leader.close()
