"""The loop that writes this process's SMPP binds and CMPP links to the database
every `link_status_interval` seconds (app/services/link_status.py), beside the
senders and the scheduled timer."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import datetime

from app.domain.channels import Channel
from app.gateways.links.service import LinkService
from app.services.clock import utc_now
from app.services.link_status import LinkReport, forget_process, report_links
from app.store.unit_of_work import UnitOfWork

log = logging.getLogger("smshall.gateways")


class LinkStatusReporter:
    """Reports at once, then every `interval` seconds; stopping takes the rows away.
    A failed report is logged and tried again at the next tick: a database that
    does not answer makes the links look stale elsewhere, which they then are."""

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        process: str,
        services: Sequence[tuple[Channel, LinkService]],
        interval: float,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.uow_factory, self.process, self.services = uow_factory, process, services
        self.interval, self.clock = interval, clock
        self.reports = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.interval <= 0 or not self.services or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._loop, name="smshall-links", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is None:
            return
        self._thread.join(timeout)
        self._thread = None
        try:
            forget_process(self.uow_factory, self.process)
        except Exception as error:  # stopping goes on; the rows turn stale, then go
            log.warning("link status not withdrawn: %s", type(error).__name__)

    def report(self) -> None:
        links = [
            LinkReport(channel, view)
            for channel, service in self.services
            for view in service.gateway.view()
        ]
        report_links(self.uow_factory, self.process, links, self.clock())
        self.reports += 1

    def _loop(self) -> None:
        while True:
            try:
                self.report()
            except Exception as error:  # keep reporting; the next tick tries again
                log.warning("link status not reported: %s", type(error).__name__)
            if self._stop.wait(self.interval):
                return
