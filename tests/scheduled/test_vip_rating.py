"""The annual VIP rating (DOMAIN.md §3): proposals, and what --apply writes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

import app.services.clock as clock
import app.services.vip_rating as vip_rating
from app.cli import main
from app.runtime import Runtime
from app.services.vip_rating import RatingTooEarly, rate_vip
from app.settings import get_settings

SHANGHAI = ZoneInfo("Asia/Shanghai")
#: The first hour of the 2026 cards' first day in Shanghai: still 31 January in UTC.
FEB_1_0700 = datetime(2027, 2, 1, 7, 0, tzinfo=SHANGHAI)
JAN_31_2359 = datetime(2027, 1, 31, 23, 59, tzinfo=SHANGHAI)


def _year(total_yuan: int, year: int = 2025) -> dict[str, tuple[int, int]]:
    """Spread a year's spend over 12 usage rows (the last month takes the rest)."""
    month_fen = total_yuan * 100 // 12
    rows = {f"{year}-{m:02d}": (month_fen, 100) for m in range(1, 12)}
    rows[f"{year}-12"] = (total_yuan * 100 - 11 * month_fen, 100)
    return rows


@pytest.fixture
def base(add_subscriber: Callable) -> None:
    add_subscriber("13800000001", usage=_year(8000))  # gold → diamond (8000 inclusive)
    add_subscriber("13800000002", usage=_year(3999))  # gold → silver
    add_subscriber("13800000003", usage=_year(2000), vip_level=None, vip_source=None)  # new
    add_subscriber("13800000004", usage=_year(1999), vip_level="silver")  # removed
    add_subscriber("13800000005", usage=_year(9000), brand="mzone", vip_level=None)  # never
    add_subscriber("13800000006", vip_source="granted", vip_level="gold")  # untouched
    add_subscriber("13800000007", usage=_year(4000))  # gold stays gold
    # Spend outside the rated year does not count.
    add_subscriber("13800000008", usage={**_year(100), **_year(9000, 2024)}, vip_level=None)
    add_subscriber("13800000009", usage=_year(9000), status="closed")  # removed


def _cards(runtime: Runtime) -> dict[str, tuple]:
    with runtime.uow_factory() as uow:
        assert uow.session is not None
        from sqlalchemy import select

        from app.store.models import SubscriberRow

        rows = uow.session.scalars(select(SubscriberRow))
        return {
            r.msisdn: (r.vip_level, r.vip_source, r.vip_valid_from, r.vip_valid_to) for r in rows
        }


@pytest.mark.usefixtures("base")
def test_proposal_changes_nothing(runtime: Runtime) -> None:
    before = _cards(runtime)
    report = rate_vip(runtime.uow_factory, 2025)
    kinds = {c.msisdn: (c.kind, c.old, c.new) for c in report.changes}
    assert kinds == {
        "13800000001": ("up", "gold", "diamond"),
        "13800000002": ("down", "gold", "silver"),
        "13800000003": ("new", None, "silver"),
        "13800000004": ("removed", "silver", None),
        "13800000007": ("unchanged", "gold", "gold"),
        "13800000009": ("removed", "gold", None),
    }
    assert report.counts() == {"up": 1, "down": 1, "new": 1, "removed": 2, "unchanged": 1}
    assert report.granted_skipped == 1
    assert (report.valid_from, report.valid_to) == (date(2026, 2, 1), date(2027, 1, 31))
    assert _cards(runtime) == before


@pytest.mark.usefixtures("base")
def test_apply_writes_cards_for_the_next_year(runtime: Runtime) -> None:
    before = _cards(runtime)
    rate_vip(runtime.uow_factory, 2025, apply=True, today=date(2026, 2, 1))
    after = _cards(runtime)
    valid = (date(2026, 2, 1), date(2027, 1, 31))
    assert after["13800000001"] == ("diamond", "spend", *valid)
    assert after["13800000002"] == ("silver", "spend", *valid)
    assert after["13800000003"] == ("silver", "spend", *valid)
    assert after["13800000004"] == (None, None, None, None)
    assert after["13800000005"] == before["13800000005"]
    assert after["13800000006"] == before["13800000006"]
    # Applying again proposes only renewals.
    again = rate_vip(runtime.uow_factory, 2025)
    assert {c.kind for c in again.changes} == {"unchanged"}


@pytest.mark.usefixtures("base")
def test_apply_refuses_before_the_cards_start(runtime: Runtime) -> None:
    with pytest.raises(RatingTooEarly):
        rate_vip(runtime.uow_factory, 2025, apply=True, today=date(2026, 1, 31))


def test_cli_rate_vip(
    runtime: Runtime,
    add_subscriber: Callable,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
) -> None:
    add_subscriber("13800000001", usage=_year(8000, 2024))
    monkeypatch.setenv("DATABASE_URL", runtime.settings.database_url)
    get_settings.cache_clear()
    try:
        assert main(["rate-vip", "2024"]) == 0
        out = capsys.readouterr().out
        assert "13800000001 up: gold -> diamond" in out and "up 1" in out
        assert _cards(runtime)["13800000001"][0] == "gold"
        assert main(["rate-vip", "2024", "--apply"]) == 0
        assert "applied" in capsys.readouterr().out
        assert _cards(runtime)["13800000001"][0] == "diamond"
    finally:
        get_settings.cache_clear()


def _clock_at(monkeypatch: pytest.MonkeyPatch, module: object, at: datetime) -> None:
    monkeypatch.setattr(module, "utc_now", lambda: at.astimezone(UTC))


@pytest.mark.parametrize(("at", "applies"), [(JAN_31_2359, False), (FEB_1_0700, True)])
def test_apply_on_the_operators_day(
    runtime: Runtime,
    add_subscriber: Callable,
    monkeypatch: pytest.MonkeyPatch,
    at: datetime,
    applies: bool,
) -> None:
    add_subscriber("13800000001", usage=_year(8000, 2026))
    _clock_at(monkeypatch, vip_rating, at)
    assert at.astimezone(UTC).date() == date(2027, 1, 31)  # the same UTC day either way
    if not applies:
        with pytest.raises(RatingTooEarly):
            rate_vip(runtime.uow_factory, 2026, apply=True)
        assert _cards(runtime)["13800000001"][0] == "gold"
        return
    rate_vip(runtime.uow_factory, 2026, apply=True)
    assert _cards(runtime)["13800000001"][:3] == ("diamond", "spend", date(2027, 2, 1))


@pytest.mark.parametrize(
    ("zone", "at", "exit_code", "level"),
    [
        ("Asia/Shanghai", JAN_31_2359, 2, "gold"),
        ("Asia/Shanghai", FEB_1_0700, 0, "diamond"),
        # The same instant where the operator's day is UTC's: still 31 January.
        ("UTC", FEB_1_0700, 2, "gold"),
    ],
)
def test_cli_rate_vip_apply_on_the_operators_day(
    runtime: Runtime,
    add_subscriber: Callable,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
    zone: str,
    at: datetime,
    exit_code: int,
    level: str,
) -> None:
    add_subscriber("13800000001", usage=_year(8000, 2026))
    monkeypatch.setenv("DATABASE_URL", runtime.settings.database_url)
    monkeypatch.setenv("SMSHALL_TIMEZONE", zone)
    _clock_at(monkeypatch, clock, at)
    get_settings.cache_clear()
    try:
        assert main(["rate-vip", "2026", "--apply"]) == exit_code
    finally:
        get_settings.cache_clear()
    capsys.readouterr()
    assert _cards(runtime)["13800000001"][0] == level
