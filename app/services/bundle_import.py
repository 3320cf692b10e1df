"""`smshall import bundles FILE.csv`: each subscriber's sticky-service bundles
(DOMAIN.md §8: number, kind, valid from, valid to), imported like usage — the
whole file or nothing, a bad row named by line and column, again = update by
(msisdn, kind, valid_from).

Columns: `msisdn,kind,valid_from,valid_to` (`valid_to` empty while it runs);
`kind` one of app/domain/kpi.py's `BundleKind`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app.domain.kpi import BundleKind
from app.services.importing import (
    BATCH,
    MAX_REPORTED,
    ImportFailed,
    ImportReport,
    Progress,
    _BadCell,
    _choice,
    _date,
    _existing_ids,
    _rows,
)
from app.services.msisdn import InvalidMsisdn, normalise_msisdn
from app.store.models import BundleRow
from app.store.unit_of_work import UnitOfWork
from app.store.upsert import upsert

BUNDLE_COLUMNS = ("msisdn", "kind", "valid_from", "valid_to")
BUNDLE_REQUIRED = ("msisdn", "kind", "valid_from")
_KEY = ["subscriber_id", "kind", "valid_from"]


def _bundle_values(cells: dict[str, str]) -> dict[str, Any]:
    for column in BUNDLE_REQUIRED:
        if not cells.get(column):
            raise _BadCell(column, "required")
    try:
        msisdn = normalise_msisdn(cells["msisdn"])
    except InvalidMsisdn as error:
        raise _BadCell("msisdn", str(error)) from None
    valid_from = _date("valid_from", cells["valid_from"])
    valid_to = _date("valid_to", c) if (c := cells.get("valid_to")) else None
    if valid_to is not None and valid_to < valid_from:
        raise _BadCell("valid_to", "ends before valid_from")
    kind = _choice("kind", cells["kind"], BundleKind)
    return {"msisdn": msisdn, "kind": kind, "valid_from": valid_from, "valid_to": valid_to}


def _validate(path: Path) -> list[dict[str, Any]]:
    good: list[dict[str, Any]] = []
    problems: list[str] = []
    seen: dict[tuple[Any, ...], int] = {}
    for line, cells in _rows(path, BUNDLE_COLUMNS, BUNDLE_REQUIRED):
        try:
            values = _bundle_values(cells)
        except _BadCell as bad:
            problems.append(f"line {line}, column {bad.column}: {bad}")
        else:
            key = (values["msisdn"], values["kind"], values["valid_from"])
            if key in seen:
                problems.append(f"line {line}, column msisdn: repeats line {seen[key]}")
            seen[key] = line
            good.append(values)
        if len(problems) >= MAX_REPORTED:
            problems.append("(stopped after 20 problems)")
            break
    if problems:
        raise ImportFailed(problems)
    return good


def import_bundles(
    uow_factory: Callable[[], UnitOfWork], path: Path, progress: Progress | None = None
) -> ImportReport:
    rows = _validate(path)
    with uow_factory() as uow:
        session = uow.session
        assert session is not None
        ids = _existing_ids(session, sorted({r["msisdn"] for r in rows}))
        unknown = sorted({r["msisdn"] for r in rows if r["msisdn"] not in ids})
        if unknown:
            raise ImportFailed(
                [f"column msisdn: no such subscriber: {m}" for m in unknown[:MAX_REPORTED]]
            )
        table = BundleRow.__table__
        query = select(table.c.subscriber_id, table.c.kind, table.c.valid_from).where(
            table.c.subscriber_id.in_(set(ids.values()))
        )
        before = {tuple(row) for row in session.execute(query)}
        records = [
            {
                "subscriber_id": ids[r["msisdn"]],
                "kind": r["kind"],
                "valid_from": r["valid_from"],
                "valid_to": r["valid_to"],
            }
            for r in rows
        ]
        for start in range(0, len(records), BATCH):
            upsert(session, table, records[start : start + BATCH], _KEY)
            if progress:
                progress(min(start + BATCH, len(records)), len(records))
        uow.commit()
    updated = sum(1 for r in records if tuple(r[k] for k in _KEY) in before)
    return ImportReport(len(records), len(records) - updated, updated)
