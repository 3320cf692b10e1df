"""The link sender judges a CMPP SUBMIT_RESP Result by the version of the link that carried it.

Result 9 is "other error" on CMPP 2.0, a temporary matter, and "not this
gateway's number" on 3.0, which no resend mends. Runs on each database backend.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from app.gateways.cmpp.link import SubmitOutcome
from app.gateways.cmpp.pdus import Submit
from app.gateways.cmpp.replies import CmppReplies
from app.gateways.links.sender import LinkSender
from app.services.clock import utc_now
from app.services.outbox import claim_replies
from app.settings import Settings
from app.store.models import OutboundMessageRow
from app.store.unit_of_work import UnitOfWork
from tests.cmpp.ismg import link_config


class AnsweringLink:
    """A connected CMPP link whose ISMG answers every SUBMIT with one Result."""

    def __init__(self, version: str, result: int) -> None:
        self.config = link_config(7890, version=version)
        self.version = self.config.version_byte
        self.result = result
        self.submits: list[Submit] = []

    def submit(self, submit: Submit) -> SubmitOutcome:
        self.submits.append(submit)
        return SubmitOutcome(self.result, "")


class OneLink:
    any_transmitter = True

    def __init__(self, link: AnsweringLink) -> None:
        self.link = link

    def transmitter(self) -> AnsweringLink:
        return self.link

    def window_capacity(self) -> int:
        return 4


def queue_reply(uow_factory: Callable[[], UnitOfWork]) -> int:
    now = utc_now()
    with uow_factory() as uow:
        assert uow.session is not None
        row = OutboundMessageRow(
            msisdn="13800138000", sender="10086", text="Balance: 10 yuan", channel="cmpp",
            state="queued", attempts=0, next_attempt_at=now, created_at=now, updated_at=now,
        )  # fmt: skip
        uow.session.add(row)
        uow.commit()
        return row.id


@pytest.mark.parametrize(
    ("version", "state", "kind"),
    [("2.0", "queued", "temporary"), ("3.0", "failed", "permanent")],
)
def test_result_9_is_judged_by_the_version_of_the_link(
    version: str,
    state: str,
    kind: str,
    uow_factory: Callable[[], UnitOfWork],
    settings: Settings,
) -> None:
    link = AnsweringLink(version, 9)
    sender = LinkSender(uow_factory, OneLink(link), settings, CmppReplies(), worker="w1")
    row_id = queue_reply(uow_factory)
    [reply] = claim_replies(uow_factory, "cmpp", "w1", 10, 60.0)
    sender.send(reply)
    sender.stop()
    assert len(link.submits) == 1
    with uow_factory() as uow:
        assert uow.session is not None
        row = uow.session.get(OutboundMessageRow, row_id)
        assert row is not None
        assert (row.state, row.error_kind, row.last_status) == (state, kind, 9)
