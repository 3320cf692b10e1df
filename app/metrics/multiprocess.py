"""Multi-process mode for `smshall serve --workers N`: each worker writes its values
to files in one directory, which `/metrics` aggregates, whichever worker answers.

The directory comes from `SMSHALL_METRICS_DIR` or `PROMETHEUS_MULTIPROC_DIR`; it is
emptied when serve starts (old workers' counts must not add to the new ones) and
must be set before prometheus_client is first imported by a worker, which the
environment does: workers are started afresh and inherit it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from app.metrics.exposition import MULTIPROC_ENV


def prepare_workers(configured: str, workers: int) -> Path | None:
    """Before workers start: the emptied directory they share, or None for one process."""
    if workers <= 1:
        return None
    path = Path(configured or os.environ.get(MULTIPROC_ENV) or "var/metrics")
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    os.environ[MULTIPROC_ENV] = str(path.resolve())
    return path


def worker_exited(pid: int | None = None) -> None:
    """A worker is stopping: its live gauges leave the aggregate (counters stay)."""
    path = os.environ.get(MULTIPROC_ENV)
    if path:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid or os.getpid(), path)
