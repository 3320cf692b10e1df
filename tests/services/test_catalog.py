"""The catalog is data: loaded from a file, validated with errors that name the field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from app.catalog import DEFAULT_CATALOG
from app.catalog.schema import CatalogError
from app.domain.free_experience import FreeExperienceCampaign
from app.domain.subscriber import Month
from app.runtime import Runtime
from app.services.catalog import open_campaigns, photo_window
from app.services.catalog_load import load_catalog


def shipped() -> dict:
    return yaml.safe_load(DEFAULT_CATALOG.read_text(encoding="utf-8"))


def write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_shipped_catalog_loads(runtime: Runtime) -> None:
    assert load_catalog(runtime.uow_factory).codes == ["IWJZS", "TY", "YC", "GABX", "WLYH", "SRMF"]
    with runtime.uow_factory() as uow:
        campaign = next(c for c in open_campaigns(uow) if c.code == "IWJZS")
        window = photo_window(uow)
    assert isinstance(campaign, FreeExperienceCampaign)
    assert [p.monthly_fee_fen for p in campaign.packages] == [14_00, 26_00, 55_00, 68_00]
    assert (window.first, window.last) == (Month(2026, 1), Month(2026, 6))
    assert campaign.keywords == ("IWJZS",)


def test_reloading_updates_in_place(runtime: Runtime, tmp_path: Path) -> None:
    load_catalog(runtime.uow_factory)
    data = shipped()
    data["campaigns"][0]["packages"][0]["monthly_fee_yuan"] = "15.50"
    load_catalog(runtime.uow_factory, write(tmp_path, data))
    with runtime.uow_factory() as uow:
        campaign = next(c for c in open_campaigns(uow) if c.code == "IWJZS")
    assert isinstance(campaign, FreeExperienceCampaign)
    assert campaign.packages[0].monthly_fee_fen == 15_50


@pytest.mark.parametrize(
    ("mutate", "named"),
    [
        (lambda c: c["campaigns"][0]["packages"][1].update(monthly_fee_yuan="26.555"),
         "campaigns.0.packages.1.monthly_fee_yuan"),
        (lambda c: c["campaigns"][0]["packages"][1].update(monthly_fee_yuan="-1"),
         "campaigns.0.packages.1.monthly_fee_yuan"),
        (lambda c: c["campaigns"][0].update(targets=["platinum"]), "campaigns.0.targets.0"),
        (lambda c: c["campaigns"][0].pop("starts_on"), "campaigns.0.starts_on"),
        (lambda c: c["campaigns"][0].update(ends_on="2026-01-01"), "ends_on is before starts_on"),
        (lambda c: c["campaigns"][0].update(tenure_tiers=[{"above_months": 12, "free_months": 6}]),
         "above_months: -1"),
        (lambda c: c["campaigns"][0].update(keywords=["iwjzs"]), "campaigns.0.keywords"),
        (lambda c: c["photo_window"].update(first="2026-13"), "photo_window"),
        (lambda c: c["campaigns"][0].update(colour="red"), "campaigns.0.colour"),
        (lambda c: c["campaigns"].append(dict(c["campaigns"][0])), "campaign codes must be unique"),
        (lambda c: c["campaigns"][2].update(requires_confirmation=False), "requires_confirmation must be true"),
        (lambda c: c["campaigns"][2]["offers"][0].pop("credit_back_yuan"), "campaigns.2.offers.0"),
        (lambda c: c["campaigns"][1].update(kind="lottery"), "campaigns.1"),
    ],
)  # fmt: skip
def test_invalid_catalog_names_the_field_and_changes_nothing(
    runtime: Runtime, tmp_path: Path, mutate, named: str
) -> None:
    data = shipped()
    mutate(data)
    with pytest.raises(CatalogError) as error:
        load_catalog(runtime.uow_factory, write(tmp_path, data))
    assert named in str(error.value)
    with runtime.uow_factory() as uow:
        assert open_campaigns(uow) == []


def test_unreadable_file_is_a_catalog_error(runtime: Runtime, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("campaigns: [unclosed", encoding="utf-8")
    with pytest.raises(CatalogError, match="bad.yaml"):
        load_catalog(runtime.uow_factory, bad)


@pytest.mark.parametrize(
    ("index", "field", "value"),
    [(3, "monthly_fee_yuan", "9.999"), (4, "qualifying_spend_yuan", "120.001")],
)
def test_every_amount_is_whole_fen(
    runtime: Runtime, tmp_path: Path, index: int, field: str, value: str
) -> None:
    data = shipped()
    data["campaigns"][index][field] = value
    with pytest.raises(CatalogError, match=f"campaigns.{index}.{field}"):
        load_catalog(runtime.uow_factory, write(tmp_path, data))


def test_reloading_keeps_a_closed_campaign_closed(runtime: Runtime) -> None:
    load_catalog(runtime.uow_factory)
    with runtime.uow_factory() as uow:
        row = uow.catalog.campaign("TY")
        assert row is not None
        row.closed = True
        uow.commit()
    load_catalog(runtime.uow_factory)
    with runtime.uow_factory() as uow:
        assert "TY" not in {c.code for c in open_campaigns(uow)}


def test_a_keyword_may_not_clash_with_a_campaign_outside_the_file(
    runtime: Runtime, tmp_path: Path
) -> None:
    load_catalog(runtime.uow_factory)
    data = shipped()
    data["campaigns"] = [c for c in data["campaigns"] if c["code"] != "TY"]
    data["campaigns"][0]["keywords"] = ["IWJZS", "TY"]  # TY is still open in the store
    with pytest.raises(CatalogError, match="TY is used by open campaign TY"):
        load_catalog(runtime.uow_factory, write(tmp_path, data))


def test_a_builtin_command_is_no_campaign_keyword(runtime: Runtime, tmp_path: Path) -> None:
    data = shipped()
    data["campaigns"][0]["keywords"] = ["IWJZS", "CXYE"]
    with pytest.raises(CatalogError, match="campaigns.0.keywords: .*CXYE is a built-in command"):
        load_catalog(runtime.uow_factory, write(tmp_path, data))
