"""Every process's SMPP binds and CMPP links, as each process last reported them.

A bind is held by one process (DESIGN.md "Where it runs"), and a console or
admin request may reach any process, HTTP-only workers included. So each process
holding links writes their views every `link_status_interval` seconds (one
transaction: its rows replaced), and any process reads all of them. A process
that stops cleanly takes its rows away; one that was killed leaves them, shown
as stale once three intervals pass without a word, and deleted after an hour.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from app.domain.channels import Channel
from app.store.unit_of_work import UnitOfWork

#: How many missed reports make a process's links stale.
STALE_AFTER_INTERVALS = 3
#: How long a silent process's last word is kept (then it is deleted).
KEPT_SILENT = timedelta(hours=1)


def this_process(name: str | None) -> str:
    """The name this process reports under: the configured one, else host:pid."""
    return name or f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True, slots=True)
class LinkReport:
    """One link as its process sees it now."""

    channel: Channel
    view: dict[str, Any]


@dataclass(frozen=True, slots=True)
class LinkStatus:
    """One link as its process last reported it: `view` is the link's entry in
    `/v1/smpp/binds` or `/v1/cmpp/links` there; `stale` once the process has
    missed `STALE_AFTER_INTERVALS` reports (stopped, killed, or cut off from the
    database), its state then no longer to be trusted."""

    process: str
    channel: str
    name: str
    state: str
    reported_at: datetime
    silent_seconds: float
    stale: bool
    view: dict[str, Any]


def report_links(
    uow_factory: Callable[[], UnitOfWork],
    process: str,
    links: Sequence[LinkReport],
    now: datetime,
) -> None:
    """Replace what `process` said of its links with `links`, and delete the word
    of processes silent for longer than `KEPT_SILENT`."""
    rows = [
        {"channel": str(link.channel), "name": str(link.view["name"]),
         "state": str(link.view["state"]), "view": link.view}
        for link in links
    ]  # fmt: skip
    with uow_factory() as uow:
        uow.link_status.replace(process, rows, now)
        uow.link_status.forget_silent(now - KEPT_SILENT)
        uow.commit()


def forget_process(uow_factory: Callable[[], UnitOfWork], process: str) -> None:
    """A process stopping takes its links' rows away."""
    with uow_factory() as uow:
        uow.link_status.forget(process)
        uow.commit()


def every_link(
    uow_factory: Callable[[], UnitOfWork], now: datetime, interval: float
) -> list[LinkStatus]:
    """Every process's links by channel, name and process; stale after
    `STALE_AFTER_INTERVALS` × `interval` seconds without a report."""
    stale_after = STALE_AFTER_INTERVALS * interval
    with uow_factory() as uow:
        rows = uow.link_status.every()
        found = []
        for row in rows:
            silent = max(0.0, (now - row.reported_at).total_seconds())
            found.append(
                LinkStatus(
                    process=row.process,
                    channel=row.channel,
                    name=row.name,
                    state=row.state,
                    reported_at=row.reported_at,
                    silent_seconds=round(silent, 3),
                    stale=silent > stale_after,
                    view=dict(row.view),
                )  # fmt: skip
            )
    return found
