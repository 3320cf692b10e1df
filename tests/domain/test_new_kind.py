"""A campaign kind added the way README "How it is built" shows: one module (here,
this file's `DataPackCampaign`), no spec or sign-up table of its own elsewhere."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import yaml

from app.catalog.campaign_spec import derived_spec
from app.catalog.schema import CatalogError
from app.domain.campaigns import Campaign, Decision, Grant, SignUp, grant_period, granted
from app.domain.outcomes import Outcome
from app.domain.replies import Language
from app.domain.segments import Segment
from app.domain.sign_up_replies import sign_up_text
from app.domain.subscriber import Month
from tests.domain.factories import GOLD, ON


@dataclass(frozen=True, kw_only=True)
class DataPackCampaign(Campaign):
    megabytes: int
    monthly_fee_fen: int = 0

    kind = "data_pack"
    menu_section = "vip"
    texts = {
        Language.ZH: {
            "pack.activated": "【{campaign}】已为您开通{mb}MB流量包，{starts_on}起生效。"
        },
        Language.EN: {"pack.activated": "{campaign}: {mb} MB a month from {starts_on}."},
    }

    def __post_init__(self) -> None:
        if self.megabytes <= 0:
            raise ValueError("megabytes must be positive")

    def sign_up(self, request: SignUp) -> Decision:
        early = request.screen(self, request.held(self.code))
        if early is not None:
            return early
        first = Month.of(request.on).plus(1)
        grant = Grant(
            service_code=self.code,
            exclusivity_key=self.code,
            package_code="",
            monthly_fee_fen=self.monthly_fee_fen,
            free_months=0,
            activated_on=request.on,
            starts_on=first.first_day(),
            ends_on=first.plus(11).last_day(),
        )
        return granted(self, grant, request.confirmed)

    def wording(self, grant: Grant, language: Language) -> tuple[str, dict[str, object]]:
        return "pack", grant_period(grant, language) | {"mb": self.megabytes}


ENTRY = """
code: LLB
kind: data_pack
name_zh: 流量包
name_en: Data pack
keywords: [LLB]
starts_on: 2026-01-01
ends_on: 2027-12-31
targets: [vip_gold]
megabytes: 500
"""


def test_the_catalog_reads_a_new_kind_from_its_campaign_fields() -> None:
    campaign = derived_spec(DataPackCampaign).model_validate(yaml.safe_load(ENTRY)).to_domain()
    assert campaign == DataPackCampaign(
        code="LLB",
        name_zh="流量包",
        name_en="Data pack",
        keywords=("LLB",),
        starts_on=ON.replace(month=1, day=1),
        ends_on=ON.replace(year=2027, month=12, day=31),
        targets=frozenset({Segment.VIP_GOLD}),
        megabytes=500,
    )


@pytest.mark.parametrize(
    ("change", "field"), [({"megabytes": 0}, "megabytes"), ({"colour": "red"}, "colour")]
)
def test_a_new_kind_is_checked_like_the_others(change: dict[str, object], field: str) -> None:
    spec = derived_spec(DataPackCampaign)
    with pytest.raises(ValueError, match=field):
        spec.model_validate(yaml.safe_load(ENTRY) | change)


def test_a_new_kind_signs_up_and_answers_in_its_own_words() -> None:
    campaign = derived_spec(DataPackCampaign).model_validate(yaml.safe_load(ENTRY)).to_domain()
    request = SignUp(GOLD, frozenset({Segment.VIP_GOLD}), (), ON, lambda key: None)
    decision = campaign.sign_up(request)
    assert decision.outcome is Outcome.ACTIVATED
    text = sign_up_text(campaign, decision, Language.EN)
    assert text == "Data pack: 500 MB a month from 2026-12-01."


def test_an_unknown_kind_is_refused() -> None:
    from app.catalog.schema import parse_campaign

    with pytest.raises(CatalogError):
        parse_campaign(yaml.safe_load(ENTRY))
