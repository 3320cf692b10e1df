"""Load a catalog file into the store; read the stored catalog as domain objects."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from app.catalog import DEFAULT_CATALOG
from app.catalog.schema import (
    AnyCampaignSpec,
    CatalogError,
    PhotoWindowSpec,
    campaign_from_terms,
    parse_catalog,
)
from app.domain.campaigns import Campaign
from app.domain.segments import PhotoWindow
from app.services.clock import utc_now
from app.store.models import CampaignRow
from app.store.unit_of_work import UnitOfWork

PHOTO_WINDOW = "photo_window"


def read_catalog_file(path: Path) -> dict:
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


def load_catalog(uow_factory: Callable[[], UnitOfWork], path: Path = DEFAULT_CATALOG) -> list[str]:
    """Validate the file, then upsert every campaign and the photo window in
    one transaction: an invalid file changes nothing. Returns the codes loaded.

    A campaign closed through the admin API stays closed (the file says
    nothing about that), and a keyword may not clash with an open campaign
    that the file does not hold (one created through the API).
    """
    spec = parse_catalog(read_catalog_file(path))
    now = utc_now()
    in_file = {c.code for c in spec.campaigns}
    with uow_factory() as uow:
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
        uow.catalog.put_setting(PHOTO_WINDOW, spec.photo_window.model_dump(mode="json"))
        for campaign in spec.campaigns:
            values = campaign_row_values(campaign, now)
            row = uow.catalog.campaign(campaign.code)
            if row is None:
                assert uow.session is not None
                uow.session.add(CampaignRow(code=campaign.code, closed=False, **values))
            else:
                for name, value in values.items():
                    setattr(row, name, value)
        uow.commit()
    return [c.code for c in spec.campaigns]


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


def campaigns_by_keyword(uow: UnitOfWork) -> dict[str, Campaign]:
    """Every open campaign under each of its keywords. Read per message, so a
    catalog change takes effect on the next message without a restart."""
    return {keyword: c for c in open_campaigns(uow) for keyword in c.keywords}


def photo_window(uow: UnitOfWork) -> PhotoWindow:
    stored = uow.catalog.setting(PHOTO_WINDOW)
    if stored is None:
        raise CatalogError("no photo window in the store: run `smshall catalog load`")
    return PhotoWindowSpec.model_validate(stored).to_domain()
