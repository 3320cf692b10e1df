"""MO from the HTTP gateways, written in batches while each request awaits its own answer.

A request puts its message on the queue and awaits a future; a worker takes
whatever is waiting (`app/gateways/batches.py`) and hands it to
`handle_inbound_many`: one transaction per batch instead of one per request,
and no threadpool hop for the request itself. A message that fails answers
its own request with 500 and the rest get their replies; a message id another
process recorded first is answered from that first copy (the service reads it).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import defaultdict
from concurrent.futures import Future
from dataclasses import dataclass

from fastapi import Request

from app.domain.text import excerpt, mask_msisdn
from app.gateways.batches import Batches, writers_for
from app.runtime import Runtime
from app.services.inbound import InboundMessage, InboundResult, handle_inbound_many

#: The most messages one transaction takes; the workers writing them are
#: `inbound_writers` (one on SQLite, see `writers_for`).
BATCH = 64

log = logging.getLogger("smshall.http.mo")


@dataclass(frozen=True, slots=True)
class _Waiting:
    message: InboundMessage
    reply_channel: str
    answer: Future[InboundResult]


class InboundQueue:
    def __init__(self, runtime: Runtime, size: int = BATCH) -> None:
        self.runtime = runtime
        workers = writers_for(runtime.engine.dialect.name, runtime.settings.inbound_writers)
        self._batches: Batches[_Waiting] = Batches(
            self._write, workers=workers, size=size, name="http-mo"
        )

    async def handle(self, message: InboundMessage, reply_channel: str) -> InboundResult:
        """`handle_inbound` for one request, committed with whatever else is waiting."""
        answer: Future[InboundResult] = Future()
        self._batches.start()  # idempotent: workers start with the first request
        self._batches.put(_Waiting(message, reply_channel, answer))
        result = await asyncio.wrap_future(answer)
        # The number masked, the text left out: it may carry a name or a birthday.
        log.info(
            "%s: MO %s from %s -> %s%s, %d reply(s) on %s",
            message.gateway, excerpt(message.message_id, 40), mask_msisdn(message.msisdn),
            result.outcome, " (duplicate)" if result.duplicate else "", len(result.replies),
            reply_channel,
        )  # fmt: skip
        return result

    def stop(self) -> None:
        self._batches.stop()

    def _write(self, batch: list[_Waiting]) -> None:
        by_channel: dict[str, list[_Waiting]] = defaultdict(list)
        for waiting in batch:
            by_channel[waiting.reply_channel].append(waiting)
        for channel, group in by_channel.items():
            try:
                results = handle_inbound_many(
                    self.runtime.uow_factory,
                    [w.message for w in group],
                    self.runtime.reply_context,
                    channel,
                )
            except Exception as error:  # the commit failed: nothing of the group was kept
                results = list(itertools.repeat(error, len(group)))
            for waiting, result in zip(group, results, strict=True):
                self._settle(waiting, result)

    def _settle(self, waiting: _Waiting, result: InboundResult | Exception) -> None:
        if isinstance(result, Exception):
            waiting.answer.set_exception(result)
        else:
            waiting.answer.set_result(result)


def inbound_queue(request: Request) -> InboundQueue:
    """The application's queue (`app/main.py` puts one on `app.state`)."""
    return request.app.state.inbound_queue
