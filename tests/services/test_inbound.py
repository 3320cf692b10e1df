"""handle_inbound on a real database: record, decide, activate, reply — once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from app.domain.replies import Language
from app.runtime import Runtime
from app.services.answers import ReplyContext
from app.services.inbound import InboundResult
from app.store.models import ActivationRow, InboundMessageRow, OutboundMessageRow
from tests.services.messaging import SHANGHAI, count, send

pytestmark = pytest.mark.usefixtures("catalog")


def test_gold_subscriber_since_2015_gets_nine_months(
    runtime: Runtime, add_subscriber: Callable
) -> None:
    add_subscriber("13800138000")
    result = send(runtime, "IWJZS 2")
    assert result.outcome == "activated"
    (reply,) = result.replies
    assert (reply.to, reply.sender) == ("13800138000", "10086")
    assert "9个月" in reply.text and "2026年12月1日至2027年8月31日" in reply.text
    with runtime.uow_factory() as uow:
        (activation,) = uow.activations.of_subscriber(1)
        assert (activation.package_code, activation.free_months) == ("2", 9)
        assert (activation.starts_on, activation.ends_on) == (date(2026, 12, 1), date(2027, 8, 31))
        assert activation.activated_on == date(2026, 11, 23)


def test_reply_is_in_the_outbox_with_the_inbound(
    runtime: Runtime, add_subscriber: Callable
) -> None:
    add_subscriber("13800138000")
    send(runtime, "iwjzs2")
    with runtime.uow_factory() as uow:
        assert uow.session is not None
        inbound = uow.session.scalars(select(InboundMessageRow)).one()
        (outbound,) = uow.messages.replies_to(inbound.id)
        assert inbound.outcome == "activated"
        assert outbound.text.startswith("【我家免费体验】")


def test_decisions_are_taken_as_of_received_at(runtime: Runtime, add_subscriber: Callable) -> None:
    add_subscriber("13800138000", vip_valid_from=date(2026, 1, 1))
    # 23:30 UTC on 31 July is already 1 August in Shanghai: the first day of the window.
    result = send(runtime, "IWJZS 1", at=datetime(2026, 7, 31, 16, 30, tzinfo=UTC))
    assert result.outcome == "activated"
    assert "2026年9月1日" in result.replies[0].text


def test_the_day_before_the_window_is_inactive(runtime: Runtime, add_subscriber: Callable) -> None:
    add_subscriber("13800138000", vip_valid_from=date(2026, 1, 1))
    result = send(runtime, "IWJZS 1", at=datetime(2026, 7, 31, 15, 59, tzinfo=UTC))
    assert result.outcome == "campaign_inactive"
    assert count(runtime, ActivationRow) == 0


def test_same_message_id_twice_activates_once(runtime: Runtime, add_subscriber: Callable) -> None:
    add_subscriber("13800138000")
    first = send(runtime, "IWJZS 2", message_id="gw-123")
    again = send(runtime, "IWJZS 2", message_id="gw-123")
    assert (first.outcome, again.outcome) == ("activated", "activated")
    assert again.duplicate and not first.duplicate
    assert again.replies == first.replies
    assert count(runtime, ActivationRow) == 1
    assert count(runtime, InboundMessageRow) == 1
    assert count(runtime, OutboundMessageRow) == 1


def test_second_sign_up_names_the_package_held(runtime: Runtime, add_subscriber: Callable) -> None:
    add_subscriber("13800138000")
    send(runtime, "IWJZS 4", message_id="a")
    result = send(runtime, "IWJZS 1", message_id="b")
    assert result.outcome == "already_active"
    assert "我家68元套餐" in result.replies[0].text and "2027年8月31日" in result.replies[0].text
    assert count(runtime, ActivationRow) == 1


def test_granted_vip_is_not_eligible(runtime: Runtime, add_subscriber: Callable) -> None:
    add_subscriber("13900139000", vip_source="granted")
    result = send(runtime, "IWJZS 2", msisdn="13900139000")
    assert result.outcome == "not_eligible"
    assert count(runtime, ActivationRow) == 0
    with runtime.uow_factory() as uow:
        assert uow.session is not None
        inbound = uow.session.scalars(select(InboundMessageRow)).one()
        assert inbound.detail == "excluded:granted_vip"


@pytest.mark.parametrize(
    ("status", "outcome"),
    [("suspended", "not_eligible"), ("closed", "not_eligible"), ("active", "activated")],
)
def test_status_decides(
    runtime: Runtime, add_subscriber: Callable, status: str, outcome: str
) -> None:
    add_subscriber("13800138000", status=status)
    assert send(runtime, "IWJZS 3").outcome == outcome


@pytest.mark.parametrize(
    ("window_spend_fen", "outcome"), [(479_99, "not_eligible"), (480_00, "activated")]
)
def test_photographed_boundary_from_usage_rows(
    runtime: Runtime, add_subscriber: Callable, window_spend_fen: int, outcome: str
) -> None:
    share, rest = divmod(window_spend_fen, 6)
    usage = {f"2026-{m:02d}": (share + (rest if m == 1 else 0), 50) for m in range(1, 7)}
    add_subscriber(
        "13700137000", usage=usage, brand="mzone", vip_level=None, vip_source=None,
        vip_valid_from=None, vip_valid_to=None, opened_on=date(2024, 5, 20),
    )  # fmt: skip
    result = send(runtime, "IWJZS 1", msisdn="13700137000")
    assert result.outcome == outcome
    if outcome == "activated":
        assert "6个月" in result.replies[0].text  # 27 months of tenure at August 2026


def test_unknown_subscriber(runtime: Runtime) -> None:
    result = send(runtime, "IWJZS 2", msisdn="13911112222")
    assert result.outcome == "unknown_subscriber"
    assert result.replies[0].text


def test_menu_without_a_number(runtime: Runtime, add_subscriber: Callable) -> None:
    add_subscriber("13800138000")
    result = send(runtime, "iwjzs")
    assert result.outcome == "menu"
    assert "9个月" in result.replies[0].text and "IWJZS" in result.replies[0].text


def test_invalid_package_number(runtime: Runtime, add_subscriber: Callable) -> None:
    add_subscriber("13800138000")
    assert send(runtime, "IWJZS 9").outcome == "invalid_argument"
    assert count(runtime, ActivationRow) == 0


@pytest.mark.parametrize(
    ("text", "outcome"),
    [("HELP", "help"), ("帮助", "help"), ("", "menu"), ("CD", "menu"), ("7", "menu"),
     ("xyzzy", "unknown_keyword"), ("\x00\x01☃", "unknown_keyword"), ("CXYE", "balance")],
)  # fmt: skip
def test_every_message_gets_an_answer(
    runtime: Runtime, add_subscriber: Callable, text: str, outcome: str
) -> None:
    add_subscriber("13800138000")
    result = send(runtime, text)
    assert result.outcome == outcome
    assert result.replies and result.replies[0].text


def test_balance_is_in_yuan(runtime: Runtime, add_subscriber: Callable) -> None:
    add_subscriber("13800138000", balance_fen=86_50)
    assert "86.50元" in send(runtime, "余额").replies[0].text


def test_english_replies_by_setting(runtime: Runtime, add_subscriber: Callable) -> None:
    add_subscriber("13800138000")
    result = send(runtime, "IWJZS 2", context=ReplyContext(Language.EN, SHANGHAI))
    assert "2026-12-01 to 2027-08-31" in result.replies[0].text


def _race(runtime: Runtime, texts_and_ids: list[tuple[str, str]]) -> list[InboundResult]:
    barrier = threading.Barrier(len(texts_and_ids))
    results: list[InboundResult] = []
    errors: list[BaseException] = []

    def one(text: str, message_id: str) -> None:
        try:
            barrier.wait(timeout=10)
            results.append(send(runtime, text, message_id=message_id))
        except BaseException as error:  # surfaced by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=one, args=pair) for pair in texts_and_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


def test_concurrent_sign_ups_with_different_ids_activate_once(
    runtime: Runtime, add_subscriber: Callable
) -> None:
    add_subscriber("13800138000")
    results = _race(runtime, [(f"IWJZS {1 + i % 4}", f"race-{i}") for i in range(8)])
    outcomes = sorted(r.outcome for r in results)
    assert outcomes == ["activated"] + ["already_active"] * 7
    assert count(runtime, ActivationRow) == 1
    assert count(runtime, OutboundMessageRow) == 8


def test_concurrent_copies_of_one_message_answer_alike(
    runtime: Runtime, add_subscriber: Callable
) -> None:
    add_subscriber("13800138000")
    results = _race(runtime, [("IWJZS 2", "same-id")] * 6)
    assert {r.outcome for r in results} == {"activated"}
    assert sum(not r.duplicate for r in results) == 1
    assert len({r.replies for r in results}) == 1
    assert count(runtime, ActivationRow) == 1
    assert count(runtime, InboundMessageRow) == 1
