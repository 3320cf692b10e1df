"""Replies as CMPP SUBMITs: free to the subscriber, from the SP code, split with a UDH."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from app.gateways.cmpp.pdus import V20, V30, Submit
from app.gateways.cmpp.replies import CmppReplies
from app.gateways.verdicts import Verdict
from app.services.outbox import ClaimedReply
from tests.cmpp.ismg import link_config


def submits(text: str) -> list[Submit]:
    replies = CmppReplies()
    reply = ClaimedReply(0x1234, "13800138000", "10086", text, 1)
    link = SimpleNamespace(config=link_config(7890, sp_code="1008601"))
    return replies.parts(reply, replies.prepare(reply), link)  # type: ignore[arg-type]


def test_a_short_ascii_reply_is_one_free_submit_from_the_sp_code() -> None:
    [submit] = submits("Balance: 12.50")
    assert (submit.msg_fmt, submit.content, submit.tp_udhi) == (0, b"Balance: 12.50", 0)
    assert (submit.pk_total, submit.pk_number, submit.registered_delivery) == (1, 1, 1)
    assert (submit.fee_type, submit.fee_code, submit.fee_user_type) == ("01", "000000", 2)
    assert submit.src_id == "1008601" and submit.msg_src == "901234"
    assert submit.service_id == "HELP" and submit.dest_terminal_ids == ("13800138000",)
    assert Submit.decode(submit.encode(V20), V20) == submit


def test_a_long_chinese_reply_goes_in_ucs2_parts_with_an_8_bit_reference() -> None:
    parts = submits("您好" * 50)
    assert [p.pk_number for p in parts] == [1, 2] and {p.pk_total for p in parts} == {2}
    assert all(p.tp_udhi == 1 and p.msg_fmt == 8 for p in parts)
    assert [p.content[:6] for p in parts] == [bytes((5, 0, 3, 0x34, 2, n)) for n in (1, 2)]
    text = b"".join(p.content[6:] for p in parts).decode("utf-16-be")
    assert text == "您好" * 50


@pytest.mark.parametrize("version", [V20, V30])
def test_result_verdicts(version: int) -> None:
    replies = CmppReplies()
    link = SimpleNamespace(version=version)
    assert replies.verdict(0, link) is Verdict.OK  # type: ignore[arg-type]
    assert replies.verdict(8, link) is Verdict.THROTTLED  # type: ignore[arg-type]
    assert replies.verdict(3, link) is Verdict.TEMPORARY  # type: ignore[arg-type]
    assert replies.verdict(13, link) is Verdict.PERMANENT  # type: ignore[arg-type]
    assert replies.verdict(200, link) is Verdict.TEMPORARY  # type: ignore[arg-type]


def test_result_9_is_temporary_on_a_2_0_link_and_permanent_on_a_3_0_one() -> None:
    replies = CmppReplies()
    on_2_0, on_3_0 = SimpleNamespace(version=V20), SimpleNamespace(version=V30)
    assert replies.verdict(9, on_2_0) is Verdict.TEMPORARY  # type: ignore[arg-type]
    assert replies.verdict(9, on_3_0) is Verdict.PERMANENT  # type: ignore[arg-type]
