"""USSD screens for `*10086#`: the menu tree walked one input at a time,
screens that fit one USSD string (182 GSM characters, 80 in UCS-2) with a
"more" item for paging, `0` back and `00` home.

Pure: given the tree and every input of the session so far, `walk` says what
the subscriber sees now — another screen, a question asking for free text
(a name), a paid order's "1 confirm / 2 cancel" screen, or the command to run.
Both transports use it: the HTTP convention re-sends all inputs joined by
`*`, SMPP delivers them one by one and the service keeps the list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from app.domain.sms_coding import fits_gsm7
from app.domain.text import choice_number, fold

#: A USSD string holds 182 GSM 7-bit characters, or 80 UCS-2 ones (Chinese).
GSM_SCREEN_LIMIT, UCS2_SCREEN_LIMIT = 182, 80
BACK, HOME, MORE = "0", "00", "99"


@dataclass(frozen=True, slots=True)
class Node:
    """A screen of choices, an action (a command), or a free-text question."""

    label_zh: str
    label_en: str
    children: tuple[Node, ...] = ()
    #: The command this choice runs, e.g. `IWJZS 2`; `{text}` takes the typed text.
    command: str | None = None
    #: Ask for free text first (the insured person's name), with this question.
    asks_zh: str | None = None
    asks_en: str | None = None
    #: A paid order: show "1 confirm / 2 cancel" before running it (DOMAIN.md §5).
    paid: bool = False

    def label(self, chinese: bool) -> str:
        return self.label_zh if chinese else self.label_en


@dataclass(frozen=True, slots=True)
class Screen:
    text: str


@dataclass(frozen=True, slots=True)
class Run:
    """Run `command`; `confirmed` when the subscriber chose "1 confirm"."""

    command: str
    confirmed: bool = False
    #: For a paid order not yet confirmed: ask with this node's wording first.
    confirm_node: Node | None = None


@dataclass(frozen=True, slots=True)
class Cancelled:
    pass


@dataclass
class _Position:
    path: list[Node] = field(default_factory=list)
    page: int = 0


WORDS = {
    True: {"back": "0.返回 00.首页", "more": "99.更多", "again": "输入有误，请重新选择。",
           "confirm": "1.确认 2.取消"},
    False: {"back": "0.Back 00.Home", "more": "99.More", "again": "Not a choice, try again.",
            "confirm": "1.Confirm 2.Cancel"},
}  # fmt: skip


def fits_screen(text: str) -> bool:
    return len(text) <= (GSM_SCREEN_LIMIT if fits_gsm7(text) else UCS2_SCREEN_LIMIT)


def pages(node: Node, chinese: bool, note: str = "", with_back: bool = True) -> list[str]:
    """The node's choices cut into screens that fit one USSD string.

    Each page keeps the title, the back/home line (below the root) and,
    except the last, the "more" item; numbering runs on across pages so a
    number always means the same choice.
    """
    words = WORDS[chinese]
    footer = [words["back"]] if with_back else []
    items = [f"{i}.{child.label(chinese)}" for i, child in enumerate(node.children, start=1)]
    head = [note, node.label(chinese)] if note else [node.label(chinese)]
    result: list[str] = []
    current: list[str] = []
    for item in items:
        trial = "\n".join([*head, *current, item, words["more"], *footer])
        if current and not fits_screen(trial):
            result.append("\n".join([*head, *current, words["more"], *footer]))
            current = []
        current.append(item)
    result.append("\n".join([*head, *current, *footer]))
    return result


def _screen(position: _Position, root: Node, chinese: bool, note: str = "") -> Screen:
    node = position.path[-1] if position.path else root
    screens = pages(node, chinese, note, with_back=bool(position.path))
    return Screen(screens[min(position.page, len(screens) - 1)])


def walk(root: Node, inputs: Sequence[str], chinese: bool = True) -> Screen | Run | Cancelled:
    """What the subscriber sees after `inputs` (the first screen for none).

    An unknown choice repeats the screen with a short note, as a phone menu
    does; it never ends the session.
    """
    position = _Position()
    awaiting_text: Node | None = None
    awaiting_confirm: Run | None = None
    note = ""
    for raw in inputs:
        choice = fold(raw).strip()  # `０`, `²` from a handset's input method are `0`, `2`
        note = ""
        if awaiting_confirm is not None:
            if choice == "1":
                return Run(awaiting_confirm.command, confirmed=True)
            if choice == "2":
                return Cancelled()
            note = WORDS[chinese]["again"]
            continue
        if awaiting_text is not None:
            if choice in (BACK, HOME):
                awaiting_text = None
                position = _Position() if choice == HOME else position
                continue
            run = Run(awaiting_text.command.format(text=choice))  # type: ignore[union-attr]
            if awaiting_text.paid:
                awaiting_confirm = Run(run.command, confirm_node=awaiting_text)
                continue
            return run
        node = position.path[-1] if position.path else root
        if choice == HOME:
            position = _Position()
        elif choice == BACK:
            position = _Position(position.path[:-1])
        elif choice == MORE:
            position.page += 1
        elif (number := choice_number(choice)) is not None and 1 <= number <= len(node.children):
            child = node.children[number - 1]
            if child.asks_zh is not None:
                awaiting_text = child
            elif child.children:
                position = _Position([*position.path, child])
            elif child.command is not None:
                if child.paid:
                    awaiting_confirm = Run(child.command, confirm_node=child)
                else:
                    return Run(child.command)
        else:
            note = WORDS[chinese]["again"]
    if awaiting_confirm is not None:
        return awaiting_confirm
    if awaiting_text is not None:
        ask = awaiting_text.asks_zh if chinese else awaiting_text.asks_en
        return Screen("\n".join(filter(None, [note, ask or "", WORDS[chinese]["back"]])))
    return _screen(position, root, chinese, note)
