"""`smshall import bundles` (DOMAIN.md §8 bundles) and the subscriber CSV's
`last_contacted_on` (§9): whole files or nothing, errors named by line and column."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from app.cli import main
from app.runtime import Runtime
from app.services.bundle_import import import_bundles
from app.services.importing import ImportFailed, import_subscribers
from app.settings import get_settings
from app.store.models import BundleRow, SubscriberRow


def _bundles(runtime: Runtime) -> list[tuple]:
    with runtime.uow_factory() as uow:
        assert uow.session is not None
        query = select(BundleRow.kind, BundleRow.valid_from, BundleRow.valid_to).order_by(
            BundleRow.id
        )
        return [tuple(row) for row in uow.session.execute(query)]


def test_import_and_update(runtime: Runtime, add_subscriber: Callable, tmp_path: Path) -> None:
    add_subscriber("13800138000")
    path = tmp_path / "b.csv"
    path.write_text(
        "msisdn,kind,valid_from,valid_to\n"
        "13800138000,terminal,2026-01-01,2026-12-31\n"
        "+86 138 0013 8000,Family_Plan,2026-03-01,\n"
    )
    report = import_bundles(runtime.uow_factory, path)
    assert (report.rows, report.inserted, report.updated) == (2, 2, 0)
    path.write_text("msisdn,kind,valid_from,valid_to\n13800138000,terminal,2026-01-01,\n")
    assert import_bundles(runtime.uow_factory, path).updated == 1
    assert _bundles(runtime) == [
        ("terminal", date(2026, 1, 1), None),
        ("family_plan", date(2026, 3, 1), None),
    ]


def test_a_bad_file_imports_nothing(
    runtime: Runtime, add_subscriber: Callable, tmp_path: Path
) -> None:
    add_subscriber("13800138000")
    path = tmp_path / "b.csv"
    path.write_text(
        "msisdn,kind,valid_from,valid_to\n"
        "13800138000,terminal,2026-01-01,\n"
        "13800138000,loyalty,2026-01-01,\n"
        "13800138000,terminal,2026-05-01,2026-04-30\n"
        "13800138000,terminal,2026-01-01,\n"
    )
    with pytest.raises(ImportFailed) as failed:
        import_bundles(runtime.uow_factory, path)
    assert failed.value.problems[0].startswith("line 3, column kind: 'loyalty' is not one of")
    assert failed.value.problems[1:] == [
        "line 4, column valid_to: ends before valid_from",
        "line 5, column msisdn: repeats line 2",
    ]
    path.write_text("msisdn,kind,valid_from\n13911112222,terminal,2026-01-01\n")
    with pytest.raises(ImportFailed, match="no such subscriber: 13911112222"):
        import_bundles(runtime.uow_factory, path)
    assert _bundles(runtime) == []


def test_cli_and_last_contact(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    people = tmp_path / "s.csv"
    people.write_text(
        "msisdn,brand,status,opened_on,account_manager,last_contacted_on\n"
        "13800138000,gotone,active,2015-03-12,李经理,2026-11-16\n"
    )
    import_subscribers(runtime.uow_factory, people)
    with runtime.uow_factory() as uow:
        assert uow.session is not None
        stored = uow.session.scalar(select(SubscriberRow.last_contacted_on))
    assert stored == date(2026, 11, 16)
    bundles = tmp_path / "b.csv"
    bundles.write_text("msisdn,kind,valid_from,valid_to\n13800138000,service_card,2026-10-01,\n")
    monkeypatch.setenv("DATABASE_URL", runtime.settings.database_url)
    get_settings.cache_clear()
    try:
        assert main(["import", "bundles", str(bundles)]) == 0
        assert "bundles: 1 rows, 1 new, 0 updated" in capsys.readouterr().out
    finally:
        get_settings.cache_clear()
