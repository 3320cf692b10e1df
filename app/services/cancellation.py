"""`0000` (the numbered list), replies by number, and `QX`/`TD` + code (DOMAIN.md §6)."""

from __future__ import annotations

from datetime import timedelta

from app.domain.cancellation import cancellable_by_sms, chosen_numbers
from app.domain.outcomes import Outcome
from app.domain.replies import Language, joined, render, with_echo
from app.domain.sign_up_replies import service_name
from app.domain.states import ActivationState, PromptKind
from app.services import menus
from app.services.answers import Answer
from app.services.clock import utc_now
from app.services.turn import Turn
from app.store.activations import in_force
from app.store.models import ActivationRow


def _name(turn: Turn, held: ActivationRow) -> str:
    campaign = turn.campaign(held.campaign_code)
    if campaign is None:
        return held.service_code
    return service_name(campaign, held.package_code, turn.context.language)


def service_list(turn: Turn) -> Answer:
    """The numbered list; a reply with item numbers within the list's lifetime (2 hours
    by default, SMSHALL_CANCEL_LIST_HOURS) cancels them."""
    assert turn.row is not None
    language = turn.context.language
    held = turn.uow.activations.active_of(turn.row.id, turn.on)
    if not held:
        return Answer(Outcome.SERVICE_LIST, render("service_list.none", language))
    items = [
        render("service_list.item", language, number=i, name=_name(turn, row))
        for i, row in enumerate(held, start=1)
    ]
    expires = turn.now + timedelta(hours=turn.context.cancel_list_hours)
    turn.uow.prompts.put(
        turn.msisdn, PromptKind.CANCEL_LIST, {"ids": [r.id for r in held]}, expires, utc_now()
    )
    separator = " " if language is Language.ZH else ", "
    hours = turn.context.cancel_list_hours
    text = render("service_list", language, items=separator.join(items), hours=hours)
    return Answer(Outcome.SERVICE_LIST, text)


def _cancel(turn: Turn, rows: list[ActivationRow]) -> Answer:
    language = turn.context.language
    contracts = [r for r in rows if not cancellable_by_sms(r.kind)]
    stopped = [r for r in rows if cancellable_by_sms(r.kind)]
    for row in stopped:
        row.state, row.ended_on = ActivationState.CANCELLED, turn.on
    turn.uow.notices.drop_on_cancel([r.id for r in stopped], utc_now())  # held reminders
    texts = []
    if stopped:
        names = ("、" if language is Language.ZH else ", ").join(_name(turn, r) for r in stopped)
        texts.append(render("cancelled", language, services=names))
    texts += [render("not_cancellable", language, service=_name(turn, r)) for r in contracts]
    outcome = Outcome.CANCELLED if stopped else Outcome.NOT_CANCELLABLE
    return Answer(outcome, joined(texts, language) if len(texts) > 1 else texts[0])


def cancel_numbers(turn: Turn, words: tuple[str, ...]) -> Answer:
    """Numbers replying to the open `0000` list. The list is read again under its
    lock and the services under theirs: of two replies racing for one list, the
    second finds it answered and gets what digits with no list get (the menu);
    a service cancelled meanwhile (`QX` + code) is not cancelled twice."""
    assert turn.row is not None
    turn.uow.activations.lock_subscriber(turn.row.id)  # before the prompt: one lock order
    prompt = turn.uow.prompts.locked(turn.msisdn, turn.now)
    if prompt is None or prompt.kind != PromptKind.CANCEL_LIST:
        return menus.show(turn, [])
    ids: list[int] = prompt.payload["ids"]
    numbers = chosen_numbers(words, len(ids))
    if numbers is None:
        return Answer(
            Outcome.INVALID_ARGUMENT, render("cancel.invalid_numbers", turn.context.language)
        )
    turn.uow.prompts.clear(turn.msisdn)
    rows = [turn.uow.activations.get(ids[n - 1]) for n in numbers]
    live = [
        r
        for r in turn.uow.activations.locked(turn.row.id, [r for r in rows if r is not None])
        if r.state in (ActivationState.ACTIVE, ActivationState.KEPT)
    ]
    if not live:  # cancelled meanwhile by QX
        return Answer(Outcome.SERVICE_LIST, render("service_list.none", turn.context.language))
    return _cancel(turn, live)


def cancel_code(turn: Turn, code: str) -> Answer:
    """`QX IWJZS`, `TDTYCL`: cancel the service with that code. It is read again
    under its lock: one cancelled or lapsed meanwhile is no longer held, one kept
    meanwhile is cancelled."""
    assert turn.row is not None
    wanted = code.upper()
    held = turn.uow.activations.active_of(turn.row.id, turn.on)
    rows = [
        r
        for r in turn.uow.activations.locked(
            turn.row.id, [r for r in held if r.service_code == wanted]
        )
        if in_force(r, turn.on)
    ]
    if not rows:
        context = turn.context
        text = with_echo("no_such_service", context.language, wanted, context.max_reply_parts)
        return Answer(Outcome.INVALID_ARGUMENT, text)
    return _cancel(turn, rows)
