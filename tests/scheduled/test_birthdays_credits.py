"""Birthday greetings (DOMAIN.md §4.6) and tenure-reward credits (§4.3), on both databases."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

import pytest
from sqlalchemy import select

from app.domain.replies import Language
from app.runtime import Runtime
from app.store.models import TenureCreditRow
from tests.scheduled.helpers import MSISDN, add_activation, local, notices, outbox, run

pytestmark = pytest.mark.usefixtures("catalog")
BIRTHDAY = (2026, 6, 18)  # the default subscriber's, a gold card holder


def test_greets_on_the_birthday_once(runtime: Runtime, add_subscriber: Callable) -> None:
    add_subscriber(MSISDN)
    assert run(runtime, local(*BIRTHDAY, 6, 0)).birthdays == 1
    assert run(runtime, local(*BIRTHDAY, 12, 0)).birthdays == 0
    (message,) = outbox(runtime)
    assert "生日快乐" in message.text and message.text.endswith("回复T退订")
    assert message.next_attempt_at == local(*BIRTHDAY, 8, 0)
    assert [(n.kind, n.subject) for n in notices(runtime)] == [("birthday", "2026")]


@pytest.mark.parametrize("day", [17, 19])
def test_no_greeting_on_other_days(runtime: Runtime, add_subscriber: Callable, day: int) -> None:
    add_subscriber(MSISDN)
    assert run(runtime, local(2026, 6, day)).birthdays == 0


@pytest.mark.parametrize(
    "fields",
    [
        {"opted_out": True},
        {"contact_method": "voice"},
        {"brand": "mzone"},  # no card, no usage: not a mid-to-high-end customer
        {"status": "suspended"},
        {"birthday": None},
    ],
)
def test_who_is_not_greeted(runtime: Runtime, add_subscriber: Callable, fields: dict) -> None:
    add_subscriber(MSISDN, **fields)
    assert run(runtime, local(*BIRTHDAY)).birthdays == 0
    assert outbox(runtime) == []


def test_greeting_inside_the_contact_window(runtime: Runtime, add_subscriber: Callable) -> None:
    add_subscriber(MSISDN, contact_window="19:00-21:00")
    run(runtime, local(*BIRTHDAY, 9, 0))
    (message,) = outbox(runtime)
    assert message.next_attempt_at == local(*BIRTHDAY, 19, 0)


def test_no_greeting_the_day_after(runtime: Runtime, add_subscriber: Callable) -> None:
    add_subscriber(MSISDN, contact_window="09:00-18:00")
    assert run(runtime, local(*BIRTHDAY, 18, 30)).birthdays == 0


def test_leap_day_birthday_on_28_february(runtime: Runtime, add_subscriber: Callable) -> None:
    add_subscriber(MSISDN, birthday=date(1988, 2, 29), vip_valid_to=date(2027, 12, 31))
    add_subscriber("13900139000", birthday=date(1988, 2, 28), vip_valid_to=date(2027, 12, 31))
    add_subscriber("13700137000", birthday=date(1988, 3, 1), vip_valid_to=date(2027, 12, 31))
    assert run(runtime, local(2027, 2, 28)).birthdays == 2
    assert {m.msisdn for m in outbox(runtime)} == {MSISDN, "13900139000"}


CONTRACT = {"years": 12, "minutes": 280, "qualifying_spend_fen": 120_00, "contract_months": 12}
USAGE = {
    "2026-08": (900_00, 300),  # before the contract
    "2026-09": (120_00, 300),
    "2026-10": (119_99, 300),
    "2026-11": (200_00, 300),
}


def _contract(runtime: Runtime, sid: int) -> int:
    return add_activation(
        runtime,
        sid,
        date(2027, 8, 31),
        kind="tenure_reward",
        campaign_code="WLYH",
        package_code="",
        starts_on=date(2026, 9, 1),
        fee_fen=0,
        details=CONTRACT,
    )


def _credits(runtime: Runtime) -> list[tuple[date, int]]:
    with runtime.uow_factory() as uow:
        assert uow.session is not None
        rows = uow.session.execute(
            select(TenureCreditRow.month, TenureCreditRow.minutes).order_by(TenureCreditRow.month)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def test_credits_once_per_complete_imported_month(
    runtime: Runtime, add_subscriber: Callable
) -> None:
    _contract(runtime, add_subscriber(MSISDN, usage=USAGE))
    first = run(runtime, local(2026, 11, 23))
    again = run(runtime, local(2026, 11, 23, 11, 0))
    assert (first.credits, first.credit_notices, again.credits) == (1, 1, 0)
    assert _credits(runtime) == [(date(2026, 9, 1), 280), (date(2026, 10, 1), 0)]
    (message,) = outbox(runtime)
    assert "9月消费达标" in message.text and "280分钟" in message.text
    assert message.text.endswith("回复T退订")
    # November is over and imported: decided in December.
    assert run(runtime, local(2026, 12, 2)).credits == 1
    assert _credits(runtime)[-1] == (date(2026, 11, 1), 280)


@pytest.mark.parametrize(
    ("at", "month", "credited"),
    [
        (local(2027, 1, 10), "2026年12月", "2027年1月"),  # the credited month itself
        (local(2027, 2, 10), "2026年12月", "2027年1月"),  # December's usage arrived late
    ],
)
def test_the_credit_notice_names_the_credited_month(
    runtime: Runtime, add_subscriber: Callable, at: datetime, month: str, credited: str
) -> None:
    sid = add_subscriber(MSISDN, usage={"2026-12": (150_00, 200)})
    add_activation(
        runtime, sid, date(2027, 11, 30), kind="tenure_reward", campaign_code="WLYH",
        package_code="", starts_on=date(2026, 12, 1), fee_fen=0, details=CONTRACT,
    )  # fmt: skip
    assert run(runtime, at).credit_notices == 1
    (message,) = outbox(runtime)
    assert f"您{month}消费达标，获赠{credited}国内通话280分钟" in message.text
    assert "本月" not in message.text


def test_the_credit_notice_in_english_names_both_months(
    runtime: Runtime, add_subscriber: Callable
) -> None:
    sid = add_subscriber(MSISDN, usage={"2026-12": (150_00, 200)})
    add_activation(
        runtime, sid, date(2027, 11, 30), kind="tenure_reward", campaign_code="WLYH",
        package_code="", starts_on=date(2026, 12, 1), fee_fen=0, details=CONTRACT,
    )  # fmt: skip
    english = runtime.settings.model_copy(update={"language": Language.EN})
    assert run(runtime, local(2027, 2, 10), english).credit_notices == 1
    (message,) = outbox(runtime)
    assert "your spend in 2026-12 earns 280 free minutes for 2027-01" in message.text
    assert "this month" not in message.text


def test_opted_out_is_credited_without_a_notice(runtime: Runtime, add_subscriber: Callable) -> None:
    _contract(runtime, add_subscriber(MSISDN, usage=USAGE, opted_out=True))
    report = run(runtime, local(2026, 11, 23))
    assert (report.credits, report.credit_notices) == (1, 0)
    assert outbox(runtime) == []


def test_another_contracts_credit_does_not_decide_this_one(
    runtime: Runtime, add_subscriber: Callable
) -> None:
    _contract(runtime, add_subscriber(MSISDN, usage=USAGE))
    assert run(runtime, local(2026, 11, 23)).credits == 1
    # A second contract over the same months: its own months are still undecided.
    _contract(runtime, add_subscriber("13900139000", usage=USAGE))
    assert run(runtime, local(2026, 11, 23, 11, 0)).credits == 1
    assert len(_credits(runtime)) == 4
