"""The text `/metrics` answers: this process's registry, or every worker's files in
multi-process mode, then what is read when scraped (binds, outbox depth)."""

from __future__ import annotations

import os

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

#: What `generate_latest` writes: the text format 0.0.4, whatever the library's newest is.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
#: Where the workers' value files live; prometheus_client reads it when first imported.
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def counted_registry() -> CollectorRegistry:
    """The counters and histograms: every worker's, aggregated, in multi-process mode."""
    path = os.environ.get(MULTIPROC_ENV)
    if not path:
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path)
    return registry


def exposition(*read_when_scraped: Collector) -> bytes:
    """Prometheus text format: the counted series, then those read now."""
    scraped = CollectorRegistry(auto_describe=False)
    for collector in read_when_scraped:
        scraped.register(collector)
    return generate_latest(counted_registry()) + generate_latest(scraped)
