"""DOMAIN.md §9 worklists on a fixture, on the service clock's day (Monday
23 November 2026): contact cadences and monthly visits on both sides, low
balances, free periods ending unkept, and birthday calls to voice contacts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

import pytest

from app.cli import main
from app.domain.worklists import Reason
from app.runtime import Runtime
from app.services.clock import local_day, utc_now
from app.services.scheduled import run_scheduled
from app.services.worklists import worklist
from app.settings import get_settings
from tests.reports.fixtures import add_activation

pytestmark = pytest.mark.usefixtures("catalog")
MANAGER = "李经理"
TODAY = date(2026, 11, 23)


@pytest.fixture
def today(runtime: Runtime) -> date:
    day = local_day(utc_now(), runtime.settings.zone)
    assert day == TODAY  # the service clock, not the machine's date
    return day


@pytest.fixture
def fixture(runtime: Runtime, add_subscriber: Callable) -> None:
    def add(msisdn: str, **fields: object) -> int:
        values = dict(
            account_manager=MANAGER,
            last_contacted_on=TODAY,
            last_visited_on=TODAY,
            birthday=date(1980, 6, 18),
        )
        return add_subscriber(msisdn, **{**values, **fields})

    add("13800000001", vip_level="diamond", last_contacted_on=date(2026, 11, 16))  # 7 days: due
    add("13800000002", vip_level="diamond", last_contacted_on=date(2026, 11, 17))  # 6 days
    add("13800000003", vip_level="gold", last_contacted_on=date(2026, 11, 9))  # 14 days: due
    add("13800000004", vip_level="gold", last_contacted_on=date(2026, 11, 10))  # 13 days
    add("13800000005", vip_level="silver", last_contacted_on=None)  # never: due
    add("13800000006", vip_valid_to=date(2026, 11, 22), last_contacted_on=None)  # card expired
    add("13800000007", account_manager="张经理", last_contacted_on=None)  # another manager
    add("13800000020", last_visited_on=date(2026, 10, 31))  # gold, none this month: visit
    add("13800000021", vip_level="diamond", last_visited_on=date(2026, 11, 1))
    add("13800000022", vip_level="silver", last_visited_on=None)  # silver: no visits
    add("13800000008", balance_fen=19_99)  # low
    add("13800000009", balance_fen=20_00)  # not low
    add("13800000019", balance_fen=0, status="closed")  # not a customer any more
    ending = add("13800000010")
    add_activation(runtime, ending, activated_on=date(2026, 8, 1), ends_on=date(2026, 11, 29))
    later = add("13800000011")
    add_activation(runtime, later, activated_on=date(2026, 8, 1), ends_on=date(2026, 11, 30))
    kept = add("13800000012")
    add_activation(
        runtime, kept, activated_on=date(2026, 8, 1), ends_on=date(2026, 11, 25), state="kept"
    )
    add("13800000013", contact_method="voice", birthday=date(1980, 11, 23))  # today: call
    add("13800000014", contact_method="sms", birthday=date(1980, 11, 23))  # greeted by SMS
    add("13800000015", contact_method="voice", birthday=date(1975, 11, 29))  # in 6 days: call
    add("13800000016", contact_method="voice", birthday=date(1975, 11, 30))  # in 7 days
    add("13800000017", contact_method="voice", birthday=date(1980, 11, 23), opted_out=True)
    # Not a mid-to-high-end customer: no birthday benefit, so no greeting of any kind.
    add("13800000018", contact_method="voice", birthday=date(1980, 11, 23), vip_level=None)


def _lines(items: list) -> set[tuple[str, str, date]]:
    return {(i.reason.value, i.msisdn, i.due_on) for i in items}


def test_worklist_follows_the_cadences(runtime: Runtime, fixture: None, today: date) -> None:
    items = worklist(runtime.uow_factory, MANAGER, today)
    assert _lines(items) == {
        ("contact_due", "13800000001", date(2026, 11, 23)),
        ("contact_due", "13800000003", date(2026, 11, 23)),
        ("contact_due", "13800000005", date(2026, 11, 23)),
        ("visit_due", "13800000020", date(2026, 11, 30)),
        ("low_balance", "13800000008", date(2026, 11, 23)),
        ("free_period_ending", "13800000010", date(2026, 11, 29)),
        ("birthday_call", "13800000013", date(2026, 11, 23)),
        ("birthday_call", "13800000015", date(2026, 11, 29)),
    }
    assert [i.due_on for i in items] == sorted(i.due_on for i in items)
    call = next(i for i in items if i.reason is Reason.BIRTHDAY_CALL)
    assert call.name == "王建国" and call.contact_method == "voice"


def test_voice_birthday_is_on_the_list_not_in_the_outbox(
    runtime: Runtime, fixture: None, today: date
) -> None:
    at = datetime.fromisoformat("2026-11-23T10:00:00+08:00")
    report = run_scheduled(runtime.uow_factory, at, runtime.settings)
    assert report.birthdays == 1  # 13800000014, the SMS contact
    on_list = {i.msisdn for i in worklist(runtime.uow_factory, MANAGER, today)}
    assert "13800000013" in on_list and "13800000014" not in on_list


def test_another_manager_sees_only_theirs(runtime: Runtime, fixture: None, today: date) -> None:
    assert _lines(worklist(runtime.uow_factory, "张经理", today)) == {
        ("contact_due", "13800000007", date(2026, 11, 23)),
    }
    assert worklist(runtime.uow_factory, "nobody", today) == []


def test_cli_worklist_csv(
    runtime: Runtime, fixture: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("DATABASE_URL", runtime.settings.database_url)
    get_settings.cache_clear()
    try:
        assert main(["report", "worklist", "--manager", MANAGER, "--csv"]) == 0
        lines = capsys.readouterr().out.splitlines()
        assert lines[0] == "manager,due_on,reason,msisdn,name,contact_method,contact_window,detail"
        assert f"{MANAGER},2026-11-23,birthday_call,13800000013,王建国,voice," in "\n".join(lines)
        assert len(lines) == 9
        assert main(["report", "worklist", "--manager", MANAGER]) == 0
        assert "contact_due" in capsys.readouterr().out
    finally:
        get_settings.cache_clear()
