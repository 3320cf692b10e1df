"""A KPI report (DOMAIN.md §8) as rows and as JSON, the same for the API and the CLI.

Rows: `kpi, breakdown, count, base, rate` — the figure, what it is broken down
by (a month, a bundle kind, a campaign/package), its count, what it is a share
of, and the ratio (empty without a base)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from app.domain.kpi import BUNDLING_TARGET, RETENTION_TARGET, BundleKind, KpiReport, ratio

KPI_COLUMNS = ("kpi", "breakdown", "count", "base", "rate")
Row = tuple[str, str, int, int | str, str]


def _rate(value: Decimal | None) -> str:
    return "" if value is None else str(value)


def kpi_rows(report: KpiReport) -> list[Row]:
    d = report.dynamic
    rows: list[Row] = [
        ("dynamic_mid_high_end", str(d.month), d.count, "", ""),
        ("dynamic_mid_high_end", str(d.month.plus(-1)), d.previous, "", ""),
        ("dynamic_mid_high_end_change", "", d.change, d.previous, _rate(d.change_rate)),
    ]
    if report.retention is not None:
        r = report.retention
        rows += [
            ("photographed_retained", "", r.retained, r.base, _rate(r.rate)),
            ("photographed_churned", "", r.churned, r.base, _rate(ratio(r.churned, r.base))),
            (
                "photographed_spend_lost",
                "",
                r.spend_lost,
                r.base,
                _rate(ratio(r.spend_lost, r.base)),
            ),
        ]
    if report.bundling is not None:
        b = report.bundling
        rows.append(("bundling", "any", b.bundled, b.base, _rate(b.rate)))
        rows += [
            ("bundling", kind.value, b.by_kind.get(kind, 0), b.base, _rate(b.kind_rate(kind)))
            for kind in BundleKind
        ]
    rows += [
        ("campaign_uptake", f"{u.campaign}/{u.package}", u.activations, u.eligible, _rate(u.rate))
        for u in report.uptake
    ]
    rows += [
        ("free_to_paid", c.campaign, c.kept, c.reminded, _rate(c.rate)) for c in report.conversion
    ]
    return rows


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def kpi_json(report: KpiReport) -> dict[str, Any]:
    d, r, b = report.dynamic, report.retention, report.bundling
    body: dict[str, Any] = {
        "month": str(report.month),
        "dynamic_mid_high_end": {
            "count": d.count,
            "previous_month": str(d.month.plus(-1)),
            "previous": d.previous,
            "change": d.change,
            "change_rate": _float(d.change_rate),
        },
        "photographed_retention": None,
        "bundling": None,
        "campaign_uptake": [
            {
                "campaign": u.campaign,
                "package": u.package,
                "activations": u.activations,
                "eligible": u.eligible,
                "rate": _float(u.rate),
            }
            for u in report.uptake
        ],
        "free_to_paid": [
            {"campaign": c.campaign, "reminded": c.reminded, "kept": c.kept, "rate": _float(c.rate)}
            for c in report.conversion
        ],
    }
    if r is not None:
        body["photographed_retention"] = {
            "base": r.base,
            "retained": r.retained,
            "churned": r.churned,
            "spend_lost": r.spend_lost,
            "rate": _float(r.rate),
            "target": [float(t) for t in RETENTION_TARGET],
        }
    if b is not None:
        body["bundling"] = {
            "base": b.base,
            "bundled": b.bundled,
            "rate": _float(b.rate),
            "target": float(BUNDLING_TARGET),
            "by_kind": {
                kind.value: {"bundled": b.by_kind.get(kind, 0), "rate": _float(b.kind_rate(kind))}
                for kind in BundleKind
            },
        }
    return body
