"""Route one inbound text to the rule that answers it (DOMAIN.md §5–§7).

The pending prompt comes first — a `Y` answers the open question, a digit
picks from the open menu or `0000` list — then the keyword. Unknown text gets
a "did you mean" question or a short help: never silence.
"""

from __future__ import annotations

from datetime import timedelta

from app.domain.birthday import BirthdayCampaign
from app.domain.commands import DEFAULT_VOCABULARY, Command, Vocabulary, parse
from app.domain.did_you_mean import suggest
from app.domain.outcomes import Outcome
from app.domain.replies import help_text, render, with_echo
from app.domain.text import is_digits
from app.services import cancellation, keeping, menus, preferences, queries, sign_up
from app.services.answers import Answer
from app.services.clock import utc_now
from app.services.turn import Turn
from app.store.models import PendingPromptRow

DID_YOU_MEAN = "did_you_mean"
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
    if command.keyword == "HELP":
        return Answer(Outcome.HELP, _help(turn))
    if command.keyword == "CD":
        return menus.show(turn, [])
    if command.keyword == "T" and not command.args:
        return preferences.opt_out(turn)
    if command.keyword == "START":
        return preferences.opt_in(turn)
    if not command.known:
        return _unknown(turn, command)
    if turn.row is None:
        return Answer(
            Outcome.UNKNOWN_SUBSCRIBER, render("unknown_subscriber", turn.context.language)
        )
    return _keyword(turn, command)


def _keyword(turn: Turn, command: Command) -> Answer:
    keyword = command.keyword
    if keyword == "CXYE":
        return queries.balance(turn)
    if keyword == "CXTC":
        return queries.packages(turn)
    if keyword == "CXVIP":
        return queries.vip_status(turn)
    if keyword == "0000" or (keyword == "QX" and not command.args):
        return cancellation.service_list(turn)
    if keyword in ("QX", "T"):
        return cancellation.cancel_code(turn, command.args[0])
    campaign = turn.campaigns[keyword]
    if isinstance(campaign, BirthdayCampaign):
        return queries.birthday(turn, campaign)
    return sign_up.sign_up(turn, campaign, command)


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
    if prompt is not None and prompt.kind == cancellation.CANCEL_LIST and turn.row is not None:
        return cancellation.cancel_numbers(turn, words, prompt.payload)
    if prompt is not None and prompt.kind == menus.MENU and len(words) == 1:
        picked = menus.choose(turn, words[0], prompt.payload)
        if isinstance(picked, Answer):
            return picked
        return answer(turn, picked, depth + 1)
    return menus.show(turn, [])


def _yes(turn: Turn, prompt: PendingPromptRow | None, depth: int) -> Answer:
    """`Y`, `是`, `YES`: only an open question, from this number, in its window."""
    if prompt is not None and prompt.kind == sign_up.CONFIRM_ORDER and turn.row is not None:
        return sign_up.confirm_order(turn, prompt.payload)
    if prompt is not None and prompt.kind == DID_YOU_MEAN and depth < MAX_DEPTH:
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
        turn.uow.prompts.put(turn.msisdn, DID_YOU_MEAN, {"text": suggestion}, expires, utc_now())
        parts = turn.context.max_reply_parts
        text = with_echo("did_you_mean", language, suggestion, parts)
        return Answer(Outcome.DID_YOU_MEAN, text, guess)
    text = with_echo(
        "unknown_keyword", language, command.text, turn.context.max_reply_parts, help=_help(turn)
    )
    return Answer(Outcome.UNKNOWN_KEYWORD, text)
