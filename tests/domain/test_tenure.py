"""DOMAIN.md §2: tenure in natural months from the opening month."""

from datetime import date

import pytest

from app.domain.subscriber import Month
from app.domain.tenure import tenure_months, tenure_years


@pytest.mark.parametrize(
    ("opened_on", "on", "months"),
    [
        (date(2026, 8, 31), date(2026, 8, 1), 0),  # same month, whatever the days
        (date(2026, 1, 31), date(2026, 2, 1), 1),  # days are ignored
        (date(2025, 8, 1), date(2026, 8, 1), 12),
        (date(2025, 7, 1), date(2026, 8, 1), 13),
        (date(2023, 8, 15), date(2026, 8, 1), 36),
        (date(2023, 7, 15), date(2026, 8, 1), 37),
        (date(2007, 7, 1), date(2010, 8, 1), 37),  # the seed: joined July 2007
    ],
)
def test_tenure_months_counts_calendar_months(opened_on: date, on: date, months: int) -> None:
    assert tenure_months(opened_on, on) == months


@pytest.mark.parametrize(("months_ago", "years"), [(11, 0), (12, 1), (23, 1), (24, 2)])
def test_every_twelve_months_is_a_year(months_ago: int, years: int) -> None:
    on = date(2026, 12, 1)
    opened = Month.of(on).plus(-months_ago).first_day()
    assert tenure_months(opened, on) == months_ago
    assert tenure_years(opened, on) == years


@pytest.mark.parametrize(
    ("text", "month"),
    [("1900-01", Month(1900, 1)), ("2026-10", Month(2026, 10)), ("9998-12", Month(9998, 12))],
)
def test_a_month_given_from_outside(text: str, month: Month) -> None:
    assert Month.parse(text) == month
    assert Month.parse(text).plus(-120).plus(121)  # counted back and on: still months


@pytest.mark.parametrize("text", ["0000-01", "1899-12", "9999-01", "2026-13", "2026-1", "26-01"])
def test_a_month_outside_the_calendar_it_takes(text: str) -> None:
    with pytest.raises(ValueError):
        Month.parse(text)
