"""The monthly KPI report reads the usage table once, whatever the base: one pass
gives the dynamic counts of the month and the month before, retention, bundling
and every campaign's eligible count (DOMAIN.md §8). At ten million subscribers
that read is some hundred million rows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from app.domain.subscriber import Month
from app.runtime import Runtime
from app.services.reports import kpi_report
from tests.reports.fixtures import add_activation, add_bundle
from tests.support.statements import statements_sent

pytestmark = pytest.mark.usefixtures("catalog")  # photo window 2026-01..2026-06
OCTOBER = Month(2026, 10)


def test_the_report_reads_the_usage_table_once(
    runtime: Runtime, add_subscriber: Callable[..., int]
) -> None:
    usage = {f"2026-{m:02d}": (120_00, 150) for m in range(1, 11)}
    first = add_subscriber("13800000001", usage)
    second = add_subscriber("13800000002", usage, status="closed")
    add_bundle(runtime, first, "terminal", date(2026, 1, 1), None)
    add_activation(runtime, first, activated_on=date(2026, 10, 3), ends_on=date(2027, 1, 2))
    add_activation(runtime, second, activated_on=date(2026, 10, 4), ends_on=date(2027, 1, 3))

    with statements_sent(runtime.engine) as sent:
        report = kpi_report(runtime.uow_factory, OCTOBER)

    assert len([s for s in sent if "monthly_usage" in s]) == 1
    assert (report.dynamic.count, report.dynamic.previous) == (1, 1)
    assert report.retention is not None and report.bundling is not None
    assert (report.retention.base, report.retention.retained, report.retention.churned) == (2, 1, 1)
    assert (report.bundling.base, report.bundling.bundled) == (1, 1)
    assert [(u.campaign, u.activations, u.eligible) for u in report.uptake] == [("IWJZS", 2, 1)]


def test_a_spend_beyond_an_integer_counts_in_full(
    runtime: Runtime, add_subscriber: Callable[..., int]
) -> None:
    """The pass sums spend as capped INTEGERs: the largest spend the import admits
    (10^10 yuan a month) neither overflows nor falls below a threshold."""
    most = 10**12  # fen
    usage = {f"2026-{m:02d}": (most, 150) for m in range(1, 11)}
    add_subscriber("13800000001", usage)
    add_subscriber("13800000002", {"2026-01": (most, 1), "2026-10": (most, 100)})

    report = kpi_report(runtime.uow_factory, OCTOBER)

    assert (report.dynamic.count, report.dynamic.previous) == (2, 1)
    assert report.retention is not None
    assert (report.retention.base, report.retention.retained) == (2, 2)
