"""`smshall import subscribers|usage FILE.csv` and `smshall export …`.

An import checks the whole file while streaming it into the store (COPY on
PostgreSQL), then merges it by msisdn (and month), all in one transaction: a
file is imported whole or not at all, and a bad row names its line and column
(`app/services/import_files.py`). An export writes the same columns in the same
formats, so that exporting, importing into an empty store and exporting again
gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from app.metrics import jobs as job_metrics
from app.services.clock import utc_now
from app.services.import_cells import SUBSCRIBER_COLUMNS, SUBSCRIBER_REQUIRED, USAGE_COLUMNS
from app.services.import_files import (
    MAX_REPORTED,
    SUBSCRIBERS,
    USAGE,
    FileKind,
    ImportFailed,
    count_lines,
    read_chunks,
)
from app.store import bulk, csv_export
from app.store.unit_of_work import UnitOfWork

__all__ = [
    "SUBSCRIBER_COLUMNS",
    "SUBSCRIBER_REQUIRED",
    "USAGE_COLUMNS",
    "ImportFailed",
    "ImportReport",
    "export_subscribers",
    "export_usage",
    "import_subscribers",
    "import_usage",
]

Progress = Callable[[int, int], None]
#: A store's merge of rows that name subscribers: `bulk.merge_usage`'s signature.
KnownNumbersMerge = Callable[[Session, bulk.Chunks, int], bulk.Merged]


@dataclass(frozen=True, slots=True)
class ImportReport:
    rows: int
    inserted: int
    updated: int


def _reported(
    chunks: Iterator[list[tuple[Any, ...]]], path: Path, progress: Progress | None
) -> Iterator[list[tuple[Any, ...]]]:
    """The chunks, with `progress(rows done, rows expected)` after each is written."""
    if progress is None:
        yield from chunks
        return
    expected = max(count_lines(path) - 1, 0)
    done = 0
    progress(0, expected)
    for chunk in chunks:
        yield chunk
        done += len(chunk)
        progress(done, max(expected, done))


def import_subscribers(
    uow_factory: Callable[[], UnitOfWork], path: Path, progress: Progress | None = None
) -> ImportReport:
    """Insert or update every subscriber of the file by msisdn (DOMAIN.md §1): a
    stored subscriber's columns the file lacks, and its opt-out, are left as they are."""
    with uow_factory() as uow:
        assert uow.session is not None
        header: list[str] = []  # filled as the file is read, before its first chunk
        chunks = _reported(read_chunks(path, SUBSCRIBERS, header=header), path, progress)
        merged = bulk.merge_subscribers(uow.session, chunks, utc_now(), header)
        uow.commit()
    return job_metrics.imported(
        "subscribers", ImportReport(merged.rows, merged.inserted, merged.updated)
    )


def import_usage(
    uow_factory: Callable[[], UnitOfWork], path: Path, progress: Progress | None = None
) -> ImportReport:
    """Insert or update monthly usage by msisdn and month; every number must be a
    known subscriber."""
    report = import_of_known_numbers(uow_factory, path, USAGE, bulk.merge_usage, progress)
    return job_metrics.imported("usage", report)


def import_of_known_numbers(
    uow_factory: Callable[[], UnitOfWork],
    path: Path,
    kind: FileKind,
    merge: KnownNumbersMerge,
    progress: Progress | None,
) -> ImportReport:
    """Import a file whose rows name subscribers that must exist: the whole file
    is refused, naming up to MAX_REPORTED numbers, if any is unknown."""
    with uow_factory() as uow:
        assert uow.session is not None
        chunks = _reported(read_chunks(path, kind), path, progress)
        try:
            merged = merge(uow.session, chunks, MAX_REPORTED)
        except bulk.UnknownSubscribers as unknown:
            raise ImportFailed(
                [f"column msisdn: no such subscriber: {m}" for m in unknown.msisdns]
            ) from None
        uow.commit()
    return ImportReport(merged.rows, merged.inserted, merged.updated)


def export_subscribers(uow_factory: Callable[[], UnitOfWork], path: Path) -> int:
    """Every subscriber into `path`, in the import's columns and formats; the rows written."""
    with uow_factory() as uow, path.open("wb") as out:
        assert uow.session is not None
        return csv_export.export_subscribers(uow.session, out, SUBSCRIBER_COLUMNS)


def export_usage(uow_factory: Callable[[], UnitOfWork], path: Path) -> int:
    """Every month of usage into `path`, as the usage import reads it."""
    with uow_factory() as uow, path.open("wb") as out:
        assert uow.session is not None
        return csv_export.export_usage(uow.session, out, USAGE_COLUMNS)
