"""The reply to a sign-up, for every campaign kind and every decision (DOMAIN.md §4, §5).

What differs by kind (its options, its services' names, how a grant is worded) is
the campaign's own to say (`Campaign.wording` and the methods beside it).
"""

from __future__ import annotations

from app.domain.campaigns import Campaign, Decision, Grant
from app.domain.outcomes import Outcome
from app.domain.replies import Language, day, render


def service_name(campaign: Campaign, package_code: str, language: Language) -> str:
    """What a held service is called in lists and replies."""
    return campaign.service_name(package_code, language is Language.ZH)


def order_summary(campaign: Campaign, grant: Grant, language: Language) -> str:
    """What is ordered, its price and period, in one phrase (for a consent question)."""
    prefix, values = campaign.wording(grant, language)
    return campaign.text(f"{prefix}.summary", language, **values)


def sign_up_text(
    campaign: Campaign, decision: Decision, language: Language, confirm_hours: int = 24
) -> str:
    zh = language is Language.ZH
    name = campaign.name(zh)
    outcome = decision.outcome
    if outcome in (Outcome.ACTIVATED, Outcome.CONFIRMATION_REQUIRED):
        assert decision.grant is not None
        if outcome is Outcome.ACTIVATED:
            prefix, values = campaign.wording(decision.grant, language)
            return campaign.text(f"{prefix}.activated", language, campaign=name, **values)
        summary = order_summary(campaign, decision.grant, language)
        return render("confirm", language, campaign=name, summary=summary, hours=confirm_hours)
    if outcome is Outcome.ALREADY_ACTIVE:
        assert decision.existing is not None
        return render(
            "already_active",
            language,
            campaign=name,
            service=campaign.service_name(decision.existing.package_code, zh),
            ends_on=day(decision.existing.ends_on, language),
        )
    if outcome is Outcome.NOT_ELIGIBLE:
        reason = (
            decision.reason.split(":")[0]
            if decision.reason.startswith("excluded")
            else decision.reason
        )
        audience = campaign.audience_zh if zh else campaign.audience_en
        return render(f"not_eligible.{reason}", language, campaign=name, audience=audience)
    if outcome is Outcome.CAMPAIGN_INACTIVE:
        return render(
            "campaign_inactive",
            language,
            campaign=name,
            starts_on=day(campaign.starts_on, language),
            ends_on=day(campaign.ends_on, language),
        )
    return campaign.argument_reply(decision, language)
