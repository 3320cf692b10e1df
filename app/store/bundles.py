"""Subscribers' sticky-service bundles written from an import file (DOMAIN.md §8).

Bundle files are small beside subscriber and usage files (a few rows per
subscriber who has any), so they are merged in batches of plain upserts, a
statement per thousand rows, not through a staging table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.store.bulk import Merged, UnknownSubscribers
from app.store.models import BundleRow, SubscriberRow, table_of
from app.store.upsert import upsert

BATCH = 1000
_KEY = ["subscriber_id", "kind", "valid_from"]
_bundles = table_of(BundleRow)


def merge_bundles(
    session: Session, chunks: Iterable[list[tuple[Any, ...]]], report_unknown: int
) -> Merged:
    """Insert or update bundles (msisdn, kind, valid_from, valid_to, line) by
    (subscriber, kind, valid_from). Raises `UnknownSubscribers` (up to
    `report_unknown` numbers, in the file's order) and writes nothing when a row
    names a number with no subscriber."""
    rows = [row for chunk in chunks for row in chunk]
    ids = _subscriber_ids(session, sorted({row[0] for row in rows}))
    unknown = list(dict.fromkeys(row[0] for row in rows if row[0] not in ids))
    if unknown:
        raise UnknownSubscribers(unknown[:report_unknown])
    records = [
        {
            "subscriber_id": ids[msisdn],
            "kind": kind,
            "valid_from": date.fromisoformat(valid_from),
            "valid_to": date.fromisoformat(valid_to) if valid_to else None,
        }
        for msisdn, kind, valid_from, valid_to, _line in rows
    ]
    held = _held(session, sorted(set(ids.values())))
    for start in range(0, len(records), BATCH):
        upsert(session, _bundles, records[start : start + BATCH], _KEY)
    updated = sum(1 for r in records if (r["subscriber_id"], r["kind"], r["valid_from"]) in held)
    return Merged(len(records), len(records) - updated, updated)


def _subscriber_ids(session: Session, msisdns: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(msisdns), BATCH):
        query = select(SubscriberRow.msisdn, SubscriberRow.id).where(
            SubscriberRow.msisdn.in_(msisdns[start : start + BATCH])
        )
        found.update({msisdn: row_id for msisdn, row_id in session.execute(query)})
    return found


def _held(session: Session, subscriber_ids: Sequence[int]) -> set[tuple[int, str, date]]:
    """The bundles these subscribers hold already, by key."""
    held: set[tuple[int, str, date]] = set()
    for start in range(0, len(subscriber_ids), BATCH):
        query = select(_bundles.c.subscriber_id, _bundles.c.kind, _bundles.c.valid_from).where(
            _bundles.c.subscriber_id.in_(subscriber_ids[start : start + BATCH])
        )
        held.update((s, k, v) for s, k, v in session.execute(query))
    return held
