"""Birthday free calls (DOMAIN.md §4.6) within the campaign's window (§4): the SRMF
answer before the first day, on it, on the last day and after it, and a next
birthday after the last day."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain.birthday import BirthdayCampaign, benefit
from app.domain.segments import Segment
from app.domain.subscriber import Subscriber
from tests.domain.factories import GOLD, subscriber

SRMF = BirthdayCampaign(
    code="SRMF",
    name_zh="生日免费",
    name_en="Birthday free calls",
    keywords=("SRMF",),
    starts_on=date(2026, 1, 1),
    ends_on=date(2027, 12, 31),
    targets=frozenset({Segment.VIP_GOLD}),
)
HOLDER = frozenset({Segment.VIP_GOLD})


def member(birthday: date) -> Subscriber:
    return subscriber(
        GOLD, birthday=birthday, vip_valid_from=date(2025, 2, 1), vip_valid_to=date(2028, 12, 31)
    )


@pytest.mark.parametrize(
    ("on", "reason", "next_birthday"),
    [
        (date(2025, 12, 31), "not_started", None),  # the day before the first day
        (date(2026, 1, 1), "eligible", date(2026, 6, 18)),  # the first day
        (date(2027, 12, 31), "ends_before_birthday", date(2028, 6, 18)),  # the last day
        (date(2028, 1, 1), "ended", None),  # the day after the last day
    ],
)
def test_the_benefit_runs_with_the_campaigns_window(
    on: date, reason: str, next_birthday: date | None
) -> None:
    result = benefit(SRMF, member(date(1980, 6, 18)), HOLDER, on)
    assert (result.applies, result.reason, result.next_birthday) == (
        reason == "eligible",
        reason,
        next_birthday,
    )


@pytest.mark.parametrize(
    ("birthday", "applies", "next_birthday"),
    [
        (date(1980, 12, 31), True, date(2027, 12, 31)),  # on the campaign's last day
        (date(1980, 1, 1), False, date(2028, 1, 1)),  # the day after it: not promised
    ],
)
def test_no_birthday_after_the_last_day_is_promised(
    birthday: date, applies: bool, next_birthday: date
) -> None:
    result = benefit(SRMF, member(birthday), HOLDER, date(2027, 11, 1))
    assert (result.applies, result.next_birthday) == (applies, next_birthday)
    if not applies:
        assert result.reason == "ends_before_birthday"


def test_a_birthday_on_the_last_day_is_free_on_the_day() -> None:
    today = date(2027, 12, 31)
    result = benefit(SRMF, member(date(1980, 12, 31)), HOLDER, today)
    assert (result.applies, result.next_birthday) == (True, today)


def test_the_window_comes_before_eligibility() -> None:
    outsider = subscriber(birthday=date(1980, 6, 18))  # not a target
    assert benefit(SRMF, outsider, frozenset(), date(2025, 12, 31)).reason == "not_started"
    assert benefit(SRMF, outsider, frozenset(), date(2026, 1, 1)).reason == "not_target"
