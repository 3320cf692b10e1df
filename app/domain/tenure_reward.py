"""Network-tenure reward (网龄优惠), `WLYH`: DOMAIN.md §4.3.

The subscriber commits to a 12-month contract with 0 guaranteed spend; each
contract month with spend ≥ 120 earns free domestic minutes in the next
month, by the tenure reached within the next year.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.domain.campaigns import (
    Campaign,
    Decision,
    Eligibility,
    Grant,
    SignUp,
    closed_or_held,
    eligibility,
    grant_period,
    granted,
)
from app.domain.outcomes import Outcome
from app.domain.replies import Language, yuan
from app.domain.segments import Segment
from app.domain.subscriber import Month, Subscriber
from app.domain.tenure import tenure_months


@dataclass(frozen=True, slots=True)
class MinutesTier:
    """`minutes` a month from `from_years` of tenure on (tiers ordered by years)."""

    from_years: int
    minutes: int


@dataclass(frozen=True, kw_only=True)
class TenureRewardCampaign(Campaign):
    tiers: tuple[MinutesTier, ...]
    contract_months: int = 12
    qualifying_spend_fen: int = 120_00
    #: Stable/new high-end customers qualify through an earlier bundling offer
    #: whose contract ends within this many months (§4.3).
    bundle_ending_within_months: int = 3
    #: Segments that qualify through a bundle ending soon, not by themselves.
    bundle_segments: frozenset[Segment] = frozenset({Segment.STABLE_HIGH_END, Segment.NEW_HIGH_END})

    kind = "tenure_reward"
    menu_section = "vip"

    def sign_up(self, request: SignUp) -> Decision:
        """§4.3: `WLYH`, no argument; a contract, not a free period."""
        early = closed_or_held(self, request.held(self.code), request.on)
        if early is not None:
            return early
        verdict = reward_eligibility(self, request.subscriber, request.segments, request.on)
        if not verdict.eligible:
            return Decision(Outcome.NOT_ELIGIBLE, reason=verdict.reason)
        years = reward_years(request.subscriber.opened_on, request.on)
        minutes = minutes_for(years, self.tiers)
        if minutes == 0:
            return Decision(Outcome.NOT_ELIGIBLE, reason="tenure_under_3_years")
        return granted(self, reward_grant(self, years, minutes, request.on), request.confirmed)

    def wording(self, grant: Grant, language: Language) -> tuple[str, dict[str, object]]:
        return "reward", grant_period(grant, language) | {
            "months": grant.details["contract_months"],
            "spend": yuan(int(grant.details["qualifying_spend_fen"])),
            "minutes": grant.details["minutes"],
        }


def reward_years(opened_on: date, on: date) -> int:
    """The tenure the customer reaches within the next year: `(months + 12) // 12`."""
    return (tenure_months(opened_on, on) + 12) // 12


def minutes_for(years: int, tiers: Sequence[MinutesTier]) -> int:
    """3 ≤ years < 5 → 150; 5–8 → 180; 8–10 → 220; ≥ 10 → 280; under 3 → 0."""
    minutes = 0
    for tier in sorted(tiers, key=lambda t: t.from_years):
        if years >= tier.from_years:
            minutes = tier.minutes
    return minutes


def bundle_ends_soon(subscriber: Subscriber, on: date, within_months: int) -> bool:
    ends = subscriber.bundle_ends_on
    return ends is not None and on <= ends <= Month.of(on).plus(within_months).last_day()


def reward_eligibility(
    campaign: TenureRewardCampaign, subscriber: Subscriber, segments: frozenset[Segment], on: date
) -> Eligibility:
    """VIP three-card customers qualify by themselves; stable or new high-end
    customers when an earlier bundling contract ends within 3 months (§4.3)."""
    verdict = eligibility(campaign, subscriber, segments)
    if not verdict.eligible or segments & (campaign.targets - campaign.bundle_segments):
        return verdict
    if bundle_ends_soon(subscriber, on, campaign.bundle_ending_within_months):
        return verdict
    return Eligibility(False, "no_bundle_ending")


def reward_grant(campaign: TenureRewardCampaign, years: int, minutes: int, on: date) -> Grant:
    first = Month.of(on).plus(1)
    return Grant(
        service_code=campaign.code,
        exclusivity_key=campaign.code,
        package_code="",
        monthly_fee_fen=0,
        free_months=0,
        activated_on=on,
        starts_on=first.first_day(),
        ends_on=first.plus(campaign.contract_months - 1).last_day(),
        details={
            "years": years,
            "minutes": minutes,
            "qualifying_spend_fen": campaign.qualifying_spend_fen,
            "contract_months": campaign.contract_months,
        },
    )


def minutes_earned(spend_fen: int, details: Mapping[str, Any]) -> int:
    """Minutes a contract month's spend earns for the next month (0 below 120);
    `details` are the contract's, as `reward_grant` wrote them."""
    if spend_fen < int(details["qualifying_spend_fen"]):
        return 0
    return int(details["minutes"])
