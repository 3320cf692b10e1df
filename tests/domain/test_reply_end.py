"""When receipts end a reply (app/domain/delivery_receipts.py, `reply_end`)."""

from __future__ import annotations

import pytest

from app.domain.delivery_receipts import PartState, ReplyEnd, reply_end
from app.domain.states import ReplyState

DELIVERED = PartState("delivered", "DELIVRD")
ON_ITS_WAY = PartState("sent", "ENROUTE")
FAILED = PartState("failed", "UNDELIV", "034")
EXPIRED = PartState("expired", "EXPIRED")


@pytest.mark.parametrize(
    ("parts", "end"),
    [
        ([], None),
        ([DELIVERED], ReplyEnd(ReplyState.DELIVERED)),
        ([DELIVERED, DELIVERED], ReplyEnd(ReplyState.DELIVERED)),
        # One part delivered, the other still on its way: not ended.
        ([DELIVERED, ON_ITS_WAY], None),
        ([ON_ITS_WAY], None),
        # Any failed part fails the reply, even before the others' receipts.
        ([ON_ITS_WAY, FAILED], ReplyEnd(ReplyState.FAILED, "receipt UNDELIV err 034")),
        ([DELIVERED, EXPIRED], ReplyEnd(ReplyState.EXPIRED, "receipt EXPIRED err -")),
        # Failed wins over expired, whichever part came first.
        ([EXPIRED, FAILED], ReplyEnd(ReplyState.FAILED, "receipt UNDELIV err 034")),
    ],
)
def test_reply_end(parts: list[PartState], end: ReplyEnd | None) -> None:
    assert reply_end(parts) == end
