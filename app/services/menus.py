"""The `CD` menu session: 10 minutes in which a digit picks an entry (DOMAIN.md §6)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.domain.menus import Menu, main_menu, menu_at
from app.domain.outcomes import Outcome
from app.domain.replies import Language, render
from app.domain.states import PromptKind
from app.domain.text import choice_number
from app.services.answers import Answer
from app.services.clock import utc_now
from app.services.turn import Turn


def _root(turn: Turn) -> Menu:
    return main_menu(list(dict.fromkeys(turn.campaigns.values())))


def show(turn: Turn, path: list[int]) -> Answer:
    """Show the menu at `path` and open (or renew) the 10-minute session."""
    language = turn.context.language
    root = _root(turn)
    menu = menu_at(root, path)
    if menu is None:  # the catalog changed under the session: start at the top
        menu, path = root, []
    zh = language is Language.ZH
    entries = " ".join(
        render("menu.entry", language, number=i, label=e.label_zh if zh else e.label_en)
        for i, e in enumerate(menu.entries, start=1)
    )
    if path:
        text = render(
            "menu.sub", language, title=menu.title_zh if zh else menu.title_en, entries=entries
        )
    else:
        text = render("menu.main", language, entries=entries)
    expires = turn.now + timedelta(minutes=turn.context.menu_minutes)
    turn.uow.prompts.put(turn.msisdn, PromptKind.MENU, {"path": path}, expires, utc_now())
    return Answer(Outcome.MENU, text, "/".join(map(str, path)) or "main")


def choose(turn: Turn, choice: str, payload: dict[str, Any]) -> Answer | str:
    """A digit in a menu session: a sub-menu (an Answer), or the command to run (a str).

    `0` goes back a level, `00` home; a number not on the screen shows it again.
    """
    path: list[int] = list(payload.get("path", []))
    if choice == "00":
        return show(turn, [])
    if choice == "0":
        return show(turn, path[:-1])
    menu = menu_at(_root(turn), path)
    number = choice_number(choice)
    if menu is None or number is None or not 1 <= number <= len(menu.entries):
        return show(turn, path)
    entry = menu.entries[number - 1]
    if entry.submenu is not None:
        return show(turn, [*path, number])
    turn.uow.prompts.clear(turn.msisdn)
    assert entry.command is not None
    return entry.command
