"""The HTTP control API: MO injection, listings, long-poll, reset, auth, input errors."""

from __future__ import annotations

import threading

import httpx
import pytest

from tests.support.esme import EchoEsme


@pytest.fixture
def echo(sim):
    esme = EchoEsme(sim.port).start()
    yield esme
    esme.stop()


def test_conversation_in_order_with_segments_and_state(sim, echo):
    first = sim.mo(**{"from": "13800138000", "text": "cxye"})
    sim.api("GET", "/api/mt", params={"to": "13800138000", "after": first["mt_cursor"], "wait": 5})
    sim.mo(**{"from": "13800138000", "text": "x" * 100})
    convo = sim.wait_for(
        lambda: (
            (c := sim.api("GET", "/api/handsets/13800138000/conversation")["messages"])
            and len(c) == 4
            and c
        ),
        what="4 messages",
    )
    assert [(m["direction"], m["text"]) for m in convo] == [
        ("mo", "cxye"),
        ("mt", "echo: cxye"),
        ("mo", "x" * 100),
        ("mt", "echo: " + "x" * 100),
    ]
    assert convo[3]["data_coding"] == 8
    assert convo[3]["segments"] == 1  # the echo ESME sends one (oversized) PDU, never splits
    assert convo[2]["segments"] == 1 and convo[0]["data_coding"] == 0
    sim.wait_for(
        lambda: all(
            m["state"] == "DELIVRD"
            for m in sim.api("GET", "/api/handsets/13800138000/conversation")["messages"]
            if m["direction"] == "mt"
        )
    )
    assert sim.api("GET", "/api/handsets/13900000000/conversation")["messages"] == []
    assert "13800138000" in sim.api("GET", "/api/handsets")["handsets"]


def test_long_poll_returns_when_mt_arrives(sim, echo):
    cursor = sim.api("GET", "/api/mt")["cursor"]
    result: dict = {}

    def wait():
        with httpx.Client(base_url=sim.url, timeout=20) as c:
            result["r"] = c.get(
                "/api/mt", params={"to": "13800000001", "after": cursor, "wait": 10}
            ).json()

    waiter = threading.Thread(target=wait)
    waiter.start()
    sim.mo(**{"from": "13800000002", "text": "other handset"})
    sim.mo(**{"from": "13800000001", "text": "mine"})
    waiter.join(15)
    assert not waiter.is_alive()
    assert [m["text"] for m in result["r"]["mt"]] == ["echo: mine"]


def test_long_poll_times_out_empty(sim):
    r = sim.api("GET", "/api/mt", params={"to": "13800000009", "wait": 0.2})
    assert r["mt"] == []


def test_stats_receipts_binds_and_reset(sim, echo):
    mo = sim.mo(**{"from": "13800138000", "text": "hello"})
    sim.api("GET", "/api/mt", params={"to": "13800138000", "after": mo["mt_cursor"], "wait": 5})
    sim.wait_for(lambda: sim.api("GET", "/api/receipts")["receipts"], what="receipt")
    stats = sim.api("GET", "/api/stats")
    assert stats["mo"]["total"] == 1 and stats["mt"]["total"] == 1
    assert stats["mo"]["per_second"] > 0 and stats["mt"]["per_second"] > 0
    assert stats["binds"][0]["state"] == "bound" and stats["binds"][0]["submits"] == 1
    receipt = sim.api("GET", "/api/receipts")["receipts"][0]
    assert receipt["stat"] == "DELIVRD" and receipt["to"] == "13800138000"
    sim.api("POST", "/api/reset")
    stats = sim.api("GET", "/api/stats")
    assert stats["mo"]["total"] == 0 and stats["mt"]["total"] == 0
    assert len(stats["binds"]) == 1  # reset clears traffic, not binds
    assert sim.api("GET", "/api/mt")["mt"] == []


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"from": "abc", "text": "x"}, "from"),
        ({"from": "13800138000", "text": "x", "data_coding": 4}, "data_coding"),
        ({"from": "13800138000", "text": "查", "data_coding": 1}, "cannot be encoded"),
        ({"from": "13800138000", "text": "y" * 200, "parts_order": [1, 5]}, "parts_order"),
        ({"from": "13800138000", "text": "x", "split": "zip"}, "split"),
        ({"from": "13800138000", "text": "x", "bogus": 1}, "bogus"),
        ({"from": "13800138000", "text": "z" * 300, "split": "none"}, "254"),
    ],
)
def test_bad_mo_requests_get_422(sim, body, fragment):
    r = sim.http.post("/api/mo", json=body)
    assert r.status_code == 422
    assert fragment in r.text


def test_scenario_patch_validates(sim):
    r = sim.http.patch("/api/scenario", json={"faults": {"submit_error_rate": 2}})
    assert r.status_code == 422 and "submit_error_rate" in r.text
    r = sim.http.patch("/api/scenario", json={"faults": {"nonsense": 1}})
    assert r.status_code == 422
    ok = sim.api("PATCH", "/api/scenario", json={"faults": {"throttle_tps": 3}})
    assert ok["faults"]["throttle_tps"] == 3 and ok["accounts"][0]["system_id"] == "smshall"


def test_unknown_bind_is_404(sim):
    assert sim.http.post("/api/binds/bind-999/unbind").status_code == 404
    assert sim.http.post("/api/binds/bind-999/drop").status_code == 404


def test_drop_bind(sim, esme):
    bind_id = sim.api("GET", "/api/binds")["binds"][0]["id"]
    sim.api("POST", f"/api/binds/{bind_id}/drop")
    assert sim.api("GET", "/api/binds")["binds"] == []


def test_control_token_required(sim_factory):
    sim = sim_factory(control_token="s3cret")
    assert sim.http.get("/api/stats").status_code == 401
    assert sim.http.get("/api/stats", headers={"Authorization": "Bearer nope"}).status_code == 401
    ok = sim.http.get("/api/stats", headers={"Authorization": "Bearer s3cret"})
    assert ok.status_code == 200
    assert sim.http.get("/").status_code == 200  # the page itself is public; its API calls are not


def test_handset_page_served(sim):
    page = sim.http.get("/")
    assert page.status_code == 200 and "<html" in page.text.lower()
    assert sim.http.get("/static/app.js").status_code == 200


def test_pdu_capture(sim, esme):
    esme.submit(short_message=b"captured")
    esme.pump(lambda: esme.resps)
    pdus = sim.api("GET", "/api/pdus")["pdus"]
    kinds = [(p["dir"], p["command"]) for p in pdus]
    assert ("in", "bind_transceiver") in kinds and ("out", "bind_transceiver_resp") in kinds
    submit = next(p for p in pdus if p["command"] == "submit_sm")
    assert b"captured".hex() in submit["hex"]
    resp = next(p for p in pdus if p["command"] == "submit_sm_resp")
    assert resp["seq"] == submit["seq"] and resp["dir"] == "out"
