"""DOMAIN.md §3: segments and service levels, both sides of every boundary."""

from datetime import date

import pytest

from app.domain.segments import (
    PhotoWindow,
    Segment,
    held_vip_card,
    segments_of,
    service_level,
    vip_level_for_spend,
)
from app.domain.subscriber import Brand, Month, Status, VipLevel, VipSource
from tests.domain.factories import GOLD, ON, PHOTO, PLAIN, monthly, photo_spend, subscriber


@pytest.mark.parametrize(
    ("total_fen", "expected"),
    [
        (479_99, None),
        (480_00, Segment.PHOTOGRAPHED),
        (719_99, Segment.PHOTOGRAPHED),
        (720_00, Segment.IMPORTANT_PHOTOGRAPHED),
    ],
)
def test_photographed_thresholds_over_the_window(total_fen: int, expected: Segment | None) -> None:
    found = segments_of(PLAIN, photo_spend(total_fen), PHOTO, ON)
    photographed = found & {Segment.PHOTOGRAPHED, Segment.IMPORTANT_PHOTOGRAPHED}
    assert photographed == ({expected} if expected else set())


def test_usage_outside_the_photo_window_does_not_count() -> None:
    usage = monthly(Month(2025, 7), [200_00] * 6)  # the six months before the window
    assert not segments_of(PLAIN, usage, PHOTO, date(2026, 1, 15)) & {
        Segment.PHOTOGRAPHED,
        Segment.IMPORTANT_PHOTOGRAPHED,
    }


def test_photo_window_is_configuration() -> None:
    usage = monthly(Month(2025, 7), [100_00] * 6)
    other = PhotoWindow(Month(2025, 7), Month(2025, 12))
    assert Segment.PHOTOGRAPHED in segments_of(PLAIN, usage, other, ON)
    assert Segment.PHOTOGRAPHED not in segments_of(PLAIN, usage, PHOTO, ON)


@pytest.mark.parametrize(
    ("previous_year_fen", "brand", "level"),
    [
        (1999_99, Brand.GOTONE, None),
        (2000_00, Brand.GOTONE, VipLevel.SILVER),
        (3999_99, Brand.GOTONE, VipLevel.SILVER),
        (4000_00, Brand.GOTONE, VipLevel.GOLD),
        (7999_99, Brand.GOTONE, VipLevel.GOLD),
        (8000_00, Brand.GOTONE, VipLevel.DIAMOND),
        (9000_00, Brand.MZONE, None),  # never a VIP off GoTone, whatever the spend
        (9000_00, Brand.EASYOWN, None),
    ],
)
def test_annual_rating_by_previous_year_spend(
    previous_year_fen: int, brand: Brand, level: VipLevel | None
) -> None:
    assert vip_level_for_spend(brand, previous_year_fen) is level


@pytest.mark.parametrize(
    ("on", "held"),
    [
        (date(2026, 1, 31), False),  # the day before the card is valid
        (date(2026, 2, 1), True),  # first valid day
        (date(2027, 1, 31), True),  # last valid day
        (date(2027, 2, 1), False),  # expired
    ],
)
def test_a_card_counts_only_while_valid(on: date, held: bool) -> None:
    assert (held_vip_card(GOLD, on) is VipLevel.GOLD) is held
    assert (Segment.VIP_GOLD in segments_of(GOLD, [], PHOTO, on)) is held


def test_a_card_on_a_non_gotone_number_counts_as_no_card() -> None:
    assert held_vip_card(subscriber(GOLD, brand=Brand.MZONE), ON) is None


def test_a_card_without_validity_dates_counts_as_no_card() -> None:
    assert held_vip_card(subscriber(GOLD, vip_valid_to=None), ON) is None


def test_granted_vip_is_its_own_segment() -> None:
    granted = subscriber(GOLD, vip_source=VipSource.GRANTED)
    found = segments_of(granted, [], PHOTO, ON)
    assert Segment.GRANTED_VIP in found
    assert Segment.GRANTED_VIP not in segments_of(GOLD, [], PHOTO, ON)


def test_alert_flag_is_a_segment() -> None:
    assert Segment.ALERT in segments_of(subscriber(alert=True), [], PHOTO, ON)
    assert Segment.ALERT not in segments_of(PLAIN, [], PHOTO, ON)


def _stable(spends: list[int], mous: list[int]) -> bool:
    return Segment.STABLE_HIGH_END in segments_of(
        PLAIN, monthly(PHOTO.first, spends, mous), PHOTO, ON
    )


def test_stable_high_end_needs_averages_and_four_strong_months() -> None:
    # Four strong months (120 yuan and 100 minutes) and averages at the bound.
    assert _stable([120_00] * 6, [100] * 6)
    assert not _stable([120_00] * 5 + [119_99], [100] * 6)  # average spend just under
    assert not _stable([120_00] * 6, [100] * 5 + [99])  # average MOU just under
    # Averages met through two big months, but only three strong ones.
    assert not _stable([300_00, 300_00, 120_00, 0, 0, 0], [300, 300, 100, 0, 0, 0])
    assert _stable([300_00, 120_00, 120_00, 120_00, 60_00, 0], [300, 100, 100, 100, 0, 0])


@pytest.mark.parametrize(
    ("spends", "mous", "stable"),
    [
        # Averages exactly met (720 yuan, 600 minutes) with exactly four strong months.
        ([300_00, 120_00, 120_00, 120_00, 60_00, 0], [300, 100, 100, 100, 0, 0], True),
        # The same averages; the fourth month's spend one fen under 120: three strong.
        ([300_01, 120_00, 120_00, 119_99, 60_00, 0], [300, 100, 100, 100, 0, 0], False),
        # The same averages; the fourth month's MOU one minute under 100: three strong.
        ([300_00, 120_00, 120_00, 120_00, 60_00, 0], [301, 100, 100, 99, 0, 0], False),
    ],
)
def test_a_strong_month_needs_both_spend_and_mou(
    spends: list[int], mous: list[int], stable: bool
) -> None:
    assert sum(spends) == 720_00 and sum(mous) == 600  # the averages are met every time
    assert _stable(spends, mous) is stable


def test_new_high_end_is_recent_spend_outside_the_photo() -> None:
    recent = monthly(Month(2026, 5), [80_00] * 6)  # May–October: the latest six complete months
    found = segments_of(PLAIN, recent, PHOTO, ON)
    assert Segment.NEW_HIGH_END in found
    assert Segment.PHOTOGRAPHED not in found  # May and June alone are under 480


def test_new_high_end_boundary_and_photographed_are_not_new() -> None:
    just_under = monthly(Month(2026, 5), [80_00] * 5 + [79_99])
    assert Segment.NEW_HIGH_END not in segments_of(PLAIN, just_under, PHOTO, ON)
    in_photo = photo_spend(480_00) + monthly(Month(2026, 7), [80_00] * 4)
    assert Segment.NEW_HIGH_END not in segments_of(PLAIN, in_photo, PHOTO, ON)


@pytest.mark.parametrize(
    ("first", "on", "new"),
    [
        (Month(2026, 5), date(2026, 11, 23), True),  # May to October: the latest six
        (Month(2026, 6), date(2026, 11, 23), False),  # June to November: November runs on
        (Month(2026, 6), date(2026, 11, 30), False),  # its last day: still not complete
        (Month(2026, 6), date(2026, 12, 1), True),  # the next day: June to November
    ],
)
def test_new_high_end_takes_the_latest_six_complete_months(
    first: Month, on: date, new: bool
) -> None:
    usage = monthly(first, [80_00] * 6)  # 480 over six months, May and June in the photo
    assert (Segment.NEW_HIGH_END in segments_of(PLAIN, usage, PHOTO, on)) is new


def test_new_high_end_ignores_the_seventh_month_back() -> None:
    # April (seven months before November) and June to October: 400 in the window.
    usage = monthly(Month(2026, 4), [80_00]) + monthly(Month(2026, 6), [80_00] * 5)
    assert Segment.NEW_HIGH_END not in segments_of(PLAIN, usage, PHOTO, ON)
    more = monthly(Month(2026, 5), [80_00]) + monthly(Month(2026, 6), [80_00] * 5)
    assert Segment.NEW_HIGH_END in segments_of(PLAIN, more, PHOTO, ON)


@pytest.mark.parametrize(
    ("spend", "mou", "dynamic"),
    [(80_00, 100, True), (79_99, 100, False), (80_00, 99, False)],
)
def test_dynamic_mid_high_end_in_the_latest_month(spend: int, mou: int, dynamic: bool) -> None:
    usage = monthly(Month(2026, 10), [spend], [mou])  # October, the month before ON
    assert (Segment.DYNAMIC_MID_HIGH_END in segments_of(PLAIN, usage, PHOTO, ON)) is dynamic


def test_service_level_is_the_highest_held() -> None:
    assert service_level({Segment.PHOTOGRAPHED, Segment.VIP_SILVER}) is Segment.VIP_SILVER
    assert service_level({Segment.IMPORTANT_PHOTOGRAPHED}) is Segment.IMPORTANT_PHOTOGRAPHED
    assert service_level({Segment.NEW_HIGH_END, Segment.ALERT}) is None


def test_suspended_status_does_not_change_segments() -> None:
    # Eligibility, not segmentation, looks at status (DOMAIN.md §4.1).
    assert Segment.VIP_GOLD in segments_of(subscriber(GOLD, status=Status.SUSPENDED), [], PHOTO, ON)


@pytest.mark.parametrize(
    ("plan_fee_fen", "guaranteed_fen", "fixed"),
    [(79_99, 0, False), (80_00, 0, True), (0, 79_99, False), (0, 80_00, True)],
)
def test_fixed_mid_high_end_by_plan_or_guaranteed_spend(
    plan_fee_fen: int, guaranteed_fen: int, fixed: bool
) -> None:
    member = subscriber(plan_fee_fen=plan_fee_fen, guaranteed_spend_fen=guaranteed_fen)
    assert (Segment.FIXED_MID_HIGH_END in segments_of(member, [], PHOTO, ON)) is fixed
