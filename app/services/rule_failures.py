"""A message a rule failed on still gets an answer (DESIGN.md: every inbound
message gets a reply, garbage included): what the rule had written is rolled
back with its savepoint, the message is recorded and answered with an apology
(`service_error`), and the failure is logged by type and frames, never with the
message's text. A redelivery of it then gets that answer again, where leaving
it unanswered would have the gateway deliver it again and again."""

from __future__ import annotations

import logging
import traceback

from sqlalchemy.exc import SQLAlchemyError

from app.domain.outcomes import Outcome
from app.domain.replies import render
from app.services.answers import Answer
from app.services.inbound_messages import InboundMessage, MessageIdTaken
from app.services.turn import Turn
from app.store.messages import DuplicateInbound

log = logging.getLogger("smshall.inbound")


def is_rule_failure(error: Exception) -> bool:
    """A fault of the rules (a bug, a catalog they cannot read), not the store's:
    a database error or a message id taken is for the caller to act on."""
    return not isinstance(error, SQLAlchemyError | MessageIdTaken | DuplicateInbound)


def service_error(turn: Turn, message: InboundMessage) -> Answer:
    return Answer(Outcome.SERVICE_ERROR, render("service_error", turn.context.language))


def log_rule_failure(message: InboundMessage, error: Exception) -> None:
    frames = "".join(traceback.format_tb(error.__traceback__))
    log.error(
        "MO %s of %s: a rule raised %s; answered with the service error\n%s",
        message.message_id, message.gateway, type(error).__name__, frames,
    )  # fmt: skip
