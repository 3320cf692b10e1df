"""Every operator route: 401 without the admin token, 422 naming the parameter."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import ADMIN_TOKEN, GATEWAY_TOKEN

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
ROUTES = [
    ("GET", "/v1/subscribers"),
    ("GET", "/v1/subscribers/13800138000/conversation"),
    ("GET", "/v1/activations"),
    ("GET", "/v1/activations?format=csv"),
    ("GET", "/v1/replies?state=failed"),
    ("POST", "/v1/replies/1/retry"),
    ("GET", "/v1/prompts"),
    ("GET", "/v1/reports/kpi?month=2026-10"),
    ("GET", "/v1/worklists/someone"),
    ("GET", "/v1/worklists/someone?format=csv"),
    ("GET", "/v1/traffic"),
    ("GET", "/v1/links"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize("headers", [{}, {"Authorization": f"Bearer {GATEWAY_TOKEN}"}])
def test_admin_token_is_required(client: TestClient, method: str, path: str, headers: dict) -> None:
    response = client.request(method, path, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/v1/subscribers?prefix=abc", "prefix"),
        ("/v1/subscribers?prefix=2", "prefix"),
        ("/v1/subscribers?brand=vodafone", "brand"),
        ("/v1/subscribers?status=gone", "status"),
        ("/v1/subscribers?vip_level=platinum", "vip_level"),
        ("/v1/subscribers?segment=rich", "segment"),
        ("/v1/subscribers?limit=0", "limit"),
        ("/v1/subscribers?limit=501", "limit"),
        ("/v1/subscribers?cursor=-1", "cursor"),
        ("/v1/subscribers?cursor=abc", "cursor"),
        ("/v1/subscribers/13800138000/conversation?offset=-1", "offset"),
        ("/v1/activations?from=2026-13-01", "from"),
        ("/v1/activations?to=yesterday", "to"),
        ("/v1/activations?state=paused", "state"),
        ("/v1/activations?format=xml", "format"),
        ("/v1/replies", "state"),
        ("/v1/replies?state=queued", "state"),
        ("/v1/replies?state=stuck&stuck_minutes=0", "stuck_minutes"),
        ("/v1/prompts?kind=question", "kind"),
        ("/v1/reports/kpi", "month"),
        ("/v1/reports/kpi?month=2026-13", "month"),
        ("/v1/reports/kpi?month=1899-12", "month"),  # months counted back from it exist
        ("/v1/reports/kpi?month=9999-12", "month"),  # and the month after it
        ("/v1/subscribers?cursor=9223372036854775808", "cursor"),  # past a 64-bit id
        ("/v1/subscribers/13800138000/conversation?offset=99999999999999999999", "offset"),
        ("/v1/activations?cursor=2147483648", "cursor"),  # activations: 32-bit ids
        ("/v1/replies?state=failed&cursor=9223372036854775808", "cursor"),
        ("/v1/prompts?cursor=9223372036854775808", "cursor"),
        ("/v1/reports/kpi?month=2026-10&format=pdf", "format"),
        ("/v1/worklists/someone?format=xlsx", "format"),
    ],
)
def test_bad_parameters_are_named(client: TestClient, path: str, field: str) -> None:
    response = client.get(path, headers=ADMIN)
    assert response.status_code == 422, response.text
    (problem,) = response.json()["detail"]
    assert field in problem["loc"][1:]
    assert problem["msg"]


def test_bad_path_parameters(client: TestClient) -> None:
    response = client.get("/v1/subscribers/12345/conversation", headers=ADMIN)
    assert response.status_code == 422 and "12345" in response.json()["detail"]
    response = client.post("/v1/replies/0/retry", headers=ADMIN)
    assert response.status_code == 422 and response.json()["detail"][0]["loc"][-1] == "reply_id"


@pytest.mark.parametrize(
    ("path", "month"), [("/v1/reports/kpi", "1900-01"), ("/v1/reports/kpi", "9998-12")]
)
def test_the_first_and_last_months_a_report_takes(
    client: TestClient, path: str, month: str
) -> None:
    assert client.get(f"{path}?month={month}", headers=ADMIN).status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("POST", "/v1/replies/9223372036854775808/retry", None, "reply_id"),
        ("POST", "/v1/campaigns/IWJZS/rollback", {"revision": 2**31}, "revision"),
        ("POST", "/v1/catalog/photo-window/rollback", {"revision": 2**31}, "revision"),
    ],
)
def test_ids_past_64_bits_are_named(
    client: TestClient, method: str, path: str, body: dict | None, field: str
) -> None:
    response = client.request(method, path, headers=ADMIN, json=body)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][-1] == field


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/v1/subscribers?cursor=9223372036854775807", None),
        ("GET", "/v1/subscribers/13800138000/conversation?offset=9223372036854775807", None),
        ("GET", "/v1/replies?state=failed&cursor=9223372036854775807", None),
        ("GET", "/v1/prompts?cursor=9223372036854775807", None),
        ("GET", "/v1/activations?cursor=2147483647", None),
        ("POST", "/v1/replies/9223372036854775807/retry", None),
        ("POST", "/v1/catalog/photo-window/rollback", {"revision": 2**31 - 1}),
    ],
)
def test_the_largest_64_bit_ids_are_looked_up(
    client: TestClient, method: str, path: str, body: dict | None
) -> None:
    response = client.request(method, path, headers=ADMIN, json=body)
    assert response.status_code in (200, 404), response.text  # none such: not found


def test_a_range_that_ends_before_it_starts(client: TestClient) -> None:
    response = client.get("/v1/activations?from=2026-11-02&to=2026-11-01", headers=ADMIN)
    assert response.status_code == 422
    assert response.json()["detail"] == "to: 2026-11-01 is before from: 2026-11-02"


def test_routes_are_documented_with_their_models(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for method, path in ROUTES:
        bare = path.split("?")[0].replace("13800138000", "{msisdn}").replace("/1/", "/{reply_id}/")
        bare = bare.replace("someone", "{manager}")
        schema = paths[bare][method.lower()]["responses"]["200"]["content"]["application/json"]
        assert "$ref" in schema["schema"], bare


def test_without_a_photo_window(client: TestClient) -> None:
    """No catalog loaded: usage segments cannot be judged (409 says why); the
    record's own segments and the dynamic count still answer."""
    response = client.get("/v1/subscribers?segment=photographed", headers=ADMIN)
    assert response.status_code == 409
    assert "photo window" in response.json()["detail"]
    assert client.get("/v1/subscribers?segment=vip_gold", headers=ADMIN).status_code == 200
    body = client.get("/v1/reports/kpi?month=2026-10", headers=ADMIN).json()
    assert body["photographed_retention"] is None and body["bundling"] is None
    assert body["dynamic_mid_high_end"]["count"] == 0
