"""A USSD step: the `*10086#` menu walked with every input of the session so
far, a command run when a leaf is reached, in the same transaction, with the
same rules, idempotency and outbox as an SMS (DOMAIN.md §4–§6).

A sign-up made on USSD also sends its success SMS; a paid order asks
"1 confirm / 2 cancel" on a screen of its own, and that choice is the consent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from app.domain.campaigns import Campaign
from app.domain.commands import parse
from app.domain.outcomes import Outcome
from app.domain.replies import Language, render
from app.domain.sign_up_replies import order_summary, sign_up_text
from app.domain.text import has_control
from app.domain.ussd import WORDS, Cancelled, Screen, fits_screen, walk
from app.domain.ussd_menu import ussd_tree
from app.services import keyword_router, sign_up
from app.services.answers import Answer, ReplyContext
from app.services.inbound import USSD_SCREEN, InboundMessage, handle_inbound, storable
from app.services.turn import Turn
from app.store.unit_of_work import UnitOfWork

#: Outcomes after which the session goes on (CON); every other one ends it (END).
CONTINUES = frozenset({Outcome.MENU, Outcome.CONFIRMATION_REQUIRED})
INPUT_SEPARATOR = "*"


@dataclass(frozen=True, slots=True)
class UssdStep:
    gateway: str  # "ussd-http", "ussd-smpp:<bind>"
    session_id: str
    msisdn: str
    service_code: str
    inputs: tuple[str, ...]
    received_at: datetime


@dataclass(frozen=True, slots=True)
class UssdScreen:
    text: str
    end: bool
    outcome: str


def step_id(msisdn: str, session_id: str, inputs: Sequence[str]) -> str:
    """One message id per (number, session, inputs so far): a retried request is
    the same message and gets the same screen, acting on nothing twice. The number
    is part of it because a session is one handset's: a gateway whose session ids
    repeat across numbers (a counter, say) must not make one number's step the
    repeat of another's."""
    key = f"{msisdn}:{session_id}:{INPUT_SEPARATOR.join(inputs)}"
    if len(key) <= 128 and not has_control(key) and storable(key) == key:
        return key
    # Too long, or garbage a database key cannot hold (NUL, half a surrogate pair).
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def handle_ussd(
    uow_factory: Callable[[], UnitOfWork], step: UssdStep, context: ReplyContext, sms_channel: str
) -> UssdScreen:
    message = InboundMessage(
        gateway=step.gateway,
        message_id=step_id(step.msisdn, step.session_id, step.inputs),
        msisdn=step.msisdn,
        short_code=context.short_code,  # the sender of any SMS the step sends
        text=INPUT_SEPARATOR.join(step.inputs),
        received_at=step.received_at,
    )
    inputs = list(step.inputs)

    def answer(turn: Turn, _message: InboundMessage) -> Answer:
        return _step(turn, inputs)

    result = handle_inbound(
        uow_factory, message, context, USSD_SCREEN, answerer=answer, sms_channel=sms_channel
    )
    screen = next(r for r in result.replies if r.channel == USSD_SCREEN)
    return UssdScreen(screen.text, result.outcome not in CONTINUES, result.outcome)


def _step(turn: Turn, inputs: list[str]) -> Answer:
    chinese = turn.chinese
    language = turn.context.language
    where = walk(ussd_tree(dict.fromkeys(turn.campaigns.values())), inputs, chinese)
    if isinstance(where, Screen):
        return Answer(Outcome.MENU, where.text, "ussd")
    if isinstance(where, Cancelled):
        return Answer(Outcome.ORDER_DECLINED, render("ussd.declined", language))
    command = parse(where.command, keyword_router.vocabulary_of(turn))
    campaign = turn.campaigns.get(command.keyword)
    if campaign is not None and where.confirm_node is not None and turn.row is not None:
        return _confirm_screen(turn, campaign, command.args)
    if campaign is not None and where.confirmed and turn.row is not None:
        done = sign_up.sign_up(turn, campaign, command, confirmed=True)
    else:
        done = keyword_router.answer(turn, where.command, depth=1)
    return _ending(done, language)


def _confirm_screen(turn: Turn, campaign: Campaign, args: tuple[str, ...]) -> Answer:
    """The paid order's own screen: what, price, period, then 1 confirm / 2 cancel."""
    decision = sign_up.decide(turn, campaign, args, confirmed=False)
    if decision.outcome is not Outcome.CONFIRMATION_REQUIRED or decision.grant is None:
        text = sign_up_text(campaign, decision, turn.context.language)
        return _ending(Answer(decision.outcome, text, decision.reason), turn.context.language)
    summary = order_summary(campaign, decision.grant, turn.context.language)
    return Answer(
        Outcome.CONFIRMATION_REQUIRED, f"{summary}\n{WORDS[turn.chinese]['confirm']}", "ussd"
    )


def _ending(done: Answer, language: Language) -> Answer:
    """The last screen. A sign-up sends its success SMS; an answer too long for
    one screen goes by SMS and the screen says so."""
    if done.outcome is Outcome.ACTIVATED or not fits_screen(done.text):
        return Answer(done.outcome, render("ussd.see_sms", language), done.detail, sms=done.text)
    return done
