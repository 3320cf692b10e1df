"""What an account manager has to do today, DOMAIN.md §9 (service-level routines).

| level | contact | visits | daily |
| diamond | weekly | at least monthly | spend analysis, balance reminder |
| gold | every two weeks | at least monthly | spend analysis, balance reminder |
| silver | every two weeks | — | spend analysis, balance reminder |

A VIP card holder (a card held on the day, DOMAIN.md §3) is due for contact when
the last contact is the cadence or more days ago, or was never recorded; a diamond
or gold card holder is due for a visit when no visit is recorded in the current
calendar month ("at least monthly"), by the month's last day. Also on
the list: balances below the reminder threshold, free experiences ending soon
without the subscriber's consent to keep them (§4.1, §5: the manager may ask), and
birthdays of subscribers whose contact method is voice (§4.6: the greeting goes by
their contact method, so the manager calls; the scheduled job sends no SMS).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from app.domain.subscriber import VipLevel


class Reason(StrEnum):
    CONTACT_DUE = "contact_due"
    VISIT_DUE = "visit_due"
    LOW_BALANCE = "low_balance"
    FREE_PERIOD_ENDING = "free_period_ending"
    BIRTHDAY_CALL = "birthday_call"


#: §9's contact cadence, in days, by VIP card.
CONTACT_CADENCE_DAYS: Mapping[VipLevel, int] = {
    VipLevel.DIAMOND: 7,
    VipLevel.GOLD: 14,
    VipLevel.SILVER: 14,
}


#: §9's visits: at least monthly for these cards (silver: none).
MONTHLY_VISITS: frozenset[VipLevel] = frozenset({VipLevel.DIAMOND, VipLevel.GOLD})


@dataclass(frozen=True, slots=True)
class WorklistRules:
    """The thresholds §9 leaves to the operator: a balance below
    `low_balance_fen` is reminded; free periods ending within
    `free_period_days` and birthdays within `birthday_days` (today included)."""

    low_balance_fen: int = 20_00
    free_period_days: int = 7
    birthday_days: int = 7

    def __post_init__(self) -> None:
        if self.low_balance_fen < 0 or self.free_period_days < 1 or self.birthday_days < 1:
            raise ValueError("worklist thresholds must be positive")


DEFAULT_RULES = WorklistRules()


def contact_due(level: VipLevel, last_contacted_on: date | None, today: date) -> bool:
    """§9: due when never contacted, or the cadence or more days since the last contact."""
    if last_contacted_on is None:
        return True
    return (today - last_contacted_on).days >= CONTACT_CADENCE_DAYS[level]


def contacted_by(level: VipLevel, today: date) -> date:
    """The latest last-contact day at which `level` is due today (for the store's query)."""
    return today - timedelta(days=CONTACT_CADENCE_DAYS[level])


def visit_due(level: VipLevel, last_visited_on: date | None, today: date) -> bool:
    """§9: diamond and gold want a visit every calendar month; due while this one has none."""
    if level not in MONTHLY_VISITS:
        return False
    return last_visited_on is None or last_visited_on < visited_since(today)


def visited_since(today: date) -> date:
    """The first day a visit counts for this month's (for the store's query)."""
    return today.replace(day=1)


def month_end(today: date) -> date:
    following = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def low_balance(balance_fen: int, rules: WorklistRules = DEFAULT_RULES) -> bool:
    return balance_fen < rules.low_balance_fen


@dataclass(frozen=True, slots=True)
class WorkItem:
    """One line of a manager's list: who, why, and what the manager needs to act."""

    manager: str
    msisdn: str
    reason: Reason
    due_on: date
    detail: str
    name: str | None = None
    contact_method: str | None = None
    contact_window: str | None = None
