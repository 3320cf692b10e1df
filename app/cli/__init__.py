"""The `smshall` command line."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence

from pydantic import ValidationError

from app.catalog.schema import CatalogError
from app.cli import data, jobs, reports, serving
from app.cli.common import console, migrate
from app.cli.serving import DEMO_DIR, _refuse_workers
from app.services.importing import ImportFailed

__all__ = ["DEMO_DIR", "_refuse_workers", "build_parser", "main", "migrate"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="smshall", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for group in (serving, data, jobs, reports):
        group.add_commands(commands)
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
