"""The simulator as a USSDC: POST/GET/DELETE /api/ussd and `gateway-sim ussd`.

A small USSD ESME (tests/sim/ussd_esme.py) answers over real SMPP sockets.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from gateway_sim import cli
from tests.sim.conftest import Sim
from tests.sim.ussd_esme import MENU, UssdEsme, read_ussd_in_deliver_sm

NUMBER = "13800138000"


@pytest.fixture
def ussd_deliver_sm(monkeypatch: pytest.MonkeyPatch) -> None:
    read_ussd_in_deliver_sm(monkeypatch)


@pytest.fixture
def app_esme(sim: Sim, ussd_deliver_sm: None) -> Iterator[UssdEsme]:
    esme = UssdEsme(sim.port).start()
    yield esme
    esme.stop()


def step(sim: Sim, **body: object) -> dict:
    return sim.api("POST", "/api/ussd", json={"msisdn": NUMBER, "wait": 5, **body})


def test_a_dialogue_from_dial_to_end(sim: Sim, app_esme: UssdEsme) -> None:
    first = step(sim, code="*10086#")
    assert first["screen"] == MENU and first["active"] and first["op"] == 2
    assert not first["timed_out"] and not first["end"]
    assert step(sim, input="2")["screen"].startswith("Help")
    assert step(sim, input="0")["screen"] == MENU
    last = step(sim, input="1")
    assert last["screen"] == "Balance: 86.50" and last["end"] and not last["active"]
    assert last["op"] == 17
    shown = sim.api("GET", f"/api/ussd/{NUMBER}")
    assert shown["screen"] == "Balance: 86.50" and not shown["active"]
    assert [s["text"] for s in shown["steps"]] == ["*10086#", "2", "0", "1"]
    # The USSDC side on the wire: op 1 then 18s, one session number, sequence moving on.
    ops = [op for op, _, _ in app_esme.steps]
    sessions = {info >> 8 for _, info, _ in app_esme.steps}
    seqs = [(info >> 1) & 0x7F for _, info, _ in app_esme.steps]
    assert ops == [1, 18, 18, 18] and sessions == {first["session"]} and seqs == [0, 1, 2, 3]
    # The deliver_sm were USSD and the dialogue shows in the handset's conversation.
    mo = sim.api("GET", "/api/mo")["mo"]
    assert [m["ussd"]["op"] for m in mo] == [1, 18, 18, 18] and mo[0]["to"] == "*10086#"
    mt = sim.api("GET", "/api/mt", params={"to": NUMBER})["mt"]
    assert [m["service_type"] for m in mt] == ["USSD"] * 4 + [""]  # and the ordinary SMS


def test_answering_needs_an_open_dialogue(sim: Sim, app_esme: UssdEsme) -> None:
    response = sim.http.post("/api/ussd", json={"msisdn": NUMBER, "input": "1"})
    assert response.status_code == 409
    step(sim, code="*10086#")
    assert step(sim, input="1")["end"]
    assert sim.http.post("/api/ussd", json={"msisdn": NUMBER, "input": "1"}).status_code == 409


@pytest.mark.parametrize(
    "body",
    [
        {"msisdn": NUMBER},
        {"msisdn": NUMBER, "code": "*10086#", "input": "1"},
        {"msisdn": NUMBER, "code": "10086"},
        {"msisdn": "abc", "code": "*10086#"},
        {"msisdn": NUMBER, "code": "*10086#", "wait": 61},
    ],
)
def test_malformed_steps(sim: Sim, body: dict) -> None:
    assert sim.http.post("/api/ussd", json=body).status_code == 422


def test_unknown_handset(sim: Sim) -> None:
    assert sim.http.get(f"/api/ussd/{NUMBER}").status_code == 404
    assert sim.http.delete(f"/api/ussd/{NUMBER}").status_code == 404


def test_a_screen_that_comes_late_shows_up(sim: Sim, ussd_deliver_sm: None) -> None:
    waiting = step(sim, code="*10086#", wait=0.1)  # no ESME bound: the step is queued
    assert waiting["timed_out"] and waiting["waiting"] and waiting["screen"] is None
    esme = UssdEsme(sim.port).start()
    try:
        shown = sim.wait_for(
            lambda: (d := sim.api("GET", f"/api/ussd/{NUMBER}"))["screen"] and d, what="screen"
        )
        assert shown["screen"] == MENU and shown["active"] and not shown["waiting"]
    finally:
        esme.stop()


def test_two_handsets_and_dialling_again(sim: Sim, app_esme: UssdEsme) -> None:
    one = step(sim, code="*10086#")
    other = sim.api("POST", "/api/ussd", json={"msisdn": "13911112222", "code": "*10086#"})
    assert one["session"] != other["session"]
    again = step(sim, code="*10086#")  # the first handset dials anew
    assert again["session"] not in (one["session"], other["session"])
    assert [s["text"] for s in again["steps"]] == ["*10086#"]
    assert step(sim, input="1")["end"]
    assert sim.api("GET", "/api/ussd/13911112222")["active"]


def test_hanging_up(sim: Sim, app_esme: UssdEsme) -> None:
    step(sim, code="*10086#")
    gone = sim.api("DELETE", f"/api/ussd/{NUMBER}")
    assert gone["released"] and not gone["active"]
    assert sim.http.post("/api/ussd", json={"msisdn": NUMBER, "input": "1"}).status_code == 409


def test_cli_scripts_a_dialogue(sim: Sim, app_esme: UssdEsme, capsys) -> None:
    code = cli.main(["ussd", NUMBER, "*10086#", "2", "0", "1", "--url", sim.url])
    out = capsys.readouterr().out
    assert code == 0
    assert out.count(">>> ") == 4 and "Help: dial" in out
    assert out.rstrip().endswith("Balance: 86.50\n[END]")
    assert out.count("[CON]") == 3


def test_cli_reports_inputs_left_after_the_end(sim: Sim, app_esme: UssdEsme, capsys) -> None:
    code = cli.main(["ussd", NUMBER, "*10086#", "1", "2", "--url", sim.url, "--json"])
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert code == 1 and not data["complete"]
    assert [s["sent"] for s in data["steps"]] == ["*10086#", "1"]


def test_cli_times_out_without_an_esme(sim: Sim, capsys) -> None:
    code = cli.main(["ussd", NUMBER, "*10086#", "--url", sim.url, "--timeout", "0.2"])
    assert code == 1 and "no USSD screen" in capsys.readouterr().err
