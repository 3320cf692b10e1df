"""DOMAIN.md §6: queries, 0000 and cancel, opt-out, help, the CD menu, did-you-mean."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest

from app.runtime import Runtime
from app.store.models import ActivationRow
from tests.services.messaging import SHANGHAI, Phone, count

pytestmark = pytest.mark.usefixtures("catalog")

PLAIN = dict(brand="mzone", vip_level=None, vip_source=None, vip_type=None, vip_card_no=None,
             vip_valid_from=None, vip_valid_to=None)  # fmt: skip


def states(runtime: Runtime) -> dict[str, str]:
    with runtime.uow_factory() as uow:
        return {r.service_code: r.state for r in uow.activations.of_subscriber(1)}


def opted_out(runtime: Runtime, msisdn: str = "13800138000") -> bool:
    with runtime.uow_factory() as uow:
        row = uow.subscribers.get(msisdn)
        assert row is not None
        return row.opted_out


# --- queries ---------------------------------------------------------------


@pytest.mark.parametrize("typed", ["CXYE", "ye", "YECX", "余额", "话费", "ＣＸＹＥ"])
def test_balance(runtime: Runtime, add_subscriber: Callable, typed: str) -> None:
    add_subscriber("13800138000", balance_fen=-15_00)
    result = Phone(runtime).text(typed)
    assert result.outcome == "balance"
    assert "-15元" in result.replies[0].text


def test_cxtc_lists_services_and_end_dates(runtime: Runtime, add_subscriber: Callable) -> None:
    add_subscriber("13800138000")
    phone = Phone(runtime)
    assert "没有" in phone.reply("CXTC")
    phone.text("IWJZS 2")
    phone.text("TY CL")
    text = phone.reply("套餐")
    assert "我家26元套餐（免费至2027年8月31日）" in text
    assert "彩铃（免费至2026年12月31日）" in text


def test_cxvip_for_a_card_holder(runtime: Runtime, add_subscriber: Callable) -> None:
    add_subscriber("13800138000", account_manager="李经理")
    result = Phone(runtime).text("CXVIP")
    assert result.outcome == "vip_status"
    for part in ("金卡", "GT0001", "2027年1月31日", "李经理"):
        assert part in result.replies[0].text


def test_cxvip_for_a_photographed_customer(runtime: Runtime, add_subscriber: Callable) -> None:
    usage = {f"2026-{m:02d}": (120_00, 50) for m in range(1, 7)}
    add_subscriber("13800138000", usage=usage, **PLAIN)
    assert "重要拍照客户" in Phone(runtime).reply("CXVIP")


def test_cxvip_for_nobody_special(runtime: Runtime, add_subscriber: Callable) -> None:
    add_subscriber("13800138000", **PLAIN)
    assert "暂不是VIP" in Phone(runtime).reply("CXVIP")


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, "您的生日是6月18日"),
        ({"birthday": None}, "未登记您的生日"),
        (PLAIN, "中高端客户专享"),
    ],
)
def test_srmf(runtime: Runtime, add_subscriber: Callable, fields: dict, expected: str) -> None:
    add_subscriber("13800138000", **fields)
    result = Phone(runtime).text("SRMF")
    assert result.outcome == "birthday"
    assert expected in result.replies[0].text


def test_srmf_names_the_next_birthday(runtime: Runtime, add_subscriber: Callable) -> None:
    add_subscriber("13800138000", birthday=date(1980, 2, 29))
    assert "下次为2027年2月28日" in Phone(runtime).reply("SRMF")


#: A card valid across the shipped SRMF campaign's window (2026-01-01 to 2027-12-31).
LONG_CARD = dict(vip_valid_from=date(2025, 2, 1), vip_valid_to=date(2028, 12, 31))


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (date(2025, 12, 31), "自2026年1月1日开始，目前暂不适用"),  # the day before the first
        (date(2026, 1, 1), "下次为2026年6月18日"),  # the first day
        (date(2027, 12, 31), "您的下次生日2028年6月18日在此之后"),  # the last day
        (date(2028, 1, 1), "已于2027年12月31日结束"),  # the day after the last
    ],
)
def test_srmf_at_the_edges_of_the_campaign(
    runtime: Runtime, add_subscriber: Callable, on: date, expected: str
) -> None:
    add_subscriber("13800138000", **LONG_CARD)
    at = datetime(on.year, on.month, on.day, 10, 0, tzinfo=SHANGHAI)
    result = Phone(runtime, at=at).text("SRMF")
    assert result.outcome == "birthday" and expected in result.replies[0].text


@pytest.mark.parametrize(
    ("birthday", "expected"),
    [
        (date(1980, 12, 31), "下次为2027年12月31日"),  # the campaign's last day
        (date(1980, 1, 1), "届时不适用"),  # 2028-01-01: after it
    ],
)
def test_srmf_promises_no_birthday_after_the_campaign(
    runtime: Runtime, add_subscriber: Callable, birthday: date, expected: str
) -> None:
    add_subscriber("13800138000", birthday=birthday, **LONG_CARD)
    at = datetime(2027, 11, 1, 10, 0, tzinfo=SHANGHAI)
    text = Phone(runtime, at=at).reply("SRMF")
    assert expected in text and ("2028年1月1日" in text) is (birthday.month == 1)


# --- 0000, QX/TD ------------------------------------------------------------


def test_0000_lists_and_a_number_cancels(runtime: Runtime, add_subscriber: Callable) -> None:
    add_subscriber("13800138000")
    phone = Phone(runtime)
    phone.text("IWJZS 2")
    phone.text("TY CL")
    phone.text("TY SJB")
    listing = phone.text("0000")
    assert listing.outcome == "service_list"
    assert "1.我家26元套餐 2.彩铃 3.手机报" in listing.replies[0].text
    result = phone.text("1，3")
    assert result.outcome == "cancelled"
    assert states(runtime) == {"IWJZS": "cancelled", "TYCL": "active", "TYSJB": "cancelled"}


def test_00000_is_0000_not_cancel_all(runtime: Runtime, add_subscriber: Callable) -> None:
    add_subscriber("13800138000")
    phone = Phone(runtime)
    phone.text("IWJZS 2")
    assert phone.text("00000").outcome == "service_list"
    assert states(runtime) == {"IWJZS": "active"}


@pytest.mark.parametrize(
    ("wait", "outcome"),
    [(timedelta(hours=1, minutes=59), "cancelled"), (timedelta(hours=2, minutes=1), "menu")],
)
def test_the_0000_list_lasts_2_hours(
    runtime: Runtime, add_subscriber: Callable, wait: timedelta, outcome: str
) -> None:
    add_subscriber("13800138000")
    phone = Phone(runtime)
    phone.text("IWJZS 2")
    phone.text("0000")
    assert phone.text("1", after=wait).outcome == outcome


@pytest.mark.parametrize("numbers", ["4", "0", "1,9", "2"])
def test_numbers_not_on_the_list(runtime: Runtime, add_subscriber: Callable, numbers: str) -> None:
    add_subscriber("13800138000")
    phone = Phone(runtime)
    phone.text("IWJZS 2")
    phone.text("0000")
    assert phone.text(numbers).outcome == "invalid_argument"
    assert states(runtime) == {"IWJZS": "active"}


@pytest.mark.parametrize("typed", ["QX IWJZS", "QXIWJZS", "qx+iwjzs", "TD IWJZS", "TDIWJZS"])
def test_cancel_by_code(runtime: Runtime, add_subscriber: Callable, typed: str) -> None:
    add_subscriber("13800138000")
    phone = Phone(runtime)
    phone.text("IWJZS 2")
    assert phone.text(typed).outcome == "cancelled"
    assert states(runtime) == {"IWJZS": "cancelled"}
    assert "没有" in phone.reply("CXTC")


def test_contracts_are_not_cancelled_by_sms(runtime: Runtime, add_subscriber: Callable) -> None:
    add_subscriber("13800138000")
    phone = Phone(runtime)
    phone.text("YC SJB")
    phone.text("Y")
    result = phone.text("QX YCSJB")
    assert result.outcome == "not_cancellable"
    assert states(runtime) == {"YCSJB": "active"}


def test_cancel_an_unknown_code(runtime: Runtime, add_subscriber: Callable) -> None:
    add_subscriber("13800138000")
    assert Phone(runtime).text("QX ABC").outcome == "invalid_argument"


# --- opt-out --------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["T", "TD", "R", "退订", "STOP", "stop"])
def test_opt_out_and_back_in(runtime: Runtime, add_subscriber: Callable, typed: str) -> None:
    add_subscriber("13800138000")
    phone = Phone(runtime)
    assert phone.text(typed).outcome == "opted_out"
    assert opted_out(runtime)
    assert phone.text("START").outcome == "opted_in"
    assert not opted_out(runtime)


def test_stop_from_an_unknown_number_is_answered(runtime: Runtime) -> None:
    assert Phone(runtime, "13911112222").text("STOP").outcome == "opted_out"


# --- help and the menu --------------------------------------------------------------


@pytest.mark.parametrize("typed", ["HELP", "?", "？", "帮助", "BZ", "help"])
def test_help(runtime: Runtime, typed: str) -> None:
    result = Phone(runtime).text(typed)
    assert result.outcome == "help" and "CXYE" in result.replies[0].text


def test_menu_walk_to_balance(runtime: Runtime, add_subscriber: Callable) -> None:
    add_subscriber("13800138000", balance_fen=86_50)
    phone = Phone(runtime)
    main = phone.text("CD")
    assert main.outcome == "menu" and "1.业务查询" in main.replies[0].text
    queries = phone.text("1")
    assert queries.outcome == "menu" and "1.余额查询" in queries.replies[0].text
    balance = phone.text("1")
    assert balance.outcome == "balance" and "86.50元" in balance.replies[0].text


def test_menu_reaches_a_campaign_and_back(runtime: Runtime, add_subscriber: Callable) -> None:
    add_subscriber("13800138000")
    phone = Phone(runtime)
    phone.text("菜单")
    trials = phone.reply("2")
    assert "1.我家免费体验" in trials and "2.掌上体验季" in trials
    assert "1.业务查询" in phone.reply("0")  # back to the main menu
    phone.text("2")
    assert "回复IWJZS+代码" in phone.reply("1")


def test_menu_home_and_unknown_choice(runtime: Runtime, add_subscriber: Callable) -> None:
    add_subscriber("13800138000")
    phone = Phone(runtime)
    phone.text("CD")
    phone.text("3")
    assert "VIP专享" in phone.reply("9")  # not on the screen: shown again
    assert "1.业务查询" in phone.reply("00")


@pytest.mark.parametrize(
    ("wait", "outcome"),
    [(timedelta(hours=4, minutes=59), "cancelled"), (timedelta(hours=5, minutes=1), "menu")],
)
def test_the_0000_list_lifetime_is_a_setting(
    runtime: Runtime, add_subscriber: Callable, wait: timedelta, outcome: str
) -> None:
    add_subscriber("13800138000")
    phone = Phone(runtime, context=runtime.with_settings(cancel_list_hours=5).reply_context)
    phone.text("IWJZS 2")
    assert "5小时内有效" in phone.reply("0000")
    assert phone.text("1", after=wait).outcome == outcome


@pytest.mark.parametrize(
    ("wait", "submenu"),
    [(timedelta(minutes=29, seconds=59), True), (timedelta(minutes=30, seconds=1), False)],
)
def test_the_menu_lifetime_is_a_setting(
    runtime: Runtime, add_subscriber: Callable, wait: timedelta, submenu: bool
) -> None:
    add_subscriber("13800138000")
    phone = Phone(runtime, context=runtime.with_settings(menu_minutes=30).reply_context)
    phone.text("CD")
    text = phone.reply("1", after=wait)
    assert ("业务查询】" in text) is submenu and ("短信营业厅为您服务" in text) is not submenu


@pytest.mark.parametrize(
    ("wait", "outcome"),
    [(timedelta(minutes=9, seconds=59), "menu"), (timedelta(minutes=10, seconds=1), "menu")],
)
def test_the_menu_session_lasts_10_minutes(
    runtime: Runtime, add_subscriber: Callable, wait: timedelta, outcome: str
) -> None:
    add_subscriber("13800138000")
    phone = Phone(runtime)
    phone.text("CD")
    result = phone.text("1", after=wait)
    # Within the session `1` opens the queries sub-menu; after it, a bare digit gets the main menu.
    expected = "业务查询】" if wait < timedelta(minutes=10) else "短信营业厅为您服务"
    assert result.outcome == outcome and expected in result.replies[0].text


@pytest.mark.parametrize("typed", ["", "   ", "5", "9"])
def test_a_digit_or_nothing_with_nothing_pending_gets_the_main_menu(
    runtime: Runtime, typed: str
) -> None:
    result = Phone(runtime).text(typed)
    assert result.outcome == "menu" and "短信营业厅为您服务" in result.replies[0].text


# --- did you mean -----------------------------------------------------------------


def test_did_you_mean_then_y(runtime: Runtime, add_subscriber: Callable) -> None:
    add_subscriber("13800138000")
    phone = Phone(runtime)
    question = phone.text("XCYE")
    assert question.outcome == "did_you_mean" and "CXYE" in question.replies[0].text
    assert phone.text("Y").outcome == "balance"


def test_did_you_mean_keeps_the_argument(runtime: Runtime, add_subscriber: Callable) -> None:
    add_subscriber("13800138000")
    phone = Phone(runtime)
    assert "IWJZS 2" in phone.reply("IWJSZ 2")
    assert phone.text("Y").outcome == "activated"


def test_a_guess_never_places_a_paid_order(runtime: Runtime, add_subscriber: Callable) -> None:
    add_subscriber("13800138000")
    phone = Phone(runtime)
    phone.text("WLHY")  # one swap from WLYH, a 12-month contract
    assert phone.text("Y").outcome == "confirmation_required"
    assert count(runtime, ActivationRow) == 0
    assert phone.text("Y").outcome == "activated"


@pytest.mark.parametrize("typed", ["XYZZY", "ABCD", "我想查话费余额吧", "\x00\x01"])
def test_unknown_text_gets_short_help(runtime: Runtime, typed: str) -> None:
    result = Phone(runtime).text(typed)
    assert result.outcome == "unknown_keyword"
    assert "CXYE" in result.replies[0].text
