"""The `*10086#` menu tree, built from the catalog.

Balance, my services, free experiences (each campaign, then its packages),
VIP offers, VIP status, help. A campaign added to the catalog appears here
without a code change, in the section its kind names, with the entry its kind
builds (`Campaign.menu_section`, `Campaign.menu_node`); a paid one gets the
confirm screen (DOMAIN.md §5).
"""

from __future__ import annotations

from collections.abc import Iterable

from app.domain.campaigns import Campaign
from app.domain.ussd import Node


def ussd_tree(campaigns: Iterable[Campaign]) -> Node:
    campaigns = list(campaigns)

    def section(name: str) -> tuple[Node, ...]:
        return tuple(c.menu_node() for c in campaigns if c.menu_section == name)

    return Node(
        "中国移动10086",
        "China Mobile 10086",
        (
            Node("余额查询", "Balance", command="CXYE"),
            Node("我的业务", "My services", command="CXTC"),
            Node("免费体验", "Free trials", section("free")),
            Node("VIP专享", "VIP offers", section("vip")),
            Node("VIP与级别", "VIP and level", command="CXVIP"),
            Node("帮助", "Help", command="HELP"),
        ),
    )
