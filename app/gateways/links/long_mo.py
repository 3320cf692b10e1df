"""Long MO (SMPP and CMPP) put back together in the database, shared by every
service process: an SMSC may spread the parts of one message over the binds of
different processes.

A gateway hands over the parts of a whole batch at once (`add`: one
transaction of four statements, `app/store/long_mo.py`); a single-part MO never
comes here. Whichever process stores the last part joins the message, exactly
once: the long MO's row is locked while a part is added. Parts may come in any
order and more than once. A message whose parts are not all in within `ttl`
seconds (`smpp_concat_ttl`, default 120) is given up on: `stale()` returns
what arrived, in order, so the subscriber still gets an answer; any process
may do this, and two doing it at once answer it once (below).

The whole MO is recorded under an id made from its reference and first
arrival (`message_id`), the same whichever process joins it, expires it, or
joins it again: a part delivered again after its message was joined (our
response to it was lost, or the process that joined it died before acting)
joins it again, and `handle_inbound` answers that copy from the first one, or
acts on it if nothing was recorded. A part of a message given up on is
answered and dropped. A finished message is forgotten a TTL later.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import timedelta

from app.domain.channels import Channel
from app.gateways.links.concatenation import PartInfo
from app.services.clock import utc_now
from app.store.long_mo import ArrivedPart, LongMo, LongMoRepository
from app.store.unit_of_work import UnitOfWork


def message_id(long_mo: LongMo) -> str:
    """The id a long MO is recorded under, whoever joins it."""
    seed = f"{long_mo.reference}|{long_mo.first_seen.isoformat()}".encode()
    return f"long:{hashlib.sha256(seed).hexdigest()[:24]}"


class LongMoAssembly:
    def __init__(
        self, uow_factory: Callable[[], UnitOfWork], ttl: float, channel: str = Channel.SMPP
    ) -> None:
        self.uow_factory = uow_factory
        self.ttl = ttl
        self.channel = channel

    def part(
        self,
        link: str,
        source: str,
        destination: str,
        info: PartInfo,
        data_coding: int,
        payload: bytes,
        gateway_id: str | None = None,
    ) -> ArrivedPart:
        """A part as stored. Its message is known by sender, recipient, reference and
        part count, not by bind: the parts of one may come in on several."""
        reference = f"{self.channel}|{source}|{destination}|{info.reference}|{info.total}"
        return ArrivedPart(
            reference, link, source, destination, info.total, info.number,
            data_coding, payload, gateway_id,
        )  # fmt: skip

    def add(self, parts: Sequence[ArrivedPart]) -> list[LongMo | None]:
        """Store a batch's parts. For each, the long MO to act on now: the whole,
        joined by this part (the last of its message in the batch stands for it),
        or joined before and delivered again; None for a part held for the rest,
        or of a message given up on."""
        with self.uow_factory() as uow:
            assert uow.session is not None
            stored = LongMoRepository(uow.session).add_parts(parts, utc_now())
            uow.commit()
        last = {p.reference: index for index, p in enumerate(parts)}
        return [
            stored[p.reference] if last[p.reference] == i and stored[p.reference].complete else None
            for i, p in enumerate(parts)
        ]

    def stale(self) -> list[LongMo]:
        """Messages whose parts did not all come within the TTL, with what did."""
        with self.uow_factory() as uow:
            assert uow.session is not None
            cutoff = utc_now() - timedelta(seconds=self.ttl)
            return LongMoRepository(uow.session).stale(self.channel, cutoff)

    def finish(self, ids: Sequence[int]) -> None:
        """Mark answered the messages given up on, and forget those finished a TTL ago."""
        with self.uow_factory() as uow:
            assert uow.session is not None
            now = utc_now()
            store = LongMoRepository(uow.session)
            store.finish(ids, now)
            store.forget(now - timedelta(seconds=self.ttl))
            uow.commit()
