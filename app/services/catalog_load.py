"""Load a catalog file into the store without undoing an operator's edits.

Two use cases. `seed_catalog` is what the service runs at every start: it
fills an empty store from the shipped file and otherwise changes nothing, so
a restart never undoes what the admin API changed. `load_catalog` is an
operator's explicit load: it compares the file with the store entry by entry
and field by field. Stored data that only came from an earlier load is
updated (the upgrade path); data changed through the API since the last load
(or never loaded at all) is overwritten only when told to `replace`, else the
whole load is refused and nothing is written.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.catalog import DEFAULT_CATALOG
from app.catalog.schema import CatalogError, CatalogSpec, parse_catalog
from app.services.catalog import PHOTO_WINDOW, campaign_row_values, read_catalog_file
from app.services.catalog_revisions import LOAD, campaign_body, loaded_bodies, record
from app.services.clock import utc_now
from app.store.models import CampaignRow
from app.store.unit_of_work import UnitOfWork

UowFactory = Callable[[], UnitOfWork]

NEW = "new"
UNCHANGED = "unchanged"
UPDATE = "update"  # differs, and the store holds what an earlier load left
EDITED = "edited"  # differs, and the store holds an operator's edit

_ABSENT = object()


@dataclass(frozen=True, slots=True)
class FieldChange:
    field: str  # dotted path: `packages.0.monthly_fee_yuan`
    stored: Any
    file: Any


@dataclass(frozen=True, slots=True)
class EntryPlan:
    """What a load does to one campaign (by code) or to the photo window."""

    subject: str
    status: str
    changes: tuple[FieldChange, ...] = ()
    ever_loaded: bool = True  # False: no load wrote it (created through the API, or older)

    @property
    def fields(self) -> str:
        return ", ".join(change.field for change in self.changes)


@dataclass(slots=True)
class LoadReport:
    path: Path
    entries: list[EntryPlan]
    only_in_store: list[str]  # campaigns the file does not hold: left as they are
    replace: bool
    written: bool = False

    @property
    def codes(self) -> list[str]:
        return [e.subject for e in self.entries if e.subject != PHOTO_WINDOW]

    def having(self, status: str) -> list[EntryPlan]:
        return [e for e in self.entries if e.status == status]

    @property
    def refused(self) -> bool:
        return bool(self.having(EDITED)) and not self.replace


class LoadRefused(CatalogError):
    """The file would overwrite changes made through the API; nothing was written."""

    def __init__(self, report: LoadReport) -> None:
        self.report = report
        edits = "; ".join(f"{_label(e.subject)} ({e.fields})" for e in report.having(EDITED))
        super().__init__(
            f"refused: the file would overwrite catalog data changed through the admin API "
            f"since the last load: {edits}. Nothing was written. Check their history "
            f"(GET /v1/campaigns/CODE/history), then load again with --replace to overwrite "
            f"them, or change the file."
        )


@dataclass(frozen=True, slots=True)
class SeedReport:
    campaigns: list[str] = field(default_factory=list)  # seeded codes; empty: left alone
    photo_window: bool = False  # seeded


def seed_catalog(uow_factory: UowFactory, path: Path = DEFAULT_CATALOG) -> SeedReport:
    """Fill an empty store: the campaigns when none is stored, the photo window
    when none is set. Whatever is stored stays exactly as it is, so running
    this at every start of the service is safe."""
    with uow_factory() as uow:
        uow.catalog_revisions.lock()  # two replicas starting at once seed once
        want_campaigns = not uow.catalog.campaigns(include_closed=True)
        want_window = uow.catalog.setting(PHOTO_WINDOW) is None
        if not (want_campaigns or want_window):
            return SeedReport()  # the file is not even read: it cannot matter
        spec = parse_catalog(read_catalog_file(path))
        now = utc_now()
        if want_window:
            _put_photo_window(uow, spec, "seed")
        if want_campaigns:
            for campaign in spec.campaigns:
                row = CampaignRow(
                    code=campaign.code, closed=False, **campaign_row_values(campaign, now)
                )
                _add(uow, row, "seed")
        uow.commit()
        return SeedReport([c.code for c in spec.campaigns] if want_campaigns else [], want_window)


def load_catalog(
    uow_factory: UowFactory,
    path: Path = DEFAULT_CATALOG,
    *,
    replace: bool = False,
    dry_run: bool = False,
) -> LoadReport:
    """Validate the file, compare it with the store and, unless `dry_run`,
    write it in one transaction: an invalid file changes nothing, and neither
    does a refused one (raises LoadRefused naming each edited entry and field).

    A campaign closed through the admin API stays closed (the file says
    nothing about that), and a keyword may not clash with an open campaign
    that the file does not hold (one created through the API).
    """
    spec = parse_catalog(read_catalog_file(path))
    with uow_factory() as uow:
        uow.catalog_revisions.lock()
        _check_keywords(uow, spec)
        report = _plan(uow, spec, path, replace)
        if dry_run:
            return report
        if report.refused:
            raise LoadRefused(report)
        _apply(uow, spec, report)
        uow.commit()
        report.written = True
        return report


def _check_keywords(uow: UnitOfWork, spec: CatalogSpec) -> None:
    in_file = {c.code for c in spec.campaigns}
    for other in uow.catalog.campaigns():
        if other.code in in_file:
            continue
        for campaign in spec.campaigns:
            clash = set(campaign.keywords) & set(other.keywords)
            if clash:
                raise CatalogError(
                    f"campaigns.{campaign.code}.keywords: {', '.join(sorted(clash))} "
                    f"is used by open campaign {other.code}"
                )


def _plan(uow: UnitOfWork, spec: CatalogSpec, path: Path, replace: bool) -> LoadReport:
    loaded = loaded_bodies(uow)
    stored = {row.code: row for row in uow.catalog.campaigns(include_closed=True)}
    entries = [
        _entry(
            PHOTO_WINDOW,
            uow.catalog.setting(PHOTO_WINDOW),
            spec.photo_window.model_dump(mode="json"),
            loaded.get(PHOTO_WINDOW),
        )
    ]
    for campaign in spec.campaigns:
        row = stored.get(campaign.code)
        last = loaded.get(campaign.code)
        entries.append(
            _entry(
                campaign.code,
                None if row is None else dict(row.terms),
                campaign.model_dump(mode="json"),
                None if last is None else last["campaign"],
            )
        )
    in_file = {c.code for c in spec.campaigns}
    return LoadReport(path, entries, [code for code in stored if code not in in_file], replace)


def _entry(
    subject: str, stored: dict[str, Any] | None, wanted: dict[str, Any], last_loaded: Any
) -> EntryPlan:
    if stored is None:
        return EntryPlan(subject, NEW)
    changes = tuple(_differences(stored, wanted))
    if not changes:
        return EntryPlan(subject, UNCHANGED)
    # Compared by content: an edit undone by hand (or by a rollback) is no edit.
    status = UPDATE if stored == last_loaded else EDITED
    return EntryPlan(subject, status, changes, last_loaded is not None)


def _differences(stored: Any, wanted: Any, at: str = "") -> Iterator[FieldChange]:
    """Field by field; lists of mappings (packages, offers, tiers) item by item."""
    if isinstance(stored, dict) and isinstance(wanted, dict):
        for key in [*stored, *(k for k in wanted if k not in stored)]:
            yield from _differences(
                stored.get(key, _ABSENT), wanted.get(key, _ABSENT), f"{at}.{key}" if at else key
            )
    elif _mappings(stored) and _mappings(wanted):
        for index in range(max(len(stored), len(wanted))):
            yield from _differences(
                stored[index] if index < len(stored) else _ABSENT,
                wanted[index] if index < len(wanted) else _ABSENT,
                f"{at}.{index}",
            )
    elif stored != wanted:
        yield FieldChange(at, stored, wanted)


def _mappings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, dict) for item in value)


def _apply(uow: UnitOfWork, spec: CatalogSpec, report: LoadReport) -> None:
    now = utc_now()
    plans = {entry.subject: entry for entry in report.entries}
    if plans[PHOTO_WINDOW].status != UNCHANGED:
        _put_photo_window(uow, spec, "load")
    for campaign in spec.campaigns:
        status = plans[campaign.code].status
        values = campaign_row_values(campaign, now)
        if status == NEW:
            _add(uow, CampaignRow(code=campaign.code, closed=False, **values), "load")
        elif status != UNCHANGED:  # an update, or an edit we were told to replace
            row = uow.catalog.campaign(campaign.code)
            assert row is not None
            previous = campaign_body(row)
            for name, value in values.items():
                setattr(row, name, value)
            record(uow, row.code, "load", LOAD, previous, campaign_body(row), now)


def _add(uow: UnitOfWork, row: CampaignRow, action: str) -> None:
    assert uow.session is not None
    uow.session.add(row)
    record(uow, row.code, action, LOAD, None, campaign_body(row), row.updated_at)


def _put_photo_window(uow: UnitOfWork, spec: CatalogSpec, action: str) -> None:
    previous = uow.catalog.setting(PHOTO_WINDOW)
    value = spec.photo_window.model_dump(mode="json")
    uow.catalog.put_setting(PHOTO_WINDOW, value)
    record(uow, PHOTO_WINDOW, action, LOAD, previous, value, utc_now())


# --- what the command line prints -------------------------------------------


def describe_load(report: LoadReport, dry_run: bool = False) -> list[str]:
    """The plan, entry by entry and field by field, then what was done."""
    lines = [f"{report.path} against the stored catalog (stored -> file):"]
    for entry in report.entries:
        lines.append(f"  {_label(entry.subject)}: {_status_text(entry, report.replace)}")
        for change in entry.changes:
            lines.append(f"    {change.field}: {_shown(change.stored)} -> {_shown(change.file)}")
    if report.only_in_store:
        lines.append(f"  only in the store, left as they are: {', '.join(report.only_in_store)}")
    updated = [_label(e.subject) for e in report.having(UPDATE)]
    replaced = [f"{_label(e.subject)} ({e.fields})" for e in report.having(EDITED)]
    if dry_run:
        lines.append("dry run: nothing written")
        if report.refused:
            lines.append("a load would be refused: use --replace to overwrite the edited entries")
        return lines
    if not report.written:
        return lines
    if not (updated or replaced or report.having(NEW)):
        lines.append("catalog loaded: the store holds the file already, nothing changed")
        return lines
    lines.append(f"catalog loaded: {', '.join(report.codes)}")
    if updated:
        lines.append(f"updated (stored data unchanged since an earlier load): {', '.join(updated)}")
    if replaced:
        lines.append(f"replaced changes made through the admin API: {'; '.join(replaced)}")
    return lines


def describe_seed(report: SeedReport) -> str:
    if not (report.campaigns or report.photo_window):
        return "catalog seed: the store holds a catalog already; left the stored catalog alone"
    parts = []
    if report.campaigns:
        parts.append(f"campaigns {', '.join(report.campaigns)}")
    if report.photo_window:
        parts.append("the photo window")
    return f"catalog seeded into an empty store: {' and '.join(parts)}"


def _status_text(entry: EntryPlan, replace: bool) -> str:
    if entry.status == NEW:
        return "new, added"
    if entry.status == UNCHANGED:
        return "unchanged"
    if entry.status == UPDATE:
        return "updated: stored data unchanged since an earlier load"
    why = (
        "changed through the admin API since the last load"
        if entry.ever_loaded
        else "not from a load (created through the admin API, or stored before revisions were kept)"
    )
    return f"{why}; {'replaced (--replace)' if replace else 'kept: --replace overwrites it'}"


def _label(subject: str) -> str:
    return "photo window" if subject == PHOTO_WINDOW else subject


def _shown(value: Any) -> str:
    return "(none)" if value is _ABSENT else json.dumps(value, ensure_ascii=False)
