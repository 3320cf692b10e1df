"""Catalog revisions: every change to a campaign or the photo window is kept.

A revision says who made the change (the token's role: `admin` for the API,
`load` for `smshall catalog load`), when, and the body before and after, so an
operator can see what a load or a colleague changed and roll it back. The
newest revision made by a load is also how a load tells stored data that only
came from a file (safe to update) from an operator's edit (kept unless told).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.services.catalog import PHOTO_WINDOW
from app.store.models import CampaignRow, CatalogRevisionRow
from app.store.unit_of_work import UnitOfWork

ADMIN = "admin"
LOAD = "load"


class RevisionNotFound(LookupError):
    """No such revision of that campaign or of the photo window."""


@dataclass(frozen=True, slots=True)
class RevisionView:
    revision: int
    action: str  # create, replace, close, reopen, load, seed, rollback
    who: str
    at: datetime
    previous: dict[str, Any] | None  # None: the entry was new
    body: dict[str, Any]
    restored: int | None  # a rollback: the revision whose body it restored


def campaign_body(row: CampaignRow) -> dict[str, Any]:
    """A campaign as its revisions keep it: the catalog file's shape and whether it is closed."""
    return {"closed": bool(row.closed), "campaign": dict(row.terms)}


def record(
    uow: UnitOfWork,
    subject: str,
    action: str,
    who: str,
    previous: dict[str, Any] | None,
    body: dict[str, Any],
    at: datetime,
    restored: int | None = None,
) -> None:
    """Keep a revision in the caller's transaction; a write that changed nothing leaves none."""
    if previous != body:
        uow.catalog_revisions.add(subject, action, who, previous, body, at, restored)


def loaded_bodies(uow: UnitOfWork) -> dict[str, dict[str, Any]]:
    """Per subject, the body the newest load left: what is stored unchanged since."""
    return uow.catalog_revisions.latest_bodies_by(LOAD)


def revision_body(uow: UnitOfWork, subject: str, number: int) -> dict[str, Any]:
    row = uow.catalog_revisions.revision(subject, number)
    if row is None:
        raise RevisionNotFound(f"{_name(subject)} has no revision {number}")
    return dict(row.body)


def history(uow_factory: Callable[[], UnitOfWork], subject: str) -> list[RevisionView]:
    """A campaign's (or the photo window's) revisions, newest first."""
    with uow_factory() as uow:
        return [_view(row) for row in uow.catalog_revisions.history(subject)]


def _view(row: CatalogRevisionRow) -> RevisionView:
    return RevisionView(
        row.number, row.action, row.actor, row.created_at, row.previous, row.body, row.restored
    )


def _name(subject: str) -> str:
    return "the photo window" if subject == PHOTO_WINDOW else f"campaign {subject}"
