"""DELIVER from the ISMG: status reports to the outbox, MO to `handle_inbound`.

The acting is the MO core's (`app/gateways/links/mo_core.py`, run for the `cmpp`
channel), shared with SMPP: the same batch transaction, long-MO reassembly and
receipt store.
What differs is the wire: an MO carries the ISMG's Msg_Id, so the inbound row
is keyed by (gateway `cmpp:<link>`, Msg_Id) and a DELIVER delivered again
(our DELIVER_RESP lost) is recorded once and answered from the first copy. A
long MO's parts are stored in the database with their Msg_Ids
(`app/gateways/links/long_mo.py`), and the whole is keyed by the Msg_Id of its
first part, whichever link each part came in on. A status report carries the
Msg_Id of the SUBMIT it reports on, which is how the reply's part was stored.

DELIVER_RESP Result: 0 once committed; 9 when it could not be stored (the
ISMG delivers it again); 1 (wrong structure) for a body that cannot be read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from app.domain.delivery_receipts import Receipt, parse_date, state_of_stat
from app.gateways.cmpp import coding, results
from app.gateways.cmpp.msg_id import render
from app.gateways.cmpp.pdus import Deliver, Frame, MalformedPdu, StatusReport
from app.gateways.links.concatenation import part_info_from_udh, split_udh
from app.gateways.links.mo_core import Handled, MoCore, PendingMo
from app.store.long_mo import ArrivedPart

log = logging.getLogger("smshall.cmpp.mo")

OK = 0
WRONG_STRUCTURE = 1


@dataclass(frozen=True, slots=True)
class Answer:
    """What DELIVER_RESP carries, and what the service did with the DELIVER."""

    msg_id: int
    result: int
    handled: Handled | None = None


@dataclass(frozen=True, slots=True)
class Arrived:
    link: str
    version: int
    frame: Frame


class CmppDeliveries:
    def __init__(self, core: MoCore) -> None:
        self.core = core

    def handle_many(
        self,
        arrivals: Sequence[Arrived],
        on_mos_committed: Callable[[list[tuple[int, Answer]]], None] | None = None,
    ) -> list[Answer]:
        answers: list[Answer | None] = [None] * len(arrivals)
        mos: list[tuple[int, int, PendingMo]] = []
        receipts: list[tuple[int, int, str, Receipt]] = []
        parts: list[tuple[int, int, ArrivedPart]] = []
        for index, arrived in enumerate(arrivals):
            try:
                sorted_out = self._sort_out(arrived)
            except Exception:  # this DELIVER alone is asked for again, not its batch
                log.exception("%s: DELIVER #%d not handled", arrived.link, arrived.frame.sequence)
                sorted_out = Answer(_msg_id(arrived.frame.body), results.DELIVER_AGAIN)
            if isinstance(sorted_out, Answer):
                answers[index] = sorted_out
            elif isinstance(sorted_out[1], PendingMo):
                mos.append((index, sorted_out[0], sorted_out[1]))
            elif isinstance(sorted_out[1], ArrivedPart):
                parts.append((index, sorted_out[0], sorted_out[1]))
            else:
                receipts.append((index, sorted_out[0], arrived.link, sorted_out[1]))
        joined = self.core.join([p for _, _, p in parts])
        for (index, msg_id, _), whole in zip(parts, joined, strict=True):
            if isinstance(whole, Handled):
                answers[index] = Answer(msg_id, _result(whole), whole)
            else:
                mos.append((index, msg_id, whole))
        mos.sort(key=lambda m: m[0])
        if mos:
            acted = self.core.act([m for _, _, m in mos], self.core.claim())
            done = [
                (index, Answer(msg_id, _result(handled), handled))
                for (index, msg_id, _), handled in zip(mos, acted, strict=True)
            ]
            for index, answer in done:
                answers[index] = answer
            if on_mos_committed is not None:
                on_mos_committed(done)
        if receipts:
            statuses = self.core.record_receipts([(i, link, r) for i, _, link, r in receipts])
            for (index, msg_id, _, _), status in zip(receipts, statuses, strict=True):
                answers[index] = Answer(msg_id, OK if status == 0 else results.DELIVER_AGAIN)
        assert all(a is not None for a in answers)
        return answers  # type: ignore[return-value]

    def _sort_out(self, arrived: Arrived) -> Answer | tuple[int, PendingMo | ArrivedPart | Receipt]:
        try:
            deliver = Deliver.decode(arrived.frame.body, arrived.version)
            if deliver.is_report:
                return deliver.msg_id, self._receipt(deliver.report(arrived.version))
        except MalformedPdu as error:
            msg_id = _msg_id(arrived.frame.body)
            log.warning("%s: unreadable DELIVER #%d (%s); answered Result 1",
                        arrived.link, arrived.frame.sequence, error)  # fmt: skip
            return Answer(msg_id, WRONG_STRUCTURE)
        return deliver.msg_id, self._mo(arrived.link, deliver)

    @staticmethod
    def _receipt(report: StatusReport) -> Receipt:
        stat = report.stat.strip().upper()
        done = parse_date(report.done_time)
        return Receipt(render(report.msg_id), stat, state_of_stat(stat), "", done)

    def _mo(self, link: str, deliver: Deliver) -> PendingMo | ArrivedPart:
        """The MO to act on, or a part of a long one to store."""
        source, destination = deliver.src_terminal_id, deliver.dest_id
        data_coding = coding.data_coding(deliver.msg_fmt)
        payload = deliver.content
        info = None
        if deliver.tp_udhi:
            header, payload = split_udh(deliver.content)
            info = part_info_from_udh(header)
        if info is None:
            return PendingMo(link, source, destination, data_coding, payload, None,
                             message_id=render(deliver.msg_id))  # fmt: skip
        return self.core.long_mos.part(
            link, source, destination, info, data_coding, payload, render(deliver.msg_id)
        )

    def expire_parts(self) -> None:
        """Long MO whose missing parts never came are answered with what did."""
        self.core.expire_parts()


def _result(handled: Handled) -> int:
    return OK if handled.status == 0 else results.DELIVER_AGAIN


def _msg_id(body: bytes) -> int:
    return int.from_bytes(body[:8], "big") if len(body) >= 8 else 0
