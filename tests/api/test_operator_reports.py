"""`GET /v1/reports/kpi`, `GET /v1/worklists/{manager}` and `smshall report kpi`."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date

import pytest
from fastapi.testclient import TestClient

from app.cli import main
from app.runtime import Runtime
from app.settings import get_settings
from tests.conftest import ADMIN_TOKEN
from tests.reports.fixtures import add_bundle

pytestmark = pytest.mark.usefixtures("catalog")
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
PHOTO = {f"2026-{m:02d}": (80_00, 100) for m in range(1, 7)}


@pytest.fixture
def base(runtime: Runtime, add_subscriber: Callable) -> None:
    kept = add_subscriber("13800000001", {**PHOTO, "2026-10": (80_00, 100)}, vip_level=None)
    add_subscriber("13800000002", {**PHOTO, "2026-10": (10_00, 5)}, vip_level=None)
    add_subscriber("13800000003", PHOTO, vip_level=None, status="closed")
    add_bundle(runtime, kept, "service_card", date(2026, 10, 1), date(2026, 10, 1))


def test_kpi_as_json(client: TestClient, base: None) -> None:
    response = client.get("/v1/reports/kpi?month=2026-10", headers=ADMIN)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["month"] == "2026-10"
    assert body["dynamic_mid_high_end"] == {
        "count": 1, "previous_month": "2026-09", "previous": 0, "change": 1, "change_rate": None,
    }  # fmt: skip
    assert body["photographed_retention"] == {
        "base": 3, "retained": 1, "churned": 1, "spend_lost": 1, "rate": 0.3333,
        "target": [0.75, 0.8],
    }  # fmt: skip
    bundling = body["bundling"]
    assert (bundling["base"], bundling["bundled"], bundling["rate"]) == (2, 1, 0.5)
    assert bundling["by_kind"]["service_card"] == {"bundled": 1, "rate": 0.5}
    assert bundling["by_kind"]["terminal"] == {"bundled": 0, "rate": 0.0}


def test_kpi_as_csv(client: TestClient, base: None) -> None:
    response = client.get("/v1/reports/kpi?month=2026-10&format=csv", headers=ADMIN)
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    retained = next(r for r in rows if r["kpi"] == "photographed_retained")
    assert (retained["count"], retained["base"], retained["rate"]) == ("1", "3", "0.3333")


def test_worklist_over_the_api(client: TestClient, add_subscriber: Callable) -> None:
    add_subscriber("13800000001", account_manager="Li", last_contacted_on=None, name="=cmd")
    body = client.get("/v1/worklists/Li", headers=ADMIN).json()
    assert body["as_of"] == "2026-11-23"
    assert [(i["reason"], i["msisdn"]) for i in body["items"]] == [
        ("contact_due", "13800000001"),
        ("visit_due", "13800000001"),
    ]
    exported = client.get("/v1/worklists/Li?format=csv", headers=ADMIN).text
    assert "'=cmd" in exported  # a spreadsheet shows it, never runs it


def test_cli_kpi(
    runtime: Runtime, base: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("DATABASE_URL", runtime.settings.database_url)
    get_settings.cache_clear()
    try:
        assert main(["report", "kpi", "--month", "2026-10", "--csv"]) == 0
        out = capsys.readouterr().out
        assert out.splitlines()[0] == "kpi,breakdown,count,base,rate"
        assert "photographed_churned,,1,3,0.3333" in out
        assert main(["report", "kpi", "--month", "2026-10"]) == 0
        assert "dynamic_mid_high_end" in capsys.readouterr().out
        with pytest.raises(SystemExit):
            main(["report", "kpi", "--month", "2026-13"])
        assert "argument --month: month must be 1..12" in capsys.readouterr().err
    finally:
        get_settings.cache_clear()
