"""Every process's binds and links in the database (app/services/link_status.py):
each process replaces its own rows, a silent one turns stale after three
intervals and is forgotten after an hour, a stopping one takes its rows away."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from app.domain.channels import Channel
from app.services.link_status import (
    KEPT_SILENT,
    LinkReport,
    every_link,
    forget_process,
    report_links,
)
from app.store.unit_of_work import UnitOfWork

NOW = datetime(2026, 10, 15, 4, 0, tzinfo=UTC)
INTERVAL = 5.0


def link(name: str, state: str = "bound", channel: Channel = Channel.SMPP) -> LinkReport:
    view: dict[str, Any] = {"name": name, "state": state, "outstanding": 2, "counters": {"x": 1}}
    return LinkReport(channel, view)


def listed(uow_factory: Callable[[], UnitOfWork], now: datetime = NOW) -> list[tuple]:
    return [(s.process, s.channel, s.name, s.state, s.stale) for s in every_link(
        uow_factory, now, INTERVAL
    )]  # fmt: skip


def test_each_process_replaces_only_its_own_links(uow_factory: Callable[[], UnitOfWork]) -> None:
    report_links(uow_factory, "a:1", [link("main"), link("spare", "waiting_to_rebind")], NOW)
    report_links(uow_factory, "b:2", [link("gw", "connected", Channel.CMPP)], NOW)
    assert listed(uow_factory) == [
        ("b:2", "cmpp", "gw", "connected", False),
        ("a:1", "smpp", "main", "bound", False),
        ("a:1", "smpp", "spare", "waiting_to_rebind", False),
    ]
    report_links(uow_factory, "a:1", [link("main", "binding")], NOW + timedelta(seconds=5))
    assert listed(uow_factory, NOW + timedelta(seconds=5)) == [
        ("b:2", "cmpp", "gw", "connected", False),
        ("a:1", "smpp", "main", "binding", False),
    ]


def test_the_view_comes_back_as_its_process_gave_it(uow_factory: Callable) -> None:
    report_links(uow_factory, "a:1", [link("main")], NOW)
    (found,) = every_link(uow_factory, NOW + timedelta(seconds=2), INTERVAL)
    assert found.view == {"name": "main", "state": "bound", "outstanding": 2, "counters": {"x": 1}}
    assert found.reported_at == NOW and found.silent_seconds == 2.0


def test_stale_after_three_intervals_without_a_report(uow_factory: Callable) -> None:
    report_links(uow_factory, "a:1", [link("main")], NOW)
    on_time = NOW + timedelta(seconds=3 * INTERVAL)
    assert listed(uow_factory, on_time) == [("a:1", "smpp", "main", "bound", False)]
    late = on_time + timedelta(milliseconds=1)
    assert listed(uow_factory, late) == [("a:1", "smpp", "main", "bound", True)]


def test_a_process_silent_for_over_an_hour_is_forgotten(uow_factory: Callable) -> None:
    report_links(uow_factory, "gone:1", [link("old")], NOW - KEPT_SILENT - timedelta(seconds=1))
    report_links(uow_factory, "quiet:2", [link("kept")], NOW - KEPT_SILENT)
    report_links(uow_factory, "a:1", [link("main")], NOW)
    assert [(p, n) for p, _, n, _, _ in listed(uow_factory)] == [
        ("quiet:2", "kept"),
        ("a:1", "main"),
    ]


def test_a_stopping_process_takes_its_rows_away(uow_factory: Callable) -> None:
    report_links(uow_factory, "a:1", [link("main")], NOW)
    report_links(uow_factory, "b:2", [link("other")], NOW)
    forget_process(uow_factory, "a:1")
    assert listed(uow_factory) == [("b:2", "smpp", "other", "bound", False)]
    report_links(uow_factory, "b:2", [], NOW)  # holds nothing now
    assert listed(uow_factory) == []
