"""Outbox depth and the age of its oldest due reply, read when scraped: the one
statement `/health` runs (`queue_figures`, on the outbox's state index)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from app.services.health import outbox_health
from app.store.unit_of_work import UnitOfWork


class OutboxDepth(Collector):
    def __init__(self, uow_factory: Callable[[], UnitOfWork]) -> None:
        self.uow_factory = uow_factory

    def collect(self) -> Iterator[Metric]:
        figures = outbox_health(self.uow_factory, float("inf"))
        if figures.queued is None:  # the database did not answer: no figure rather than 0
            return
        yield GaugeMetricFamily(
            "smshall_outbox_queued", "Replies and notices queued in the outbox", figures.queued
        )
        yield GaugeMetricFamily(
            "smshall_outbox_oldest_queued_age_seconds",
            "How long the oldest reply due to leave has waited (0 when none)",
            figures.oldest_due_seconds or 0.0,
        )
