"""Free experiences: My Home (我家免费体验, `IWJZS`, DOMAIN.md §4.1) and the
pocket experience season (掌上体验季, `TY` + service code, §4.2).

A campaign of this kind is data: packages picked by the argument, free months
by tenure at the campaign's start month (TY: one month for everyone), the
free period from the 1st of the next month with the sign-up month's fee
waived, and one per subscriber ever — per campaign (IWJZS) or per package
(TY: one free month of each service).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from app.domain.campaigns import (
    Campaign,
    Decision,
    Grant,
    Held,
    SignUp,
    grant_period,
    granted,
    screen,
)
from app.domain.outcomes import Outcome
from app.domain.replies import Language, render, yuan
from app.domain.segments import Segment
from app.domain.subscriber import Month, Subscriber
from app.domain.tenure import tenure_months
from app.domain.ussd import Node


@dataclass(frozen=True, slots=True)
class Package:
    code: str
    name_zh: str
    name_en: str
    monthly_fee_fen: int


@dataclass(frozen=True, slots=True)
class TenureTier:
    """`free_months` for a tenure of more than `above_months` months."""

    above_months: int
    free_months: int


@dataclass(frozen=True, kw_only=True)
class FreeExperienceCampaign(Campaign):
    packages: tuple[Package, ...]
    tiers: tuple[TenureTier, ...]
    #: "campaign": one package of this campaign ever (IWJZS);
    #: "package": each package once (TY: every service one free month).
    one_per: Literal["campaign", "package"] = "campaign"

    kind = "free_experience"
    menu_section = "free"

    def package(self, code: str | None) -> Package | None:
        return next((p for p in self.packages if p.code == code), None)

    def offered(self) -> Sequence[Package]:
        return self.packages

    def wording(self, grant: Grant, language: Language) -> tuple[str, dict[str, object]]:
        common = grant_period(grant, language)
        return "free", common | {
            "package": self.service_name(grant.package_code, language is Language.ZH),
            "months": grant.free_months,
            "free_from": common["starts_on"],
            "free_until": common["ends_on"],
            "waived": yuan(grant.waived_fen),
        }

    def menu_extra(self, decision: Decision, language: Language) -> str:
        return render("free.extra", language, months=decision.free_months)

    def menu_node(self) -> Node:
        children = tuple(
            Node(
                p.name_zh,
                f"{p.name_en} ({yuan(p.monthly_fee_fen)} yuan/month)",
                command=f"{self.keyword} {p.code}",
                paid=self.requires_confirmation,
            )
            for p in self.packages
        )
        return Node(self.name_zh, self.name_en, children)

    def sign_up(self, request: SignUp) -> Decision:
        """§4.1: `IWJZS [n]` / `TY [code]`."""
        code = request.code()
        held = code or self.one_per == "campaign"
        existing = request.held(self.exclusivity_key(code)) if held else None
        subscriber, segments = request.subscriber, request.segments
        return decide_sign_up(
            self, subscriber, segments, existing, code, request.on, request.confirmed
        )

    def exclusivity_key(self, package_code: str | None) -> str:
        if self.one_per == "package":
            return f"{self.code}:{package_code or ''}"
        return self.code

    def service_code(self, package_code: str) -> str:
        return self.code + package_code if self.one_per == "package" else self.code


def free_months_for(months_of_tenure: int, tiers: Sequence[TenureTier]) -> int:
    """Free months by tenure (DOMAIN.md §4.1): the first tier whose bound is passed.

    Tiers are searched from the longest tenure down; the catalog's last tier
    has bound -1 so every tenure gets one (>36 → 9, >12 → 6, else 3).
    """
    for tier in sorted(tiers, key=lambda t: t.above_months, reverse=True):
        if months_of_tenure > tier.above_months:
            return tier.free_months
    raise ValueError(f"no tenure tier covers {months_of_tenure} months")


def free_months_of(campaign: FreeExperienceCampaign, subscriber: Subscriber) -> int:
    """Tenure is taken at the campaign's start month, not on the day of the message
    (DOMAIN.md §4.1); a number opened after that month had none then (0, not less:
    new high-end customers are a target and join after a campaign starts)."""
    at_start = tenure_months(subscriber.opened_on, campaign.starts_on)
    return free_months_for(max(0, at_start), campaign.tiers)


def free_grant(
    campaign: FreeExperienceCampaign, package: Package, free_months: int, on: date
) -> Grant:
    """The package is active at once, the sign-up month's fee is waived, and
    the free months run from the 1st of the next month to the last day of the
    last free month (DOMAIN.md §4.1, §4.2)."""
    first_free = Month.of(on).plus(1)
    return Grant(
        service_code=campaign.service_code(package.code),
        exclusivity_key=campaign.exclusivity_key(package.code),
        package_code=package.code,
        monthly_fee_fen=package.monthly_fee_fen,
        free_months=free_months,
        activated_on=on,
        starts_on=first_free.first_day(),
        ends_on=first_free.plus(free_months - 1).last_day(),
    )


def decide_sign_up(
    campaign: FreeExperienceCampaign,
    subscriber: Subscriber,
    segments: frozenset[Segment],
    existing: Held | None,
    package_code: str | None,
    on: date,
    confirmed: bool = False,
) -> Decision:
    """Decide `IWJZS [n]` / `TY [code]` for one subscriber on the day `on`.

    `existing` is what the subscriber holds under this package's exclusivity
    key (for IWJZS, any package of the campaign).
    """
    early = screen(campaign, subscriber, segments, existing, on)
    if early is not None:
        return early
    months = free_months_of(campaign, subscriber)
    if package_code is None:
        return Decision(Outcome.MENU, free_months=months)
    package = campaign.package(package_code)
    if package is None:
        return Decision(Outcome.INVALID_ARGUMENT, free_months=months)
    return granted(campaign, free_grant(campaign, package, months, on), confirmed)
