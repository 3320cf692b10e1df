"""The campaign catalog over the admin API: list, read, create, replace, close,
reopen, and the photo window, each with its history of revisions and rollback.
Bodies use the catalog file's shape (money in yuan)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Request, status

from app.api.common import MAX_SMALL_ID
from app.catalog.schema import CatalogError
from app.runtime import Runtime
from app.security import require_token
from app.services import catalog_admin
from app.services.catalog_admin import CampaignNotFound, CatalogConflict
from app.services.catalog_revisions import RevisionNotFound, RevisionView
from app.store.unit_of_work import UnitOfWork


def _runtime(request: Request) -> Runtime:
    return request.app.state.runtime


def _uow_factory(request: Request) -> Callable[[], UnitOfWork]:
    return _runtime(request).uow_factory


admin_auth = require_token(lambda r: _runtime(r).settings.admin_token, "admin")
router = APIRouter(prefix="/v1", tags=["admin"], dependencies=[Depends(admin_auth)])
Uow = Annotated[Callable[[], UnitOfWork], Depends(_uow_factory)]
JsonBody = Annotated[dict[str, Any], Body()]
#: `{"revision": N}`: the revision whose body a rollback restores.
RevisionNumber = Annotated[int, Body(embed=True, alias="revision", ge=1, le=MAX_SMALL_ID)]


@contextmanager
def _http_errors() -> Iterator[None]:
    """Service errors as HTTP: invalid 422, unknown 404, clash 409; the detail names the field."""
    try:
        yield
    except (CampaignNotFound, RevisionNotFound) as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
    except CatalogConflict as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error
    except CatalogError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from error


@router.get("/campaigns")
def list_campaigns(uow: Uow, include_closed: bool = False) -> dict[str, Any]:
    views = catalog_admin.list_campaigns(uow, include_closed)
    return {"campaigns": [asdict(v) for v in views]}


@router.get("/campaigns/{code}")
def get_campaign(code: str, uow: Uow) -> dict[str, Any]:
    with _http_errors():
        return asdict(catalog_admin.get_campaign(uow, code))


@router.post("/campaigns", status_code=status.HTTP_201_CREATED)
def create_campaign(body: JsonBody, uow: Uow) -> dict[str, Any]:
    with _http_errors():
        return asdict(catalog_admin.create_campaign(uow, body))


@router.put("/campaigns/{code}")
def replace_campaign(code: str, body: JsonBody, uow: Uow) -> dict[str, Any]:
    with _http_errors():
        return asdict(catalog_admin.replace_campaign(uow, code, body))


@router.post("/campaigns/{code}/close")
def close_campaign(code: str, uow: Uow) -> dict[str, Any]:
    with _http_errors():
        return asdict(catalog_admin.close_campaign(uow, code))


@router.post("/campaigns/{code}/open")
def open_campaign(code: str, uow: Uow) -> dict[str, Any]:
    with _http_errors():
        return asdict(catalog_admin.open_campaign(uow, code))


@router.get("/campaigns/{code}/history")
def campaign_history(code: str, uow: Uow) -> dict[str, Any]:
    with _http_errors():
        return {"code": code, "revisions": _revisions(catalog_admin.campaign_history(uow, code))}


@router.post("/campaigns/{code}/rollback")
def rollback_campaign(code: str, revision: RevisionNumber, uow: Uow) -> dict[str, Any]:
    with _http_errors():
        return asdict(catalog_admin.rollback_campaign(uow, code, revision))


def _revisions(views: list[RevisionView]) -> list[dict[str, Any]]:
    return [asdict(view) for view in views]


@router.get("/catalog/photo-window")
def get_photo_window(uow: Uow) -> dict[str, str]:
    window = catalog_admin.get_photo_window(uow)
    if window is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no photo window: load a catalog first")
    return window


@router.put("/catalog/photo-window")
def put_photo_window(body: JsonBody, uow: Uow) -> dict[str, str]:
    with _http_errors():
        return catalog_admin.set_photo_window(uow, body)


@router.get("/catalog/photo-window/history")
def photo_window_history(uow: Uow) -> dict[str, Any]:
    return {"revisions": _revisions(catalog_admin.photo_window_history(uow))}


@router.post("/catalog/photo-window/rollback")
def rollback_photo_window(revision: RevisionNumber, uow: Uow) -> dict[str, str]:
    with _http_errors():
        return catalog_admin.rollback_photo_window(uow, revision)
