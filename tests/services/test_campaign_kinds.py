"""DOMAIN.md §4.2–§4.5 over handle_inbound: TY, YC prerequisites, GABX, WLYH."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest

from app.runtime import Runtime
from tests.services.messaging import SHANGHAI, Phone

pytestmark = pytest.mark.usefixtures("catalog")

PLAIN = dict(brand="mzone", vip_level=None, vip_source=None, vip_type=None, vip_card_no=None,
             vip_valid_from=None, vip_valid_to=None)  # fmt: skip


def services(runtime: Runtime) -> dict[str, tuple]:
    with runtime.uow_factory() as uow:
        return {
            r.service_code: (r.starts_on, r.ends_on, r.free_months, dict(r.details))
            for r in uow.activations.of_subscriber(1)
        }


# §4.2 pocket experience: each service once, one free month, the next calendar month.


@pytest.mark.parametrize("typed", ["TY CL", "tycl", "TY+CL", "ＴＹ ＣＬ"])
def test_pocket_experience_gives_next_month_free(
    runtime: Runtime, add_subscriber: Callable, typed: str
) -> None:
    add_subscriber("13800138000")
    result = Phone(runtime).text(typed)
    assert result.outcome == "activated"
    assert services(runtime)["TYCL"][:3] == (date(2026, 12, 1), date(2026, 12, 31), 1)


def test_each_pocket_service_once(runtime: Runtime, add_subscriber: Callable) -> None:
    add_subscriber("13800138000")
    phone = Phone(runtime)
    assert phone.text("TY CL").outcome == "activated"
    assert phone.text("TY CL").outcome == "already_active"
    assert phone.text("TY 139").outcome == "activated"
    assert set(services(runtime)) == {"TYCL", "TY139"}


def test_pocket_menu_and_bad_code(runtime: Runtime, add_subscriber: Callable) -> None:
    add_subscriber("13800138000")
    phone = Phone(runtime)
    menu = phone.text("TY")
    assert menu.outcome == "menu" and "SJB.手机报" in menu.replies[0].text
    assert phone.text("TY XYZ").outcome == "invalid_argument"


def test_pocket_targets_exclude_new_high_end(runtime: Runtime, add_subscriber: Callable) -> None:
    recent = {f"2026-{m:02d}": (90_00, 50) for m in range(5, 11)}  # new high-end only
    add_subscriber("13800138000", usage=recent, **PLAIN)
    phone = Phone(runtime)
    assert phone.text("TY CL").outcome == "not_eligible"
    assert phone.text("IWJZS 1").outcome == "activated"  # IWJZS does target new high-end


# §4.4 pre-store prerequisites.


@pytest.mark.parametrize(
    ("code", "fields", "outcome"),
    [
        ("SJDS", {"cmmb_handset": False}, "not_eligible"),
        ("SJDS", {"cmmb_handset": True}, "confirmation_required"),
        ("CP", {"mobile_payment": False}, "not_eligible"),
        ("CP", {"mobile_payment": True}, "confirmation_required"),
    ],
)
def test_pre_store_prerequisites(
    runtime: Runtime, add_subscriber: Callable, code: str, fields: dict, outcome: str
) -> None:
    add_subscriber("13800138000", **fields)
    assert Phone(runtime).text(f"YC {code}").outcome == outcome


def test_device_offer_and_24_month_contract(runtime: Runtime, add_subscriber: Callable) -> None:
    add_subscriber("13800138000", mobile_payment=True)
    phone = Phone(runtime)
    phone.text("YC GAB")
    assert "关爱宝终端（价值260元）" in phone.reply("Y")
    phone.text("YC CP")
    phone.text("Y")
    assert services(runtime)["YCCP"][1] == date(2028, 11, 30)  # 24 months from December 2026


def test_pre_store_targets_fixed_mid_high_end(runtime: Runtime, add_subscriber: Callable) -> None:
    add_subscriber("13800138000", plan_fee_fen=88_00, **PLAIN)
    assert Phone(runtime).text("YC HBGJ").outcome == "confirmation_required"


def test_granted_vip_gets_no_pre_store(runtime: Runtime, add_subscriber: Callable) -> None:
    add_subscriber("13800138000", vip_source="granted")
    assert Phone(runtime).text("YC SJB").outcome == "not_eligible"


# §4.5 care insurance.


def test_care_insurance_cover_starts_on_the_10th_of_next_month(
    runtime: Runtime, add_subscriber: Callable
) -> None:
    add_subscriber("13800138000")
    result = Phone(runtime).text("GABX 张三")
    assert result.outcome == "activated"
    assert "张三" in result.replies[0].text
    starts_on, ends_on, _, details = services(runtime)["GABX"]
    assert (starts_on, ends_on) == (date(2026, 12, 10), date(2027, 12, 9))
    assert details == {"insured_name": "张三"}


@pytest.mark.parametrize(
    ("at", "starts_on", "ends_on"),
    [
        # The last minute of November and the first of December, operator time.
        (datetime(2026, 11, 30, 23, 59, tzinfo=SHANGHAI), date(2026, 12, 10), date(2027, 12, 9)),
        (datetime(2026, 12, 1, 0, 0, tzinfo=SHANGHAI), date(2027, 1, 10), date(2028, 1, 9)),
        # December's last day: the cover starts in January of the next year.
        (datetime(2026, 12, 31, 23, 59, tzinfo=SHANGHAI), date(2027, 1, 10), date(2028, 1, 9)),
        (datetime(2027, 1, 1, 0, 0, tzinfo=SHANGHAI), date(2027, 2, 10), date(2028, 2, 9)),
    ],
)
def test_care_insurance_cover_starts_on_the_10th_of_the_next_month(
    runtime: Runtime, add_subscriber: Callable, at: datetime, starts_on: date, ends_on: date
) -> None:
    add_subscriber("13800138000")
    assert Phone(runtime, at=at).text("GABX 张三", after=timedelta(0)).outcome == "activated"
    assert services(runtime)["GABX"][:2] == (starts_on, ends_on)


@pytest.mark.parametrize(("typed", "outcome"), [("GABX", "menu"), ("GABX 1234", "invalid_argument"),
                                                 ("GABX 张", "invalid_argument"), ("GABX 欧阳·娜娜", "activated")])  # fmt: skip
def test_care_insurance_needs_a_name(
    runtime: Runtime, add_subscriber: Callable, typed: str, outcome: str
) -> None:
    add_subscriber("13800138000")
    assert Phone(runtime).text(typed).outcome == outcome


def test_one_care_insurance_ever(runtime: Runtime, add_subscriber: Callable) -> None:
    add_subscriber("13800138000")
    phone = Phone(runtime)
    phone.text("GABX 张三")
    assert phone.text("GABX 李四").outcome == "already_active"


# §4.3 tenure reward: years = (tenure_months + 12) // 12 at sign-up.


@pytest.mark.parametrize(
    ("opened_on", "outcome", "minutes"),
    [
        (date(2024, 12, 1), "not_eligible", None),  # 23 months: 2 years within the next year
        (date(2024, 11, 1), "confirmation_required", "150"),  # 24 months: 3 years
        (date(2022, 12, 1), "confirmation_required", "150"),  # 47 months: 4 years
        (date(2022, 11, 1), "confirmation_required", "180"),  # 48 months: 5 years
        (date(2019, 12, 1), "confirmation_required", "180"),  # 83 months: 7 years
        (date(2019, 11, 1), "confirmation_required", "220"),  # 84 months: 8 years
        (date(2017, 12, 1), "confirmation_required", "220"),  # 107 months: 9 years
        (date(2017, 11, 1), "confirmation_required", "280"),  # 108 months: 10 years
    ],
)
def test_tenure_reward_tiers(
    runtime: Runtime, add_subscriber: Callable, opened_on: date, outcome: str, minutes: str | None
) -> None:
    add_subscriber("13800138000", opened_on=opened_on)
    result = Phone(runtime).text("WLYH")
    assert result.outcome == outcome
    if minutes:
        assert f"{minutes}分钟" in result.replies[0].text


STABLE = {f"2026-{m:02d}": (130_00, 120) for m in range(1, 7)}


@pytest.mark.parametrize(
    ("bundle_ends_on", "outcome"),
    [
        (None, "not_eligible"),
        (date(2026, 11, 22), "not_eligible"),  # already ended
        (date(2026, 11, 23), "confirmation_required"),
        (date(2027, 2, 28), "confirmation_required"),  # within 3 months
        (date(2027, 3, 1), "not_eligible"),
    ],
)
def test_stable_high_end_needs_a_bundle_ending_within_3_months(
    runtime: Runtime, add_subscriber: Callable, bundle_ends_on: date | None, outcome: str
) -> None:
    add_subscriber("13800138000", usage=STABLE, bundle_ends_on=bundle_ends_on, **PLAIN)
    assert Phone(runtime).text("WLYH").outcome == outcome
