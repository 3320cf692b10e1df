"""Birthday free calls (生日免费): DOMAIN.md §4.6.

Mid-to-high-end customers pay no domestic call charges on their birthday. The
`SRMF` query says whether that applies and on which day; the scheduled job
greets them on the day. Like every campaign (§4), the benefit runs from the
campaign's first day to its last: before it opens it does not apply yet, after
it closes it no longer does, and no birthday after its last day is promised.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.domain.campaigns import Campaign, eligibility
from app.domain.segments import Segment
from app.domain.subscriber import Subscriber


@dataclass(frozen=True, kw_only=True)
class BirthdayCampaign(Campaign):
    kind = "birthday"
    #: Listed with the queries of the SMS menu: its keyword asks, it signs up to nothing.
    menu_section = "queries"


#: Why the benefit does not apply for a reason of the campaign's window (§4, §4.6).
NOT_STARTED = "not_started"  # the campaign opens later
ENDED = "ended"  # the campaign's last day has passed
ENDS_BEFORE_BIRTHDAY = "ends_before_birthday"  # the next birthday is after its last day


@dataclass(frozen=True, slots=True)
class BirthdayBenefit:
    applies: bool
    #: eligible, not_started, ended, ends_before_birthday, no_birthday, not_active,
    #: not_target, excluded:…
    reason: str
    next_birthday: date | None = None


def birthday_in(year: int, birthday: date) -> date:
    """A 29 February birthday is kept on 28 February in common years."""
    if birthday.month == 2 and birthday.day == 29:
        try:
            return date(year, 2, 29)
        except ValueError:
            return date(year, 2, 28)
    return birthday.replace(year=year)


def next_birthday(birthday: date, on: date) -> date:
    this_year = birthday_in(on.year, birthday)
    return this_year if this_year >= on else birthday_in(on.year + 1, birthday)


def benefit(
    campaign: BirthdayCampaign, subscriber: Subscriber, segments: frozenset[Segment], on: date
) -> BirthdayBenefit:
    """Whether the benefit applies on `on`, and the birthday it applies on (§4.6):
    the campaign's window first, as for every campaign (§4), then eligibility;
    a next birthday after the campaign's last day is not promised."""
    if on < campaign.starts_on:
        return BirthdayBenefit(False, NOT_STARTED)
    if on > campaign.ends_on:
        return BirthdayBenefit(False, ENDED)
    verdict = eligibility(campaign, subscriber, segments)
    if not verdict.eligible:
        return BirthdayBenefit(False, verdict.reason)
    if subscriber.birthday is None:
        return BirthdayBenefit(False, "no_birthday")
    upcoming = next_birthday(subscriber.birthday, on)
    if upcoming > campaign.ends_on:
        return BirthdayBenefit(False, ENDS_BEFORE_BIRTHDAY, upcoming)
    return BirthdayBenefit(True, "eligible", upcoming)
