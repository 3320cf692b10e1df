"""Subscriber search, conversations, activations (CSV), failed/stuck replies and
their retry, open prompts: what the admin API answers."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from app.runtime import Runtime
from app.services.clock import utc_now
from app.store.models import OutboundMessageRow, OutboundPartRow
from tests.conftest import ADMIN_TOKEN, auth
from tests.reports.fixtures import add_activation

pytestmark = pytest.mark.usefixtures("catalog")
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
NO_CARD = dict(vip_level=None, vip_source=None)


def send(client: TestClient, msisdn: str, text: str, message_id: str, at: str) -> dict:
    body = {"from": msisdn, "to": "10086", "text": text, "message_id": message_id,
            "received_at": at}  # fmt: skip
    response = client.post("/v1/mo", json=body, headers=auth())
    assert response.status_code == 200, response.text
    return response.json()


def test_search_by_prefix_brand_and_segment(client: TestClient, add_subscriber: Callable) -> None:
    add_subscriber("13800000001", {"2026-10": (80_00, 100)}, **NO_CARD)  # dynamic
    add_subscriber("13800000002", {"2026-10": (79_99, 100)}, **NO_CARD)
    add_subscriber("13900000003", {"2026-10": (90_00, 300)}, brand="mzone", **NO_CARD)
    add_subscriber("13800000004", status="suspended")

    def msisdns(query: str) -> list[str]:
        response = client.get(f"/v1/subscribers?{query}", headers=ADMIN)
        assert response.status_code == 200, response.text
        return [s["msisdn"] for s in response.json()["subscribers"]]

    assert msisdns("segment=dynamic_mid_high_end") == ["13800000001", "13900000003"]
    assert msisdns("segment=dynamic_mid_high_end&prefix=138") == ["13800000001"]
    assert msisdns("brand=mzone") == ["13900000003"]
    assert msisdns("status=suspended&vip_level=gold&segment=vip_gold") == ["13800000004"]
    assert msisdns("prefix=13800000002") == ["13800000002"]
    # Pages: the cursor carries on where the last page stopped.
    first = client.get("/v1/subscribers?limit=3", headers=ADMIN).json()
    assert first["as_of"] == "2026-11-23" and len(first["subscribers"]) == 3
    rest = client.get(f"/v1/subscribers?limit=3&cursor={first['next_cursor']}", headers=ADMIN)
    assert [s["msisdn"] for s in rest.json()["subscribers"]] == ["13800000004"]
    assert rest.json()["next_cursor"] is None
    assert "name" not in first["subscribers"][0]


def test_conversation_newest_first_with_receipts(
    client: TestClient, runtime: Runtime, add_subscriber: Callable
) -> None:
    add_subscriber("13800138000", {"2026-10": (150_00, 300)})
    send(client, "13800138000", "CXYE", "m1", "2026-11-23T09:00:00+08:00")
    send(client, "13800138000", "XCYE", "m2", "2026-11-23T09:05:00+08:00")
    send(client, "13900000000", "CXYE", "other", "2026-11-23T09:06:00+08:00")
    now = utc_now()
    with runtime.uow_factory() as uow:
        assert uow.session is not None
        notice = OutboundMessageRow(
            msisdn="13800138000", sender="10086", text="提醒" * 50, channel="smpp",
            state="delivered", attempts=1, created_at=now, updated_at=now,
        )  # fmt: skip
        uow.session.add(notice)
        uow.session.flush()
        for part_no, stat in ((1, "DELIVRD"), (2, "DELIVRD")):
            uow.session.add(
                OutboundPartRow(
                    outbound_message_id=notice.id,
                    part_no=part_no,
                    gateway="sim",
                    gateway_message_id=f"a{part_no}",
                    state="delivered",
                    receipt_stat=stat,
                    submitted_at=now,
                    updated_at=now,
                )  # fmt: skip
            )
        uow.commit()

    body = client.get("/v1/subscribers/+8613800138000/conversation", headers=ADMIN).json()
    assert body["msisdn"] == "13800138000" and body["next_offset"] is None
    kinds = [(m["direction"], m["outcome"] or m["state"]) for m in body["messages"]]
    assert kinds == [
        ("mt", "delivered"), ("mt", "sent"), ("mo", "did_you_mean"), ("mt", "sent"),
        ("mo", "balance"),
    ]  # fmt: skip
    notice_entry, reply, mo = body["messages"][:3]
    assert [p["receipt_stat"] for p in notice_entry["parts"]] == ["DELIVRD", "DELIVRD"]
    assert notice_entry["in_reply_to"] is None and reply["in_reply_to"] == mo["id"]
    assert mo["text"] == "XCYE"
    page = client.get("/v1/subscribers/13800138000/conversation?limit=2&offset=2", headers=ADMIN)
    assert [m["direction"] for m in page.json()["messages"]] == ["mo", "mt"]
    assert page.json()["next_offset"] == 4


def test_activations_filtered_and_exported(
    client: TestClient, runtime: Runtime, add_subscriber: Callable
) -> None:
    a = add_subscriber("13800000001")
    b = add_subscriber("13800000002")
    add_activation(
        runtime, a, package="2", activated_on=date(2026, 10, 1), ends_on=date(2027, 1, 31)
    )
    add_activation(
        runtime, b, package="3", activated_on=date(2026, 10, 31), ends_on=date(2027, 1, 31)
    )
    add_activation(runtime, b, package="1", activated_on=date(2026, 11, 1), ends_on=date(2027, 2, 28), state="lapsed", key="other")  # fmt: skip

    def listed(query: str) -> list[tuple[str, str]]:
        response = client.get(f"/v1/activations?{query}", headers=ADMIN)
        assert response.status_code == 200, response.text
        return [(x["msisdn"], x["package"]) for x in response.json()["activations"]]

    assert listed("campaign=iwjzs&from=2026-10-01&to=2026-10-31") == [
        ("13800000001", "2"), ("13800000002", "3"),
    ]  # fmt: skip
    assert listed("state=lapsed") == [("13800000002", "1")]
    assert listed("package=3") == [("13800000002", "3")]
    page = client.get("/v1/activations?limit=2", headers=ADMIN).json()
    assert len(page["activations"]) == 2 and page["next_cursor"] == page["activations"][1]["id"]

    response = client.get("/v1/activations?format=csv&from=2026-10-15", headers=ADMIN)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["msisdn"], r["package"], r["state"]) for r in rows] == [
        ("13800000002", "3", "active"), ("13800000002", "1", "lapsed"),
    ]  # fmt: skip
    assert "details" not in rows[0]


def _reply(runtime: Runtime, state: str, due: timedelta | None, claimed: str | None) -> int:
    now = utc_now()
    with runtime.uow_factory() as uow:
        assert uow.session is not None
        row = OutboundMessageRow(
            msisdn="13800138000", sender="10086", text="reply", channel="smpp", state=state,
            attempts=1, next_attempt_at=None if due is None else now + due, claimed_by=claimed,
            last_error="throttled" if state == "failed" else None, created_at=now, updated_at=now,
        )  # fmt: skip
        uow.session.add(row)
        uow.commit()
        return row.id


def test_failed_and_stuck_replies_and_their_retry(client: TestClient, runtime: Runtime) -> None:
    failed = _reply(runtime, "failed", None, None)
    waiting = _reply(runtime, "queued", timedelta(minutes=-11), None)  # due 11 minutes ago
    recent = _reply(runtime, "queued", timedelta(minutes=-9), None)
    lease_over = _reply(runtime, "queued", timedelta(seconds=-1), "smpp:sim")
    held = _reply(runtime, "queued", timedelta(seconds=60), "smpp:sim")
    delivered = _reply(runtime, "delivered", None, None)

    def ids(query: str) -> list[int]:
        response = client.get(f"/v1/replies?{query}", headers=ADMIN)
        assert response.status_code == 200, response.text
        return [r["id"] for r in response.json()["replies"]]

    assert ids("state=failed") == [failed]
    assert ids("state=stuck") == [waiting, lease_over]
    assert ids("state=stuck&stuck_minutes=8") == [waiting, recent, lease_over]

    retried = client.post(f"/v1/replies/{failed}/retry", headers=ADMIN)
    assert retried.status_code == 200
    assert (retried.json()["state"], retried.json()["claimed_by"]) == ("queued", None)
    assert ids("state=failed") == []
    assert client.post(f"/v1/replies/{lease_over}/retry", headers=ADMIN).status_code == 200
    for row_id in (recent, held, delivered):
        response = client.post(f"/v1/replies/{row_id}/retry", headers=ADMIN)
        assert response.status_code == 409
        assert "neither failed nor stuck" in response.json()["detail"]
    assert client.post("/v1/replies/99999/retry", headers=ADMIN).status_code == 404


def test_open_prompts(client: TestClient, add_subscriber: Callable) -> None:
    add_subscriber("13800000001", {"2026-10": (150_00, 300)})
    add_subscriber("13800000002", {"2026-10": (150_00, 300)})
    add_subscriber("13800000003", {"2026-10": (150_00, 300)})
    at = "2026-11-23T10:00:00+08:00"  # a "did you mean" stays open for minutes
    send(client, "13800000001", "YC SJB", "p1", at)
    send(client, "13800000002", "XCYE", "p2", at)
    send(client, "13800000003", "CD", "p3", at)  # a menu: waits for a digit, not Y
    add_subscriber("13800000004", {"2026-10": (150_00, 300)})
    old = (datetime.fromisoformat(at) - timedelta(days=2)).isoformat()
    send(client, "13800000004", "YC CL", "p4", old)  # its 24 hours are over

    body = client.get("/v1/prompts", headers=ADMIN).json()
    assert [(p["msisdn"], p["kind"]) for p in body["prompts"]] == [
        ("13800000001", "confirm_order"), ("13800000002", "did_you_mean"),
    ]  # fmt: skip
    assert body["prompts"][0]["asked"]["campaign"] == "YC"
    menus = client.get("/v1/prompts?kind=menu", headers=ADMIN).json()["prompts"]
    assert [p["msisdn"] for p in menus] == ["13800000003"]
