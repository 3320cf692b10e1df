"""`smshall import bundles FILE.csv`: each subscriber's sticky-service bundles
(DOMAIN.md §8: number, kind, valid from, valid to), imported like usage — the
whole file or nothing, a bad row named by line and column, again = update by
(msisdn, kind, valid_from).

Columns: `msisdn,kind,valid_from,valid_to` (`valid_to` empty while it runs);
`kind` one of app/domain/kpi.py's `BundleKind`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from app.domain.kpi import BundleKind
from app.services.import_cells import _BadCell, _choice, _date_of, _msisdn
from app.services.import_files import FileKind
from app.services.importing import ImportReport, Progress, import_of_known_numbers
from app.store import bundles
from app.store.unit_of_work import UnitOfWork

BUNDLE_COLUMNS = ("msisdn", "kind", "valid_from", "valid_to")
BUNDLE_REQUIRED = ("msisdn", "kind", "valid_from")


def bundle_values(cells: Sequence[str], line: int) -> tuple[Any, ...]:
    """One bundle row: msisdn, kind, valid from and to (ISO text, `to` None while it
    runs); and then `line`."""
    msisdn, kind, valid_from, valid_to = cells
    for column, text in zip(BUNDLE_COLUMNS, cells, strict=True):
        if column in BUNDLE_REQUIRED and not text:
            raise _BadCell(column, "required")
    msisdn = _msisdn(msisdn)
    kind = _choice("kind", kind, BundleKind)
    starts = _date_of("valid_from", valid_from)
    ends = _date_of("valid_to", valid_to) if valid_to else None
    # ISO dates of four-digit years order as text does.
    if ends is not None and ends < starts:
        raise _BadCell("valid_to", "ends before valid_from")
    return msisdn, kind, starts, ends, line


#: A repeat is the same (msisdn, kind, valid_from).
BUNDLES = FileKind(BUNDLE_COLUMNS, BUNDLE_REQUIRED, bundle_values, 3)


def import_bundles(
    uow_factory: Callable[[], UnitOfWork], path: Path, progress: Progress | None = None
) -> ImportReport:
    """Insert or update every bundle of the file by (subscriber, kind, valid_from);
    every number must be a known subscriber."""
    return import_of_known_numbers(uow_factory, path, BUNDLES, bundles.merge_bundles, progress)
