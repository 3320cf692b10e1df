"""The column-by-column check of a chunk (issue 12) gives exactly the rows the
row-by-row check gives, and hands every chunk with a cell in another spelling,
or a bad one, back to the row-by-row check (which words the refusals)."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from app.services.import_cells import USAGE_COLUMNS, _BadCell, subscriber_values, usage_values
from app.services.import_columns import subscriber_chunk, usage_chunk


def _day(rng: random.Random) -> str:
    return (date(1960, 1, 1) + timedelta(days=rng.randrange(25_000))).isoformat()


def stored_subscriber(i: int, rng: random.Random) -> list[str]:
    """A row as an operator's export writes it: every cell in its stored form."""
    vip = rng.random() < 0.3
    pick = rng.choice
    return [
        f"{pick(('138', '139', '150', '187'))}{i:08d}", pick(("gotone", "mzone", "easyown")),
        pick(("active", "suspended", "closed")), _day(rng),
        pick(("0", "86.50", "5.", "0.1", "12", "-0.05", "1e2")), pick(("", "王", "欧阳 娜娜")),
        pick(("", "male", "female")), pick(("", _day(rng))), pick(("", "北京市,海淀区")),
        pick(("", "李经理")), "individual" if vip else "", "gold" if vip else "",
        "spend" if vip else "", "GT1" if vip else "", "2026-02-01" if vip else "",
        pick(("2027-01-31", "2026-02-01")) if vip else "", pick(("", "sms", "voice")),
        pick(("", "09:00-21:00", "00:00-24:00")), pick(("", "true", "0", "y", "no")),
        pick(("", "88", "58.50")), pick(("", "100")), pick(("", _day(rng))),
        pick(("", "1", "false")), pick(("", "yes", "n")), pick(("", _day(rng))),
        pick(("", _day(rng))),
    ]  # fmt: skip


def test_a_chunk_in_the_stored_form_is_converted_as_row_by_row() -> None:
    rng = random.Random(3)
    rows = [stored_subscriber(i, rng) for i in range(3000)]
    lines = list(range(2, 3002))
    expected = [subscriber_values(row, line) for row, line in zip(rows, lines, strict=True)]
    assert subscriber_chunk(rows, lines) == expected


@pytest.mark.parametrize(
    ("column", "text"),
    [
        (0, "+86 139-0013-9000"), (0, "12345678901"), (0, "1380013800"), (1, "MZone"),
        (1, "platinum"), (2, ""), (3, "20150312"), (3, "2015-02-30"), (4, "0.001"),
        (6, "Male"), (7, "1980-6-18"), (9, "x" * 101), (16, "SMS"), (17, "9:00-21:00"),
        (18, "maybe"), (18, "TRUE"), (19, "-1"), (20, "-0.5"), (14, "2027-02-01"),
        (24, "2026-13-01"),
    ],
)  # fmt: skip
def test_other_spellings_give_the_same_rows_and_bad_cells_go_row_by_row(
    column: int, text: str
) -> None:
    rng = random.Random(5)
    rows = [stored_subscriber(i, rng) for i in range(50)]
    rows[30][column] = text
    if column == 14:  # a card valid from after it ends
        rows[30][10:16] = ["individual", "gold", "spend", "GT1", text, "2027-01-31"]
    lines = list(range(2, 52))
    chunk = subscriber_chunk(rows, lines)
    try:
        expected = [subscriber_values(row, line) for row, line in zip(rows, lines, strict=True)]
    except _BadCell:
        assert chunk is None  # refused by the row-by-row check, in its own words
    else:
        assert chunk is None or chunk == expected


def test_usage_chunks() -> None:
    rng = random.Random(9)
    rows = [
        [f"139{i:08d}", f"20{rng.randrange(10, 30)}-{rng.randrange(1, 13):02d}",
         rng.choice(("0", "80", "79.99", "0.1", "1e1")), str(rng.randrange(0, 44_641))]
        for i in range(2000)
    ]  # fmt: skip
    lines = list(range(2, 2002))
    assert usage_chunk(rows, lines) == [
        usage_values(row, line) for row, line in zip(rows, lines, strict=True)
    ]
    for column, text in [(0, "+8613900000001"), (1, "2026-1"), (1, "0000-01"), (1, "2026-13"),
                         (2, ""), (2, "-1"), (3, "1.5"), (3, "١٢"), (3, "10000001")]:  # fmt: skip
        odd = [list(row) for row in rows]
        odd[7][column] = text
        assert usage_chunk(odd, lines) is None, (USAGE_COLUMNS[column], text)
