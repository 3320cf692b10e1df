"""Without a photo window in the store the KPI report has no base pass: the
dynamic counts of the month and the month before come from one scan of the two
months' usage, and retention and bundling are left out (DOMAIN.md §8)."""

from __future__ import annotations

from collections.abc import Callable

from app.domain.subscriber import Month
from app.runtime import Runtime
from app.services.reports import kpi_report
from tests.support.statements import statements_sent


def test_dynamic_counts_from_a_scan_of_two_months(
    runtime: Runtime, add_subscriber: Callable[..., int]
) -> None:
    add_subscriber("13800000001", {"2026-09": (80_00, 100), "2026-10": (80_00, 100)})
    add_subscriber("13800000002", {"2026-09": (79_99, 100), "2026-10": (80_00, 99)})
    add_subscriber("13800000003", {"2026-10": (90_00, 200)})
    add_subscriber("13800000004", {"2026-10": (90_00, 200)}, status="suspended")

    with statements_sent(runtime.engine) as sent:
        report = kpi_report(runtime.uow_factory, Month(2026, 10))

    assert (report.dynamic.count, report.dynamic.previous) == (2, 1)
    assert report.retention is None and report.bundling is None
    assert len([s for s in sent if "monthly_usage" in s]) == 1
