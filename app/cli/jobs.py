"""`smshall run-scheduled`, `purge` and `rate-vip`: jobs for cron."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

from app.cli.common import console
from app.runtime import Runtime
from app.settings import get_settings


def add_commands(commands: Any) -> None:
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


def _run_scheduled_command(args: argparse.Namespace) -> int:
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
    from app.services.clock import local_day, utc_now
    from app.services.vip_rating import RatingTooEarly, rate_vip

    settings = get_settings()
    runtime = Runtime.from_settings(settings)  # the service clock set, if it is moved
    today = local_day(utc_now(), settings.zone)  # the cards start on an operator-local day
    try:
        report = rate_vip(runtime.uow_factory, args.year, apply=args.apply, today=today)
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
