"""Every campaign kind, in one place (DOMAIN.md §4).

A kind is one module of this package: a `Campaign` subclass that says how its
campaigns are named, listed in the `*10086#` menu, signed up to (`sign_up`) and
worded (`wording`, its own `texts`). Its line below is all that registers it:
the catalog reads its entries through this table (app/catalog/schema.py), the
services call the methods. README, "How it is built", shows a new kind.
"""

from __future__ import annotations

from app.domain.birthday import BirthdayCampaign
from app.domain.campaigns import Campaign
from app.domain.care_insurance import CareInsuranceCampaign
from app.domain.free_experience import FreeExperienceCampaign
from app.domain.prestore_rebate import PrestoreRebateCampaign
from app.domain.tenure_reward import TenureRewardCampaign

KINDS: tuple[type[Campaign], ...] = (
    FreeExperienceCampaign,  # §4.1
    PrestoreRebateCampaign,  # §4.4
    CareInsuranceCampaign,  # §4.5
    TenureRewardCampaign,  # §4.3
    BirthdayCampaign,  # §4.6
)
BY_KIND: dict[str, type[Campaign]] = {kind.kind: kind for kind in KINDS}
