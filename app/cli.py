"""The `smshall` command line."""

from __future__ import annotations

import argparse
import secrets
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy.engine import make_url

from app.catalog import DEFAULT_CATALOG
from app.catalog.schema import CatalogError
from app.domain.subscriber import Month
from app.metrics.multiprocess import prepare_workers
from app.runtime import Runtime
from app.services.catalog_load import (
    LoadRefused,
    describe_load,
    describe_seed,
    load_catalog,
    seed_catalog,
)
from app.services.importing import (
    ImportFailed,
    ImportReport,
    export_subscribers,
    export_usage,
    import_subscribers,
    import_usage,
)
from app.settings import Settings, get_settings
from app.store.database import normalise_url

DEMO_DIR = Path(__file__).with_name("demo")
#: The demo's service clock at start (operator time), unless SMSHALL_CLOCK_START says.
DEMO_CLOCK_START = datetime(2026, 11, 23, 10, 0)
console = Console(stderr=True)


def migrate(settings: Settings) -> None:
    from alembic import command
    from alembic.config import Config

    root = Path(__file__).resolve().parent.parent
    config = Config(str(root / "alembic.ini"))
    config.set_main_option("script_location", str(root / "migrations"))
    config.set_main_option("sqlalchemy.url", settings.database_url.replace("%", "%%"))
    command.upgrade(config, "head")


def _import(kind: str, path: Path, runtime: Runtime) -> ImportReport:
    from app.services.bundle_import import import_bundles

    importer = {
        "subscribers": import_subscribers,
        "usage": import_usage,
        "bundles": import_bundles,
    }[kind]
    with Progress(
        TextColumn(f"importing {kind}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        console=console, transient=True,
    ) as bar:  # fmt: skip
        task = bar.add_task(kind, total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return importer(runtime.uow_factory, path, advance)


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
        settings = settings.model_copy(update={"smpp_binds": [bind], "notice_channel": "smpp"})
    try:
        runtime = Runtime.from_settings(settings)
        print(describe_seed(seed_catalog(runtime.uow_factory)))
        _import("subscribers", DEMO_DIR / "subscribers.csv", runtime)
        _import("usage", DEMO_DIR / "usage.csv", runtime)
        gateway = tokens["SMSHALL_GATEWAY_TOKEN"]
        if settings.gateway_token:
            gateway = settings.gateway_token.get_secret_value()
        base = f"http://{settings.host}:{settings.port}"
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


def _catalog_load(args: argparse.Namespace) -> int:
    runtime = Runtime.from_settings(get_settings())
    path = Path(args.file)
    if args.seed and args.dry_run:
        console.print("[red]error:[/red] --seed writes only to an empty store; no dry run")
        return 2
    if args.seed:
        print(describe_seed(seed_catalog(runtime.uow_factory, path)))
        return 0
    try:
        report = load_catalog(runtime.uow_factory, path, replace=args.replace, dry_run=args.dry_run)
    except LoadRefused as refused:
        print("\n".join(describe_load(refused.report)))
        console.print(f"[red]error:[/red] {refused}", highlight=False, soft_wrap=True)
        return 2
    print("\n".join(describe_load(report, dry_run=args.dry_run)))
    return 2 if report.refused else 0  # a dry run says whether the load would pass


def _import_command(args: argparse.Namespace) -> int:
    runtime = Runtime.from_settings(get_settings())
    report = _import(args.kind, Path(args.file), runtime)
    print(f"{args.kind}: {report.rows} rows, {report.inserted} new, {report.updated} updated")
    return 0


def _export_command(args: argparse.Namespace) -> int:
    runtime = Runtime.from_settings(get_settings())
    exporter = export_subscribers if args.kind == "subscribers" else export_usage
    rows = exporter(runtime.uow_factory, Path(args.file))
    print(f"{args.kind}: {rows} rows written to {args.file}")
    return 0


def _migrate_command(args: argparse.Namespace) -> int:
    migrate(get_settings())
    return 0


def _run_scheduled_command(args: argparse.Namespace) -> int:
    from datetime import datetime

    from app.services.clock import utc_now
    from app.services.scheduled import run_scheduled

    settings = get_settings()
    runtime = Runtime.from_settings(settings)  # the service clock set, if it is moved
    at = datetime.fromisoformat(args.at) if args.at else utc_now().astimezone(settings.zone)
    if at.tzinfo is None:
        at = at.replace(tzinfo=settings.zone)  # a bare time is operator time
    report = run_scheduled(runtime.uow_factory, at, settings)
    print(f"run-scheduled at {at.isoformat()}")
    for kind, count in report.as_dict().items():
        print(f"  {kind}: {count}")
    return 0


def _purge_command(args: argparse.Namespace) -> int:
    from app.services.clock import utc_now
    from app.services.retention import purge_messages

    settings = get_settings()
    runtime = Runtime.from_settings(settings)
    at = datetime.fromisoformat(args.at) if args.at else utc_now()
    if at.tzinfo is None:
        at = at.replace(tzinfo=settings.zone)  # a bare time is operator time
    report = purge_messages(runtime.uow_factory, at, settings, args.batch_size)
    print(f"purge: messages older than {report.horizon.astimezone(settings.zone).isoformat()}")
    for table, count in report.deleted.items():
        print(f"  {table}: {count} deleted")
    return 0


def _rate_vip_command(args: argparse.Namespace) -> int:
    from app.services.vip_rating import RatingTooEarly, rate_vip

    runtime = Runtime.from_settings(get_settings())
    try:
        report = rate_vip(runtime.uow_factory, args.year, apply=args.apply)
    except RatingTooEarly as error:
        console.print(f"[red]error:[/red] {error}", highlight=False)
        return 2
    verb = "applied" if report.applied else "proposed (use --apply to write)"
    print(f"VIP rating {report.year}: cards {report.valid_from} to {report.valid_to}, {verb}")
    for change in report.changes:
        if change.kind != "unchanged":
            old, new, spend = change.old or "-", change.new or "-", change.spend_fen // 100
            print(f"  {change.msisdn} {change.kind}: {old} -> {new} ({spend} yuan)")
    counts = ", ".join(f"{kind} {count}" for kind, count in report.counts().items())
    print(f"  {counts}; granted VIPs untouched {report.granted_skipped}")
    return 0


def _month_arg(text: str) -> Month:
    try:
        return Month.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _print_table(header: Sequence[str], rows: Sequence[Sequence[Any]], as_csv: bool) -> None:
    from app.services.csv_rows import csv_lines

    if as_csv:
        sys.stdout.write("".join(csv_lines(header, rows)))
        return
    cells = [[str(c) if c is not None else "" for c in row] for row in [header, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    for row in cells:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def _report_command(args: argparse.Namespace) -> int:
    """`report kpi` (DOMAIN.md §8) and `report worklist` (§9)."""
    from app.services.clock import local_day, utc_now

    settings = get_settings()
    runtime = Runtime.from_settings(settings)  # the service clock set, if it is moved
    if args.report == "kpi":
        from app.services.kpi_table import KPI_COLUMNS, kpi_rows
        from app.services.reports import kpi_report

        _print_table(KPI_COLUMNS, kpi_rows(kpi_report(runtime.uow_factory, args.month)), args.csv)
        return 0
    from app.services.worklists import WORKLIST_COLUMNS, worklist, worklist_rows

    today = local_day(utc_now(), settings.zone)
    items = worklist(runtime.uow_factory, args.manager, today)
    _print_table(WORKLIST_COLUMNS, worklist_rows(items), args.csv)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="smshall", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

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

    commands.add_parser("migrate", help="apply database migrations").set_defaults(
        handler=_migrate_command
    )

    catalog = commands.add_parser("catalog", help="the campaign catalog")
    catalog_commands = catalog.add_subparsers(dest="action", required=True)
    load = catalog_commands.add_parser(
        "load",
        help="validate a catalog file, show how it differs from the store and store it",
        description="Compare the file with the stored catalog and store it. Stored data "
        "changed through the admin API since the last load is kept: the load is refused "
        "unless --replace.",
    )
    load.add_argument("file", nargs="?", default=str(DEFAULT_CATALOG))
    mode = load.add_mutually_exclusive_group()
    mode.add_argument(
        "--seed",
        action="store_true",
        help="only fill an empty store (what the service runs at start); else change nothing",
    )
    mode.add_argument(
        "--replace", action="store_true", help="overwrite changes made through the admin API"
    )
    load.add_argument("--dry-run", action="store_true", help="show the plan, write nothing")
    load.set_defaults(handler=_catalog_load)

    data = commands.add_parser("import", help="import subscribers, usage or bundles from CSV")
    data.add_argument("kind", choices=["subscribers", "usage", "bundles"])
    data.add_argument("file")
    data.set_defaults(handler=_import_command)

    out = commands.add_parser(
        "export", help="export subscribers or usage to CSV, in the columns the import reads"
    )
    out.add_argument("kind", choices=["subscribers", "usage"])
    out.add_argument("file")
    out.set_defaults(handler=_export_command)

    scheduled = commands.add_parser(
        "run-scheduled", help="send due reminders and greetings, lapse free periods, grant credits"
    )
    scheduled.add_argument("--at", default=None, help="ISO datetime to run as (default now)")
    scheduled.set_defaults(handler=_run_scheduled_command)

    # Not part of run-scheduled: that runs every few minutes in every service process,
    # and a purge is a daily job for one cron entry, off peak.
    purge = commands.add_parser(
        "purge",
        help="delete answered MOs, settled replies and stale receipts older than "
        "SMSHALL_RETENTION_DAYS",
    )
    purge.add_argument("--at", default=None, help="ISO datetime to run as (default now)")
    purge.add_argument(
        "--batch-size",
        type=int,
        default=None,
        help="rows per transaction (default SMSHALL_RETENTION_BATCH_SIZE, 5000)",
    )
    purge.set_defaults(handler=_purge_command)

    rating = commands.add_parser("rate-vip", help="the annual VIP rating from a year's usage")
    rating.add_argument("year", type=int)
    rating.add_argument("--apply", action="store_true", help="write the proposed cards")
    rating.set_defaults(handler=_rate_vip_command)

    report = commands.add_parser("report", help="operator reports: monthly KPIs, worklists")
    reports = report.add_subparsers(dest="report", required=True)
    kpi = reports.add_parser("kpi", help="a month's KPIs (DOMAIN.md §8)")
    kpi.add_argument("--month", type=_month_arg, required=True, help="YYYY-MM")
    work = reports.add_parser("worklist", help="an account manager's list for today (§9)")
    work.add_argument("--manager", required=True, help="the account manager's name")
    for sub in (kpi, work):
        sub.add_argument("--csv", action="store_true", help="CSV on standard output")
        sub.set_defaults(handler=_report_command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except (CatalogError, ImportFailed) as error:
        console.print(f"[red]error:[/red] {error}", highlight=False)
        return 2
    except ValidationError as error:  # settings: say which and why, never the value
        for problem in error.errors(include_input=False, include_url=False):
            console.print(f"[red]settings:[/red] {problem['msg']}", highlight=False)
        return 2


if __name__ == "__main__":
    sys.exit(main())
