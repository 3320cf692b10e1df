"""Route one inbound text to the rule that answers it (DOMAIN.md §5–§7).

The pending prompt comes first — a `Y` answers the open question, a digit
picks from the open menu or `0000` list — then the keyword. Unknown text gets
a "did you mean" question or a short help: never silence.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from app.domain.birthday import BirthdayCampaign
from app.domain.commands import DEFAULT_VOCABULARY, Command, Vocabulary, parse
from app.domain.did_you_mean import suggest
from app.domain.outcomes import Outcome
from app.domain.replies import help_text, render, with_echo
from app.domain.states import PromptKind
from app.domain.text import is_digits
from app.services import cancellation, keeping, menus, preferences, queries, sign_up
from app.services.answers import Answer
from app.services.clock import utc_now
from app.services.turn import Turn
from app.store.models import PendingPromptRow

#: A command reached through a menu or a "did you mean" runs at most this deep.
MAX_DEPTH = 2


def vocabulary_of(turn: Turn) -> Vocabulary:
    return DEFAULT_VOCABULARY.with_keywords(turn.campaigns)


def answer(turn: Turn, text: str, depth: int = 0) -> Answer:
    command = parse(text, vocabulary_of(turn))
    prompt = turn.uow.prompts.live(turn.msisdn, turn.now) if depth == 0 else None

    if command.keyword == "Y":
        return _yes(turn, prompt, depth)
    choice = _choice(command)
    if choice is not None:
        return _digits(turn, choice, prompt, depth)
    for_anyone = FOR_ANYONE.get((command.keyword, bool(command.args)))
    if for_anyone is not None:
        return for_anyone(turn, command)
    if not command.known:
        return _unknown(turn, command)
    if turn.row is None:
        return Answer(
            Outcome.UNKNOWN_SUBSCRIBER, render("unknown_subscriber", turn.context.language)
        )
    for_subscriber = FOR_SUBSCRIBERS.get((command.keyword, bool(command.args)))
    if for_subscriber is not None:
        return for_subscriber(turn, command)
    campaign = turn.campaigns[command.keyword]
    if isinstance(campaign, BirthdayCampaign):
        return queries.birthday(turn, campaign)
    return sign_up.sign_up(turn, campaign, command)


#: A built-in command's handler: the turn and the parsed command in, the answer out.
Handler = Callable[[Turn, Command], Answer]


def _help_answer(turn: Turn, command: Command) -> Answer:
    return Answer(Outcome.HELP, _help(turn))


#: Built-in commands anyone may send, subscriber or not, by (keyword, has arguments):
#: help, the menu (DOMAIN.md §6), opting out of and back into notices (§7).
FOR_ANYONE: dict[tuple[str, bool], Handler] = {
    ("HELP", False): _help_answer,
    ("HELP", True): _help_answer,
    ("CD", False): lambda turn, command: menus.show(turn, []),
    ("CD", True): lambda turn, command: menus.show(turn, []),
    ("T", False): lambda turn, command: preferences.opt_out(turn),
    ("START", False): lambda turn, command: preferences.opt_in(turn),
    ("START", True): lambda turn, command: preferences.opt_in(turn),
}

#: Built-in commands of subscribers, by (keyword, has arguments): queries (§5) and
#: cancellation (`0000` or `QX` lists the services, `QX code` / `T code` cancels one).
FOR_SUBSCRIBERS: dict[tuple[str, bool], Handler] = {
    **{
        (keyword, has_args): handler
        for keyword, handler in {
            "CXYE": lambda turn, command: queries.balance(turn),
            "CXTC": lambda turn, command: queries.packages(turn),
            "CXVIP": lambda turn, command: queries.vip_status(turn),
            "0000": lambda turn, command: cancellation.service_list(turn),
        }.items()
        for has_args in (False, True)
    },
    ("QX", False): lambda turn, command: cancellation.service_list(turn),
    ("QX", True): lambda turn, command: cancellation.cancel_code(turn, command.args[0]),
    ("T", True): lambda turn, command: cancellation.cancel_code(turn, command.args[0]),
}


def _choice(command: Command) -> tuple[str, ...] | None:
    """A reply made of numbers only (`1`, `1，3`, `0`, `00`), not a keyword."""
    if command.known or not is_digits(command.keyword):
        return None
    words = (command.keyword, *command.args)
    return words if all(is_digits(word) for word in words) else None


def _digits(
    turn: Turn, words: tuple[str, ...], prompt: PendingPromptRow | None, depth: int
) -> Answer:
    """Numbers answer the open `0000` list or menu; with neither, the main menu (§6)."""
    if prompt is not None and prompt.kind == PromptKind.CANCEL_LIST and turn.row is not None:
        return cancellation.cancel_numbers(turn, words)
    if prompt is not None and prompt.kind == PromptKind.MENU and len(words) == 1:
        picked = menus.choose(turn, words[0], prompt.payload)
        if isinstance(picked, Answer):
            return picked
        return answer(turn, picked, depth + 1)
    return menus.show(turn, [])


def _yes(turn: Turn, prompt: PendingPromptRow | None, depth: int) -> Answer:
    """`Y`, `是`, `YES`: only an open question, from this number, in its window."""
    if prompt is not None and prompt.kind == PromptKind.CONFIRM_ORDER and turn.row is not None:
        return sign_up.confirm_order(turn, prompt.payload)
    if prompt is not None and prompt.kind == PromptKind.DID_YOU_MEAN and depth < MAX_DEPTH:
        turn.uow.prompts.clear(turn.msisdn)
        return answer(turn, prompt.payload["text"], depth + 1)
    if turn.row is not None and depth == 0 and (kept := keeping.offered(turn)):
        return keeping.keep(turn, kept)
    return Answer(Outcome.NOTHING_PENDING, render("nothing_pending", turn.context.language))


def _help(turn: Turn) -> str:
    open_campaigns = dict.fromkeys(turn.campaigns.values())
    listed = [(c.keyword, c.name_zh, c.name_en) for c in open_campaigns]
    return help_text(listed, turn.context.language)


def _unknown(turn: Turn, command: Command) -> Answer:
    language = turn.context.language
    guess = suggest(command.keyword, vocabulary_of(turn).aliases)
    if guess is not None:
        suggestion = " ".join((guess, *command.args))
        expires = turn.now + timedelta(minutes=turn.context.menu_minutes)
        turn.uow.prompts.put(
            turn.msisdn, PromptKind.DID_YOU_MEAN, {"text": suggestion}, expires, utc_now()
        )
        parts = turn.context.max_reply_parts
        text = with_echo("did_you_mean", language, suggestion, parts)
        return Answer(Outcome.DID_YOU_MEAN, text, guess)
    text = with_echo(
        "unknown_keyword", language, command.text, turn.context.max_reply_parts, help=_help(turn)
    )
    return Answer(Outcome.UNKNOWN_KEYWORD, text)
