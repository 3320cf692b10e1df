"""The sender's offer to take replies as they are written, and its refusal once stopping."""

from __future__ import annotations

from collections.abc import Callable

from app.gateways.links.sender import MAX_IN_HAND
from app.gateways.smpp.esme import EsmeConnection
from app.gateways.smpp.sender import SmppSender
from app.services.outbox import ClaimedReply
from app.settings import Settings
from app.store.unit_of_work import UnitOfWork


class Bound:
    """A transmitter is bound, but nothing may be sent (no connection)."""

    any_transmitter = True

    def transmitter(self) -> EsmeConnection | None:
        return None

    def window_capacity(self) -> int:
        return 10


def test_a_claim_is_offered_while_there_is_room_and_not_once_stopped(
    uow_factory: Callable[[], UnitOfWork], settings: Settings
) -> None:
    sender = SmppSender(uow_factory, Bound(), settings, worker="w1")
    claim = sender.offer_claim()
    assert claim is not None
    assert (claim.channel, claim.worker, claim.lease) == ("smpp", "w1", settings.outbox_claim_lease)
    sender._in_flight = MAX_IN_HAND  # as many in hand as it holds
    assert sender.offer_claim() is None
    sender._in_flight = 0
    sender.stop()
    assert sender.offer_claim() is None


def test_replies_handed_to_a_stopped_sender_are_left_to_their_lease(
    uow_factory: Callable[[], UnitOfWork], settings: Settings
) -> None:
    sender = SmppSender(uow_factory, Bound(), settings, worker="w1")
    sender.stop()
    sender.take([ClaimedReply(1, "13800138000", "10086", "hi", 1)])
    assert sender.counters["handed"] == 0 and sender._in_flight == 0
