"""`smshall serve` and `smshall demo`."""

from __future__ import annotations

import argparse
import secrets
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from app.cli.common import console, migrate
from app.cli.data import import_file
from app.domain.channels import Channel
from app.metrics.multiprocess import prepare_workers
from app.runtime import Runtime
from app.services.catalog_load import describe_seed, seed_catalog
from app.settings import Settings, get_settings
from app.store.database import normalise_url

DEMO_DIR = Path(__file__).resolve().parents[1] / "demo"
#: The demo's service clock at start (operator time), unless SMSHALL_CLOCK_START says.
DEMO_CLOCK_START = datetime(2026, 11, 23, 10, 0)


def add_commands(commands: Any) -> None:
    for name, handler, text in (
        ("demo", demo, "set up the embedded demo (SQLite, catalog, demo subscribers) and serve"),
        ("serve", serve, "serve the HTTP API"),
    ):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("--host", default=None, help="listen address (default 127.0.0.1)")
        sub.add_argument("--port", type=int, default=None, help="listen port (default 8000)")
        sub.set_defaults(handler=handler)
        if name == "serve":
            sub.add_argument(
                "--workers",
                type=int,
                default=1,
                help="HTTP worker processes (PostgreSQL, no SMPP binds or sendsms; default 1)",
            )
        if name == "demo":
            sub.add_argument(
                "--no-simulator", action="store_true", help="HTTP only: no SMSC simulator"
            )
            sub.add_argument(
                "--simulator-ports",
                type=lambda text: tuple(int(p) for p in text.split(",")),
                default=(2775, 8700),
                metavar="SMPP,HTTP",
                help="the simulator's SMPP and handset-page ports (default 2775,8700)",
            )


def _ensure_demo_tokens(env_file: Path) -> dict[str, str]:
    """The demo needs tokens; make random ones once and keep them in `.env`
    (ignored by git), so the repository never holds a secret."""
    existing = {}
    if env_file.exists():
        for line in env_file.read_text().splitlines():
            key, sep, value = line.partition("=")
            if sep:
                existing[key.strip()] = value.strip()
    added = []
    for key in ("SMSHALL_GATEWAY_TOKEN", "SMSHALL_ADMIN_TOKEN"):
        if not existing.get(key):
            existing[key] = secrets.token_urlsafe(24)
            added.append(f"{key}={existing[key]}")
    if added:
        with env_file.open("a") as handle:
            handle.write("\n".join(added) + "\n")
    return existing


def demo(args: argparse.Namespace) -> int:
    """Set up the embedded demo and serve it, bound over SMPP to the simulator
    so the handset page can text the service."""
    from app.demo.simulator import DemoSimulator

    tokens = _ensure_demo_tokens(Path(".env"))
    get_settings.cache_clear()
    settings = get_settings()
    if settings.clock_start is None:
        # The demo's subscribers and usage describe this day: it answers alike whenever run.
        settings = settings.model_copy(update={"clock_start": DEMO_CLOCK_START})
    migrate(settings)
    smpp_port, http_port = args.simulator_ports
    simulator = DemoSimulator(smpp_port=smpp_port, http_port=http_port)
    if not args.no_simulator:
        bind = simulator.start()
        settings = settings.model_copy(
            update={"smpp_binds": [bind], "notice_channel": Channel.SMPP}
        )
    try:
        runtime = Runtime.from_settings(settings)
        print(describe_seed(seed_catalog(runtime.uow_factory)))
        import_file("subscribers", DEMO_DIR / "subscribers.csv", runtime)
        import_file("usage", DEMO_DIR / "usage.csv", runtime)
        gateway = tokens["SMSHALL_GATEWAY_TOKEN"]
        if settings.gateway_token:
            gateway = settings.gateway_token.get_secret_value()
        base = f"http://{args.host or settings.host}:{args.port or settings.port}"
        print(f"smshall demo on {base} (database {settings.database_url})")
        print(f"Service clock started at {settings.clock_start} (SMSHALL_CLOCK_START)")
        if not args.no_simulator:
            print(f"Handset page: {simulator.handset_page} — pick 13800138000 and text IWJZS 2")
        print("Or over HTTP:")
        print(
            f"  curl -s -X POST {base}/v1/mo -H 'Authorization: Bearer {gateway}' "
            "-H 'Content-Type: application/json' "
            """-d '{"from": "13800138000", "to": "10086", "text": "IWJZS 2", "message_id": "demo-1"}'"""
        )
        print(f"Tokens are in .env; the API is described at {base}/docs")
        sys.stdout.flush()
        return serve(args, runtime)
    finally:
        simulator.stop()


def serve(args: argparse.Namespace, runtime: Runtime | None = None) -> int:
    import uvicorn

    from app.logs import logging_config
    from app.main import create_app

    settings = get_settings()
    host = args.host or settings.host
    port = args.port or settings.port
    options: dict[str, Any] = dict(
        host=host,
        port=port,
        log_level="info",
        log_config=logging_config(settings.log_format, settings.secret_values()),
        access_log=settings.access_log,
    )
    workers = getattr(args, "workers", 1)
    if workers > 1:
        refusal = _refuse_workers(settings)
        if refusal:
            console.print(f"[red]error:[/red] --workers {workers}: {refusal}")
            return 2
        # Each worker process builds its own app (and database pool) from the settings.
        prepare_workers(settings.metrics_dir, workers)  # their metrics in one directory
        uvicorn.run("app.main:create_app", factory=True, workers=workers, **options)
        return 0
    runtime = runtime or Runtime.from_settings(settings)
    uvicorn.run(create_app(runtime=runtime), **options)
    return 0


def _refuse_workers(settings: Settings) -> str | None:
    """Why several HTTP worker processes cannot share this setup, if they cannot."""
    if make_url(normalise_url(settings.database_url)).get_backend_name() == "sqlite":
        return "SQLite takes one writer process; several workers need PostgreSQL"
    if settings.smpp_binds:
        return "each SMPP bind is held by one process: run the binds in a serve of their own"
    if settings.cmpp_links:
        return "each CMPP link is held by one process: run the links in a serve of their own"
    if settings.kannel_reply_mode == "sendsms":
        return "the sendsms sender runs in one process: run it in a serve of its own"
    return None
