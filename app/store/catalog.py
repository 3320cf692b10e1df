"""Queries on the campaign catalog."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.store.catalog_changes import CatalogChanges, catalog_changes
from app.store.models import CampaignRow, CatalogSettingRow


class CatalogRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def campaigns(self, include_closed: bool = False) -> list[CampaignRow]:
        query = select(CampaignRow).order_by(CampaignRow.id)  # catalog file order
        if not include_closed:
            query = query.where(CampaignRow.closed.is_(False))
        return list(self.session.scalars(query))

    def changes(self) -> CatalogChanges:
        """This process's watch on whether the stored catalog changed (no query)."""
        return catalog_changes(self.session.get_bind())  # type: ignore[arg-type]

    def open_versions(self) -> list[tuple[int, datetime]]:
        """(id, updated_at) of every open campaign, in catalog order: enough to
        tell whether a cached copy of the catalog is still current."""
        query = (
            select(CampaignRow.id, CampaignRow.updated_at)
            .where(CampaignRow.closed.is_(False))
            .order_by(CampaignRow.id)
        )
        return [(row_id, updated_at) for row_id, updated_at in self.session.execute(query)]

    def terms(self, campaign_id: int) -> dict[str, Any]:
        terms: dict[str, Any] = self.session.scalars(
            select(CampaignRow.terms).where(CampaignRow.id == campaign_id)
        ).one()
        return terms

    def campaign(self, code: str) -> CampaignRow | None:
        return self.session.scalar(select(CampaignRow).where(CampaignRow.code == code))

    def setting(self, key: str) -> dict[str, Any] | None:
        row = self.session.get(CatalogSettingRow, key)
        return None if row is None else row.value

    def put_setting(self, key: str, value: dict[str, Any]) -> None:
        row = self.session.get(CatalogSettingRow, key)
        if row is None:
            self.session.add(CatalogSettingRow(key=key, value=value))
        else:
            row.value = value
