"""`GET /v1/reports/kpi?month=YYYY-MM` (DOMAIN.md §8) and
`GET /v1/worklists/{manager}` (DOMAIN.md §9), each as JSON or `format=csv`."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Path, Query
from fastapi.responses import StreamingResponse
from pydantic import AfterValidator, BaseModel

from app.api.common import Format, RuntimeDep, admin_router, csv_response, today
from app.domain.subscriber import Month
from app.services.kpi_table import KPI_COLUMNS, kpi_json, kpi_rows
from app.services.reports import kpi_report
from app.services.worklists import WORKLIST_COLUMNS, worklist, worklist_rows

router = admin_router()
CSV: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "JSON, or CSV with format=csv"}
}


class DynamicOut(BaseModel):
    count: int
    previous_month: str
    previous: int
    change: int
    change_rate: float | None


class RetentionOut(BaseModel):
    base: int
    retained: int
    churned: int
    spend_lost: int
    rate: float | None
    target: list[float]


class KindShareOut(BaseModel):
    bundled: int
    rate: float | None


class BundlingOut(BaseModel):
    base: int
    bundled: int
    rate: float | None
    target: float
    by_kind: dict[str, KindShareOut]


class UptakeOut(BaseModel):
    campaign: str
    package: str
    activations: int
    eligible: int
    rate: float | None


class ConversionOut(BaseModel):
    campaign: str
    reminded: int
    kept: int
    rate: float | None


class KpiOut(BaseModel):
    """DOMAIN.md §8 for one month; retention and bundling are null without a photo window."""

    month: str
    dynamic_mid_high_end: DynamicOut
    photographed_retention: RetentionOut | None
    bundling: BundlingOut | None
    campaign_uptake: list[UptakeOut]
    free_to_paid: list[ConversionOut]


def _calendar_month(text: str) -> str:
    Month.parse(text)  # its ValueError is a 422 naming the parameter
    return text


MonthParam = Annotated[
    str,
    AfterValidator(_calendar_month),
    Query(description="calendar month, YYYY-MM, of a year from 1900 to 9998"),
]


@router.get("/reports/kpi", response_model=KpiOut, responses=CSV)
def get_kpi(runtime: RuntimeDep, month: MonthParam, format: Format = "json") -> object:
    """The month's KPIs: dynamic mid-to-high-end count and change, photographed
    retention (churned / spend-lost), bundling by kind, campaign uptake, and
    free-to-paid conversion after reminders."""
    report = kpi_report(runtime.uow_factory, Month.parse(month))
    if format == "csv":
        return csv_response(f"kpi-{month}.csv", KPI_COLUMNS, kpi_rows(report))
    return KpiOut.model_validate(kpi_json(report))


class WorkItemOut(BaseModel):
    due_on: date
    reason: str
    msisdn: str
    name: str | None
    contact_method: str | None
    contact_window: str | None
    detail: str


class WorklistOut(BaseModel):
    manager: str
    as_of: date
    items: list[WorkItemOut]


@router.get(
    "/worklists/{manager}",
    response_model=WorklistOut,
    responses=CSV,
)
def get_worklist(
    runtime: RuntimeDep,
    manager: Annotated[str, Path(min_length=1, max_length=100)],
    format: Format = "json",
) -> WorklistOut | StreamingResponse:
    """The account manager's subscribers to act on today (DOMAIN.md §9): contacts
    due by card cadence, low balances, free periods ending unkept, birthday calls
    to voice contacts."""
    day = today(runtime)
    items = worklist(runtime.uow_factory, manager, day)
    if format == "csv":
        return csv_response("worklist.csv", WORKLIST_COLUMNS, worklist_rows(items))
    return WorklistOut(
        manager=manager,
        as_of=day,
        items=[
            WorkItemOut(
                due_on=i.due_on,
                reason=i.reason.value,
                msisdn=i.msisdn,
                name=i.name,
                contact_method=i.contact_method,
                contact_window=i.contact_window,
                detail=i.detail,
            )
            for i in items
        ],
    )
