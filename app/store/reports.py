"""The SQL of the monthly KPI reports (DOMAIN.md §8): each figure one aggregate
over the month's usage rows, bundles or activations, never a load of every
subscriber. The definitions and thresholds are `app/domain/kpi.py`'s."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from sqlalchemy import ColumnElement, String, and_, case, cast, exists, func, or_, select
from sqlalchemy.orm import Session

from app.domain.kpi import DEFAULT_KPI, BundleKind, Bundling, KpiThresholds, Retention
from app.domain.notices import REMINDER
from app.domain.segments import PhotoWindow, Segment
from app.domain.subscriber import Month, Status
from app.store.models import (
    ActivationRow,
    BundleRow,
    MonthlyUsageRow,
    NoticeRow,
    SubscriberRow,
)
from app.store.segment_sql import SegmentSql, photographed_base

FREE_EXPERIENCE = "free_experience"


def _active() -> ColumnElement[bool]:
    return SubscriberRow.status == Status.ACTIVE.value


class ReportQueries:
    def __init__(self, session: Session) -> None:
        self.session = session

    def dynamic_count(self, month: Month, kpi: KpiThresholds = DEFAULT_KPI) -> int:
        """§8: `active` subscribers with spend ≥ 80 and MOU ≥ 100 in `month`."""
        query = (
            select(func.count())
            .select_from(SubscriberRow)
            .join(MonthlyUsageRow, MonthlyUsageRow.subscriber_id == SubscriberRow.id)
            .where(MonthlyUsageRow.month == month.first_day(), _active())
            .where(MonthlyUsageRow.spend_fen >= kpi.dynamic_spend_fen)
            .where(MonthlyUsageRow.mou >= kpi.dynamic_mou)
        )
        return int(self.session.scalar(query) or 0)

    def photographed(
        self, month: Month, photo: PhotoWindow, kpi: KpiThresholds = DEFAULT_KPI
    ) -> tuple[Retention, Bundling]:
        """§8 retention and bundling, from one pass over the photographed base: its
        size, retained in `month`, churned; its `active` part, those holding a
        bundle in `month` (each counted once) and those holding each kind."""
        base = photographed_base(photo)
        spend = func.coalesce(MonthlyUsageRow.spend_fen, 0)
        active = _active()

        overlapping = and_(
            BundleRow.valid_from <= month.last_day(),
            or_(BundleRow.valid_to.is_(None), BundleRow.valid_to >= month.first_day()),
        )
        # One pass over the month's bundles: per subscriber, a flag per kind held.
        bundles = (
            select(
                BundleRow.subscriber_id.label("subscriber_id"),
                *(
                    func.max(case((BundleRow.kind == kind.value, 1), else_=0)).label(kind.value)
                    for kind in BundleKind
                ),
            )
            .where(overlapping)
            .group_by(BundleRow.subscriber_id)
            .subquery("bundles_held")
        )

        def held(kind: BundleKind | None = None) -> ColumnElement[bool]:
            if kind is None:
                return and_(active, bundles.c.subscriber_id.is_not(None))
            return and_(active, bundles.c[kind.value] == 1)

        def how_many(condition: ColumnElement[bool]) -> ColumnElement[int]:
            return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

        query = (
            select(
                func.count(),
                how_many(and_(active, spend >= kpi.retained_spend_fen)),
                how_many(SubscriberRow.status == Status.CLOSED.value),
                how_many(active),
                how_many(held()),
                *(how_many(held(kind)) for kind in BundleKind),
            )
            .select_from(base)
            .join(SubscriberRow, SubscriberRow.id == base.c.subscriber_id)
            .outerjoin(
                MonthlyUsageRow,
                and_(
                    MonthlyUsageRow.subscriber_id == base.c.subscriber_id,
                    MonthlyUsageRow.month == month.first_day(),
                ),
            )
            .outerjoin(bundles, bundles.c.subscriber_id == base.c.subscriber_id)
        )
        total, retained, churned, active_base, bundled, *kinds = (
            int(n) for n in self.session.execute(query).one()
        )
        by_kind = {kind: n for kind, n in zip(BundleKind, kinds, strict=True) if n}
        return (
            Retention(total, retained, churned),
            Bundling(active_base, bundled, by_kind),
        )

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
        segment and in no excluded one as of `on`, all campaigns in one scan."""
        if not audiences:
            return {}
        segments = SegmentSql(on, photo)
        usage = segments.usage()
        sums = [
            func.coalesce(
                func.sum(
                    case(
                        (
                            and_(
                                segments.any_of(targets, usage),
                                ~segments.any_of(exclusions, usage),
                            ),
                            1,
                        ),
                        else_=0,
                    )
                ),
                0,
            )
            for targets, exclusions in audiences.values()
        ]
        query = (
            select(*sums)
            .select_from(SubscriberRow)
            .outerjoin(usage, usage.c.subscriber_id == SubscriberRow.id)
            .where(_active())
        )
        counts = self.session.execute(query).one()
        return {code: int(n) for code, n in zip(audiences, counts, strict=True)}

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
