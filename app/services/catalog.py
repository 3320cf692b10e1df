"""Read the stored catalog as domain objects; what loading a catalog file shares.

Loading itself (seed, compare, refuse, replace) is in `catalog_load`.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from app.catalog.schema import (
    AnyCampaignSpec,
    CatalogError,
    PhotoWindowSpec,
    campaign_from_terms,
)
from app.domain.campaigns import Campaign
from app.domain.commands import normalise
from app.domain.segments import PhotoWindow
from app.store.catalog_changes import CatalogChanges
from app.store.unit_of_work import UnitOfWork

PHOTO_WINDOW = "photo_window"


def read_catalog_file(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise CatalogError(f"{path}: {error}") from error
    if not isinstance(data, dict):
        raise CatalogError(f"{path}: a catalog is a mapping with photo_window and campaigns")
    return data


def campaign_row_values(spec: AnyCampaignSpec, now: datetime) -> dict[str, Any]:
    """The columns of a campaign row for a validated spec (open/closed aside)."""
    return dict(
        kind=spec.kind,
        name_zh=spec.name_zh,
        name_en=spec.name_en,
        keywords=list(spec.keywords),
        starts_on=spec.starts_on,
        ends_on=spec.ends_on,
        terms=spec.model_dump(mode="json"),
        updated_at=now,
    )


#: Built campaigns by (row id, updated_at). Every message reads the catalog
#: (so a change applies to the next message without a restart) but rebuilds a
#: campaign only when its row changed: validating terms is most of the cost.
_BUILT: dict[tuple[int, datetime], Campaign] = {}


def open_campaigns(uow: UnitOfWork) -> list[Campaign]:
    campaigns = []
    for version in uow.catalog.open_versions():
        built = _BUILT.get(version)
        if built is None:
            if len(_BUILT) > 1000:  # edited many times over: start afresh
                _BUILT.clear()
            built = _BUILT[version] = campaign_from_terms(uow.catalog.terms(version[0]))
        campaigns.append(built)
    return campaigns


def campaign_keywords() -> frozenset[str]:
    """The keywords of every campaign this process has read from the catalog (a set as
    small as the catalog, for labels that must stay bounded), without a query."""
    return frozenset(normalise(k) for c in list(_BUILT.values()) for k in c.keywords)


def campaigns_by_keyword(uow: UnitOfWork) -> dict[str, Campaign]:
    """Every open campaign under each of its keywords. Read per message, so a
    catalog change takes effect on the next message without a restart."""
    return {keyword: c for c in open_campaigns(uow) for keyword in c.keywords}


@dataclass(frozen=True, slots=True)
class CatalogSnapshot:
    """What a message batch reads of the catalog: open campaigns by keyword, and the
    photo window (None while none is loaded: a message that needs it fails alone)."""

    by_keyword: dict[str, Campaign]
    photo: PhotoWindow | None


_SNAPSHOTS: weakref.WeakKeyDictionary[CatalogChanges, tuple[int, CatalogSnapshot]] = (
    weakref.WeakKeyDictionary()
)


def catalog_snapshot(uow: UnitOfWork) -> CatalogSnapshot:
    """The catalog as of now, read from the database only when it changed since the
    last read (`app/store/catalog_changes.py`): a change applies to the next batch
    without a restart, and a batch of an unchanged catalog costs no query."""
    changes = uow.catalog.changes()
    generation = changes.generation()
    cached = _SNAPSHOTS.get(changes)
    if generation is not None and cached is not None and cached[0] == generation:
        return cached[1]
    try:
        photo: PhotoWindow | None = photo_window(uow)
    except CatalogError:
        photo = None
    snapshot = CatalogSnapshot(campaigns_by_keyword(uow), photo)
    if generation is not None:
        _SNAPSHOTS[changes] = (generation, snapshot)
    return snapshot


def photo_window(uow: UnitOfWork) -> PhotoWindow:
    stored = uow.catalog.setting(PHOTO_WINDOW)
    if stored is None:
        raise CatalogError("no photo window in the store: run `smshall catalog load`")
    return PhotoWindowSpec.model_validate(stored).to_domain()
