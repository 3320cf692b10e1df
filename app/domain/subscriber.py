"""The subscriber record of DOMAIN.md §1, as the rules see it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from app.domain.text import is_digits


class Brand(StrEnum):
    GOTONE = "gotone"  # 全球通
    MZONE = "mzone"  # 动感地带
    EASYOWN = "easyown"  # 神州行


class Status(StrEnum):
    ACTIVE = "active"  # 正常: in service, the only status a campaign accepts
    SUSPENDED = "suspended"  # 停机
    CLOSED = "closed"  # 销户


class VipType(StrEnum):
    INDIVIDUAL = "individual"
    GROUP = "group"


class VipLevel(StrEnum):
    DIAMOND = "diamond"  # 钻卡
    GOLD = "gold"  # 金卡
    SILVER = "silver"  # 银卡


class VipSource(StrEnum):
    SPEND = "spend"
    GRANTED = "granted"


class ContactMethod(StrEnum):
    SMS = "sms"
    VOICE = "voice"


class Gender(StrEnum):
    MALE = "male"
    FEMALE = "female"


#: The years a month given from outside may be in (`Month.parse`).
FIRST_YEAR, LAST_YEAR = 1900, 9998


@dataclass(frozen=True, slots=True, order=True)
class Month:
    """A calendar month in the operator's time zone (DESIGN.md, Data)."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"month must be 1..12, not {self.month}")

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    @classmethod
    def parse(cls, text: str) -> Month:
        """Parse `YYYY-MM` of a year from `FIRST_YEAR` to `LAST_YEAR`: what a month
        given from outside may be, so that the months counted back and on from it
        (usage windows, the month before) are calendar months too."""
        year, _, month = text.strip().partition("-")
        if len(year) != 4 or len(month) != 2 or not (is_digits(year) and is_digits(month)):
            raise ValueError(f"expected YYYY-MM, got {text!r}")
        if not FIRST_YEAR <= int(year) <= LAST_YEAR:
            raise ValueError(f"expected a year from {FIRST_YEAR} to {LAST_YEAR}, got {text!r}")
        return cls(int(year), int(month))

    def plus(self, months: int) -> Month:
        index = self.year * 12 + (self.month - 1) + months
        return Month(index // 12, index % 12 + 1)

    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    def last_day(self) -> date:
        return self.plus(1).first_day() - timedelta(days=1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(frozen=True, slots=True)
class MonthlyUsage:
    """One calendar month of a subscriber's usage: spend (ARPU) in fen and MOU."""

    month: Month
    spend_fen: int
    mou: int


@dataclass(frozen=True, slots=True)
class Subscriber:
    """Every field of DOMAIN.md §1. Name, birthday and address are PII: never log them."""

    msisdn: str
    brand: Brand
    status: Status
    opened_on: date
    balance_fen: int = 0
    name: str | None = field(default=None, repr=False)
    gender: Gender | None = None
    birthday: date | None = field(default=None, repr=False)
    mailing_address: str | None = field(default=None, repr=False)
    account_manager: str | None = None
    vip_type: VipType | None = None
    vip_level: VipLevel | None = None
    vip_source: VipSource | None = None
    vip_card_no: str | None = None
    vip_valid_from: date | None = None
    vip_valid_to: date | None = None
    contact_method: ContactMethod = ContactMethod.SMS
    contact_window: str | None = None
    alert: bool = False
    #: Monthly plan fee and guaranteed minimum spend (fixed mid-to-high-end, §3).
    plan_fee_fen: int = 0
    guaranteed_spend_fen: int = 0
    #: End of an earlier bundling (deep-binding) contract, for WLYH (§4.3).
    bundle_ends_on: date | None = None
    #: Prerequisites of some pre-store offers (§4.4).
    cmmb_handset: bool = False
    mobile_payment: bool = False
    #: Opted out of marketing messages with T/TD/R/退订/STOP (§6).
    opted_out: bool = False
