"""Imports at COPY speed and exports (issue 12): files larger than a chunk, counts
of new and updated rows, refusals that leave nothing behind, export → import →
export giving the same bytes, and a PostgreSQL import whose statements do not
grow with the file."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import event, select, update

from app.cli import main
from app.runtime import Runtime
from app.services import import_files
from app.services.importing import (
    SUBSCRIBER_COLUMNS,
    USAGE_COLUMNS,
    ImportFailed,
    export_subscribers,
    export_usage,
    import_subscribers,
    import_usage,
)
from app.store.models import MonthlyUsageRow, SubscriberRow
from tests.conftest import _empty_tables
from tests.hostile.helpers import count

SMALL_CHUNK = 100


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(import_files, "CHUNK_ROWS", SMALL_CHUNK)
    return SMALL_CHUNK


def number(i: int) -> str:
    return f"139{i:08d}"


def subscriber(i: int, **cells: str) -> dict[str, str]:
    return {"msisdn": number(i), "brand": "gotone", "status": "active",
            "opened_on": "2015-03-12", "balance_yuan": f"{i}.25", **cells}  # fmt: skip


def write(
    path: Path, rows: list[dict[str, str]], columns: tuple[str, ...] = SUBSCRIBER_COLUMNS
) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns))
        writer.writeheader()
        writer.writerows(rows)
    return path


def usage_rows(subscribers: range, months: int = 3) -> list[dict[str, str]]:
    return [
        {"msisdn": number(i), "month": f"2026-{m:02d}", "spend_yuan": f"{i % 500}.5", "mou": str(m)}
        for i in subscribers
        for m in range(1, months + 1)
    ]


def stored_subscribers(runtime: Runtime) -> dict[str, Any]:
    with runtime.uow_factory() as uow:
        assert uow.session is not None
        rows = uow.session.execute(select(SubscriberRow.msisdn, SubscriberRow.balance_fen))
        return {m: b for m, b in rows}


def test_a_file_of_several_chunks_with_progress(runtime: Runtime, tmp_path: Path) -> None:
    rows = 2 * import_files.CHUNK_ROWS + 500  # the real chunk size: three COPY writes
    calls: list[tuple[int, int]] = []
    path = write(tmp_path / "s.csv", [subscriber(i) for i in range(rows)])
    report = import_subscribers(runtime.uow_factory, path, lambda d, t: calls.append((d, t)))
    assert (report.rows, report.inserted, report.updated) == (rows, rows, 0)
    assert calls[0] == (0, rows) and calls[-1] == (rows, rows)
    assert [d for d, _ in calls] == [0, 10_000, 20_000, rows]
    assert count(runtime, SubscriberRow) == rows
    assert stored_subscribers(runtime)[number(rows - 1)] == (rows - 1) * 100 + 25


def test_new_and_updated_are_counted(runtime: Runtime, tmp_path: Path, small_chunks: int) -> None:
    import_subscribers(
        runtime.uow_factory, write(tmp_path / "a.csv", [subscriber(i) for i in range(250)])
    )
    again = [subscriber(i, balance_yuan="1") for i in range(200, 420)]  # 50 known, 170 new
    report = import_subscribers(runtime.uow_factory, write(tmp_path / "b.csv", again))
    assert (report.rows, report.inserted, report.updated) == (220, 170, 50)
    stored = stored_subscribers(runtime)
    assert len(stored) == 420 and stored[number(0)] == 25 and stored[number(210)] == 100

    path = write(tmp_path / "u.csv", usage_rows(range(100)), USAGE_COLUMNS)
    assert (import_usage(runtime.uow_factory, path).inserted) == 300
    more = usage_rows(range(50, 150), months=4)  # 50 x 3 known months; 50 x 1 + 50 x 4 new
    report = import_usage(runtime.uow_factory, write(tmp_path / "u2.csv", more, USAGE_COLUMNS))
    assert (report.rows, report.inserted, report.updated) == (400, 250, 150)
    assert count(runtime, MonthlyUsageRow) == 550


def test_an_opt_out_survives_a_large_reimport(
    runtime: Runtime, tmp_path: Path, small_chunks: int
) -> None:
    path = write(tmp_path / "s.csv", [subscriber(i) for i in range(300)])
    import_subscribers(runtime.uow_factory, path)
    with runtime.uow_factory() as uow:
        assert uow.session is not None
        uow.session.execute(
            update(SubscriberRow).where(SubscriberRow.msisdn.in_([number(5), number(250)]))
            .values(opted_out=True)
        )  # fmt: skip
        uow.commit()
    rows = [subscriber(i, status="suspended") for i in range(350)]
    report = import_subscribers(runtime.uow_factory, write(tmp_path / "b.csv", rows))
    assert (report.inserted, report.updated) == (50, 300)
    with runtime.uow_factory() as uow:
        assert uow.session is not None
        found = uow.session.execute(
            select(SubscriberRow.msisdn, SubscriberRow.opted_out, SubscriberRow.status)
        )
        by_number = {m: (o, s) for m, o, s in found}
    assert by_number[number(5)] == (True, "suspended") and by_number[number(250)] == (
        True,
        "suspended",
    )
    assert by_number[number(6)] == (False, "suspended") and by_number[number(340)] == (
        False,
        "suspended",
    )


def test_problems_across_chunks_name_their_lines_and_nothing_is_written(
    runtime: Runtime, tmp_path: Path, small_chunks: int
) -> None:
    rows = [subscriber(i) for i in range(350)]
    rows[48]["brand"] = "platinum"  # line 50, first chunk
    rows[148]["msisdn"] = number(18)  # line 150: repeats line 20, second chunk
    rows[258]["opened_on"] = "2015-02-30"  # line 260, third chunk
    with pytest.raises(ImportFailed) as refused:
        import_subscribers(runtime.uow_factory, write(tmp_path / "s.csv", rows))
    assert refused.value.problems == [
        "line 50, column brand: 'platinum' is not one of gotone, mzone, easyown",
        "line 150, column msisdn: repeats line 20",
        "line 260, column opened_on: not an ISO date (YYYY-MM-DD): '2015-02-30'",
    ]
    assert count(runtime, SubscriberRow) == 0


def test_twenty_problems_then_stop(runtime: Runtime, tmp_path: Path, small_chunks: int) -> None:
    rows = [subscriber(i, alert="maybe" if i % 15 == 7 else "") for i in range(600)]
    with pytest.raises(ImportFailed) as refused:
        import_subscribers(runtime.uow_factory, write(tmp_path / "s.csv", rows))
    problems = refused.value.problems
    assert len(problems) == 21 and problems[-1] == "(stopped after 20 problems)"
    assert problems[0] == "line 9, column alert: expected true or false, got 'maybe'"
    assert problems[19].startswith("line 294, column alert")


def test_a_refusal_late_in_the_file_leaves_the_store_as_it_was(
    runtime: Runtime, tmp_path: Path, small_chunks: int
) -> None:
    import_subscribers(
        runtime.uow_factory, write(tmp_path / "a.csv", [subscriber(i) for i in range(10)])
    )
    before = stored_subscribers(runtime)
    rows = [subscriber(i, balance_yuan="7") for i in range(500)]
    rows[-1]["balance_yuan"] = "0.001"  # the last line: four chunks were streamed already
    with pytest.raises(ImportFailed, match="line 501, column balance_yuan: at most two decimals"):
        import_subscribers(runtime.uow_factory, write(tmp_path / "b.csv", rows))
    assert stored_subscribers(runtime) == before

    path = tmp_path / "broken.csv"  # a GBK line after three chunks
    text = write(tmp_path / "c.csv", [subscriber(i, name="王") for i in range(400)]).read_bytes()
    path.write_bytes(text + f"{number(900)},gotone,active,2015-03-12,1,张三\n".encode("gbk"))
    with pytest.raises(ImportFailed, match=r"^line 402, column name: not UTF-8"):
        import_subscribers(runtime.uow_factory, path)
    assert stored_subscribers(runtime) == before


def test_usage_naming_unknown_subscribers_writes_nothing(
    runtime: Runtime, tmp_path: Path, small_chunks: int
) -> None:
    import_subscribers(
        runtime.uow_factory, write(tmp_path / "s.csv", [subscriber(i) for i in range(100)])
    )
    rows = usage_rows(range(100))
    rows[250]["msisdn"] = number(777)  # past two chunks
    rows.append({"msisdn": number(778), "month": "2026-01", "spend_yuan": "1", "mou": "1"})
    with pytest.raises(ImportFailed) as refused:
        import_usage(runtime.uow_factory, write(tmp_path / "u.csv", rows, USAGE_COLUMNS))
    assert refused.value.problems == [
        f"column msisdn: no such subscriber: {number(777)}",
        f"column msisdn: no such subscriber: {number(778)}",
    ]
    assert count(runtime, MonthlyUsageRow) == 0


AWKWARD = [
    {**{c: "" for c in SUBSCRIBER_COLUMNS}, "msisdn": "13800138000", "brand": "gotone", "status": "active",
     "opened_on": "2015-03-12", "balance_yuan": "86.50", "name": '王"建国"', "gender": "male",
     "birthday": "1980-06-18", "mailing_address": "北京市海淀区, 中关村大街1号", "account_manager": "李经理",
     "vip_type": "individual", "vip_level": "gold", "vip_source": "spend", "vip_card_no": "GT,1",
     "vip_valid_from": "2026-02-01", "vip_valid_to": "2027-01-31", "contact_method": "voice",
     "contact_window": "09:00-21:00", "alert": "true", "plan_fee_yuan": "88", "guaranteed_spend_yuan": "0.5",
     "bundle_ends_on": "2027-01-31", "cmmb_handset": "true", "mobile_payment": "false"},
    {**{c: "" for c in SUBSCRIBER_COLUMNS}, "msisdn": "+86 139-0013-9000", "brand": "MZone",
     "status": "suspended", "opened_on": "2020-01-01", "balance_yuan": "-0.05"},
    {**{c: "" for c in SUBSCRIBER_COLUMNS}, "msisdn": "8615800158000", "brand": "easyown",
     "status": "closed", "opened_on": "2001-12-31", "balance_yuan": "1e2", "name": "欧阳娜娜",
     "mailing_address": '上海市 "浦东" 新区', "alert": "1"},
]  # fmt: skip


def test_export_import_export_gives_the_same_bytes(runtime: Runtime, tmp_path: Path) -> None:
    import_subscribers(runtime.uow_factory, write(tmp_path / "s.csv", AWKWARD))
    usage = [{"msisdn": "13800138000", "month": "2026-01", "spend_yuan": "80", "mou": "100"},
             {"msisdn": "13900139000", "month": "2026-02", "spend_yuan": "79.99", "mou": "0"},
             {"msisdn": "13800138000", "month": "2025-12", "spend_yuan": "0.1", "mou": "44640"}]  # fmt: skip
    import_usage(runtime.uow_factory, write(tmp_path / "u.csv", usage, USAGE_COLUMNS))
    first_s, first_u = tmp_path / "s1.csv", tmp_path / "u1.csv"
    assert export_subscribers(runtime.uow_factory, first_s) == 3
    assert export_usage(runtime.uow_factory, first_u) == 3

    _empty_tables(runtime.engine)
    assert import_subscribers(runtime.uow_factory, first_s).inserted == 3
    assert import_usage(runtime.uow_factory, first_u).inserted == 3
    second_s, second_u = tmp_path / "s2.csv", tmp_path / "u2.csv"
    export_subscribers(runtime.uow_factory, second_s)
    export_usage(runtime.uow_factory, second_u)
    assert second_s.read_bytes() == first_s.read_bytes()
    assert second_u.read_bytes() == first_u.read_bytes()

    lines = first_s.read_text(encoding="utf-8").splitlines()
    assert lines[0] == ",".join(SUBSCRIBER_COLUMNS)
    assert lines[1] == (
        '13800138000,gotone,active,2015-03-12,86.50,"王""建国""",male,1980-06-18,'
        '"北京市海淀区, 中关村大街1号",李经理,individual,gold,spend,"GT,1",2026-02-01,2027-01-31,'
        "voice,09:00-21:00,true,88.00,0.50,2027-01-31,true,false,,"  # never contacted or visited
    )
    assert lines[2] == (
        "13900139000,mzone,suspended,2020-01-01,-0.05,,,,,,,,,,,,sms,,false,0.00,0.00,,false,false,,"
    )
    assert lines[3].startswith(
        '15800158000,easyown,closed,2001-12-31,100.00,欧阳娜娜,,,"上海市 ""浦东"" 新区"'
    )
    assert first_u.read_text(encoding="utf-8").splitlines() == [
        "msisdn,month,spend_yuan,mou",
        "13800138000,2025-12,0.10,44640",
        "13800138000,2026-01,80.00,100",
        "13900139000,2026-02,79.99,0",
    ]


def test_cli_export(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    import_subscribers(runtime.uow_factory, write(tmp_path / "s.csv", AWKWARD))
    monkeypatch.setenv("DATABASE_URL", runtime.settings.database_url)
    from app.settings import get_settings

    get_settings.cache_clear()
    try:
        assert main(["export", "subscribers", str(tmp_path / "out.csv")]) == 0
        assert "subscribers: 3 rows written" in capsys.readouterr().out
        assert main(["export", "usage", str(tmp_path / "usage.csv")]) == 0
    finally:
        get_settings.cache_clear()
    assert len((tmp_path / "out.csv").read_text(encoding="utf-8").splitlines()) == 4
    assert (tmp_path / "usage.csv").read_text() == "msisdn,month,spend_yuan,mou\n"


def test_a_month_of_year_0_is_refused_not_a_traceback(runtime: Runtime, tmp_path: Path) -> None:
    import_subscribers(runtime.uow_factory, write(tmp_path / "s.csv", [subscriber(1)]))
    row = {"msisdn": number(1), "month": "0000-01", "spend_yuan": "1", "mou": "1"}
    with pytest.raises(
        ImportFailed, match=r"^line 2, column month: expected a year from 1900 to 9998"
    ):
        import_usage(runtime.uow_factory, write(tmp_path / "u.csv", [row], USAGE_COLUMNS))


def test_crlf_lines_padded_cells_and_columns_in_another_order(
    runtime: Runtime, tmp_path: Path
) -> None:
    path = tmp_path / "s.csv"
    path.write_bytes(
        "status,msisdn,opened_on,brand,name\r\n"
        "active,13800138000,2015-03-12,gotone,王\r\n"
        " active , 13900139000 ,2015-03-12,\u3000gotone, 李 \r\n".encode()
    )
    assert import_subscribers(runtime.uow_factory, path).inserted == 2
    with runtime.uow_factory() as uow:
        row = uow.subscribers.get("13900139000")
        assert row is not None and (row.status, row.brand, row.name) == ("active", "gotone", "李")


def test_a_broken_quote_names_its_own_line(runtime: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_text('msisdn,brand,status,opened_on\n13800138000,gotone,active,2015-03-12\n'
                    '13900139000,"go"tone,active,2015-03-12\n')  # fmt: skip
    with pytest.raises(ImportFailed, match=r"^line 3: not valid CSV"):
        import_subscribers(runtime.uow_factory, path)


class Statements:
    """Every statement sent to the database: SQLAlchemy's, and COPY on the driver's cursor."""

    def __init__(self) -> None:
        self.sql: list[str] = []

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.sql.append(statement.split(None, 1)[0].upper())


@pytest.fixture
def statements(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> Iterator[Statements]:
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("the COPY path is PostgreSQL's; SQLite writes an executemany per chunk")
    seen = Statements()
    copy = psycopg.Cursor.copy

    def counted_copy(cursor: Any, statement: Any, *args: Any, **kwargs: Any) -> Any:
        seen.sql.append("COPY")
        return copy(cursor, statement, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "copy", counted_copy)
    event.listen(runtime.engine, "before_cursor_execute", seen)
    yield seen
    event.remove(runtime.engine, "before_cursor_execute", seen)


def test_postgresql_statements_do_not_grow_with_the_file(
    runtime: Runtime, tmp_path: Path, small_chunks: int, statements: Statements
) -> None:
    counts = []
    for size, start in ((3, 0), (1_050, 3)):  # one chunk; eleven
        rows = [subscriber(i) for i in range(start, start + size)]
        statements.sql.clear()
        import_subscribers(runtime.uow_factory, write(tmp_path / f"s{size}.csv", rows))
        counts.append(list(statements.sql))
        statements.sql.clear()
        usage = usage_rows(range(start, start + size))
        import_usage(runtime.uow_factory, write(tmp_path / f"u{size}.csv", usage, USAGE_COLUMNS))
        counts.append(list(statements.sql))
    small_subscribers, small_usage, large_subscribers, large_usage = counts
    assert small_subscribers == large_subscribers == ["CREATE", "COPY", "WITH"]
    assert small_usage == large_usage == ["CREATE", "COPY", "SELECT", "WITH"]


def test_the_fast_checks_read_like_the_full_ones() -> None:
    """Each cell the fast paths accept gets the value the full check gives."""
    from app.services.import_files import SPACES, _fen, _yuan_to_fen

    assert sorted(SPACES + "\r\n") == sorted(c for c in map(chr, range(0x110000)) if c.isspace())
    for text in ("0", "-0", "5.", "86.5", "86.50", "-0.05", "0007.10", "9999999999.99", "-1"):
        assert _fen("c", text) == _yuan_to_fen("c", text), text


def test_the_msisdn_fast_path_agrees_with_phonenumbers() -> None:
    """An 11-digit number the fast path takes is one the parser takes unchanged,
    across every five-digit prefix starting with 1."""
    import random

    from app.services import msisdn

    rng = random.Random(12)
    for prefix in range(10_000, 20_000):
        raw = f"{prefix}{rng.randrange(10**6):06d}"
        try:
            parsed = msisdn.normalise_msisdn(f" {raw}")  # the space skips the fast path
        except msisdn.InvalidMsisdn:
            parsed = None
        fast = msisdn._MOBILE_RANGE.fullmatch(raw) and not msisdn._STRIPPED_PREFIX.match(raw)
        assert bool(fast) == (parsed == raw), raw


@pytest.mark.parametrize(
    ("cell", "stripped"),
    [('" 李\nx"', "李\nx"), ('"李\nx "', "李\nx"), ('"李\n"', "李"), ('"\r\n李"', "李")],
)
def test_a_record_across_two_blocks_is_stripped(tmp_path: Path, cell: str, stripped: str) -> None:
    """Cells are stripped only in blocks with white space where a cell begins or
    ends; a record that begins in one block and ends in the next is stripped if
    either has."""
    header = "msisdn,brand,status,opened_on,name\n"
    filler = [f"{number(i)},gotone,active,2015-03-12,王\n" for i in range(30_000)]
    before = (import_files.BLOCK_BYTES - len(header) - 1) // len(filler[0].encode())
    record = f"{number(99_999)},gotone,active,2015-03-12,{cell}\n"
    path = tmp_path / "s.csv"
    path.write_text(header + "".join(filler[:before]) + record + "".join(filler[before:]))
    assert len((header + "".join(filler[:before]) + record.split("\n")[0]).encode()) >= (
        import_files.BLOCK_BYTES
    )  # the record's first line ends the first block
    rows = [
        row for chunk in import_files.read_chunks(path, import_files.SUBSCRIBERS) for row in chunk
    ]
    assert len(rows) == 30_001
    assert rows[before][0] == number(99_999) and rows[before][5] == stripped


def test_records_read_as_csv_and_strip_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fast record reader against `csv` + `str.strip` on random lines: quotes,
    quoted line breaks, CRLF and LF ends, blank lines, white space of all kinds
    at and inside cell edges, blocks of a few lines."""
    import random

    monkeypatch.setattr(import_files, "BLOCK_BYTES", 64)
    rng = random.Random(7)
    pieces = ["a", "王", "1.5", "", " ", "\u3000", "\t", "x y", "\xa0z", ",", "\u2028"]

    def cell() -> str:
        text = "".join(rng.choices(pieces, k=rng.randint(0, 3))).replace(",", "")
        if rng.random() < 0.2:
            inner = text + rng.choice(["", '""', "\n", "\r\n", " ,", "\n "])
            return f'"{inner}"'
        return text

    lines = []
    for _ in range(3000):
        end = rng.choice(["\n", "\r\n"])
        lines.append(
            "" if rng.random() < 0.05 else ",".join(cell() for _ in range(rng.randint(1, 5)))
        )
        lines[-1] += end
    text = "".join(lines)
    path = tmp_path / "r.csv"
    path.write_bytes(text.encode())
    expected = [
        [c.strip() for c in row] for row in csv.reader(io.StringIO(text, newline=""), strict=True)
    ]
    spaced: set[int] = set()
    with path.open("rb") as handle:
        got = [
            row
            for _, row in import_files._records(
                import_files._text_blocks(handle, [], spaced), spaced
            )
        ]
    assert got == expected
