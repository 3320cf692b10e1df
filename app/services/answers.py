"""The answer to one inbound message, and what a deployment answers with."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from app.domain.flood import FloodGuard
from app.domain.outcomes import Outcome
from app.domain.replies import Language


@dataclass(frozen=True, slots=True)
class Answer:
    outcome: Outcome
    text: str
    #: Why, for support staff (e.g. `excluded:granted_vip`); never shown to the subscriber.
    detail: str = ""
    #: A further SMS the answer sends, e.g. the success SMS of a USSD sign-up.
    sms: str | None = None


@dataclass(frozen=True, slots=True)
class ReplyContext:
    """How this deployment answers: language, operator time zone and the
    lifetimes of the questions a subscriber may answer (DOMAIN.md §5, §6)."""

    language: Language
    zone: ZoneInfo
    confirm_hours: int = 24
    menu_minutes: int = 10
    cancel_list_hours: int = 2
    #: The most SMS parts a reply that quotes the subscriber may take: the quote is
    #: cut to fit, never the facts (app/domain/replies.py `with_echo`).
    max_reply_parts: int = 3
    #: The short code every reply is sent from, whatever destination the MO named.
    short_code: str = "10086"
    #: Per-number flood limits (app/domain/flood.py), shared by every gateway of the
    #: process; None admits everything.
    flood: FloodGuard | None = None
