"""Reply wording: every outcome of every campaign kind, in both languages,
filled with long realistic values, fits 3 SMS segments (issue: reply length)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from app.domain.campaigns import Campaign, Decision, Held
from app.domain.care_insurance import cover_grant
from app.domain.free_experience import FreeExperienceCampaign, free_grant
from app.domain.outcomes import Outcome
from app.domain.prestore_rebate import PrestoreRebateCampaign, rebate_grant
from app.domain.replies import TEMPLATES, Language, help_text, render, with_opt_out_hint, yuan
from app.domain.sign_up_replies import sign_up_text
from app.domain.sms_coding import split
from app.domain.tenure_reward import TenureRewardCampaign, reward_grant
from tests.domain.catalog_fixtures import SHIPPED

ON = date(2026, 12, 28)
REASONS = ["not_active", "excluded:granted_vip", "not_target", "requires:cmmb_handset",
           "requires:mobile_payment", "tenure_under_3_years", "no_bundle_ending"]  # fmt: skip


def segments(text: str) -> int:
    return len(split(text).parts)


def grants(campaign: Campaign) -> list:
    if isinstance(campaign, FreeExperienceCampaign):
        return [free_grant(campaign, p, 9, ON) for p in campaign.packages]
    if isinstance(campaign, PrestoreRebateCampaign):
        return [rebate_grant(campaign, o, ON) for o in campaign.offers]
    if isinstance(campaign, TenureRewardCampaign):
        return [reward_grant(campaign, 12, 280, ON)]
    return [cover_grant(campaign, "欧阳娜娜·阿依古丽", ON)]  # type: ignore[arg-type]


def decisions(campaign: Campaign) -> list[Decision]:
    made = [Decision(Outcome.NOT_ELIGIBLE, reason=r) for r in REASONS]
    made += [Decision(Outcome.CAMPAIGN_INACTIVE), Decision(Outcome.MENU, free_months=9),
             Decision(Outcome.INVALID_ARGUMENT, free_months=9)]  # fmt: skip
    for grant in grants(campaign):
        made += [
            Decision(Outcome.ACTIVATED, grant=grant, free_months=grant.free_months),
            Decision(Outcome.CONFIRMATION_REQUIRED, grant=grant, free_months=grant.free_months),
            Decision(
                Outcome.ALREADY_ACTIVE,
                existing=Held(grant.package_code, grant.starts_on, grant.ends_on),
            ),
        ]
    return made


SIGN_UP_CAMPAIGNS = [c for c in SHIPPED.values() if c.kind != "birthday"]
CASES = [
    pytest.param(
        campaign,
        decision,
        language,
        id=f"{campaign.code}-{decision.outcome}-{decision.reason}-{language}",
    )
    for campaign in SIGN_UP_CAMPAIGNS
    for decision in decisions(campaign)
    for language in Language
]


@pytest.mark.parametrize(("campaign", "decision", "language"), CASES)
def test_every_sign_up_reply_fits_three_segments(
    campaign: Campaign, decision: Decision, language: Language
) -> None:
    long_named = replace(campaign, name_zh=campaign.name_zh + "季度专享活动")
    text = sign_up_text(long_named, decision, language)
    assert text and "{" not in text and "}" not in text
    assert segments(text) <= 3, (len(text), text)
    if language is Language.EN and campaign.kind != "care_insurance":  # GABX echoes the name
        assert text.isascii()


def test_success_reply_states_what_section_5_requires() -> None:
    iwjzs = SHIPPED["IWJZS"]
    assert isinstance(iwjzs, FreeExperienceCampaign)
    grant = free_grant(iwjzs, iwjzs.packages[3], 9, ON)
    text = sign_up_text(iwjzs, Decision(Outcome.ACTIVATED, grant=grant, free_months=9), Language.ZH)
    for part in (
        "我家68元套餐",
        "68元/月",
        "即日生效",
        "2027年1月1日至2027年9月30日",
        "9个月",
        "612元",
        "未经您同意不会收费",
    ):
        assert part in text
    english = sign_up_text(
        iwjzs, Decision(Outcome.ACTIVATED, grant=grant, free_months=9), Language.EN
    )
    for part in ("68 yuan/month", "2027-01-01", "2027-09-30", "612 yuan", "without your consent"):
        assert part in english


def test_paid_order_question_states_price_and_window() -> None:
    yc = SHIPPED["YC"]
    assert isinstance(yc, PrestoreRebateCampaign)
    offer = yc.offer("SJB")
    assert offer is not None
    grant = rebate_grant(yc, offer, ON)
    text = sign_up_text(yc, Decision(Outcome.CONFIRMATION_REQUIRED, grant=grant), Language.ZH, 24)
    for part in ("预存60元", "月费5元", "12个月", "返还话费120元", "24小时内回复Y"):
        assert part in text


@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize(
    ("key", "values"),
    [
        ("notice.reminder", {"campaign": "我家免费体验季度专享", "package": "我家68元套餐", "ends_on": "2027年12月31日", "fee": "68", "hours": 168}),
        ("notice.lapsed", {"campaign": "我家免费体验季度专享", "package": "我家68元套餐", "ends_on": "2027年12月31日"}),
        ("notice.birthday", {}),
        ("notice.credit", {"month": "2027年12月", "credited": "2028年1月", "minutes": 280}),
    ],
)  # fmt: skip
def test_notices_carry_the_opt_out_hint_and_fit(language: Language, key: str, values: dict) -> None:
    text = with_opt_out_hint(render(key, language, **values), language)
    assert text.endswith(render("notice.opt_out_hint", language))
    assert segments(text) <= 3


def test_both_languages_have_every_template() -> None:
    assert set(TEMPLATES[Language.ZH]) == set(TEMPLATES[Language.EN])


@pytest.mark.parametrize(
    ("fen", "text"), [(0, "0"), (26_00, "26"), (86_50, "86.50"), (5, "0.05"), (-15_00, "-15")]
)
def test_money_in_yuan(fen: int, text: str) -> None:
    assert yuan(fen) == text


@pytest.mark.parametrize("language", list(Language))
def test_help_fits_and_names_the_commands(language: Language) -> None:
    shipped = [(c.keyword, c.name_zh, c.name_en) for c in SHIPPED.values()]
    text = help_text(shipped, language)
    assert segments(text) <= 3
    for keyword in ("CXYE", "IWJZS", "YC", "WLYH", "0000", "CD"):
        assert keyword in text
    assert "IWJZS" not in help_text(shipped[1:], language)
