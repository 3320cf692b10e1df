"""Care insurance (关爱保险), `GABX` + the insured person's name: DOMAIN.md §4.5.

One per subscriber, ever. Signed up in the current month; cover takes effect
on the 10th of the next month. The insured's name is personal data: it is
kept with the service and echoed only to the subscriber who sent it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from app.domain.campaigns import Campaign, Decision, Grant, SignUp, grant_period, granted
from app.domain.outcomes import Outcome
from app.domain.replies import Language, render
from app.domain.subscriber import Month
from app.domain.ussd import Node

#: Chinese names (with the middle dot of minority and foreign names) or Latin
#: letters and spaces; 2 to 20 characters.
_NAME = re.compile(r"^[\u3400-\u9fff·A-Za-z][\u3400-\u9fff·A-Za-z ]{1,19}$")


@dataclass(frozen=True, kw_only=True)
class CareInsuranceCampaign(Campaign):
    cover_starts_day: int = 10
    cover_months: int = 12
    monthly_fee_fen: int = 0

    kind = "care_insurance"
    menu_section = "vip"

    def order_args(self, grant: Grant) -> tuple[str, ...]:
        return (str(grant.details["insured_name"]),)

    def wording(self, grant: Grant, language: Language) -> tuple[str, dict[str, object]]:
        return "care", grant_period(grant, language) | {"insured": grant.details["insured_name"]}

    def argument_reply(self, decision: Decision, language: Language) -> str:
        """No options: the argument is the insured person's name."""
        key = "care.menu" if decision.outcome is Outcome.MENU else "care.invalid_argument"
        return render(
            key, language, campaign=self.name(language is Language.ZH), keyword=self.keyword
        )

    def sign_up(self, request: SignUp) -> Decision:
        """§4.5: `GABX` + the insured person's name."""
        name = " ".join(request.args) if request.args else None
        early = request.screen(self, request.held(self.code))
        if early is not None:
            return early
        if name is None:
            return Decision(Outcome.MENU)
        if not valid_insured_name(name):
            return Decision(Outcome.INVALID_ARGUMENT)
        return granted(self, cover_grant(self, name.strip(), request.on), request.confirmed)

    def menu_node(self) -> Node:
        return Node(
            self.name_zh,
            self.name_en,
            command=f"{self.keyword} {{text}}",
            asks_zh="请输入被保险人姓名：",
            asks_en="Name of the insured person:",
            paid=self.requires_confirmation,
        )


def valid_insured_name(text: str) -> bool:
    return bool(_NAME.match(text.strip()))


def cover_grant(campaign: CareInsuranceCampaign, insured_name: str, on: date) -> Grant:
    start = Month.of(on).plus(1).first_day().replace(day=campaign.cover_starts_day)
    last_month = Month.of(start).plus(campaign.cover_months)
    ends_on = last_month.first_day().replace(day=campaign.cover_starts_day)
    return Grant(
        service_code=campaign.code,
        exclusivity_key=campaign.code,
        package_code="",
        monthly_fee_fen=campaign.monthly_fee_fen,
        free_months=0,
        activated_on=on,
        starts_on=start,
        ends_on=date.fromordinal(ends_on.toordinal() - 1),
        details={"insured_name": insured_name},
    )
