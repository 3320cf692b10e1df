"""Pre-store rebates on sticky services (粘性业务预存回馈), `YC` + code: DOMAIN.md §4.4.

A paid order: the subscriber pre-pays and is given back call credit (or a
device) over a contract. Every offer needs the secondary confirmation of §5,
and some need something of the handset or account first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from app.domain.campaigns import (
    Campaign,
    Choice,
    Decision,
    Grant,
    SignUp,
    grant_period,
    granted,
)
from app.domain.outcomes import Outcome
from app.domain.replies import Language, render, yuan
from app.domain.subscriber import Month, Subscriber
from app.domain.ussd import Node

Prerequisite = Literal["cmmb_handset", "mobile_payment"]


@dataclass(frozen=True, slots=True)
class RebateOffer:
    code: str
    name_zh: str
    name_en: str
    prestore_fen: int
    monthly_fee_fen: int
    contract_months: int
    #: Call credit given back over the contract, or 0 when a device is given.
    credit_back_fen: int = 0
    device_zh: str = ""
    device_en: str = ""
    device_worth_fen: int = 0
    requires: Prerequisite | None = None


@dataclass(frozen=True, kw_only=True)
class PrestoreRebateCampaign(Campaign):
    offers: tuple[RebateOffer, ...]

    kind = "prestore_rebate"
    menu_section = "vip"

    def offer(self, code: str | None) -> RebateOffer | None:
        return next((o for o in self.offers if o.code == code), None)

    def exclusivity_key(self, code: str) -> str:
        return f"{self.code}:{code}"

    def offered(self) -> Sequence[RebateOffer]:
        return self.offers

    def chosen_name(self, chosen: Choice, chinese: bool) -> str:
        return super().chosen_name(chosen, chinese) + ("预存" if chinese else " pre-store")

    def wording(self, grant: Grant, language: Language) -> tuple[str, dict[str, object]]:
        offer = self.offer(grant.package_code)
        assert offer is not None
        return "rebate", grant_period(grant, language) | {
            "offer": offer.name_zh if language is Language.ZH else offer.name_en,
            "prestore": yuan(offer.prestore_fen),
            "months": offer.contract_months,
            "given": _given(offer, language),
        }

    def menu_extra(self, decision: Decision, language: Language) -> str:
        return render("rebate.extra", language)

    def sign_up(self, request: SignUp) -> Decision:
        """§4.4: `YC` + an offer's code; the handset or account it needs first."""
        code = request.code()
        existing = request.held(self.exclusivity_key(code)) if code else None
        early = request.screen(self, existing)
        if early is not None:
            return early
        if code is None:
            return Decision(Outcome.MENU)
        offer = self.offer(code)
        if offer is None:
            return Decision(Outcome.INVALID_ARGUMENT)
        if not has_prerequisite(request.subscriber, offer.requires):
            return Decision(Outcome.NOT_ELIGIBLE, reason=f"requires:{offer.requires}")
        return granted(self, rebate_grant(self, offer, request.on), request.confirmed)

    def menu_node(self) -> Node:
        children = tuple(
            Node(
                f"{o.name_zh}预存{yuan(o.prestore_fen)}元",
                f"{o.name_en}, pre-store {yuan(o.prestore_fen)}",
                command=f"{self.keyword} {o.code}",
                paid=self.requires_confirmation,
            )
            for o in self.offers
        )
        return Node(self.name_zh, self.name_en, children)


def _given(offer: RebateOffer, language: Language) -> str:
    """What the pre-store gives back: call credit, or a device and its worth."""
    if offer.credit_back_fen:
        return render("rebate.credit", language, credit=yuan(offer.credit_back_fen))
    device = offer.device_zh if language is Language.ZH else offer.device_en
    return render("rebate.device", language, device=device, worth=yuan(offer.device_worth_fen))


def has_prerequisite(subscriber: Subscriber, requirement: Prerequisite | None) -> bool:
    """A CMMB handset for mobile TV, a mobile-payment account for the lottery (§4.4)."""
    if requirement == "cmmb_handset":
        return subscriber.cmmb_handset
    if requirement == "mobile_payment":
        return subscriber.mobile_payment
    return True


def rebate_grant(campaign: PrestoreRebateCampaign, offer: RebateOffer, on: date) -> Grant:
    """The pre-store is paid at once; the contract runs from the 1st of next month."""
    first = Month.of(on).plus(1)
    return Grant(
        service_code=campaign.code + offer.code,
        exclusivity_key=campaign.exclusivity_key(offer.code),
        package_code=offer.code,
        monthly_fee_fen=offer.monthly_fee_fen,
        free_months=0,
        activated_on=on,
        starts_on=first.first_day(),
        ends_on=first.plus(offer.contract_months - 1).last_day(),
        details={
            "prestore_fen": offer.prestore_fen,
            "credit_back_fen": offer.credit_back_fen,
            "contract_months": offer.contract_months,
            "device_zh": offer.device_zh,
        },
    )
