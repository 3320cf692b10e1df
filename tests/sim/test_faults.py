"""Faults on demand: throttling, random errors, drops, refused binds, odd ordering."""

from __future__ import annotations

import contextlib
import socket
import time

import pytest
import smpplib.smpp
from smpplib import exceptions as smpp_exceptions

from tests.sim.conftest import PASSWORD, SYSTEM_ID


def test_throttled_above_tps(sim_factory, esme_factory):
    sim = sim_factory({"faults": {"throttle_tps": 5}})
    esme = esme_factory(sim.port)
    esme.bind()
    for _ in range(30):
        esme.submit(short_message=b"burst")
    esme.pump(lambda: len(esme.resps) == 30)
    statuses = [r.status for r in esme.resps]
    assert set(statuses) == {0, 0x58}
    assert statuses.count(0) >= 5 and statuses.count(0x58) >= 1
    assert sim.api("GET", "/api/stats")["submit_sm_resp"]["ESME_RTHROTTLED"] == statuses.count(0x58)


def test_random_submit_errors_share_and_status(sim_factory, esme_factory):
    sim = sim_factory({"seed": 7, "faults": {"submit_error_rate": 0.5}})
    esme = esme_factory(sim.port)
    esme.bind()
    for _ in range(40):
        esme.submit(short_message=b"x")
    esme.pump(lambda: len(esme.resps) == 40)
    assert {r.status for r in esme.resps} == {0, 0x08}
    # Only accepted submits become MT records.
    accepted = sum(1 for r in esme.resps if r.status == 0)
    assert sim.api("GET", "/api/stats")["mt"]["total"] == accepted

    sim.api(
        "PATCH",
        "/api/scenario",
        json={"faults": {"submit_error_rate": 1.0, "submit_error_status": 0x14}},
    )
    esme.submit(short_message=b"y")
    esme.pump(lambda: len(esme.resps) == 41)
    assert esme.resps[-1].status == 0x14


def test_connections_dropped_every_n_seconds_and_rebind_works(sim_factory, esme_factory):
    sim = sim_factory({"faults": {"drop_connections_every": 0.3}})
    esme = esme_factory(sim.port)
    esme.bind()
    deadline = time.monotonic() + 5
    with pytest.raises(smpp_exceptions.ConnectionError):
        while time.monotonic() < deadline:
            with contextlib.suppress(TimeoutError):
                esme.client.read_once(auto_send_enquire_link=False)
    esme.client.disconnect()
    esme.client.connect()
    assert esme.client.bind_transceiver(system_id=SYSTEM_ID, password=PASSWORD).status == 0
    assert len(sim.api("GET", "/api/binds")["closed"]) >= 1


def test_binds_refused_for_first_seconds_then_accepted(sim_factory, esme_factory):
    sim = sim_factory({"faults": {"refuse_binds_for": 1.5}})
    statuses = []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        esme = esme_factory(sim.port)
        try:
            esme.bind()
            statuses.append(0)
            break
        except smpp_exceptions.PDUError as exc:
            statuses.append(exc.args[1])
            esme.close()
            time.sleep(0.15)
    assert statuses[0] == 0x0D and statuses[-1] == 0
    assert set(statuses[:-1]) == {0x0D}


def test_receipt_before_submit_sm_resp(sim_factory, esme_factory):
    sim = sim_factory({"faults": {"receipt_before_resp": True}})
    esme = esme_factory(sim.port)
    esme.bind()
    esme.submit(short_message=b"early receipt", registered_delivery=1)
    esme.pump(lambda: esme.resps and esme.receipts())
    kinds = [kind for kind, _ in esme.events]
    assert kinds == ["deliver_sm", "submit_sm_resp"]
    assert esme.events[0][1].receipted_message_id == esme.events[1][1].message_id
    assert sim.api("GET", "/api/receipts")["receipts"][0]["before_resp"] is True


def test_delayed_submit_sm_resp(sim_factory, esme_factory):
    sim = sim_factory(
        {
            "receipts": {"delay": 0.0},
            "faults": {"delayed_resp_rate": 1.0, "delayed_resp_seconds": 0.4},
        }
    )
    esme = esme_factory(sim.port)
    esme.bind()
    esme.submit(short_message=b"slow ack", registered_delivery=1)
    # The receipt (no delay) overtakes the held-back response.
    esme.pump(lambda: esme.resps and esme.receipts())
    assert [kind for kind, _ in esme.events] == ["deliver_sm", "submit_sm_resp"]
    assert esme.resps[0].status == 0


def _enquire(esme):
    pdu = smpplib.smpp.make_pdu("enquire_link", client=esme.client)
    esme.client.send_pdu(pdu)
    return pdu


def test_enquire_link_resp_dropped(sim_factory, esme_factory):
    sim = sim_factory({"faults": {"enquire_link_resp_drop": 1.0}})
    esme = esme_factory(sim.port, timeout=0.5)
    esme.bind()
    _enquire(esme)
    with pytest.raises(socket.timeout):
        esme.client.read_pdu()
    bind = sim.api("GET", "/api/binds")["binds"][0]
    assert bind["enquire_links_received"] == 1 and bind["state"] == "bound"


def test_enquire_link_resp_slow(sim_factory, esme_factory):
    sim = sim_factory({"faults": {"enquire_link_resp_delay": 0.5}})
    esme = esme_factory(sim.port, timeout=0.2)
    esme.bind()
    pdu = _enquire(esme)
    with pytest.raises(socket.timeout):
        esme.client.read_pdu()  # not within 0.2 s
    esme.client._socket.settimeout(5)
    resp = esme.client.read_pdu()
    assert resp.command == "enquire_link_resp" and resp.sequence == pdu.sequence
    assert sim.api("GET", "/api/binds")["binds"][0]["state"] == "bound"


def test_faults_from_yaml_scenario(tmp_path, sim_factory, esme_factory):
    from gateway_sim.scenario import load

    path = tmp_path / "s.yaml"
    path.write_text(
        "faults:\n  submit_error_rate: 1.0\n  submit_error_status: 0x45\n"
        "accounts:\n  - {system_id: kannel, password: pw}\n"
    )
    loaded = load(path).to_dict()
    sim = sim_factory(loaded)
    esme = esme_factory(sim.port)
    esme.bind(system_id="kannel", password="pw")
    esme.submit(short_message=b"x")
    esme.pump(lambda: esme.resps)
    assert esme.resps[0].status == 0x45
