"""`GET /v1/activations`: services granted, filtered; `format=csv` streams them all."""

from __future__ import annotations

from dataclasses import astuple, fields
from datetime import date
from typing import Annotated

from fastapi import HTTPException, Query, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from app.api.common import (
    Format,
    Limit,
    RuntimeDep,
    SmallCursor,
    admin_router,
    csv_response,
    next_cursor,
)
from app.domain.states import ActivationState
from app.services.activation_listing import activations_page, every_activation
from app.store.activation_listing import ActivationFilter, ActivationView

router = admin_router()


class ActivationPage(BaseModel):
    activations: list[ActivationView]
    next_cursor: int | None


Code = Annotated[str | None, Query(min_length=1, max_length=32)]


@router.get(
    "/activations",
    response_model=ActivationPage,
    responses={200: {"content": {"text/csv": {}}, "description": "JSON page, or CSV"}},
)
def list_activations(
    runtime: RuntimeDep,
    campaign: Code = None,
    package: Code = None,
    state: ActivationState | None = None,
    activated_from: Annotated[
        date | None, Query(alias="from", description="signed up on or after (YYYY-MM-DD)")
    ] = None,
    activated_to: Annotated[
        date | None, Query(alias="to", description="signed up on or before (YYYY-MM-DD)")
    ] = None,
    format: Format = "json",
    limit: Limit = 100,
    cursor: SmallCursor = 0,
) -> ActivationPage | StreamingResponse:
    """Activations by campaign, package, state and sign-up day, in id order. The
    insured person's name of a care insurance is not shown."""
    if activated_from and activated_to and activated_to < activated_from:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"to: {activated_to} is before from: {activated_from}",
        )
    wanted = ActivationFilter(
        campaign=campaign.upper() if campaign else None,
        package=package,
        state=state.value if state else None,
        activated_from=activated_from,
        activated_to=activated_to,
    )
    if format == "csv":
        header = [f.name for f in fields(ActivationView)]
        rows = (astuple(a) for a in every_activation(runtime.uow_factory, wanted))
        return csv_response("activations.csv", header, rows)
    page = activations_page(runtime.uow_factory, wanted, cursor, limit)
    return ActivationPage(
        activations=list(page),
        next_cursor=next_cursor([a.id for a in page], limit),
    )
