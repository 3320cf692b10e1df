"""`smshall migrate`, `catalog load`, `import` and `export`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from app.catalog import DEFAULT_CATALOG
from app.cli.common import console, migrate
from app.runtime import Runtime
from app.services.catalog_load import (
    LoadRefused,
    describe_load,
    describe_seed,
    load_catalog,
    seed_catalog,
)
from app.services.importing import (
    ImportReport,
    export_subscribers,
    export_usage,
    import_subscribers,
    import_usage,
)
from app.settings import get_settings


def add_commands(commands: Any) -> None:
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


def import_file(kind: str, path: Path, runtime: Runtime) -> ImportReport:
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
    report = import_file(args.kind, Path(args.file), runtime)
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
