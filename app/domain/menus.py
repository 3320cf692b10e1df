"""The numbered main menu of the SMS business hall (DOMAIN.md §6, `CD`).

The tree is built from the catalog: every open campaign appears under its
heading, so a new campaign shows in the menu without a code change. An entry
is either a sub-menu or a command, run as if the subscriber had typed it.
The same tree can drive other screens (USSD).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from app.domain.campaigns import Campaign


@dataclass(frozen=True, slots=True)
class MenuEntry:
    label_zh: str
    label_en: str
    command: str | None = None
    submenu: Menu | None = None


@dataclass(frozen=True, slots=True)
class Menu:
    title_zh: str
    title_en: str
    entries: tuple[MenuEntry, ...] = field(default_factory=tuple)


def _campaign_entries(campaigns: Iterable[Campaign], section: str) -> tuple[MenuEntry, ...]:
    """The campaigns whose kind lists them in `section` (`Campaign.menu_section`)."""
    return tuple(
        MenuEntry(c.name_zh, c.name_en, command=c.keyword)
        for c in campaigns
        if c.menu_section == section
    )


def main_menu(campaigns: Sequence[Campaign]) -> Menu:
    """1 queries, 2 free experiences, 3 VIP offers, 4 my services, 5 help."""
    queries = [
        MenuEntry("余额查询", "Balance", command="CXYE"),
        MenuEntry("已办业务", "My services", command="CXTC"),
        MenuEntry("VIP查询", "VIP status", command="CXVIP"),
        *_campaign_entries(campaigns, "queries"),
    ]
    return Menu(
        "短信营业厅",
        "SMS business hall",
        (
            MenuEntry("业务查询", "Queries", submenu=Menu("业务查询", "Queries", tuple(queries))),
            MenuEntry(
                "免费体验",
                "Free trials",
                submenu=Menu("免费体验", "Free trials", _campaign_entries(campaigns, "free")),
            ),
            MenuEntry(
                "VIP专享",
                "VIP offers",
                submenu=Menu(
                    "VIP专享",
                    "VIP offers",
                    _campaign_entries(campaigns, "vip"),
                ),
            ),
            MenuEntry("退订业务", "Cancel services", command="0000"),
            MenuEntry("帮助", "Help", command="HELP"),
        ),
    )


def menu_at(root: Menu, path: Sequence[int]) -> Menu | None:
    """The sub-menu reached by choosing the 1-based numbers in `path`."""
    menu = root
    for number in path:
        if not 1 <= number <= len(menu.entries):
            return None
        submenu = menu.entries[number - 1].submenu
        if submenu is None:
            return None
        menu = submenu
    return menu
