"""Sending texts through handle_inbound, as a gateway would, for service tests."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.exc import OperationalError

from app.domain.replies import Language
from app.runtime import Runtime
from app.services import keyword_router
from app.services.answers import Answer, ReplyContext
from app.services.inbound import InboundMessage, InboundResult, handle_inbound
from app.services.turn import Turn
from tests.support import store

SHANGHAI = ZoneInfo("Asia/Shanghai")
CONTEXT = ReplyContext(Language.ZH, SHANGHAI)
NOV_23 = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)
_ids = itertools.count(1)


def send(
    runtime: Runtime,
    text: str,
    message_id: str | None = None,
    msisdn: str = "13800138000",
    at: datetime = NOV_23,
    context: ReplyContext = CONTEXT,
) -> InboundResult:
    message_id = message_id or f"auto-{next(_ids)}"
    message = InboundMessage("test", message_id, msisdn, "10086", text, at)
    return handle_inbound(runtime.uow_factory, message, context)


class Phone:
    """One subscriber texting in order, the clock moving as told."""

    def __init__(
        self,
        runtime: Runtime,
        msisdn: str = "13800138000",
        at: datetime = NOV_23,
        context: ReplyContext = CONTEXT,
    ):
        self.runtime, self.msisdn, self.at, self.context = runtime, msisdn, at, context

    def text(self, body: str, after: timedelta = timedelta(seconds=30)) -> InboundResult:
        self.at += after
        return send(self.runtime, body, msisdn=self.msisdn, at=self.at, context=self.context)

    def reply(self, body: str, after: timedelta = timedelta(seconds=30)) -> str:
        return self.text(body, after).replies[0].text


def count(runtime: Runtime, model: type) -> int:
    return store.count(runtime.uow_factory, model)


def fail_store_for(monkeypatch: pytest.MonkeyPatch, msisdn: str) -> None:
    """Make one number's message fail in the store after its inbound row was written
    (the database refusing it), for tests of what one failing message takes down
    with it. A rule's own fault is answered instead (tests/services/test_rule_failures.py)."""
    real = keyword_router.answer

    def failing(turn: Turn, text: str) -> Answer:
        if turn.msisdn == msisdn:
            raise OperationalError("INSERT …", {}, Exception("the database refused it"))
        return real(turn, text)

    monkeypatch.setattr(keyword_router, "answer", failing)
