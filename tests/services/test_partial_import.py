"""A subscriber file of some columns changes those columns only (DOMAIN.md §1):
a balance refresh leaves birthdays, cards, contact windows and names as they
were; a line with fewer cells than the header is refused, not read as blanks."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from app.runtime import Runtime
from app.services.importing import ImportFailed, ImportReport, import_subscribers
from app.store.models import SubscriberRow
from tests.services.test_bulk_import import number, subscriber, write

FULL = dict(
    birthday="1980-06-18", vip_type="individual", vip_level="gold", vip_source="spend",
    vip_card_no="G001", vip_valid_from="2026-02-01", vip_valid_to="2027-01-31",
    contact_window="09:00-21:00", name="王建国", account_manager="李经理",
)  # fmt: skip
BALANCES = ("msisdn", "brand", "status", "opened_on", "balance_yuan")


def kept(runtime: Runtime, i: int) -> tuple:
    with runtime.uow_factory() as uow:
        assert uow.session is not None
        row = uow.session.scalars(select(SubscriberRow).where(SubscriberRow.msisdn == number(i)))
        s = row.one()
        return (s.balance_fen, s.birthday, s.vip_level, s.vip_valid_to, s.contact_window,
                s.name, s.account_manager)  # fmt: skip


def test_a_file_of_balances_changes_balances_alone(runtime: Runtime, tmp_path: Path) -> None:
    import_subscribers(runtime.uow_factory, write(tmp_path / "full.csv", [subscriber(1, **FULL)]))
    refresh = [subscriber(1, balance_yuan="88.00"), subscriber(2)]  # 2: a new subscriber
    report = import_subscribers(runtime.uow_factory, write(tmp_path / "b.csv", refresh, BALANCES))
    assert report == ImportReport(rows=2, inserted=1, updated=1)
    assert kept(runtime, 1) == (
        88_00,
        date(1980, 6, 18),
        "gold",
        date(2027, 1, 31),
        "09:00-21:00",
        "王建国",
        "李经理",
    )
    assert kept(runtime, 2) == (2_25, None, None, None, None, None, None)  # new: what it gave


def test_a_column_the_file_has_but_leaves_empty_is_emptied(
    runtime: Runtime, tmp_path: Path
) -> None:
    import_subscribers(runtime.uow_factory, write(tmp_path / "full.csv", [subscriber(1, **FULL)]))
    columns = (*BALANCES, "contact_window")
    row = subscriber(1, contact_window="")
    import_subscribers(runtime.uow_factory, write(tmp_path / "w.csv", [row], columns))
    assert kept(runtime, 1)[4] is None and kept(runtime, 1)[1] == date(1980, 6, 18)


@pytest.mark.parametrize(("cells", "refused"), [(5, False), (4, True)])
def test_a_line_with_fewer_cells_than_the_header_is_refused(
    runtime: Runtime, tmp_path: Path, cells: int, refused: bool
) -> None:
    path = tmp_path / "short.csv"
    line = f"{number(3)},gotone,active,2015-03-12,1.00"
    path.write_text(",".join(BALANCES) + "\n" + ",".join(line.split(",")[:cells]) + "\n")
    if not refused:
        assert import_subscribers(runtime.uow_factory, path).rows == 1
        return
    with pytest.raises(ImportFailed, match=r"^line 2: fewer cells than columns$"):
        import_subscribers(runtime.uow_factory, path)
