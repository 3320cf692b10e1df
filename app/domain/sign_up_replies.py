"""The reply to a sign-up, for every campaign kind and every decision (DOMAIN.md §4, §5)."""

from __future__ import annotations

from app.domain.campaigns import Campaign, Decision, Grant
from app.domain.care_insurance import CareInsuranceCampaign
from app.domain.free_experience import FreeExperienceCampaign
from app.domain.outcomes import Outcome
from app.domain.prestore_rebate import PrestoreRebateCampaign, RebateOffer
from app.domain.replies import Language, day, render, yuan
from app.domain.tenure_reward import TenureRewardCampaign


def _options(campaign: Campaign, language: Language) -> str:
    zh = language is Language.ZH
    if isinstance(campaign, FreeExperienceCampaign):
        items = [(p.code, p.name_zh if zh else p.name_en) for p in campaign.packages]
    elif isinstance(campaign, PrestoreRebateCampaign):
        items = [(o.code, o.name_zh if zh else o.name_en) for o in campaign.offers]
    else:
        items = []
    separator = " " if zh else ", "
    return separator.join(render("option", language, code=c, name=n) for c, n in items)


def service_name(campaign: Campaign, package_code: str, language: Language) -> str:
    """What a held service is called in lists and replies."""
    zh = language is Language.ZH
    if isinstance(campaign, FreeExperienceCampaign) and (p := campaign.package(package_code)):
        return p.name_zh if zh else p.name_en
    if isinstance(campaign, PrestoreRebateCampaign) and (o := campaign.offer(package_code)):
        return (o.name_zh if zh else o.name_en) + ("预存" if zh else " pre-store")
    return campaign.name(zh)


def _given(offer: RebateOffer, language: Language) -> str:
    if offer.credit_back_fen:
        return render("rebate.credit", language, credit=yuan(offer.credit_back_fen))
    zh = language is Language.ZH
    device = offer.device_zh if zh else offer.device_en
    return render("rebate.device", language, device=device, worth=yuan(offer.device_worth_fen))


def grant_values(
    campaign: Campaign, grant: Grant, language: Language
) -> tuple[str, dict[str, object]]:
    """(template prefix, values) describing a grant of this campaign's kind."""
    common: dict[str, object] = {
        "starts_on": day(grant.starts_on, language),
        "ends_on": day(grant.ends_on, language),
        "fee": yuan(grant.monthly_fee_fen),
    }
    if isinstance(campaign, FreeExperienceCampaign):
        return "free", common | {
            "package": service_name(campaign, grant.package_code, language),
            "months": grant.free_months,
            "free_from": common["starts_on"],
            "free_until": common["ends_on"],
            "waived": yuan(grant.waived_fen),
        }
    if isinstance(campaign, PrestoreRebateCampaign):
        offer = campaign.offer(grant.package_code)
        assert offer is not None
        return "rebate", common | {
            "offer": offer.name_zh if language is Language.ZH else offer.name_en,
            "prestore": yuan(offer.prestore_fen),
            "months": offer.contract_months,
            "given": _given(offer, language),
        }
    if isinstance(campaign, CareInsuranceCampaign):
        return "care", common | {"insured": grant.details["insured_name"]}
    if isinstance(campaign, TenureRewardCampaign):
        return "reward", common | {
            "months": grant.details["contract_months"],
            "spend": yuan(int(grant.details["qualifying_spend_fen"])),
            "minutes": grant.details["minutes"],
        }
    raise TypeError(f"no wording for campaign kind {campaign.kind}")


def order_summary(campaign: Campaign, grant: Grant, language: Language) -> str:
    """What is ordered, its price and period, in one phrase (for a consent question)."""
    prefix, values = grant_values(campaign, grant, language)
    return render(f"{prefix}.summary", language, **values)


def sign_up_text(
    campaign: Campaign, decision: Decision, language: Language, confirm_hours: int = 24
) -> str:
    zh = language is Language.ZH
    name = campaign.name(zh)
    outcome = decision.outcome
    if outcome in (Outcome.ACTIVATED, Outcome.CONFIRMATION_REQUIRED):
        assert decision.grant is not None
        if outcome is Outcome.ACTIVATED:
            prefix, values = grant_values(campaign, decision.grant, language)
            return render(f"{prefix}.activated", language, campaign=name, **values)
        summary = order_summary(campaign, decision.grant, language)
        return render("confirm", language, campaign=name, summary=summary, hours=confirm_hours)
    if outcome is Outcome.ALREADY_ACTIVE:
        assert decision.existing is not None
        return render(
            "already_active",
            language,
            campaign=name,
            service=service_name(campaign, decision.existing.package_code, language),
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
    if isinstance(campaign, CareInsuranceCampaign):
        key = "care.menu" if outcome is Outcome.MENU else "care.invalid_argument"
        return render(key, language, campaign=name, keyword=campaign.keyword)
    options = _options(campaign, language)
    if outcome is Outcome.MENU:
        extra = ""
        if isinstance(campaign, FreeExperienceCampaign):
            extra = render("free.extra", language, months=decision.free_months)
        elif isinstance(campaign, PrestoreRebateCampaign):
            extra = render("rebate.extra", language)
        text = render(
            "menu.options",
            language,
            campaign=name,
            keyword=campaign.keyword,
            options=options,
            extra=extra,
        )
        return text.rstrip()
    return render(
        "invalid_argument.options",
        language,
        campaign=name,
        keyword=campaign.keyword,
        options=options,
    )
