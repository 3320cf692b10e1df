"""Network tenure (网龄), DOMAIN.md §2."""

from __future__ import annotations

from datetime import date


def tenure_months(opened_on: date, on: date) -> int:
    """Natural months from the opening month to the month of `on` (DOMAIN.md §2).

    Days are ignored: a number opened on 31 January has one month of tenure on
    1 February, as the operator's billing months count.
    """
    return (on.year - opened_on.year) * 12 + (on.month - opened_on.month)


def tenure_years(opened_on: date, on: date) -> int:
    """Every 12 months of tenure is one year (DOMAIN.md §2)."""
    return tenure_months(opened_on, on) // 12
