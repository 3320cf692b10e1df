"""The `*10086#` menu tree, built from the catalog.

Balance, my services, free experiences (each campaign, then its packages),
VIP offers, VIP status, help. A campaign added to the catalog appears here
without a code change; a paid one gets the confirm screen (DOMAIN.md §5).
"""

from __future__ import annotations

from collections.abc import Iterable

from app.domain.campaigns import Campaign
from app.domain.care_insurance import CareInsuranceCampaign
from app.domain.free_experience import FreeExperienceCampaign
from app.domain.prestore_rebate import PrestoreRebateCampaign
from app.domain.replies import yuan
from app.domain.tenure_reward import TenureRewardCampaign
from app.domain.ussd import Node


def _campaign_node(campaign: Campaign) -> Node:
    keyword, paid = campaign.keyword, campaign.requires_confirmation
    if isinstance(campaign, FreeExperienceCampaign):
        children = tuple(
            Node(
                p.name_zh,
                f"{p.name_en} ({yuan(p.monthly_fee_fen)} yuan/month)",
                command=f"{keyword} {p.code}",
                paid=paid,
            )
            for p in campaign.packages
        )
        return Node(campaign.name_zh, campaign.name_en, children)
    if isinstance(campaign, PrestoreRebateCampaign):
        children = tuple(
            Node(
                f"{o.name_zh}预存{yuan(o.prestore_fen)}元",
                f"{o.name_en}, pre-store {yuan(o.prestore_fen)}",
                command=f"{keyword} {o.code}",
                paid=paid,
            )
            for o in campaign.offers
        )
        return Node(campaign.name_zh, campaign.name_en, children)
    if isinstance(campaign, CareInsuranceCampaign):
        return Node(
            campaign.name_zh,
            campaign.name_en,
            command=f"{keyword} {{text}}",
            asks_zh="请输入被保险人姓名：",
            asks_en="Name of the insured person:",
            paid=paid,
        )
    return Node(campaign.name_zh, campaign.name_en, command=keyword, paid=paid)


def ussd_tree(campaigns: Iterable[Campaign]) -> Node:
    campaigns = list(campaigns)
    free = [c for c in campaigns if isinstance(c, FreeExperienceCampaign)]
    vip = [
        c
        for c in campaigns
        if isinstance(c, TenureRewardCampaign | PrestoreRebateCampaign | CareInsuranceCampaign)
    ]
    return Node(
        "中国移动10086",
        "China Mobile 10086",
        (
            Node("余额查询", "Balance", command="CXYE"),
            Node("我的业务", "My services", command="CXTC"),
            Node("免费体验", "Free trials", tuple(_campaign_node(c) for c in free)),
            Node("VIP专享", "VIP offers", tuple(_campaign_node(c) for c in vip)),
            Node("VIP与级别", "VIP and level", command="CXVIP"),
            Node("帮助", "Help", command="HELP"),
        ),
    )
