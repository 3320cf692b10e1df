"""Every catalog change keeps a revision; an earlier one can be restored."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.runtime import Runtime
from app.services.catalog_load import load_catalog
from tests.api.test_admin_campaigns import ADMIN, entry, mo

pytestmark = pytest.mark.usefixtures("catalog")


def history(client: TestClient, code: str) -> list[dict[str, Any]]:
    response = client.get(f"/v1/campaigns/{code}/history", headers=ADMIN)
    assert response.status_code == 200
    assert response.json()["code"] == code
    return response.json()["revisions"]


def fee(client: TestClient, code: str = "IWJZS", package: int = 1) -> str:
    campaign = client.get(f"/v1/campaigns/{code}", headers=ADMIN).json()["campaign"]
    return campaign["packages"][package]["monthly_fee_yuan"]


def put_fee(client: TestClient, value: str, package: int = 1) -> None:
    body = client.get("/v1/campaigns/IWJZS", headers=ADMIN).json()["campaign"]
    body["packages"][package]["monthly_fee_yuan"] = value
    assert client.put("/v1/campaigns/IWJZS", json=body, headers=ADMIN).status_code == 200


def test_every_change_is_a_revision_newest_first(client: TestClient) -> None:
    put_fee(client, "30")
    put_fee(client, "30")  # the same body again: no change, no revision
    assert client.post("/v1/campaigns/IWJZS/close", headers=ADMIN).status_code == 200
    assert client.post("/v1/campaigns/IWJZS/open", headers=ADMIN).status_code == 200

    revisions = history(client, "IWJZS")
    assert [(r["revision"], r["action"], r["who"]) for r in revisions] == [
        (4, "reopen", "admin"), (3, "close", "admin"), (2, "replace", "admin"), (1, "load", "load")
    ]  # fmt: skip
    loaded, replaced, closed, reopened = reversed(revisions)
    assert loaded["previous"] is None
    assert loaded["body"]["campaign"]["packages"][1]["monthly_fee_yuan"] == "26"
    assert replaced["previous"] == loaded["body"]
    assert replaced["body"]["campaign"]["packages"][1]["monthly_fee_yuan"] == "30"
    assert (closed["previous"]["closed"], closed["body"]["closed"]) == (False, True)
    assert reopened["body"] == replaced["body"]
    times = [datetime.fromisoformat(r["at"]) for r in revisions]
    assert times == sorted(times, reverse=True) and all(t.tzinfo for t in times)


def test_created_campaign_history_starts_with_its_creation(client: TestClient) -> None:
    body = entry("SRMF", code="SR2", keywords=["SR2"])
    assert client.post("/v1/campaigns", json=body, headers=ADMIN).status_code == 201
    [created] = history(client, "SR2")
    assert (created["action"], created["who"], created["previous"]) == ("create", "admin", None)
    assert created["body"] == {"closed": False, "campaign": client.get(
        "/v1/campaigns/SR2", headers=ADMIN).json()["campaign"]}  # fmt: skip


def test_a_load_records_what_it_changed(client: TestClient, runtime: Runtime) -> None:
    put_fee(client, "30")
    load_catalog(runtime.uow_factory, replace=True)
    newest = history(client, "IWJZS")[0]
    assert (newest["revision"], newest["action"], newest["who"]) == (3, "load", "load")
    assert newest["previous"]["campaign"]["packages"][1]["monthly_fee_yuan"] == "30"
    assert newest["body"]["campaign"]["packages"][1]["monthly_fee_yuan"] == "26"
    # Unchanged campaigns got no new revision.
    assert len(history(client, "TY")) == 1


def test_rollback_restores_a_revision_and_answers_the_next_message(
    client: TestClient, add_subscriber: Callable
) -> None:
    add_subscriber("13800138000")
    put_fee(client, "30")
    put_fee(client, "40")

    response = client.post("/v1/campaigns/IWJZS/rollback", json={"revision": 2}, headers=ADMIN)
    assert response.status_code == 200
    assert response.json()["campaign"]["packages"][1]["monthly_fee_yuan"] == "30"
    assert "270元" in mo(client, "IWJZS 2", "m1")["replies"][0]["text"]  # 30 yuan × 9 months

    newest = history(client, "IWJZS")[0]
    assert (newest["revision"], newest["action"], newest["who"], newest["restored"]) == (
        4, "rollback", "admin", 2
    )  # fmt: skip
    assert newest["previous"]["campaign"]["packages"][1]["monthly_fee_yuan"] == "40"

    # Back to what the load wrote: a later load sees no edit there.
    assert client.post("/v1/campaigns/IWJZS/rollback", json={"revision": 1},
                       headers=ADMIN).status_code == 200  # fmt: skip
    assert fee(client) == "26"


def test_rollback_restores_open_or_closed_too(client: TestClient) -> None:
    client.post("/v1/campaigns/TY/close", headers=ADMIN)
    response = client.post("/v1/campaigns/TY/rollback", json={"revision": 1}, headers=ADMIN)
    assert response.status_code == 200 and response.json()["closed"] is False


def test_rollback_checks_like_a_replace(client: TestClient) -> None:
    # Revision 2 of GABX is closed; SR2 takes its keyword; a rollback to the open
    # revision 1 would answer GABX twice: 409, and nothing changes.
    client.post("/v1/campaigns/GABX/close", headers=ADMIN)
    body = entry("SRMF", code="SR2", keywords=["SR2", "GABX"])
    assert client.post("/v1/campaigns", json=body, headers=ADMIN).status_code == 201
    response = client.post("/v1/campaigns/GABX/rollback", json={"revision": 1}, headers=ADMIN)
    assert response.status_code == 409 and "GABX" in response.json()["detail"]
    assert client.get("/v1/campaigns/GABX", headers=ADMIN).json()["closed"] is True
    assert len(history(client, "GABX")) == 2


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/v1/campaigns/IWJZS/rollback", {"revision": 9}, 404),
        ("/v1/campaigns/NOPE/rollback", {"revision": 1}, 404),
        ("/v1/campaigns/IWJZS/rollback", {"revision": 0}, 422),
        ("/v1/campaigns/IWJZS/rollback", {"revision": "two"}, 422),
        ("/v1/campaigns/IWJZS/rollback", {}, 422),
        ("/v1/catalog/photo-window/rollback", {"revision": 9}, 404),
    ],
)
def test_rollback_of_what_does_not_exist(
    client: TestClient, path: str, body: dict, status: int
) -> None:
    response = client.post(path, json=body, headers=ADMIN)
    assert response.status_code == status
    assert fee(client) == "26"
    assert len(history(client, "IWJZS")) == 1


def test_history_of_an_unknown_campaign_is_404(client: TestClient) -> None:
    response = client.get("/v1/campaigns/NOPE/history", headers=ADMIN)
    assert response.status_code == 404 and "NOPE" in response.json()["detail"]


def test_photo_window_history_and_rollback(client: TestClient) -> None:
    for moved in ({"first": "2026-03", "last": "2026-08"}, {"first": "2026-05", "last": "2026-10"}):
        assert client.put("/v1/catalog/photo-window", json=moved, headers=ADMIN).status_code == 200

    response = client.post("/v1/catalog/photo-window/rollback", json={"revision": 2},
                           headers=ADMIN)  # fmt: skip
    assert response.status_code == 200
    assert response.json() == {"first": "2026-03", "last": "2026-08"}
    assert client.get("/v1/catalog/photo-window", headers=ADMIN).json() == response.json()

    revisions = client.get("/v1/catalog/photo-window/history", headers=ADMIN).json()["revisions"]
    assert [(r["revision"], r["action"], r["who"], r["restored"]) for r in revisions] == [
        (4, "rollback", "admin", 2), (3, "replace", "admin", None),
        (2, "replace", "admin", None), (1, "load", "load", None),
    ]  # fmt: skip
    assert revisions[0]["previous"] == {"first": "2026-05", "last": "2026-10"}
    assert revisions[-1] == {**revisions[-1], "previous": None,
                             "body": {"first": "2026-01", "last": "2026-06"}}  # fmt: skip
