"""`cityfit`: run, migrate and seed the platform.

    cityfit up [--data-dir DIR] [--no-demo]   the services and the web console, with demo data
    cityfit serve SERVICE                     one service (or the console) in the foreground
    cityfit migrate [SERVICE]                 apply migrations
    cityfit seed --suppliers N --needs M      a reproducible synthetic catalogue, bulk-loaded
    cityfit demo                              load the demo catalogue now
    cityfit admin-key                         issue an admin key for the platform operator
    cityfit compact-feed --older-than-days N  drop superseded change-feed history
    cityfit rebuild-index                     matching replays the catalogue feed on next start
    cityfit test [PYTEST ARGS]                lint, architecture contracts and the test suite

Services are located by name and imported on demand, so a service that does not exist yet is
simply not started, and none of them imports another.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from services.catalogue.service import bootstrap, changes, demo, seeding
from services.matching.store import repository as matching_store
from shared.db import make_engine, transaction

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class ServiceEntry:
    name: str
    env_prefix: str
    # the console keeps no data: nothing to migrate
    database: bool = True

    @property
    def package(self) -> str:
        return f"services.{self.name}"

    def exists(self) -> bool:
        return importlib.util.find_spec(f"{self.package}.app") is not None

    def module(self) -> Any:
        return importlib.import_module(f"{self.package}.app")

    def settings(self, **overrides: Any) -> Any:
        settings_module = importlib.import_module(f"{self.package}.settings")
        settings_class = next(
            value
            for key, value in vars(settings_module).items()
            if key.endswith("Settings") and key != "ServiceSettings" and isinstance(value, type)
        )
        return settings_class(**overrides)


SERVICES = {
    entry.name: entry
    for entry in (
        ServiceEntry("catalogue", "CATALOGUE_"),
        ServiceEntry("evaluation", "EVALUATION_"),
        ServiceEntry("matching", "MATCHING_"),
        ServiceEntry("console", "CONSOLE_", database=False),
    )
}
DATABASE_SERVICES = sorted(name for name, entry in SERVICES.items() if entry.database)


def available_services() -> list[ServiceEntry]:
    return [entry for entry in SERVICES.values() if entry.exists()]


def _settings_overrides(args: argparse.Namespace) -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    if getattr(args, "data_dir", None):
        overrides["data_dir"] = Path(args.data_dir)
    return overrides


def cmd_migrate(args: argparse.Namespace) -> int:
    names = [args.service] if args.service else [e.name for e in available_services() if e.database]
    for name in names:
        entry = SERVICES[name]
        entry.module().migrate(entry.settings(**_settings_overrides(args)))
        print(f"{name}: migrated")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    entry = SERVICES[args.service]
    overrides = _settings_overrides(args)
    if args.port:
        overrides["port"] = args.port
    settings = entry.settings(**overrides)
    module = entry.module()
    if entry.database:
        module.migrate(settings)
    app = module.create_app(settings)
    uvicorn.run(app, host=settings.host, port=settings.port, log_config=None, access_log=False)
    return 0


def _catalogue_engine(args: argparse.Namespace) -> Any:
    entry = SERVICES["catalogue"]
    settings = entry.settings(**_settings_overrides(args))
    entry.module().migrate(settings)
    return settings, make_engine(settings.resolved_database_url())


def cmd_seed(args: argparse.Namespace) -> int:
    _settings, engine = _catalogue_engine(args)
    started = time.perf_counter()
    counts = seeding.seed(engine, suppliers=args.suppliers, needs=args.needs, seed=args.seed)
    elapsed = time.perf_counter() - started
    print(
        f"seeded {counts['suppliers']} suppliers, {counts['lenders']} lenders, "
        f"{counts['municipalities']} municipalities and {counts['needs']} needs "
        f"in {elapsed:.1f} s (seed {args.seed})"
    )
    engine.dispose()
    return 0


def _load_demo(args: argparse.Namespace, *, only_if_empty: bool) -> dict[str, Any] | None:
    settings, engine = _catalogue_engine(args)
    try:
        loaded = demo.load(engine, only_if_empty=only_if_empty)
    finally:
        engine.dispose()
    if loaded is None:
        return None
    keys_file = Path(settings.data_dir) / "demo-keys.json"
    keys_file.parent.mkdir(parents=True, exist_ok=True)
    keys_file.write_text(json.dumps(loaded, indent=2))
    keys_file.chmod(0o600)
    return loaded


def cmd_demo(args: argparse.Namespace) -> int:
    loaded = _load_demo(args, only_if_empty=False)
    assert loaded is not None
    print(f"demo catalogue loaded: {len(loaded['organisations'])} organisations")
    return 0


def cmd_admin_key(args: argparse.Namespace) -> int:
    _settings, engine = _catalogue_engine(args)
    with transaction(engine) as session:
        plaintext = bootstrap.create_admin_key(session, args.label)
    engine.dispose()
    print(plaintext)
    return 0


def cmd_compact_feed(args: argparse.Namespace) -> int:
    _settings, engine = _catalogue_engine(args)
    before = datetime.now(UTC) - timedelta(days=args.older_than_days)
    with transaction(engine) as session:
        removed = changes.compact(session, before)
    engine.dispose()
    print(f"removed {removed} superseded changes recorded before {before.isoformat()}")
    return 0


def cmd_rebuild_index(args: argparse.Namespace) -> int:
    """Forget the matching index's stored state; the next start replays the catalogue feed.
    A running matching service rebuilds at once with `POST /v1/index/rebuild` (admin)."""
    entry = SERVICES["matching"]
    settings = entry.settings(**_settings_overrides(args))
    entry.module().migrate(settings)
    engine = make_engine(settings.resolved_database_url())
    with transaction(engine) as session:
        matching_store.reset(session)
    engine.dispose()
    print("matching index state cleared: it is rebuilt from the catalogue feed on next start")
    return 0


def _wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    return False


def cmd_up(args: argparse.Namespace) -> int:
    data_dir = Path(args.data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    entries = available_services()
    env = {**os.environ}
    for entry in entries:
        env[f"{entry.env_prefix}DATA_DIR"] = str(data_dir)

    ports: dict[str, int] = {}
    for entry in entries:
        settings = entry.settings(data_dir=data_dir)
        ports[entry.name] = settings.port
        if entry.database:
            entry.module().migrate(settings)
    catalogue_url = f"http://127.0.0.1:{ports['catalogue']}"
    env.setdefault("EVALUATION_CATALOGUE_URL", catalogue_url)
    env.setdefault("MATCHING_CATALOGUE_URL", catalogue_url)
    env.setdefault("CONSOLE_CATALOGUE_URL", catalogue_url)
    for name in ("evaluation", "matching"):
        if name in ports:
            env.setdefault(f"CONSOLE_{name.upper()}_URL", f"http://127.0.0.1:{ports[name]}")
    # the local demo's webhooks go to receivers on this machine
    env.setdefault("MATCHING_ALLOW_PRIVATE_WEBHOOKS", "true")
    if "evaluation" in ports:
        env.setdefault("MATCHING_EVALUATION_URL", f"http://127.0.0.1:{ports['evaluation']}")
    demo_keys = None
    if not args.no_demo:
        demo_keys = _load_demo(argparse.Namespace(data_dir=str(data_dir)), only_if_empty=True)

    processes: list[tuple[ServiceEntry, subprocess.Popen[bytes]]] = []
    log_dir = data_dir / "logs"
    log_dir.mkdir(exist_ok=True)

    def stop_all(*_: Any) -> None:
        for _entry, process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for _entry, process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()

    signal.signal(signal.SIGTERM, _interrupt)
    try:
        for entry in entries:
            log_file = (log_dir / f"{entry.name}.log").open("ab")
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "services.cli",
                    "serve",
                    entry.name,
                    "--data-dir",
                    str(data_dir),
                ],
                env=env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
            processes.append((entry, process))
        for entry, process in processes:
            url = f"http://127.0.0.1:{ports[entry.name]}"
            if not _wait_healthy(url, process):
                print(f"{entry.name} did not start; see {log_dir / (entry.name + '.log')}")
                stop_all()
                return 1
        _print_welcome(entries, ports, data_dir, demo_keys)
        while all(process.poll() is None for _entry, process in processes):
            time.sleep(0.5)
        failed = [entry.name for entry, process in processes if process.poll() is not None]
        print(f"stopped unexpectedly: {', '.join(failed)}; logs in {log_dir}")
        stop_all()
        return 1
    except KeyboardInterrupt:
        # a second Ctrl-C (or the terminal's SIGINT to the whole group) must not cut the shutdown
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print("\nstopping…", flush=True)
        stop_all()
        print("all services stopped")
        return 0


def _interrupt(*_: Any) -> None:
    raise KeyboardInterrupt


def _print_welcome(
    entries: list[ServiceEntry],
    ports: dict[str, int],
    data_dir: Path,
    demo_keys: dict[str, Any] | None,
) -> None:
    print("\nCityFIT Match is running (Ctrl-C stops every service):\n")
    keys_file = data_dir / "demo-keys.json"
    keys = (demo_keys or json.loads(keys_file.read_text())) if keys_file.exists() else None
    if "console" in ports:
        print(f"  open the console: http://127.0.0.1:{ports['console']}/")
        if keys and "torino" in keys["organisations"]:
            torino = keys["organisations"]["torino"]["api_key"]
            print(f"  (sign in as the demo city of Torino with {torino})")
        print()
    for entry in entries:
        if not entry.database:
            continue
        url = f"http://127.0.0.1:{ports[entry.name]}"
        print(f"  {entry.name:<11} {url}   API docs: {url}/docs   metrics: {url}/metrics")
    print(f"\n  data:       {data_dir} (one SQLite file per service; logs in {data_dir / 'logs'})")
    if keys:
        print(f"  demo keys:  {keys_file}")
        print(f"  admin key:  {keys['admin_key']}")
    catalogue = f"http://127.0.0.1:{ports['catalogue']}"
    tries = [f"curl -s '{catalogue}/v1/needs?limit=3'"]
    if "matching" in ports:
        matching = f"http://127.0.0.1:{ports['matching']}"
        tries.append(f"curl -s '{matching}/v1/needs/1/matches?kind=supplier&limit=3'")
    tries.append(f"curl -s '{catalogue}/v1/changes?limit=2'")
    print("\n  try:        " + "\n              ".join(tries) + "\n")
    sys.stdout.flush()


def _ensure_chromium() -> str | None:
    """The browser tests drive Debian's Chromium: install it when missing and we may (root with
    apt-get), else say what to install. None when it is there."""
    if shutil.which("chromium"):
        return None
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("$ apt-get install chromium (the browser tests drive it)", flush=True)
        quiet = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for step in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
            subprocess.run(step, env=quiet, check=False)
        if shutil.which("chromium"):
            return None
    return (
        "the browser tests need Chromium: install Debian's package "
        "(`sudo apt-get install chromium`) and run again"
    )


def cmd_test(args: argparse.Namespace) -> int:
    missing = _ensure_chromium()
    if missing:
        print(missing, file=sys.stderr)
        return 1
    steps: list[list[str]] = [
        ["ruff", "check", "."],
        ["ruff", "format", "--check", "."],
        ["lint-imports"],
        ["pytest", *args.pytest_args],
    ]
    for step in steps:
        print(f"$ {' '.join(step)}", flush=True)
        result = subprocess.run(step, cwd=REPO_ROOT, check=False)
        if result.returncode != 0:
            return result.returncode
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cityfit", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def add(
        name: str, handler: Callable[[argparse.Namespace], int], help_text: str
    ) -> argparse.ArgumentParser:
        command = sub.add_parser(name, help=help_text)
        command.set_defaults(handler=handler)
        return command

    up = add("up", cmd_up, "run the services and the web console with demo data")
    up.add_argument("--data-dir", default="data")
    up.add_argument("--no-demo", action="store_true", help="do not load the demo catalogue")

    serve = add("serve", cmd_serve, "run one service (or the console) in the foreground")
    serve.add_argument("service", choices=sorted(SERVICES))
    serve.add_argument("--data-dir")
    serve.add_argument("--port", type=int)

    migrate = add("migrate", cmd_migrate, "apply database migrations")
    migrate.add_argument("service", nargs="?", choices=DATABASE_SERVICES)
    migrate.add_argument("--data-dir")

    seed = add("seed", cmd_seed, "bulk-load a reproducible synthetic catalogue")
    seed.add_argument("--suppliers", type=int, required=True)
    seed.add_argument("--needs", type=int, required=True)
    seed.add_argument("--seed", type=int, default=42)
    seed.add_argument("--data-dir")

    demo = add("demo", cmd_demo, "load the demo catalogue")
    demo.add_argument("--data-dir")

    admin = add("admin-key", cmd_admin_key, "issue an admin API key (printed once)")
    admin.add_argument("--label", default="operator")
    admin.add_argument("--data-dir")

    compact = add(
        "compact-feed",
        cmd_compact_feed,
        "drop change-feed entries older than N days that a later change supersedes",
    )
    compact.add_argument("--older-than-days", type=float, required=True)
    compact.add_argument("--data-dir")

    rebuild = add("rebuild-index", cmd_rebuild_index, "make matching replay the feed from scratch")
    rebuild.add_argument("--data-dir")

    test = add("test", cmd_test, "ruff, import contracts and pytest (extra args go to pytest)")
    test.add_argument("pytest_args", nargs=argparse.REMAINDER)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and args.command != "test":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command == "test":
        args.pytest_args = [*args.pytest_args, *extra]
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
