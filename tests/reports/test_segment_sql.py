"""The SQL segments (app/store/segment_sql.py) agree with DOMAIN.md §3 as the
domain decides it (app/domain/segments.py), subscriber by subscriber."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import select

from app.domain.segments import Segment
from app.runtime import Runtime
from app.services.segmentation import segments_on
from app.services.subscriber_search import find_subscribers
from app.store.models import SubscriberRow
from app.store.subscriber_search import SubscriberFilter
from app.store.subscribers import subscriber_from_row

pytestmark = pytest.mark.usefixtures("catalog")
ON = date(2026, 11, 23)  # photo window 2026-01..06; latest six complete months 2026-05..10
NO_CARD = dict(vip_level=None, vip_source=None)


def months(first: int, last: int, spend: int, mou: int) -> dict[str, tuple[int, int]]:
    return {f"2026-{m:02d}": (spend, mou) for m in range(first, last + 1)}


@pytest.fixture
def subscribers(add_subscriber: Callable) -> None:
    add = add_subscriber
    add("13900000001", months(1, 6, 80_00, 100), **NO_CARD)  # photographed at 480
    add("13900000002", {**months(1, 6, 80_00, 100), "2026-01": (79_99, 100)}, **NO_CARD)
    add("13900000003", months(1, 6, 120_00, 100), **NO_CARD)  # important, stable
    add("13900000004", {**months(1, 4, 120_00, 100), **months(5, 6, 120_00, 99)}, **NO_CARD)
    add("13900000005", {**months(1, 3, 120_00, 100), **months(4, 6, 119_99, 200)}, **NO_CARD)
    add("13900000006", months(7, 10, 120_00, 100), **NO_CARD)  # new high-end (480 exactly)
    add("13900000007", {"2026-10": (80_00, 100)}, **NO_CARD)  # dynamic
    add("13900000008", {"2026-10": (80_00, 99)}, **NO_CARD)
    add("13900000009", {"2026-09": (100_00, 300)}, **NO_CARD)  # not the latest month
    add("13900000010", vip_level="diamond", vip_valid_to=date(2026, 11, 23))  # card, last day
    add("13900000011", vip_level="silver", vip_valid_to=date(2026, 11, 22))  # expired
    add("13900000012", brand="mzone", vip_level="gold")  # not GoTone: no card
    add("13900000013", vip_level=None, vip_source="granted", alert=True)
    add("13900000014", plan_fee_fen=80_00, **NO_CARD)  # fixed
    add("13900000015", guaranteed_spend_fen=79_99, **NO_CARD)
    add("13900000016")  # gold card, valid
    add("13900000017", vip_level="silver", vip_valid_from=date(2026, 11, 23))  # its first day


def test_every_segment_agrees_with_the_domain(runtime: Runtime, subscribers: None) -> None:
    expected: dict[Segment, set[str]] = {segment: set() for segment in Segment}
    with runtime.uow_factory() as uow:
        assert uow.session is not None
        for row in uow.session.scalars(select(SubscriberRow)):
            for segment in segments_on(uow, row, subscriber_from_row(row), ON):
                expected[segment].add(row.msisdn)
    for segment in Segment:
        found = find_subscribers(runtime.uow_factory, SubscriberFilter(segment=segment), ON, 0, 500)
        assert {s.msisdn for s in found} == expected[segment], segment
    # The fixture reaches both sides of every segment.
    assert [s for s in Segment if not expected[s]] == []
    assert expected[Segment.PHOTOGRAPHED] == {"13900000001", "13900000005"}  # 719.97
    assert expected[Segment.STABLE_HIGH_END] == {"13900000003"}
    assert expected[Segment.NEW_HIGH_END] == {"13900000006"}


@pytest.mark.parametrize(
    ("on", "new"),
    [
        (ON, {"13900000021"}),  # May to October
        (date(2026, 11, 30), {"13900000021"}),  # November's last day: still running
        (date(2026, 12, 1), {"13900000022"}),  # June to November, complete now
    ],
)
def test_new_high_end_takes_the_latest_six_complete_months(
    runtime: Runtime, add_subscriber: Callable, on: date, new: set[str]
) -> None:
    add_subscriber("13900000021", months(5, 10, 80_00, 100), **NO_CARD)
    add_subscriber("13900000022", months(6, 11, 80_00, 100), **NO_CARD)  # November too
    # April (the seventh month back from November) and June to October: 400.
    add_subscriber("13900000023", {**months(4, 4, 80_00, 100), **months(6, 10, 80_00, 100)},
                   **NO_CARD)  # fmt: skip
    with runtime.uow_factory() as uow:
        assert uow.session is not None
        by_domain = {
            row.msisdn
            for row in uow.session.scalars(select(SubscriberRow))
            if Segment.NEW_HIGH_END in segments_on(uow, row, subscriber_from_row(row), on)
        }
    found = find_subscribers(
        runtime.uow_factory, SubscriberFilter(segment=Segment.NEW_HIGH_END), on, 0, 500
    )
    assert {s.msisdn for s in found} == by_domain == new
