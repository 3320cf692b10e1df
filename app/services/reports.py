"""The monthly KPI report, DOMAIN.md §8: dynamic mid-to-high-end count and its
change, photographed retention (churned / spend-lost), bundling rate by kind,
campaign uptake and free-to-paid conversion. Every figure is an SQL aggregate
(app/store/reports.py); the definitions are app/domain/kpi.py's."""

from __future__ import annotations

from collections.abc import Callable

from app.catalog.schema import CatalogError, campaign_from_terms
from app.domain.kpi import Conversion, DynamicHighEnd, KpiReport, Uptake
from app.domain.segments import PhotoWindow
from app.domain.subscriber import Month
from app.services.catalog import photo_window
from app.store.unit_of_work import UnitOfWork


def kpi_report(uow_factory: Callable[[], UnitOfWork], month: Month) -> KpiReport:
    """§8 for calendar month `month`, in one read transaction."""
    with uow_factory() as uow:
        queries = uow.reports
        photo = _photo(uow)  # first: with it, the dynamic counts come from the base pass
        dynamic = DynamicHighEnd(month, *queries.dynamic_counts(month, photo))
        retention = bundling = None
        uptake: list[Uptake] = []
        if photo is not None:
            retention, bundling = queries.photographed(month, photo)
            uptake = _uptake(uow, month, photo)
        conversion = [Conversion(*row) for row in queries.conversion(month)]
        return KpiReport(month, dynamic, retention, bundling, uptake, conversion)


def _photo(uow: UnitOfWork) -> PhotoWindow | None:
    try:
        return photo_window(uow)
    except CatalogError:
        return None


def _uptake(uow: UnitOfWork, month: Month, photo: PhotoWindow) -> list[Uptake]:
    """Sign-ups in `month` per subscriber eligible at its end, by campaign and package
    (eligibility = §3/§4 targets and exclusions of the campaign's catalog entry)."""
    campaigns = {
        row.code: campaign_from_terms(row.terms)
        for row in uow.catalog.campaigns(include_closed=True)
    }
    taken = uow.reports.activations(month)
    codes = sorted({code for code, _, _ in taken if code in campaigns})
    audiences = {code: (campaigns[code].targets, campaigns[code].exclusions) for code in codes}
    eligible = uow.reports.eligible(audiences, month.last_day(), photo)
    return [Uptake(code, package, count, eligible.get(code, 0)) for code, package, count in taken]
