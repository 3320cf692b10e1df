"""CSV import: whole files or nothing, errors that name line and column, upsert by msisdn."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from app.cli import main
from app.runtime import Runtime
from app.services.importing import (
    SUBSCRIBER_COLUMNS,
    ImportFailed,
    import_subscribers,
    import_usage,
)
from app.store.subscribers import subscriber_from_row

GOOD = {
    "msisdn": "+86 138 0013 8000", "brand": "GoTone", "status": "active", "opened_on": "2015-03-12",
    "balance_yuan": "86.50", "name": "王建国", "gender": "male", "birthday": "1980-06-18",
    "mailing_address": "北京市海淀区", "account_manager": "李经理", "vip_type": "individual",
    "vip_level": "gold", "vip_source": "spend", "vip_card_no": "GT1", "vip_valid_from": "2026-02-01",
    "vip_valid_to": "2027-01-31", "contact_method": "sms", "contact_window": "09:00-21:00",
    "alert": "false",
}  # fmt: skip


def write_csv(path: Path, rows: list[dict], columns=SUBSCRIBER_COLUMNS) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_import_every_field(runtime: Runtime, tmp_path: Path) -> None:
    report = import_subscribers(runtime.uow_factory, write_csv(tmp_path / "s.csv", [GOOD]))
    assert (report.rows, report.inserted, report.updated) == (1, 1, 0)
    with runtime.uow_factory() as uow:
        row = uow.subscribers.get("13800138000")
        assert row is not None
        subscriber = subscriber_from_row(row)
    assert subscriber.balance_fen == 86_50
    assert subscriber.brand == "gotone"
    assert subscriber.vip_valid_to == date(2027, 1, 31)
    assert subscriber.contact_window == "09:00-21:00"
    assert subscriber.name == "王建国" and subscriber.birthday == date(1980, 6, 18)


def test_reimport_updates_by_msisdn(runtime: Runtime, tmp_path: Path) -> None:
    import_subscribers(runtime.uow_factory, write_csv(tmp_path / "a.csv", [GOOD]))
    changed = {**GOOD, "msisdn": "13800138000", "balance_yuan": "1.05", "status": "suspended"}
    other = {**GOOD, "msisdn": "13900139000"}
    report = import_subscribers(
        runtime.uow_factory, write_csv(tmp_path / "b.csv", [changed, other])
    )
    assert (report.inserted, report.updated) == (1, 1)
    with runtime.uow_factory() as uow:
        row = uow.subscribers.get("13800138000")
        assert row is not None and (row.balance_fen, row.status) == (105, "suspended")


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"msisdn": "12345"}, "line 3, column msisdn"),
        ({"brand": "platinum"}, "line 3, column brand"),
        ({"opened_on": "2015/03/12"}, "line 3, column opened_on"),
        ({"opened_on": ""}, "line 3, column opened_on"),
        ({"balance_yuan": "1.234"}, "line 3, column balance_yuan"),
        ({"balance_yuan": "ten"}, "line 3, column balance_yuan"),
        ({"vip_valid_to": "2025-01-01"}, "line 3, column vip_valid_to"),
        ({"contact_window": "9-18"}, "line 3, column contact_window"),
        ({"contact_window": "20:00-24:01"}, "line 3, column contact_window"),  # 24:00 at most
        ({"contact_window": "20:00-24:59"}, "line 3, column contact_window"),
        ({"alert": "maybe"}, "line 3, column alert"),
        ({"msisdn": "13800138000"}, "line 3, column msisdn: repeats line 2"),
    ],
)
def test_a_bad_row_names_line_and_column_and_nothing_is_imported(
    runtime: Runtime, tmp_path: Path, change: dict, where: str
) -> None:
    rows = [GOOD, {**GOOD, "msisdn": "13900139000", **change}]
    with pytest.raises(ImportFailed) as error:
        import_subscribers(runtime.uow_factory, write_csv(tmp_path / "bad.csv", rows))
    assert where in str(error.value)
    with runtime.uow_factory() as uow:
        assert uow.subscribers.get("13800138000") is None


@pytest.mark.parametrize("window", ["20:00-24:00", "00:00-23:59", "09:00-21:00"])
def test_contact_windows_to_the_end_of_the_day(
    runtime: Runtime, tmp_path: Path, window: str
) -> None:
    import_subscribers(
        runtime.uow_factory, write_csv(tmp_path / "w.csv", [{**GOOD, "contact_window": window}])
    )
    with runtime.uow_factory() as uow:
        subscriber = uow.subscribers.get("13800138000")
        assert subscriber is not None and subscriber.contact_window == window


def test_missing_and_unknown_columns(runtime: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "cols.csv"
    path.write_text("msisdn,brand,colour\n13800138000,gotone,red\n", encoding="utf-8")
    with pytest.raises(
        ImportFailed, match="line 1: missing columns: status, opened_on; unknown columns: colour"
    ):
        import_subscribers(runtime.uow_factory, path)


def test_usage_import_and_update(runtime: Runtime, tmp_path: Path) -> None:
    import_subscribers(runtime.uow_factory, write_csv(tmp_path / "s.csv", [GOOD]))
    usage = [{"msisdn": "13800138000", "month": "2026-01", "spend_yuan": "80.00", "mou": "100"},
             {"msisdn": "13800138000", "month": "2026-02", "spend_yuan": "79.99", "mou": "99"}]  # fmt: skip
    path = write_csv(tmp_path / "u.csv", usage, ["msisdn", "month", "spend_yuan", "mou"])
    assert import_usage(runtime.uow_factory, path).inserted == 2
    usage[1]["spend_yuan"] = "120"
    path = write_csv(tmp_path / "u2.csv", usage, ["msisdn", "month", "spend_yuan", "mou"])
    report = import_usage(runtime.uow_factory, path)
    assert (report.inserted, report.updated) == (0, 2)
    with runtime.uow_factory() as uow:
        from app.domain.subscriber import Month

        rows = sorted(uow.subscribers.usage_since(1, Month(2026, 1)), key=lambda r: r.month)
    assert [(str(r.month), r.spend_fen, r.mou) for r in rows] == [
        ("2026-01", 80_00, 100),
        ("2026-02", 120_00, 99),
    ]


@pytest.mark.parametrize(
    ("row", "where"),
    [
        ({"msisdn": "13911112222", "month": "2026-01", "spend_yuan": "1", "mou": "1"}, "no such subscriber: 13911112222"),
        ({"msisdn": "13800138000", "month": "2026-1", "spend_yuan": "1", "mou": "1"}, "line 2, column month"),
        ({"msisdn": "13800138000", "month": "2026-01", "spend_yuan": "-1", "mou": "1"}, "line 2, column spend_yuan"),
        ({"msisdn": "13800138000", "month": "2026-01", "spend_yuan": "1", "mou": "1.5"}, "line 2, column mou"),
    ],
)  # fmt: skip
def test_bad_usage_rows(runtime: Runtime, tmp_path: Path, row: dict, where: str) -> None:
    import_subscribers(runtime.uow_factory, write_csv(tmp_path / "s.csv", [GOOD]))
    path = write_csv(tmp_path / "u.csv", [row], ["msisdn", "month", "spend_yuan", "mou"])
    with pytest.raises(ImportFailed, match=where):
        import_usage(runtime.uow_factory, path)


def test_cli_import_reports_and_fails_with_exit_2(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("DATABASE_URL", runtime.settings.database_url)
    from app.settings import get_settings

    get_settings.cache_clear()
    try:
        assert main(["import", "subscribers", str(write_csv(tmp_path / "s.csv", [GOOD]))]) == 0
        assert "1 rows, 1 new, 0 updated" in capsys.readouterr().out
        bad = write_csv(tmp_path / "b.csv", [{**GOOD, "brand": "x"}])
        assert main(["import", "subscribers", str(bad)]) == 2
        assert "line 2, column brand" in capsys.readouterr().err
    finally:
        get_settings.cache_clear()


def test_campaign_columns_and_opt_out_survives_reimport(runtime: Runtime, tmp_path: Path) -> None:
    row = {**GOOD, "plan_fee_yuan": "88", "bundle_ends_on": "2027-01-31", "cmmb_handset": "true"}
    import_subscribers(runtime.uow_factory, write_csv(tmp_path / "a.csv", [row]))
    with runtime.uow_factory() as uow:
        stored = uow.subscribers.get("13800138000")
        assert stored is not None
        assert (stored.plan_fee_fen, stored.cmmb_handset, stored.mobile_payment) == (
            88_00,
            True,
            False,
        )
        assert stored.bundle_ends_on == date(2027, 1, 31)
        stored.opted_out = True  # the subscriber texted T
        uow.commit()
    import_subscribers(runtime.uow_factory, write_csv(tmp_path / "b.csv", [row]))
    with runtime.uow_factory() as uow:
        stored = uow.subscribers.get("13800138000")
        assert stored is not None and stored.opted_out


@pytest.mark.parametrize(
    ("change", "where"),
    [({"plan_fee_yuan": "-1"}, "column plan_fee_yuan"), ({"cmmb_handset": "si"}, "column cmmb_handset"),
     ({"bundle_ends_on": "soon"}, "column bundle_ends_on")],
)  # fmt: skip
def test_bad_campaign_columns(runtime: Runtime, tmp_path: Path, change: dict, where: str) -> None:
    with pytest.raises(ImportFailed, match=f"line 2, {where}"):
        import_subscribers(runtime.uow_factory, write_csv(tmp_path / "s.csv", [{**GOOD, **change}]))
