"""DOMAIN.md §4.1: the My Home free experience (IWJZS)."""

from dataclasses import replace
from datetime import date

import pytest

from app.domain.campaigns import Held
from app.domain.free_experience import (
    FreeExperienceCampaign,
    Package,
    TenureTier,
    decide_sign_up,
    free_grant,
    free_months_for,
)
from app.domain.outcomes import Outcome
from app.domain.segments import Segment, segments_of
from app.domain.subscriber import Brand, Month, Status, VipSource
from tests.domain.factories import GOLD, ON, PHOTO, PLAIN, photo_spend, subscriber

TIERS = (TenureTier(36, 9), TenureTier(12, 6), TenureTier(-1, 3))
CAMPAIGN = FreeExperienceCampaign(
    code="IWJZS",
    name_zh="我家免费体验",
    name_en="My Home free experience",
    starts_on=date(2026, 8, 1),
    ends_on=date(2027, 7, 31),
    packages=(
        Package("1", "我家14元套餐", "14", 14_00),
        Package("2", "我家26元套餐", "26", 26_00),
        Package("3", "我家55元套餐", "55", 55_00),
        Package("4", "我家68元套餐", "68", 68_00),
    ),
    tiers=TIERS,
    targets=frozenset(
        {
            Segment.PHOTOGRAPHED,
            Segment.IMPORTANT_PHOTOGRAPHED,
            Segment.NEW_HIGH_END,
            Segment.VIP_DIAMOND,
            Segment.VIP_GOLD,
            Segment.VIP_SILVER,
        }
    ),  # fmt: skip
    exclusions=frozenset({Segment.GRANTED_VIP}),
    keywords=("IWJZS",),
)


@pytest.mark.parametrize(("months", "free"), [(0, 3), (12, 3), (13, 6), (36, 6), (37, 9), (200, 9)])
def test_free_months_by_tenure(months: int, free: int) -> None:
    assert free_months_for(months, TIERS) == free


@pytest.mark.parametrize(
    ("opened_on", "free"),
    [
        (date(2007, 7, 31), 9),  # the seed: on or before July 2007 → 9
        (date(2007, 8, 1), 6),  # August 2007 to July 2009 → 6
        (date(2009, 7, 31), 6),
        (date(2009, 8, 1), 3),  # August 2009 or later → 3
    ],
)
def test_seed_campaign_of_august_2010(opened_on: date, free: int) -> None:
    seed = replace(CAMPAIGN, starts_on=date(2010, 8, 1), ends_on=date(2011, 7, 31))
    member = subscriber(GOLD, opened_on=opened_on)
    decision = decide_sign_up(
        seed, member, frozenset({Segment.VIP_GOLD}), None, "1", date(2010, 8, 20)
    )
    assert decision.outcome is Outcome.ACTIVATED
    assert decision.free_months == free


def test_tenure_is_taken_at_the_campaign_start_not_the_message_day() -> None:
    # 36 months at the start (August 2023 → August 2026) but 39 by November.
    member = subscriber(GOLD, opened_on=date(2023, 8, 10))
    decision = decide_sign_up(CAMPAIGN, member, frozenset({Segment.VIP_GOLD}), None, "2", ON)
    assert decision.free_months == 6


@pytest.mark.parametrize(
    "opened_on",
    [
        date(2026, 7, 31),  # a month before the start: 1 month of tenure then
        date(2026, 8, 1),  # in the start month: none
        date(2026, 9, 1),  # after it: none either, never less (a new customer)
        date(2026, 11, 20),  # three days before the message
    ],
)
def test_a_number_opened_around_or_after_the_start_gets_the_shortest_period(
    opened_on: date,
) -> None:
    member = subscriber(GOLD, opened_on=opened_on)
    decision = decide_sign_up(CAMPAIGN, member, frozenset({Segment.VIP_GOLD}), None, "2", ON)
    assert decision.outcome is Outcome.ACTIVATED
    assert decision.free_months == 3


def test_free_period_starts_on_the_first_of_next_month() -> None:
    grant = free_grant(CAMPAIGN, CAMPAIGN.packages[1], 9, date(2026, 11, 23))
    assert grant.activated_on == date(2026, 11, 23)
    assert grant.starts_on == date(2026, 12, 1)
    assert grant.ends_on == date(2027, 8, 31)
    assert grant.waived_fen == 26_00 * 9
    assert (grant.service_code, grant.exclusivity_key) == ("IWJZS", "IWJZS")


def test_free_period_across_a_leap_february() -> None:
    grant = free_grant(CAMPAIGN, CAMPAIGN.packages[0], 3, date(2027, 11, 30))
    assert (grant.starts_on, grant.ends_on) == (date(2027, 12, 1), date(2028, 2, 29))


def decide(member=GOLD, segments=frozenset({Segment.VIP_GOLD}), existing=None, code="2", on=ON):
    return decide_sign_up(CAMPAIGN, member, segments, existing, code, on)


def test_gold_card_since_2015_gets_nine_months() -> None:
    decision = decide()
    assert decision.outcome is Outcome.ACTIVATED
    assert decision.grant is not None and decision.grant.package_code == "2"
    assert decision.free_months == 9


@pytest.mark.parametrize(
    ("on", "outcome"),
    [
        (date(2026, 7, 31), Outcome.CAMPAIGN_INACTIVE),
        (date(2026, 8, 1), Outcome.ACTIVATED),  # first day of the window
        (date(2027, 7, 31), Outcome.ACTIVATED),  # last day of the window
        (date(2027, 8, 1), Outcome.CAMPAIGN_INACTIVE),
    ],
)
def test_campaign_window_is_inclusive(on: date, outcome: Outcome) -> None:
    card = subscriber(GOLD, vip_valid_to=date(2027, 12, 31))
    assert decide(member=card, on=on).outcome is outcome


def test_granted_vip_is_not_eligible_even_with_a_card() -> None:
    granted = subscriber(GOLD, vip_source=VipSource.GRANTED)
    decision = decide(member=granted, segments=segments_of(granted, [], PHOTO, ON))
    assert (decision.outcome, decision.reason) == (Outcome.NOT_ELIGIBLE, "excluded:granted_vip")


@pytest.mark.parametrize("status", [Status.SUSPENDED, Status.CLOSED])
def test_only_active_numbers_join(status: Status) -> None:
    decision = decide(member=subscriber(GOLD, status=status))
    assert (decision.outcome, decision.reason) == (Outcome.NOT_ELIGIBLE, "not_active")


def test_active_is_eligible() -> None:
    assert decide(member=subscriber(GOLD, status=Status.ACTIVE)).outcome is Outcome.ACTIVATED


@pytest.mark.parametrize(
    ("total_fen", "outcome"), [(479_99, Outcome.NOT_ELIGIBLE), (480_00, Outcome.ACTIVATED)]
)
def test_photographed_spend_boundary_decides(total_fen: int, outcome: Outcome) -> None:
    segments = segments_of(PLAIN, photo_spend(total_fen), PHOTO, ON)
    assert decide(member=PLAIN, segments=segments).outcome is outcome


def test_non_gotone_high_spender_without_photo_is_not_a_target() -> None:
    rich = subscriber(GOLD, brand=Brand.MZONE)
    segments = segments_of(rich, [], PHOTO, ON)
    assert decide(member=rich, segments=segments).reason == "not_target"


def test_one_per_subscriber_ever() -> None:
    existing = Held("4", date(2026, 12, 1), date(2027, 8, 31))
    decision = decide(existing=existing, code="1")
    assert decision.outcome is Outcome.ALREADY_ACTIVE
    assert decision.existing == existing


def test_no_number_gives_the_menu_with_own_free_months() -> None:
    decision = decide(code=None)
    assert (decision.outcome, decision.free_months) == (Outcome.MENU, 9)


@pytest.mark.parametrize("code", ["0", "5", "22", "A", ""])
def test_unknown_package_is_an_invalid_argument(code: str) -> None:
    assert decide(code=code).outcome is Outcome.INVALID_ARGUMENT


@pytest.mark.parametrize("code", ["1", "2", "3", "4"])
def test_every_package_activates_with_its_fee(code: str) -> None:
    decision = decide(code=code)
    package = CAMPAIGN.package(code)
    assert decision.grant is not None and package is not None
    assert decision.grant.package_code == code
    assert decision.grant.waived_fen == package.monthly_fee_fen * 9


def test_month_helper_wraps_years() -> None:
    assert Month(2026, 12).plus(1) == Month(2027, 1)
    assert Month(2026, 1).plus(-1) == Month(2025, 12)
