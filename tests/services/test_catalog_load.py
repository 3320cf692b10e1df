"""Loading a catalog never undoes an operator's edits: a start only seeds an
empty store, and an explicit load refuses to overwrite an edit unless told."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.catalog import DEFAULT_CATALOG
from app.cli import main
from app.runtime import Runtime
from app.services import catalog_admin
from app.services.catalog_load import (
    EDITED,
    NEW,
    UNCHANGED,
    UPDATE,
    LoadRefused,
    describe_load,
    load_catalog,
    seed_catalog,
)
from app.settings import get_settings

SHIPPED_CODES = ["IWJZS", "TY", "YC", "GABX", "WLYH", "SRMF"]
EDITED_WINDOW = {"first": "2026-03", "last": "2026-08"}


def shipped() -> dict[str, Any]:
    return yaml.safe_load(DEFAULT_CATALOG.read_text(encoding="utf-8"))


def write(tmp_path: Path, data: dict[str, Any], name: str = "catalog.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def window(runtime: Runtime) -> dict[str, str] | None:
    return catalog_admin.get_photo_window(runtime.uow_factory)


def terms(runtime: Runtime, code: str) -> dict[str, Any]:
    return catalog_admin.get_campaign(runtime.uow_factory, code).campaign


def edit_fee(runtime: Runtime, code: str = "IWJZS", fee: str = "15") -> dict[str, Any]:
    """An operator's edit through the admin service: package 1's monthly fee."""
    body = terms(runtime, code)
    body["packages"][0]["monthly_fee_yuan"] = fee
    return catalog_admin.replace_campaign(runtime.uow_factory, code, body).campaign


def statuses(report: Any) -> dict[str, str]:
    return {entry.subject: entry.status for entry in report.entries}


# --- seeding: what every start runs ----------------------------------------


def test_seed_fills_an_empty_store(runtime: Runtime) -> None:
    report = seed_catalog(runtime.uow_factory)
    assert report.campaigns == SHIPPED_CODES and report.photo_window
    assert window(runtime) == {"first": "2026-01", "last": "2026-06"}
    # Seeding is a load: what it wrote counts as loaded, so a later load may update it.
    assert statuses(load_catalog(runtime.uow_factory, dry_run=True)) == {
        code: UNCHANGED for code in ["photo_window", *SHIPPED_CODES]
    }


def test_restart_keeps_the_operators_edits(runtime: Runtime, tmp_path: Path) -> None:
    """The reported case: load, edit through the API, start again."""
    load_catalog(runtime.uow_factory)
    catalog_admin.set_photo_window(runtime.uow_factory, EDITED_WINDOW)
    edited = edit_fee(runtime)
    catalog_admin.close_campaign(runtime.uow_factory, "TY")

    again = seed_catalog(runtime.uow_factory)
    assert again.campaigns == [] and not again.photo_window
    # Not even a different shipped file (an upgrade) touches a stored catalog at start.
    data = shipped()
    data["photo_window"] = {"first": "2025-01", "last": "2025-06"}
    seed_catalog(runtime.uow_factory, write(tmp_path, data))

    assert window(runtime) == EDITED_WINDOW
    assert terms(runtime, "IWJZS") == edited
    assert catalog_admin.get_campaign(runtime.uow_factory, "TY").closed is True


def test_seed_fills_only_what_is_missing(runtime: Runtime) -> None:
    # A store with campaigns but no photo window gets the window only.
    catalog_admin.create_campaign(runtime.uow_factory, {**shipped_entry("SRMF"), "code": "SR2",
                                                        "keywords": ["SR2"]})  # fmt: skip
    report = seed_catalog(runtime.uow_factory)
    assert report.campaigns == [] and report.photo_window
    assert window(runtime) == {"first": "2026-01", "last": "2026-06"}
    with runtime.uow_factory() as uow:
        assert [c.code for c in uow.catalog.campaigns(include_closed=True)] == ["SR2"]


def test_seed_of_a_full_store_does_not_read_the_file(runtime: Runtime, tmp_path: Path) -> None:
    load_catalog(runtime.uow_factory)
    broken = tmp_path / "broken.yaml"
    broken.write_text("campaigns: [unclosed", encoding="utf-8")
    assert seed_catalog(runtime.uow_factory, broken).campaigns == []


def race(runtime: Runtime, job: Callable[[], Any], threads: int = 4) -> list[Any]:
    """Run `job` in several threads at once; return the results, raise the first error."""
    barrier = threading.Barrier(threads)
    results: list[Any] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(job())
        except BaseException as error:  # surfaced below
            errors.append(error)

    started = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join(timeout=60)
    if errors:
        raise errors[0]
    assert len(results) == threads
    return results


def test_replicas_starting_at_once_seed_once(runtime: Runtime) -> None:
    reports = race(runtime, lambda: seed_catalog(runtime.uow_factory))
    assert sorted(bool(r.campaigns) for r in reports) == [False, False, False, True]
    with runtime.uow_factory() as uow:
        assert [len(uow.catalog_revisions.history(code)) for code in SHIPPED_CODES] == [1] * 6


def test_concurrent_edits_each_keep_a_revision(runtime: Runtime) -> None:
    load_catalog(runtime.uow_factory)
    fees = iter(["15", "16", "17", "18"])
    lock = threading.Lock()

    def edit() -> None:
        with lock:
            fee = next(fees)
        body = shipped_entry("IWJZS")
        body["packages"][0]["monthly_fee_yuan"] = fee
        catalog_admin.replace_campaign(runtime.uow_factory, "IWJZS", body)

    race(runtime, edit)
    with runtime.uow_factory() as uow:
        revisions = [(r.number, r.previous, r.body) for r in uow.catalog_revisions.history("IWJZS")]
    assert [number for number, _, _ in revisions] == [5, 4, 3, 2, 1]
    # Each edit saw the one before it: the chain of bodies has no gap.
    for (_, previous, _), (_, _, body) in zip(revisions, revisions[1:], strict=False):
        assert previous == body


def shipped_entry(code: str) -> dict[str, Any]:
    entry = next(c for c in shipped()["campaigns"] if c["code"] == code)
    return {**entry, "starts_on": str(entry["starts_on"]), "ends_on": str(entry["ends_on"])}


# --- an explicit load --------------------------------------------------------


def test_load_refuses_to_overwrite_edits_and_writes_nothing(
    runtime: Runtime, tmp_path: Path
) -> None:
    load_catalog(runtime.uow_factory)
    catalog_admin.set_photo_window(runtime.uow_factory, EDITED_WINDOW)
    edited = edit_fee(runtime)
    # The new file also changes a campaign nobody edited: that must wait as well.
    data = shipped()
    data["campaigns"][1]["name_en"] = "Pocket season"
    path = write(tmp_path, data)

    with pytest.raises(LoadRefused) as refused:
        load_catalog(runtime.uow_factory, path)
    message = str(refused.value)
    assert "photo window (first, last)" in message
    assert "IWJZS (packages.0.monthly_fee_yuan)" in message
    assert "--replace" in message and "TY" not in message
    plan = statuses(refused.value.report)
    assert (plan["photo_window"], plan["IWJZS"], plan["TY"], plan["YC"]) == (
        EDITED, EDITED, UPDATE, UNCHANGED
    )  # fmt: skip

    assert window(runtime) == EDITED_WINDOW
    assert terms(runtime, "IWJZS") == edited
    assert terms(runtime, "TY")["name_en"] == "Pocket experience season"


def test_replace_overwrites_the_edits_and_says_so(runtime: Runtime) -> None:
    load_catalog(runtime.uow_factory)
    catalog_admin.set_photo_window(runtime.uow_factory, EDITED_WINDOW)
    edit_fee(runtime)

    report = load_catalog(runtime.uow_factory, replace=True)
    assert report.written
    assert window(runtime) == {"first": "2026-01", "last": "2026-06"}
    assert terms(runtime, "IWJZS")["packages"][0]["monthly_fee_yuan"] == "14"
    out = "\n".join(describe_load(report))
    assert "replaced changes made through the admin API: photo window (first, last); " \
           "IWJZS (packages.0.monthly_fee_yuan)" in out  # fmt: skip
    assert 'packages.0.monthly_fee_yuan: "15" -> "14"' in out
    # Replaced: what is stored now came from a load, so the next load may update it.
    assert statuses(load_catalog(runtime.uow_factory, dry_run=True))["IWJZS"] == UNCHANGED


def test_dry_run_shows_the_plan_and_writes_nothing(runtime: Runtime, tmp_path: Path) -> None:
    load_catalog(runtime.uow_factory)
    edit_fee(runtime)
    data = shipped()
    data["campaigns"][3]["monthly_fee_yuan"] = "12"  # GABX, untouched since the load
    data["campaigns"].append({**data["campaigns"][5], "code": "SR2", "keywords": ["SR2"]})
    data["photo_window"] = {"first": "2026-02", "last": "2026-07"}
    path = write(tmp_path, data)

    for replace in (False, True):
        report = load_catalog(runtime.uow_factory, path, replace=replace, dry_run=True)
        assert not report.written and report.refused is not replace
        plan = statuses(report)
        assert (plan["IWJZS"], plan["GABX"], plan["SR2"], plan["photo_window"]) == (
            EDITED, UPDATE, NEW, UPDATE
        )  # fmt: skip
        out = "\n".join(describe_load(report, dry_run=True))
        assert "dry run: nothing written" in out
        assert 'monthly_fee_yuan: "0" -> "12"' in out
        assert 'first: "2026-01" -> "2026-02"' in out

    assert window(runtime) == {"first": "2026-01", "last": "2026-06"}
    assert terms(runtime, "GABX")["monthly_fee_yuan"] == "0"
    assert terms(runtime, "IWJZS")["packages"][0]["monthly_fee_yuan"] == "15"
    with runtime.uow_factory() as uow:
        assert uow.catalog.campaign("SR2") is None
        assert uow.catalog_revisions.history("GABX")[0].action == "load"


def test_load_updates_what_only_an_earlier_load_wrote(runtime: Runtime, tmp_path: Path) -> None:
    load_catalog(runtime.uow_factory)
    catalog_admin.close_campaign(runtime.uow_factory, "TY")  # closing is no edit of the terms
    data = shipped()
    data["campaigns"][1]["name_en"] = "Pocket season"
    data["photo_window"] = {"first": "2026-02", "last": "2026-07"}

    report = load_catalog(runtime.uow_factory, write(tmp_path, data))
    assert statuses(report)["TY"] == UPDATE
    out = "\n".join(describe_load(report))
    assert "updated (stored data unchanged since an earlier load): photo window, TY" in out
    view = catalog_admin.get_campaign(runtime.uow_factory, "TY")
    assert view.campaign["name_en"] == "Pocket season" and view.closed is True
    assert window(runtime) == {"first": "2026-02", "last": "2026-07"}


def test_an_edit_undone_by_hand_is_no_edit(runtime: Runtime, tmp_path: Path) -> None:
    load_catalog(runtime.uow_factory)
    edit_fee(runtime, fee="15")
    edit_fee(runtime, fee="14")
    data = shipped()
    data["campaigns"][0]["packages"][0]["monthly_fee_yuan"] = "16"
    load_catalog(runtime.uow_factory, write(tmp_path, data))
    assert terms(runtime, "IWJZS")["packages"][0]["monthly_fee_yuan"] == "16"


def test_a_campaign_no_load_wrote_is_the_operators(runtime: Runtime, tmp_path: Path) -> None:
    load_catalog(runtime.uow_factory)
    created = {**shipped_entry("SRMF"), "code": "SR2", "keywords": ["SR2"]}
    catalog_admin.create_campaign(runtime.uow_factory, created)
    data = shipped()
    data["campaigns"].append({**created, "name_en": "Birthday, from the file"})

    with pytest.raises(LoadRefused, match=r"SR2 \(name_en\)") as refused:
        load_catalog(runtime.uow_factory, write(tmp_path, data))
    assert "not from a load" in "\n".join(describe_load(refused.value.report))
    assert terms(runtime, "SR2")["name_en"] == created["name_en"]


def test_the_file_agreeing_with_an_edit_changes_nothing(runtime: Runtime, tmp_path: Path) -> None:
    load_catalog(runtime.uow_factory)
    catalog_admin.set_photo_window(runtime.uow_factory, EDITED_WINDOW)
    data = shipped()
    data["photo_window"] = EDITED_WINDOW
    report = load_catalog(runtime.uow_factory, write(tmp_path, data))
    assert statuses(report)["photo_window"] == UNCHANGED
    out = "\n".join(describe_load(report))
    assert "nothing changed" in out


# --- the command line ----------------------------------------------------------


@pytest.fixture
def cli(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("DATABASE_URL", runtime.settings.database_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.usefixtures("cli")
def test_cli_restart_refusal_replace_and_dry_run(
    runtime: Runtime, capsys: pytest.CaptureFixture
) -> None:
    assert main(["catalog", "load", "--seed"]) == 0
    assert "seeded into an empty store" in capsys.readouterr().out
    catalog_admin.set_photo_window(runtime.uow_factory, EDITED_WINDOW)

    # The service's start: the edit stays.
    assert main(["catalog", "load", "--seed"]) == 0
    assert "left the stored catalog alone" in capsys.readouterr().out
    assert window(runtime) == EDITED_WINDOW

    # An explicit load: the plan, then a refusal naming the field; nothing written.
    assert main(["catalog", "load"]) == 2
    captured = capsys.readouterr()
    assert 'first: "2026-03" -> "2026-01"' in captured.out
    assert "refused" in captured.err and "photo window (first, last)" in captured.err
    assert window(runtime) == EDITED_WINDOW

    assert main(["catalog", "load", "--dry-run"]) == 2  # the load it shows would be refused
    assert "dry run: nothing written" in capsys.readouterr().out
    assert main(["catalog", "load", "--dry-run", "--replace"]) == 0
    assert window(runtime) == EDITED_WINDOW

    assert main(["catalog", "load", "--replace"]) == 0
    out = capsys.readouterr().out
    assert "replaced changes made through the admin API: photo window (first, last)" in out
    assert window(runtime) == {"first": "2026-01", "last": "2026-06"}


@pytest.mark.usefixtures("cli")
def test_cli_invalid_file_is_refused_before_any_comparison(
    runtime: Runtime, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    data = shipped()
    data["campaigns"][0]["packages"][1]["monthly_fee_yuan"] = "26.555"
    assert main(["catalog", "load", str(write(tmp_path, data))]) == 2
    assert "campaigns.0.packages.1.monthly_fee_yuan" in capsys.readouterr().err
    assert window(runtime) is None
