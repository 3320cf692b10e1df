"""The in-service timer of the scheduled job (app/services/scheduled.py), a
background loop beside the outbox senders."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from app.services.clock import utc_now
from app.services.scheduled import run_scheduled
from app.settings import Settings
from app.store.unit_of_work import UnitOfWork

log = logging.getLogger("app.services.scheduled")


class ScheduledTimer:
    """Runs `run_scheduled` every `settings.scheduled_interval` seconds in a
    daemon thread (0 disables it). The first run waits one interval, so a
    restart loop cannot hammer the database. Several processes may each run
    one: one of them runs each tick (the job's advisory lock on PostgreSQL)."""

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        settings: Settings,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.uow_factory, self.settings, self.clock = uow_factory, settings, clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.runs = 0

    def start(self) -> None:
        if self.settings.scheduled_interval <= 0 or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._loop, name="smshall-scheduled", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.wait(self.settings.scheduled_interval):
            try:
                report = run_scheduled(self.uow_factory, self.clock(), self.settings)
                log.info("scheduled run: %s", report.as_dict())
            except Exception as error:  # keep the timer alive; no PII in the log line
                log.error("scheduled run failed: %s", type(error).__name__)
            self.runs += 1
