"""Edit the campaign catalog through the admin API (DOMAIN.md §4: campaigns are data).

One use case per function, one transaction each. Entries are validated by the
same specs as the catalog file, so an edit can store nothing a file could not.
Every change keeps a revision (who: `admin`) in the same transaction, and an
earlier revision can be restored; a restore is itself a new revision.
Message batches read the catalog anew once a change commits (`catalog_snapshot`), so a change
here takes effect on the next message without a restart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from app.catalog.schema import (
    AnyCampaignSpec,
    CatalogError,
    PhotoWindowSpec,
    parse_campaign,
)
from app.services.catalog import PHOTO_WINDOW, campaign_row_values
from app.services.catalog_revisions import (
    ADMIN,
    RevisionView,
    campaign_body,
    history,
    record,
    revision_body,
)
from app.services.clock import utc_now
from app.store.models import CampaignRow
from app.store.unit_of_work import UnitOfWork

UowFactory = Callable[[], UnitOfWork]


class CampaignNotFound(LookupError):
    """No campaign with that code."""


class CatalogConflict(ValueError):
    """The edit is valid on its own but clashes with the stored catalog."""


@dataclass(frozen=True, slots=True)
class CampaignView:
    code: str
    kind: str
    closed: bool
    updated_at: datetime
    campaign: dict[str, Any]  # the catalog file's shape: PUT it back after editing


def _view(row: CampaignRow) -> CampaignView:
    return CampaignView(row.code, row.kind, row.closed, row.updated_at, dict(row.terms))


def _validated(data: Any) -> AnyCampaignSpec:
    """The catalog spec, and a domain campaign that builds from it: a stored
    entry that cannot build would break every message."""
    spec = parse_campaign(data)
    try:
        spec.to_domain()
    except ValueError as error:
        raise CatalogError(f"{spec.code}: {error}") from error
    return spec


def _check_keywords(uow: UnitOfWork, code: str, keywords: list[str]) -> None:
    """A keyword answers for one open campaign only, as in the catalog file.
    Built-in commands are refused by the catalog schema itself."""
    for other in uow.catalog.campaigns():
        if other.code == code:
            continue
        for keyword in keywords:
            if keyword in other.keywords:
                raise CatalogConflict(f"keyword {keyword} is used by open campaign {other.code}")


def _found(uow: UnitOfWork, code: str) -> CampaignRow:
    row = uow.catalog.campaign(code)
    if row is None:
        raise CampaignNotFound(f"no campaign {code}")
    return row


def _commit(uow: UnitOfWork, code: str) -> None:
    try:
        uow.commit()
    except IntegrityError as error:  # a concurrent create of the same code won
        raise CatalogConflict(f"campaign {code} already exists") from error


def list_campaigns(uow_factory: UowFactory, include_closed: bool = False) -> list[CampaignView]:
    with uow_factory() as uow:
        return [_view(row) for row in uow.catalog.campaigns(include_closed=include_closed)]


def get_campaign(uow_factory: UowFactory, code: str) -> CampaignView:
    with uow_factory() as uow:
        return _view(_found(uow, code))


def create_campaign(uow_factory: UowFactory, data: Any) -> CampaignView:
    """Add an open campaign. Raises CatalogError (invalid), CatalogConflict
    (the code exists, or a keyword is taken)."""
    spec = _validated(data)
    with uow_factory() as uow:
        uow.catalog_revisions.lock()
        if uow.catalog.campaign(spec.code) is not None:
            raise CatalogConflict(f"campaign {spec.code} already exists")
        _check_keywords(uow, spec.code, spec.keywords)
        now = utc_now()
        row = CampaignRow(code=spec.code, closed=False, **campaign_row_values(spec, now))
        assert uow.session is not None
        uow.session.add(row)
        record(uow, spec.code, "create", ADMIN, None, campaign_body(row), now)
        _commit(uow, spec.code)
        return _view(row)


def replace_campaign(uow_factory: UowFactory, code: str, data: Any) -> CampaignView:
    """Replace a campaign's terms; it stays open or closed as it was.

    The kind cannot change: activations already granted record it.
    """
    spec = _validated(data)
    if spec.code != code:
        raise CatalogError(f"code: {spec.code} does not match the campaign in the path ({code})")
    with uow_factory() as uow:
        uow.catalog_revisions.lock()
        row = _found(uow, code)
        _put_terms(uow, row, spec, row.closed, "replace")
        _commit(uow, code)
        return _view(row)


def _put_terms(
    uow: UnitOfWork,
    row: CampaignRow,
    spec: AnyCampaignSpec,
    closed: bool,
    action: str,
    restored: int | None = None,
) -> None:
    """Store validated terms (and the open/closed state) and keep the revision."""
    if spec.kind != row.kind:
        raise CatalogConflict(
            f"kind: campaign {row.code} is {row.kind}; close it and create a new campaign"
        )
    if not closed:  # a closed campaign's keywords are checked when it reopens
        _check_keywords(uow, row.code, spec.keywords)
    previous, now = campaign_body(row), utc_now()
    for name, value in campaign_row_values(spec, now).items():
        setattr(row, name, value)
    row.closed = closed
    record(uow, row.code, action, ADMIN, previous, campaign_body(row), now, restored)


def close_campaign(uow_factory: UowFactory, code: str) -> CampaignView:
    """Stop answering the campaign's keywords and drop it from menus. Services
    already granted run their course (the scheduled jobs read closed campaigns too)."""
    return _set_closed(uow_factory, code, True)


def open_campaign(uow_factory: UowFactory, code: str) -> CampaignView:
    """Reopen a closed campaign, unless another open campaign took a keyword meanwhile."""
    return _set_closed(uow_factory, code, False)


def _set_closed(uow_factory: UowFactory, code: str, closed: bool) -> CampaignView:
    with uow_factory() as uow:
        uow.catalog_revisions.lock()
        row = _found(uow, code)
        if row.closed != closed:
            if not closed:
                _check_keywords(uow, code, list(row.keywords))
            previous = campaign_body(row)
            row.closed = closed
            row.updated_at = utc_now()
            action = "close" if closed else "reopen"
            record(uow, code, action, ADMIN, previous, campaign_body(row), row.updated_at)
        _commit(uow, code)
        return _view(row)


def campaign_history(uow_factory: UowFactory, code: str) -> list[RevisionView]:
    """The campaign's revisions, newest first."""
    get_campaign(uow_factory, code)  # 404 for a code never stored
    return history(uow_factory, code)


def rollback_campaign(uow_factory: UowFactory, code: str, revision: int) -> CampaignView:
    """Restore the campaign as revision `revision` left it (terms and open or
    closed), through the same checks as a replace; recorded as a new revision."""
    with uow_factory() as uow:
        uow.catalog_revisions.lock()
        row = _found(uow, code)
        body = revision_body(uow, code, revision)
        spec = _validated(body["campaign"])  # what was valid then must still be
        _put_terms(uow, row, spec, bool(body["closed"]), "rollback", revision)
        _commit(uow, code)
        return _view(row)


def get_photo_window(uow_factory: UowFactory) -> dict[str, str] | None:
    with uow_factory() as uow:
        stored = uow.catalog.setting(PHOTO_WINDOW)
        return None if stored is None else PhotoWindowSpec.model_validate(stored).model_dump()


def set_photo_window(uow_factory: UowFactory, data: Any) -> dict[str, str]:
    """Move the photo window (DOMAIN.md §3); segments are computed per message,
    so photographed eligibility follows on the next one."""
    try:
        spec = PhotoWindowSpec.model_validate(data)
    except ValidationError as error:
        raise CatalogError(
            "\n".join(
                f"{'.'.join(map(str, p['loc'])) or 'photo_window'}: {p['msg']}"
                for p in error.errors()
            )
        ) from error
    return _put_photo_window(uow_factory, spec.model_dump(mode="json"), "replace")


def _put_photo_window(
    uow_factory: UowFactory, value: dict[str, str], action: str, restored: int | None = None
) -> dict[str, str]:
    with uow_factory() as uow:
        uow.catalog_revisions.lock()
        previous = uow.catalog.setting(PHOTO_WINDOW)
        uow.catalog.put_setting(PHOTO_WINDOW, value)
        record(uow, PHOTO_WINDOW, action, ADMIN, previous, value, utc_now(), restored)
        uow.commit()
    return value


def photo_window_history(uow_factory: UowFactory) -> list[RevisionView]:
    return history(uow_factory, PHOTO_WINDOW)


def rollback_photo_window(uow_factory: UowFactory, revision: int) -> dict[str, str]:
    """Put back the photo window revision `revision` set; recorded as a new revision."""
    with uow_factory() as uow:
        body = revision_body(uow, PHOTO_WINDOW, revision)
    value = PhotoWindowSpec.model_validate(body).model_dump(mode="json")
    return _put_photo_window(uow_factory, value, "rollback", revision)
