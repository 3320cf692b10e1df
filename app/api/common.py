"""What the admin routes share: the runtime, the admin token, paging, today, CSV."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from app.runtime import Runtime
from app.security import require_token
from app.services.clock import local_day, utc_now
from app.services.csv_rows import csv_lines


def runtime_of(request: Request) -> Runtime:
    return request.app.state.runtime


admin_auth = require_token(lambda r: runtime_of(r).settings.admin_token, "admin")


def admin_router() -> APIRouter:
    return APIRouter(prefix="/v1", tags=["admin"], dependencies=[Depends(admin_auth)])


RuntimeDep = Annotated[Runtime, Depends(runtime_of)]
MAX_PAGE = 500
#: The largest row id the store holds (a signed 64-bit integer on both databases): a
#: larger id, cursor or offset is a 422, not an overflow in the driver. Activations
#: and catalog revisions are numbered in 32 bits (INTEGER on PostgreSQL).
MAX_ROW_ID = 2**63 - 1
MAX_SMALL_ID = 2**31 - 1
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"rows per page (1..{MAX_PAGE})")]
_CURSOR = "`next_cursor` of the previous page; 0 (default) starts"
Cursor = Annotated[int, Query(ge=0, le=MAX_ROW_ID, description=_CURSOR)]
SmallCursor = Annotated[int, Query(ge=0, le=MAX_SMALL_ID, description=_CURSOR)]
Offset = Annotated[int, Query(ge=0, le=MAX_ROW_ID, description="rows to skip")]
Format = Annotated[Literal["json", "csv"], Query(description="`csv` streams every match")]


def today(runtime: Runtime) -> date:
    """Today in operator time, by the service clock."""
    return local_day(utc_now(), runtime.settings.zone)


def next_cursor(ids: Sequence[int], limit: int) -> int | None:
    """The cursor of the page after this one; None on the last page."""
    return ids[-1] if len(ids) == limit and ids else None


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> StreamingResponse:
    return StreamingResponse(
        csv_lines(header, rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
