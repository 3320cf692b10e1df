"""Re-importing a base (issue 12): a row whose values are stored already is left
as it is (its `updated_at` keeps the time it last changed), a changed row is
updated, and both count as updated."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

from sqlalchemy import literal_column, select

from app.runtime import Runtime
from app.services.importing import SUBSCRIBER_COLUMNS, import_subscribers, import_usage
from app.store.models import MonthlyUsageRow, SubscriberRow


def write(path: Path, rows: list[dict[str, str]], columns: tuple[str, ...]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns))
        writer.writeheader()
        writer.writerows(rows)
    return path


def subscribers(names: dict[int, str]) -> list[dict[str, str]]:
    return [
        {"msisdn": f"139{i:08d}", "brand": "gotone", "status": "active",
         "opened_on": "2015-03-12", "balance_yuan": "86.50", "name": name}
        for i, name in names.items()
    ]  # fmt: skip


def stamps(runtime: Runtime) -> dict[str, tuple[datetime, str | None]]:
    with runtime.uow_factory() as uow:
        assert uow.session is not None
        found = uow.session.execute(
            select(SubscriberRow.msisdn, SubscriberRow.updated_at, SubscriberRow.name)
        )
        return {msisdn: (stamp, name) for msisdn, stamp, name in found}


def test_an_unchanged_row_is_left_as_it_is(runtime: Runtime, tmp_path: Path) -> None:
    first = write(tmp_path / "a.csv", subscribers({1: "王", 2: "李", 3: ""}), SUBSCRIBER_COLUMNS)
    assert import_subscribers(runtime.uow_factory, first).inserted == 3
    before = stamps(runtime)

    report = import_subscribers(runtime.uow_factory, first)
    assert (report.rows, report.inserted, report.updated) == (3, 0, 3)
    assert stamps(runtime) == before

    changed = subscribers({1: "王", 2: "张", 3: "赵"})  # a name changed, one set
    report = import_subscribers(runtime.uow_factory, write(tmp_path / "b.csv", changed,
                                                           SUBSCRIBER_COLUMNS))  # fmt: skip
    assert (report.rows, report.inserted, report.updated) == (3, 0, 3)
    after = stamps(runtime)
    assert after["13900000001"] == before["13900000001"]
    for msisdn, name in (("13900000002", "张"), ("13900000003", "赵")):
        assert after[msisdn][1] == name and after[msisdn][0] > before[msisdn][0]


def test_an_unchanged_month_of_usage_is_not_rewritten(runtime: Runtime, tmp_path: Path) -> None:
    """On PostgreSQL, by the row version (`xmin`): the unchanged month keeps its own."""
    import_subscribers(
        runtime.uow_factory,
        write(tmp_path / "s.csv", subscribers({1: "王", 2: "李"}), SUBSCRIBER_COLUMNS),
    )
    columns = ("msisdn", "month", "spend_yuan", "mou")
    rows = [{"msisdn": f"139{i:08d}", "month": "2026-01", "spend_yuan": "8", "mou": "3"}
            for i in (1, 2)]  # fmt: skip
    assert import_usage(runtime.uow_factory, write(tmp_path / "u.csv", rows, columns)).inserted == 2
    before = usage_versions(runtime)
    rows[1]["mou"] = "4"
    report = import_usage(runtime.uow_factory, write(tmp_path / "u2.csv", rows, columns))
    assert (report.rows, report.inserted, report.updated) == (2, 0, 2)
    after = usage_versions(runtime)
    assert [mou for mou, _ in after] == [3, 4]
    if runtime.engine.dialect.name == "postgresql":
        assert after[0][1] == before[0][1] and after[1][1] != before[1][1]


def usage_versions(runtime: Runtime) -> list[tuple[int, str]]:
    """Each usage row's minutes and, on PostgreSQL, its row version."""
    version = literal_column("xmin::text" if runtime.engine.dialect.name == "postgresql" else "''")
    with runtime.uow_factory() as uow:
        assert uow.session is not None
        found = uow.session.execute(
            select(MonthlyUsageRow.mou, version).order_by(MonthlyUsageRow.subscriber_id)
        )
        return [(mou, text) for mou, text in found]
