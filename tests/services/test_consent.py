"""DOMAIN.md §5: a paid order is placed only by Y/是/YES from the same number within the window."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from pydantic import ValidationError

from app.runtime import Runtime
from app.settings import Settings
from app.store.models import ActivationRow
from tests.services.messaging import Phone, count

pytestmark = pytest.mark.usefixtures("catalog")


def activations(runtime: Runtime) -> list[dict]:
    """The subscriber's services, read inside the unit of work."""
    with runtime.uow_factory() as uow:
        return [
            {c.name: getattr(row, c.name) for c in ActivationRow.__table__.columns}
            for row in uow.activations.of_subscriber(1)
        ]


@pytest.mark.parametrize("yes", ["Y", "y", "是", "YES", "yes", "Ｙ"])
def test_a_pre_store_asks_then_y_places_it(
    runtime: Runtime, add_subscriber: Callable, yes: str
) -> None:
    add_subscriber("13800138000")
    phone = Phone(runtime)
    asked = phone.text("YC SJB")
    assert asked.outcome == "confirmation_required"
    assert "预存60元" in asked.replies[0].text and "回复Y" in asked.replies[0].text
    assert count(runtime, ActivationRow) == 0
    placed = phone.text(yes)
    assert placed.outcome == "activated"
    assert "预存60元" in placed.replies[0].text and "返还话费120元" in placed.replies[0].text
    (row,) = activations(runtime)
    assert (row["kind"], row["service_code"]) == ("prestore_rebate", "YCSJB")
    assert row["details"]["prestore_fen"] == 60_00
    assert (row["starts_on"], row["ends_on"]) == (date(2026, 12, 1), date(2027, 11, 30))


@pytest.mark.parametrize(
    ("wait", "outcome"),
    [
        (timedelta(hours=23, minutes=59), "activated"),
        (timedelta(hours=24, minutes=1), "nothing_pending"),
    ],
)
def test_the_confirmation_window_is_24_hours(
    runtime: Runtime, add_subscriber: Callable, wait: timedelta, outcome: str
) -> None:
    add_subscriber("13800138000")
    phone = Phone(runtime)
    phone.text("YC139")
    assert phone.text("Y", after=wait).outcome == outcome
    assert count(runtime, ActivationRow) == (1 if outcome == "activated" else 0)


@pytest.mark.parametrize(
    ("wait", "outcome"),
    [
        (timedelta(hours=47, minutes=59), "activated"),
        (timedelta(hours=48, minutes=1), "nothing_pending"),
    ],
)
def test_the_confirmation_window_is_a_setting(
    runtime: Runtime, add_subscriber: Callable, wait: timedelta, outcome: str
) -> None:
    add_subscriber("13800138000")
    phone = Phone(runtime, context=runtime.with_settings(confirm_hours=48).reply_context)
    assert "48小时内回复Y" in phone.reply("YC139")
    assert phone.text("Y", after=wait).outcome == outcome
    assert count(runtime, ActivationRow) == (1 if outcome == "activated" else 0)


def test_the_lifetimes_of_questions_are_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    default = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (default.confirm_hours, default.menu_minutes, default.cancel_list_hours) == (24, 10, 2)
    for name, value in (
        ("CONFIRM_HOURS", "48"),
        ("MENU_MINUTES", "30"),
        ("CANCEL_LIST_HOURS", "5"),
    ):
        monkeypatch.setenv(f"SMSHALL_{name}", value)
    configured = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (configured.confirm_hours, configured.menu_minutes, configured.cancel_list_hours) == (
        48,
        30,
        5,
    )


@pytest.mark.parametrize("name", ["CONFIRM_HOURS", "MENU_MINUTES", "CANCEL_LIST_HOURS"])
@pytest.mark.parametrize("value", ["0", "-1"])
def test_a_question_lasts_a_while(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(f"SMSHALL_{name}", value)
    with pytest.raises(ValidationError):
        Settings(_env_file=None)  # type: ignore[call-arg]
    monkeypatch.setenv(f"SMSHALL_{name}", "1")
    assert getattr(Settings(_env_file=None), name.lower()) == 1  # type: ignore[call-arg]


def test_y_from_another_number_places_nothing(runtime: Runtime, add_subscriber: Callable) -> None:
    add_subscriber("13800138000")
    add_subscriber("13900139000")
    Phone(runtime).text("YC SJB")
    assert Phone(runtime, "13900139000").text("Y").outcome == "nothing_pending"
    assert count(runtime, ActivationRow) == 0


def test_a_stray_y_says_nothing_is_pending(runtime: Runtime, add_subscriber: Callable) -> None:
    add_subscriber("13800138000")
    result = Phone(runtime).text("Y")
    assert result.outcome == "nothing_pending"
    assert "没有待确认" in result.replies[0].text


def test_anything_else_places_nothing(runtime: Runtime, add_subscriber: Callable) -> None:
    add_subscriber("13800138000")
    phone = Phone(runtime)
    phone.text("YC SJB")
    for other in ("N", "好的", "CXYE", "YC"):
        phone.text(other)
    assert count(runtime, ActivationRow) == 0


def test_the_latest_question_is_the_one_answered(
    runtime: Runtime, add_subscriber: Callable
) -> None:
    add_subscriber("13800138000")
    phone = Phone(runtime)
    phone.text("YC SJB")
    phone.text("YC CL")
    assert phone.text("Y").outcome == "activated"
    assert [r["service_code"] for r in activations(runtime)] == ["YCCL"]


def test_eligibility_is_checked_again_on_y(runtime: Runtime, add_subscriber: Callable) -> None:
    add_subscriber("13800138000")
    phone = Phone(runtime)
    phone.text("YC SJB")
    with runtime.uow_factory() as uow:
        row = uow.subscribers.get("13800138000")
        assert row is not None
        row.status = "suspended"
        uow.commit()
    assert phone.text("Y").outcome == "not_eligible"
    assert count(runtime, ActivationRow) == 0


def test_a_y_places_once(runtime: Runtime, add_subscriber: Callable) -> None:
    add_subscriber("13800138000")
    phone = Phone(runtime)
    phone.text("YC SJB")
    assert phone.text("Y").outcome == "activated"
    assert phone.text("Y").outcome == "nothing_pending"
    assert count(runtime, ActivationRow) == 1


def test_tenure_contract_asks_for_y(runtime: Runtime, add_subscriber: Callable) -> None:
    add_subscriber("13800138000")  # gold card, joined March 2015: 12 years within the next year
    phone = Phone(runtime)
    asked = phone.text("WLYH")
    assert asked.outcome == "confirmation_required"
    assert "280分钟" in asked.replies[0].text
    assert phone.text("是").outcome == "activated"


def test_free_experience_needs_no_confirmation(runtime: Runtime, add_subscriber: Callable) -> None:
    add_subscriber("13800138000")
    assert Phone(runtime).text("IWJZS 2").outcome == "activated"
