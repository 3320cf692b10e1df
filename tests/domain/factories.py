"""Plain domain objects for rule tests: no database involved."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from app.domain.segments import PhotoWindow
from app.domain.subscriber import (
    Brand,
    Month,
    MonthlyUsage,
    Status,
    Subscriber,
    VipLevel,
    VipSource,
)

PHOTO = PhotoWindow(Month(2026, 1), Month(2026, 6))
ON = date(2026, 11, 23)

GOLD = Subscriber(
    msisdn="13800138000",
    brand=Brand.GOTONE,
    status=Status.ACTIVE,
    opened_on=date(2015, 3, 12),
    vip_level=VipLevel.GOLD,
    vip_source=VipSource.SPEND,
    vip_valid_from=date(2026, 2, 1),
    vip_valid_to=date(2027, 1, 31),
)

PLAIN = Subscriber(
    msisdn="13700137000", brand=Brand.MZONE, status=Status.ACTIVE, opened_on=date(2024, 5, 20)
)


def subscriber(base: Subscriber = PLAIN, **changes: Any) -> Subscriber:
    return replace(base, **changes)


def monthly(first: Month, spends_fen: list[int], mou: int | list[int] = 150) -> list[MonthlyUsage]:
    """One usage row a month from `first`, with the given spends."""
    minutes = mou if isinstance(mou, list) else [mou] * len(spends_fen)
    return [
        MonthlyUsage(first.plus(i), s, m)
        for i, (s, m) in enumerate(zip(spends_fen, minutes, strict=True))
    ]


def photo_spend(total_fen: int) -> list[MonthlyUsage]:
    """Spread `total_fen` over the photo window, the remainder in the first month."""
    share, rest = divmod(total_fen, 6)
    return monthly(PHOTO.first, [share + rest] + [share] * 5)
