"""Imports and the scheduled notices: rows taken per import, notices queued per run."""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from prometheus_client import Counter

from app.metrics import replies


class Counted(Protocol):
    @property
    def rows(self) -> int: ...


R = TypeVar("R", bound=Counted)

IMPORT_ROWS = Counter("smshall_import_rows", "Rows imported, by kind", ["kind"])
NOTICES_SENT = Counter(
    "smshall_scheduled_notices_sent",
    "Scheduled notices queued to leave at once, by kind",
    ["kind"],
)
NOTICES_DEFERRED = Counter(
    "smshall_scheduled_notices_deferred",
    "Scheduled notices held for later (contact window or daily cap), by kind",
    ["kind"],
)


def imported(kind: str, report: R) -> R:
    """Count an import's rows; returns its report, so the call can wrap the return."""
    IMPORT_ROWS.labels(kind).inc(report.rows)
    return report


def notice_queued(kind: str, outbound: Any, deferred: bool) -> None:
    """A scheduled notice was recorded; counted when it has text to send (`outbound`)."""
    if outbound is None:
        return
    (NOTICES_DEFERRED if deferred else NOTICES_SENT).labels(kind).inc()
    replies.queued(1)
