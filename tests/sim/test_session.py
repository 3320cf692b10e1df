"""Session-level SMPP behaviour: binds, keep-alive, unbind, malformed input."""

from __future__ import annotations

import struct
import time

import pytest
import smpplib.smpp
from smpplib import exceptions as smpp_exceptions

from gateway_sim.scenario import ScenarioError, from_dict
from tests.sim.conftest import PASSWORD, SYSTEM_ID

BIND_TRX_RESP = 0x80000009
GENERIC_NACK = 0x80000000
SUBMIT_SM_RESP = 0x80000004
ENQUIRE_LINK_RESP = 0x80000015
UNBIND = 0x00000006
UNBIND_RESP = 0x80000006
DELIVER_SM = 0x00000005
DELIVER_SM_RESP = 0x80000005


@pytest.mark.parametrize("mode", ["transceiver", "transmitter", "receiver"])
def test_bind_ok_each_mode(sim, esme_factory, mode):
    esme = esme_factory(sim.port)
    resp = esme.bind(mode)
    assert resp.status == 0
    assert resp.command == f"bind_{mode}_resp"
    binds = sim.api("GET", "/api/binds")["binds"]
    assert [(b["mode"], b["state"], b["system_id"]) for b in binds] == [(mode, "bound", SYSTEM_ID)]


def test_wrong_password_and_unknown_system_id(sim, esme_factory):
    esme = esme_factory(sim.port)
    with pytest.raises(smpp_exceptions.PDUError) as bad_pw:
        esme.bind(password="wrong")
    assert bad_pw.value.args[1] == 0x0E
    other = esme_factory(sim.port)
    with pytest.raises(smpp_exceptions.PDUError) as bad_id:
        other.bind(system_id="nobody")
    assert bad_id.value.args[1] == 0x0F
    assert sim.api("GET", "/api/binds")["binds"][0]["state"] == "open"


def test_second_bind_on_same_connection_is_refused(sim, raw_factory):
    raw = raw_factory(sim.port)
    raw.send(raw.pdu("bind_transceiver", system_id=SYSTEM_ID, password=PASSWORD))
    assert raw.read()[:2] == (BIND_TRX_RESP, 0)
    raw.send(raw.pdu("bind_transceiver", system_id=SYSTEM_ID, password=PASSWORD))
    assert raw.read()[:3] == (BIND_TRX_RESP, 0x05, raw.seq)  # ESME_RALYBND


def test_submit_before_bind_gets_invalid_bind_status(sim, raw_factory):
    raw = raw_factory(sim.port)
    raw.send(raw.pdu("submit_sm", source_addr="1", destination_addr="2", short_message=b"x"))
    command_id, status, seq, _ = raw.read()
    assert (command_id, status, seq) == (SUBMIT_SM_RESP, 0x04, raw.seq)


def test_receiver_cannot_submit(sim, esme_factory):
    esme = esme_factory(sim.port)
    esme.bind("receiver")
    esme.client.state = smpplib.consts.SMPP_CLIENT_STATE_BOUND_TX  # let smpplib send it anyway
    esme.submit(short_message=b"hi")
    esme.pump(lambda: esme.resps)
    assert esme.resps[0].status == 0x04


def test_enquire_link_from_esme(sim, esme):
    pdu = smpplib.smpp.make_pdu("enquire_link", client=esme.client)
    esme.client.send_pdu(pdu)
    resp = esme.client.read_pdu()
    assert resp.command == "enquire_link_resp"
    assert resp.sequence == pdu.sequence


def test_enquire_link_from_smsc_when_idle(sim_factory, esme_factory):
    sim = sim_factory({"enquire_link_interval": 0.2, "enquire_link_timeout": 3.0})
    esme = esme_factory(sim.port)
    esme.bind()

    def sent_and_answered():
        bind = sim.api("GET", "/api/binds")["binds"][0]
        return bind["enquire_links_sent"] >= 2 and bind["state"] == "bound"

    # smpplib's read_once answers enquire_link; the session must stay up across several.
    esme.pump(sent_and_answered, timeout=8)


def test_unanswered_enquire_link_closes_the_link(sim_factory, raw_factory):
    sim = sim_factory({"enquire_link_interval": 0.1, "enquire_link_timeout": 0.4})
    raw = raw_factory(sim.port)
    raw.send(raw.pdu("bind_transceiver", system_id=SYSTEM_ID, password=PASSWORD))
    assert raw.read()[:2] == (BIND_TRX_RESP, 0)
    # Never answer; the SMSC must give up on us.
    sim.wait_for(lambda: sim.api("GET", "/api/binds")["closed"], timeout=8, what="link closed")
    assert sim.api("GET", "/api/binds")["binds"] == []


def test_unbind_from_esme(sim, esme):
    resp = esme.client.unbind()
    assert resp.command == "unbind_resp" and resp.status == 0
    closed = sim.wait_for(lambda: sim.api("GET", "/api/binds")["closed"], what="closed bind")
    assert closed[0]["system_id"] == SYSTEM_ID


def test_unbind_from_smsc(sim, esme):
    bind_id = sim.api("GET", "/api/binds")["binds"][0]["id"]
    assert sim.api("POST", f"/api/binds/{bind_id}/unbind")["state"] == "unbinding"
    pdu = esme.client.read_pdu()
    assert pdu.command == "unbind"
    # smpplib never answers an SMSC unbind (research gap 1), so the ESME does it by hand.
    resp = smpplib.smpp.make_pdu("unbind_resp", client=esme.client)
    resp.sequence = pdu.sequence
    esme.client.send_pdu(resp)
    sim.wait_for(lambda: not sim.api("GET", "/api/binds")["binds"], what="bind gone")
    with pytest.raises(smpp_exceptions.ConnectionError):
        esme.client.read_pdu()


def test_garbage_gets_generic_nack_and_session_survives(sim, raw_factory):
    raw = raw_factory(sim.port)
    raw.send(raw.pdu("bind_transceiver", system_id=SYSTEM_ID, password=PASSWORD))
    assert raw.read()[:2] == (BIND_TRX_RESP, 0)

    # command_length below the 16-byte header
    raw.send(struct.pack(">LLLL", 8, 0x4, 0, 77))
    command_id, status, seq, raw_pdu = raw.read()
    assert (command_id, status) == (GENERIC_NACK, 0x02)
    assert len(raw_pdu) == 16

    # unknown command_id: nack echoes the sequence number
    raw.send(struct.pack(">LLLL", 16, 0x000000AB, 0, 4242))
    assert raw.read()[:3] == (GENERIC_NACK, 0x03, 4242)

    # known command whose body is cut short
    raw.send(struct.pack(">LLLL", 20, 0x4, 0, 4243) + b"\x00\x01\x01\x00")
    command_id, status, seq, _ = raw.read()
    assert seq == 4243 and status != 0

    # absurd command_length
    raw.send(struct.pack(">LLLL", 0x7FFFFFFF, 0x4, 0, 4244))
    assert raw.read()[:2] == (GENERIC_NACK, 0x02)

    time.sleep(0.1)  # past the resynchronisation grace period
    raw.send(
        raw.pdu(
            "submit_sm",
            source_addr="10086",
            destination_addr="13800138000",
            short_message=b"still alive",
        )
    )
    command_id, status, seq, _ = raw.read_until(SUBMIT_SM_RESP)
    assert (status, seq) == (0, raw.seq)
    assert sim.api("GET", "/api/stats")["generic_nacks_sent"] >= 3


def test_unsupported_but_known_command_is_nacked(sim, raw_factory):
    raw = raw_factory(sim.port)
    raw.send(raw.pdu("bind_transceiver", system_id=SYSTEM_ID, password=PASSWORD))
    raw.read()
    # cancel_sm (0x08) exists in SMPP 3.4 but this SMSC does not implement it
    raw.send(struct.pack(">LLLL", 16, 0x00000008, 0, 99))
    assert raw.read()[:3] == (GENERIC_NACK, 0x03, 99)
    raw.send(raw.pdu("enquire_link"))
    assert raw.read()[:3] == (ENQUIRE_LINK_RESP, 0, raw.seq)


def test_unanswered_deliver_sm_is_retried(sim_factory, raw_factory):
    sim = sim_factory({"response_timeout": 0.3})
    raw = raw_factory(sim.port)
    raw.send(raw.pdu("bind_transceiver", system_id=SYSTEM_ID, password=PASSWORD))
    raw.read()
    sim.mo(**{"from": "13800138000", "text": "anyone there?"})
    first = raw.read_until(DELIVER_SM)
    second = raw.read_until(DELIVER_SM)  # we never answered the first one
    assert first[3][16:] == second[3][16:] and first[2] != second[2]
    raw.send(struct.pack(">LLLL", 17, DELIVER_SM_RESP, 0, second[2]) + b"\x00")
    sim.wait_for(lambda: sim.api("GET", "/api/mo")["mo"][0]["acks"] == [0], what="ack")


def test_deliver_window_holds_mo_at_the_smsc_until_a_response_frees_a_slot(
    sim_factory, raw_factory
):
    sim = sim_factory({"deliver_window": 2})
    raw = raw_factory(sim.port)
    raw.send(raw.pdu("bind_transceiver", system_id=SYSTEM_ID, password=PASSWORD))
    raw.read()
    for n in range(3):
        sim.mo(**{"from": "13800138000", "text": f"message {n}"})
    first = raw.read_until(DELIVER_SM)
    raw.read_until(DELIVER_SM)
    raw.sock.settimeout(0.5)
    with pytest.raises(TimeoutError):  # the window is full: the third waits
        raw.read()
    raw.sock.settimeout(3)
    raw.send(struct.pack(">LLLL", 17, DELIVER_SM_RESP, 0, first[2]) + b"\x00")
    third = raw.read_until(DELIVER_SM)
    assert b"message 2" in third[3]
    assert sim.api("GET", "/api/binds")["binds"][0]["in_flight"] == 2


def test_deliver_window_must_not_be_negative(sim_factory):
    with pytest.raises(ScenarioError, match="deliver_window"):
        from_dict({"deliver_window": -1})


def test_tlv_not_allowed_in_submit_sm_is_nacked(sim, raw_factory):
    raw = raw_factory(sim.port)
    raw.send(raw.pdu("bind_transceiver", system_id=SYSTEM_ID, password=PASSWORD))
    raw.read()
    good = raw.pdu("submit_sm", source_addr="1", destination_addr="2", short_message=b"x")
    # receipted_message_id (0x001E) belongs to deliver_sm, not submit_sm
    bad = good + struct.pack(">HH", 0x001E, 3) + b"ab\x00"
    bad = struct.pack(">L", len(bad)) + bad[4:]
    raw.send(bad)
    assert raw.read()[:3] == (GENERIC_NACK, 0xC1, raw.seq)
    raw.send(raw.pdu("enquire_link"))
    assert raw.read()[:2] == (ENQUIRE_LINK_RESP, 0)
