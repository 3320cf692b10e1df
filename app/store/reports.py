"""The SQL of the monthly KPI reports (DOMAIN.md §8): each figure an aggregate over
usage rows, bundles or activations, never a load of every subscriber. A report
reads the usage table once: one pass (app/store/kpi_pass.py) for the dynamic
counts of the month and the month before, retention, bundling and the campaigns'
eligible counts (without a photo window, a scan of the two months instead). The definitions and thresholds are `app/domain/kpi.py`'s."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from sqlalchemy import ColumnElement, String, case, cast, exists, func, select
from sqlalchemy.orm import Session

from app.domain.kpi import DEFAULT_KPI, Bundling, KpiThresholds, Retention
from app.domain.notices import REMINDER
from app.domain.segments import PhotoWindow, Segment
from app.domain.subscriber import Month, Status
from app.store.kpi_pass import BaseProfiles, base_profiles
from app.store.models import (
    ActivationRow,
    MonthlyUsageRow,
    NoticeRow,
    SubscriberRow,
)

FREE_EXPERIENCE = "free_experience"


def _active() -> ColumnElement[bool]:
    return SubscriberRow.status == Status.ACTIVE.value


class ReportQueries:
    def __init__(self, session: Session) -> None:
        self.session = session
        # The base pass, made once per transaction for what one report reads of it.
        self._passes: dict[tuple[date, PhotoWindow, KpiThresholds], BaseProfiles] = {}

    def dynamic_counts(
        self, month: Month, photo: PhotoWindow | None, kpi: KpiThresholds = DEFAULT_KPI
    ) -> tuple[int, int]:
        """§8: `active` subscribers with spend ≥ 80 and MOU ≥ 100 in `month`, and in
        the month before. With a photo window they come from the base pass the
        report reads next; without one, from a scan of the two months' usage."""
        if photo is not None:
            return self._profiles(month.last_day(), photo, kpi).dynamic
        return self._dynamic_scan(month, month.plus(-1), kpi)

    def _dynamic_scan(self, month: Month, before: Month, kpi: KpiThresholds) -> tuple[int, int]:
        def of(which: Month) -> ColumnElement[int]:
            row_is = MonthlyUsageRow.month == which.first_day()
            return func.coalesce(func.sum(case((row_is, 1), else_=0)), 0)

        query = (
            select(of(month), of(before))
            .select_from(SubscriberRow)
            .join(MonthlyUsageRow, MonthlyUsageRow.subscriber_id == SubscriberRow.id)
            .where(MonthlyUsageRow.month.in_([before.first_day(), month.first_day()]))
            .where(_active())
            .where(MonthlyUsageRow.spend_fen >= kpi.dynamic_spend_fen)
            .where(MonthlyUsageRow.mou >= kpi.dynamic_mou)
        )
        now, then = self.session.execute(query).one()
        return int(now), int(then)

    def photographed(
        self, month: Month, photo: PhotoWindow, kpi: KpiThresholds = DEFAULT_KPI
    ) -> tuple[Retention, Bundling]:
        """§8 retention and bundling of the photographed base (its size, retained in
        `month`, churned; its `active` part, those holding a bundle in `month`, each
        counted once, and those holding each kind): the base pass's sums."""
        profiles = self._profiles(month.last_day(), photo, kpi)
        return profiles.retention, profiles.bundling

    def _profiles(self, on: date, photo: PhotoWindow, kpi: KpiThresholds) -> BaseProfiles:
        """The base pass as of `on`, made once per transaction: photographed() and
        eligible() of one report read the same pass (app/store/kpi_pass.py)."""
        key = (on, photo, kpi)
        if key not in self._passes:
            self._passes[key] = base_profiles(self.session, on, photo, kpi)
        return self._passes[key]

    def activations(self, month: Month) -> list[tuple[str, str, int]]:
        """Sign-ups made in `month`: (campaign, package, count)."""
        query = (
            select(ActivationRow.campaign_code, ActivationRow.package_code, func.count())
            .where(ActivationRow.activated_on.between(month.first_day(), month.last_day()))
            .group_by(ActivationRow.campaign_code, ActivationRow.package_code)
            .order_by(ActivationRow.campaign_code, ActivationRow.package_code)
        )
        return [(c, p, int(n)) for c, p, n in self.session.execute(query)]

    def eligible(
        self, audiences: Mapping[str, tuple[frozenset[Segment], frozenset[Segment]]], on: date,
        photo: PhotoWindow,
    ) -> dict[str, int]:  # fmt: skip
        """Per campaign (targets, exclusions): `active` subscribers in a target
        segment and in no excluded one as of `on`, all campaigns from one pass."""
        if not audiences:
            return {}
        profiles = self._profiles(on, photo, DEFAULT_KPI)
        return {code: profiles.eligible(*audience) for code, audience in audiences.items()}

    def conversion(self, month: Month) -> list[tuple[str, int, int]]:
        """Free experiences whose free period ended in `month` after a reminder was
        sent: (campaign, reminded, kept by the subscriber's `Y`)."""
        reminded = exists().where(
            NoticeRow.kind == REMINDER,
            NoticeRow.subject == cast(ActivationRow.id, String),
            NoticeRow.outbound_message_id.is_not(None),
        )
        query = (
            select(
                ActivationRow.campaign_code,
                func.count(),
                func.coalesce(func.sum(case((ActivationRow.state == "kept", 1), else_=0)), 0),
            )
            .where(ActivationRow.kind == FREE_EXPERIENCE)
            .where(ActivationRow.ends_on.between(month.first_day(), month.last_day()))
            .where(reminded)
            .group_by(ActivationRow.campaign_code)
            .order_by(ActivationRow.campaign_code)
        )
        return [(c, int(n), int(k)) for c, n, k in self.session.execute(query)]
