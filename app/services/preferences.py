"""Opting out of (and back into) messages that are not answers (DOMAIN.md §6, §7a).

STOP and its aliases are honoured from anyone, known subscriber or not, and
answered (the confirmation itself is the last marketing-free message).
"""

from __future__ import annotations

from app.domain.outcomes import Outcome
from app.domain.replies import render
from app.services.answers import Answer
from app.services.clock import utc_now
from app.services.turn import Turn


def opt_out(turn: Turn) -> Answer:
    if turn.row is not None:
        turn.row.opted_out = True
        turn.uow.notices.drop_on_opt_out(turn.msisdn, utc_now())  # §7a: held ones too
    return Answer(Outcome.OPTED_OUT, render("opted_out", turn.context.language))


def opt_in(turn: Turn) -> Answer:
    if turn.row is not None:
        turn.row.opted_out = False
    return Answer(Outcome.OPTED_IN, render("opted_in", turn.context.language))
