"""The campaign catalog through the admin API; changes answer the next message."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from app.catalog import DEFAULT_CATALOG
from tests.conftest import ADMIN_TOKEN, GATEWAY_TOKEN, auth

pytestmark = pytest.mark.usefixtures("catalog")
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
SHIPPED: dict[str, dict[str, Any]] = {
    c["code"]: c for c in yaml.safe_load(DEFAULT_CATALOG.read_text(encoding="utf-8"))["campaigns"]
}
SHIPPED_CODES = ["IWJZS", "TY", "YC", "GABX", "WLYH", "SRMF"]


def entry(shipped: str, **changes: Any) -> dict[str, Any]:
    """A shipped campaign in the catalog file's shape (YAML dates as ISO text)."""
    data = copy.deepcopy(SHIPPED[shipped])
    data.update(starts_on=str(data["starts_on"]), ends_on=str(data["ends_on"]))
    data.update(changes)
    return data


def mo(client: TestClient, text: str, message_id: str, sender: str = "13800138000") -> dict:
    body = {"from": sender, "to": "10086", "text": text, "message_id": message_id,
            "received_at": "2026-11-22T10:00:00+08:00"}  # fmt: skip
    response = client.post("/v1/mo", json=body, headers=auth())
    assert response.status_code == 200
    return response.json()


def codes(client: TestClient, query: str = "") -> list[str]:
    response = client.get(f"/v1/campaigns{query}", headers=ADMIN)
    assert response.status_code == 200
    return [c["code"] for c in response.json()["campaigns"]]


# --- auth -------------------------------------------------------------------

ENDPOINTS = [
    ("GET", "/v1/campaigns", None),
    ("GET", "/v1/campaigns/IWJZS", None),
    ("POST", "/v1/campaigns", entry("IWJZS", code="NEW", keywords=["NEW"])),
    ("PUT", "/v1/campaigns/IWJZS", entry("IWJZS")),
    ("POST", "/v1/campaigns/IWJZS/close", None),
    ("POST", "/v1/campaigns/IWJZS/open", None),
    ("GET", "/v1/catalog/photo-window", None),
    ("PUT", "/v1/catalog/photo-window", {"first": "2026-02", "last": "2026-07"}),
    ("GET", "/v1/campaigns/IWJZS/history", None),
    ("POST", "/v1/campaigns/IWJZS/rollback", {"revision": 1}),
    ("GET", "/v1/catalog/photo-window/history", None),
    ("POST", "/v1/catalog/photo-window/rollback", {"revision": 1}),
]


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_admin_token_is_required(
    client: TestClient, method: str, path: str, body: dict | None
) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, auth(GATEWAY_TOKEN)):
        response = client.request(method, path, json=body, headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
    # Nothing changed behind the refusals.
    assert codes(client, "?include_closed=true") == SHIPPED_CODES
    assert codes(client) == SHIPPED_CODES
    window = client.get("/v1/catalog/photo-window", headers=ADMIN).json()
    assert window == {"first": "2026-01", "last": "2026-06"}


# --- reading ----------------------------------------------------------------


def test_list_in_catalog_order_closed_only_when_asked(client: TestClient) -> None:
    assert codes(client) == SHIPPED_CODES
    assert client.post("/v1/campaigns/TY/close", headers=ADMIN).status_code == 200
    assert codes(client) == ["IWJZS", "YC", "GABX", "WLYH", "SRMF"]
    assert codes(client, "?include_closed=true") == SHIPPED_CODES
    listed = client.get("/v1/campaigns?include_closed=true", headers=ADMIN).json()["campaigns"]
    assert [c["closed"] for c in listed] == [False, True, False, False, False, False]


def test_get_one_in_the_catalog_files_shape(client: TestClient) -> None:
    response = client.get("/v1/campaigns/IWJZS", headers=ADMIN)
    assert response.status_code == 200
    body = response.json()
    assert (body["code"], body["kind"], body["closed"]) == ("IWJZS", "free_experience", False)
    assert body["updated_at"]
    campaign = body["campaign"]
    assert campaign["keywords"] == ["IWJZS"]
    assert [p["monthly_fee_yuan"] for p in campaign["packages"]] == ["14", "26", "55", "68"]
    # What GET returns is what PUT takes back.
    again = client.put("/v1/campaigns/IWJZS", json=campaign, headers=ADMIN)
    assert again.status_code == 200 and again.json()["campaign"] == campaign


def test_unknown_campaign_is_404(client: TestClient) -> None:
    for method, path in [("GET", "/v1/campaigns/NOPE"), ("POST", "/v1/campaigns/NOPE/close"),
                         ("POST", "/v1/campaigns/NOPE/open")]:  # fmt: skip
        response = client.request(method, path, headers=ADMIN)
        assert response.status_code == 404 and "NOPE" in response.json()["detail"]
    response = client.put("/v1/campaigns/NOPE", json=entry("IWJZS", code="NOPE"), headers=ADMIN)
    assert response.status_code == 404


# --- creating ---------------------------------------------------------------


def test_created_campaign_answers_its_keyword(client: TestClient, add_subscriber: Callable) -> None:
    add_subscriber("13800138000")
    before = mo(client, "WJTY 1", "m1")
    assert before["outcome"] == "unknown_keyword"

    packages = [{"code": "1", "name_zh": "我家19元套餐", "name_en": "My Home 19-yuan",
                 "monthly_fee_yuan": "19.50"}]  # fmt: skip
    body = entry("IWJZS", code="WJTY", keywords=["WJTY"], packages=packages, one_per="package")
    response = client.post("/v1/campaigns", json=body, headers=ADMIN)
    assert response.status_code == 201
    assert response.json()["campaign"]["packages"][0]["monthly_fee_yuan"] == "19.50"
    assert client.get("/v1/campaigns/WJTY", headers=ADMIN).json()["closed"] is False
    assert codes(client)[-1] == "WJTY"

    after = mo(client, "WJTY 1", "m2")
    assert after["outcome"] == "activated"
    # 19.50 yuan a month for the gold card holder's 9 free months: 175.50 waived.
    assert "175.5" in after["replies"][0]["text"]


def test_duplicate_code_is_409(client: TestClient) -> None:
    body = entry("IWJZS", keywords=["OTHER"])
    response = client.post("/v1/campaigns", json=body, headers=ADMIN)
    assert response.status_code == 409
    assert "IWJZS" in response.json()["detail"]


def test_keyword_of_another_open_campaign_is_409(client: TestClient) -> None:
    body = entry("IWJZS", code="NEW", keywords=["NEW", "TY"])
    response = client.post("/v1/campaigns", json=body, headers=ADMIN)
    assert response.status_code == 409
    assert "TY" in response.json()["detail"]
    assert "NEW" not in codes(client, "?include_closed=true")


def test_builtin_command_keyword_is_invalid(client: TestClient) -> None:
    # A built-in command always wins over a campaign keyword: such an entry is invalid data.
    body = entry("IWJZS", code="NEW", keywords=["CXYE"])
    response = client.post("/v1/campaigns", json=body, headers=ADMIN)
    assert response.status_code == 422
    detail = str(response.json()["detail"])
    assert "keywords" in detail and "CXYE" in detail


def test_keyword_of_a_closed_campaign_is_free_until_it_reopens(
    client: TestClient, add_subscriber: Callable
) -> None:
    add_subscriber("13800138000")
    client.post("/v1/campaigns/GABX/close", headers=ADMIN)
    body = entry("SRMF", code="SR2", keywords=["SR2", "GABX"])
    assert client.post("/v1/campaigns", json=body, headers=ADMIN).status_code == 201
    # GABX now answers for the birthday campaign (care insurance would ask for a name).
    assert mo(client, "GABX", "m1")["outcome"] == "birthday"

    reopen = client.post("/v1/campaigns/GABX/open", headers=ADMIN)
    assert reopen.status_code == 409
    assert "GABX" in reopen.json()["detail"] and "SR2" in reopen.json()["detail"]
    assert client.get("/v1/campaigns/GABX", headers=ADMIN).json()["closed"] is True


# --- validation: the detail names the field, for every kind -----------------

INVALID = [
    # (stored campaign of the kind, top-level changes, one nested change, what the detail names)
    ("IWJZS", {}, ("packages", 1, "monthly_fee_yuan", "26.555"), "packages.1.monthly_fee_yuan"),
    ("IWJZS", {}, ("packages", 0, "monthly_fee_yuan", "-1"), "packages.0.monthly_fee_yuan"),
    ("IWJZS", {"tenure_tiers": [{"above_months": 12, "free_months": 6}]}, None, "above_months: -1"),
    ("IWJZS", {"keywords": ["iwjzs"]}, None, "keywords"),
    ("IWJZS", {"targets": ["platinum"]}, None, "targets.0"),
    # a pre-store is paid, so it must ask for Y (DOMAIN.md §5)
    ("YC", {"requires_confirmation": False}, None, "requires_confirmation must be true"),
    ("YC", {}, ("offers", 0, "contract_months", 0), "offers.0.contract_months"),
    ("YC", {}, ("offers", 2, "credit_back_yuan", "0"), "offers.2"),
    ("GABX", {"cover_starts_day": 31}, None, "cover_starts_day"),
    ("GABX", {"monthly_fee_yuan": "9.999"}, None, "monthly_fee_yuan"),
    ("WLYH", {"minutes_tiers": []}, None, "minutes_tiers"),
    ("WLYH", {"qualifying_spend_yuan": "120.001"}, None, "qualifying_spend_yuan"),
    ("WLYH", {}, ("minutes_tiers", 1, "minutes", 0), "minutes_tiers.1.minutes"),
    ("SRMF", {"ends_on": "2025-12-31"}, None, "ends_on is before starts_on"),
    ("SRMF", {"packages": []}, None, "packages"),
    ("SRMF", {"kind": "lottery"}, None, "kind"),
]  # fmt: skip


@pytest.mark.parametrize(("stored", "changes", "nested", "named"), INVALID)
def test_invalid_campaign_is_422_naming_the_field(
    client: TestClient, stored: str, changes: dict, nested: tuple | None, named: str
) -> None:
    def body(**identity: Any) -> dict[str, Any]:
        data = entry(stored, **{**identity, **changes})
        if nested is not None:
            field, index, key, value = nested
            data[field][index][key] = value
        return data

    created = client.post("/v1/campaigns", json=body(code="NEW", keywords=["NEW"]), headers=ADMIN)
    assert created.status_code == 422
    assert named in created.json()["detail"]
    assert codes(client, "?include_closed=true") == SHIPPED_CODES

    before = client.get(f"/v1/campaigns/{stored}", headers=ADMIN).json()
    replaced = client.put(f"/v1/campaigns/{stored}", json=body(), headers=ADMIN)
    assert replaced.status_code == 422
    assert named in replaced.json()["detail"]
    assert client.get(f"/v1/campaigns/{stored}", headers=ADMIN).json() == before


def test_body_must_be_an_object(client: TestClient) -> None:
    assert client.post("/v1/campaigns", json=[1], headers=ADMIN).status_code == 422


# --- replacing --------------------------------------------------------------


def test_fee_change_answers_the_next_message(client: TestClient, add_subscriber: Callable) -> None:
    add_subscriber("13800138000")
    add_subscriber("13800138001")
    first = mo(client, "IWJZS 2", "m1")
    assert "234元" in first["replies"][0]["text"]  # 26 yuan × 9 months

    body = client.get("/v1/campaigns/IWJZS", headers=ADMIN).json()["campaign"]
    body["packages"][1]["monthly_fee_yuan"] = "30"
    response = client.put("/v1/campaigns/IWJZS", json=body, headers=ADMIN)
    assert response.status_code == 200
    assert response.json()["campaign"]["packages"][1]["monthly_fee_yuan"] == "30"

    second = mo(client, "IWJZS 2", "m2", sender="13800138001")
    assert second["outcome"] == "activated"
    assert "270元" in second["replies"][0]["text"]  # 30 yuan × 9 months


def test_replace_code_must_match_the_path(client: TestClient) -> None:
    response = client.put("/v1/campaigns/IWJZS", json=entry("TY"), headers=ADMIN)
    assert response.status_code == 422
    assert "code" in response.json()["detail"] and "IWJZS" in response.json()["detail"]


def test_replace_cannot_change_the_kind(client: TestClient) -> None:
    body = entry("SRMF", code="IWJZS", keywords=["IWJZS"])
    response = client.put("/v1/campaigns/IWJZS", json=body, headers=ADMIN)
    assert response.status_code == 409
    assert "kind" in response.json()["detail"]
    assert client.get("/v1/campaigns/IWJZS", headers=ADMIN).json()["kind"] == "free_experience"


def test_replace_with_a_taken_keyword_is_409(client: TestClient) -> None:
    body = entry("IWJZS", keywords=["IWJZS", "YC"])
    response = client.put("/v1/campaigns/IWJZS", json=body, headers=ADMIN)
    assert response.status_code == 409
    assert "YC" in response.json()["detail"]
    stored = client.get("/v1/campaigns/IWJZS", headers=ADMIN).json()["campaign"]
    assert stored["keywords"] == ["IWJZS"]


def test_replace_keeps_a_closed_campaign_closed(client: TestClient) -> None:
    client.post("/v1/campaigns/TY/close", headers=ADMIN)
    response = client.put("/v1/campaigns/TY", json=entry("TY", name_en="Pocket"), headers=ADMIN)
    assert response.status_code == 200
    assert response.json()["closed"] is True
    assert response.json()["campaign"]["name_en"] == "Pocket"


# --- closing and reopening --------------------------------------------------


def test_closed_campaign_stops_answering_and_leaves_menus(
    client: TestClient, add_subscriber: Callable
) -> None:
    add_subscriber("13800138000")
    assert mo(client, "CD", "m1")["outcome"] == "menu"
    assert "我家免费体验" in mo(client, "2", "m2")["replies"][0]["text"]  # the free-trial menu

    closed = client.post("/v1/campaigns/IWJZS/close", headers=ADMIN)
    assert closed.status_code == 200 and closed.json()["closed"] is True
    assert client.post("/v1/campaigns/IWJZS/close", headers=ADMIN).status_code == 200

    assert mo(client, "IWJZS 2", "m3")["outcome"] == "unknown_keyword"
    mo(client, "CD", "m4")
    assert "我家免费体验" not in mo(client, "2", "m5")["replies"][0]["text"]

    reopened = client.post("/v1/campaigns/IWJZS/open", headers=ADMIN)
    assert reopened.status_code == 200 and reopened.json()["closed"] is False
    assert mo(client, "IWJZS 2", "m6")["outcome"] == "activated"


# --- the photo window -------------------------------------------------------

# No VIP card; 150 yuan a month in January–April 2026: photographed (600 ≥ 480)
# under the shipped window, nothing in the latest six months (not new high-end).
PHOTOGRAPHED = dict(vip_level=None, vip_type=None, vip_source=None, vip_card_no=None,
                    vip_valid_from=None, vip_valid_to=None)  # fmt: skip
EARLY_SPEND = {f"2026-0{m}": (150_00, 200) for m in (1, 2, 3, 4)}


def test_photo_window_change_moves_eligibility(
    client: TestClient, add_subscriber: Callable
) -> None:
    add_subscriber("13800138000", usage=EARLY_SPEND, **PHOTOGRAPHED)
    add_subscriber("13800138001", usage=EARLY_SPEND, **PHOTOGRAPHED)
    assert mo(client, "IWJZS 1", "m1")["outcome"] == "activated"

    moved = {"first": "2026-05", "last": "2026-10"}
    response = client.put("/v1/catalog/photo-window", json=moved, headers=ADMIN)
    assert response.status_code == 200 and response.json() == moved
    assert client.get("/v1/catalog/photo-window", headers=ADMIN).json() == moved

    assert mo(client, "IWJZS 1", "m2", sender="13800138001")["outcome"] == "not_eligible"


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"first": "2026-13", "last": "2026-06"}, "month must be 1..12"),
        ({"first": "2026-07", "last": "2026-06"}, "before it starts"),
        ({"first": "January", "last": "2026-06"}, "YYYY-MM"),
        ({"first": "0000-01", "last": "2026-06"}, "a year from 1900 to 9998"),
        ({"first": "1899-12", "last": "2026-06"}, "a year from 1900 to 9998"),
        ({"first": "2026-01"}, "last"),
        ({"first": "2026-01", "last": "2026-06", "extra": 1}, "extra"),
    ],
)
def test_invalid_photo_window_is_422(client: TestClient, body: dict, named: str) -> None:
    response = client.put("/v1/catalog/photo-window", json=body, headers=ADMIN)
    assert response.status_code == 422
    assert named in response.json()["detail"]
    window = client.get("/v1/catalog/photo-window", headers=ADMIN).json()
    assert window == {"first": "2026-01", "last": "2026-06"}
