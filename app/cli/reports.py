"""`smshall report kpi` and `report worklist`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from app.domain.subscriber import Month
from app.runtime import Runtime
from app.settings import get_settings


def add_commands(commands: Any) -> None:
    report = commands.add_parser("report", help="operator reports: monthly KPIs, worklists")
    reports = report.add_subparsers(dest="report", required=True)
    kpi = reports.add_parser("kpi", help="a month's KPIs (DOMAIN.md §8)")
    kpi.add_argument("--month", type=_month_arg, required=True, help="YYYY-MM")
    work = reports.add_parser("worklist", help="an account manager's list for today (§9)")
    work.add_argument("--manager", required=True, help="the account manager's name")
    for sub in (kpi, work):
        sub.add_argument("--csv", action="store_true", help="CSV on standard output")
        sub.set_defaults(handler=_report_command)


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
