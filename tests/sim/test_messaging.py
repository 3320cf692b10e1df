"""MT, receipts, MO, long messages, data codings and USSD over a real SMPP bind.

Expected bytes are written out by hand here (not produced by gateway_sim) so a
bug in the simulator's coding tables cannot hide itself.
"""

from __future__ import annotations

import re
import struct

import pytest

RECEIPT_RE = re.compile(
    rb"^id:(?P<id>\S+) sub:001 dlvrd:(?P<dlvrd>\d{3}) submit date:(?P<sd>\d{10}) "
    rb"done date:(?P<dd>\d{10}) stat:(?P<stat>[A-Z]{7}) err:(?P<err>\d{3}) text:(?P<text>.*)$",
    re.S,
)
CHINESE = "您好，欢迎使用短信营业厅。回复1查询话费，回复2查询流量，回复3办理业务。" * 5


def udh_concat(short_message: bytes) -> tuple[int, int, int, bytes]:
    """Minimal independent UDH reader: (ref, total, seq, text bytes)."""
    udhl = short_message[0]
    header, body = short_message[1 : 1 + udhl], short_message[1 + udhl :]
    if header[0] == 0x00:
        return header[2], header[3], header[4], body
    assert header[0] == 0x08
    return struct.unpack(">H", header[2:4])[0], header[4], header[5], body


# -- MT + receipts ------------------------------------------------------------


def test_submit_gets_resp_then_receipt_with_text_and_tlvs(sim, esme):
    esme.submit(short_message=b"Balance: 10 yuan", registered_delivery=1)
    esme.pump(lambda: esme.resps and esme.receipts())
    resp = esme.resps[0]
    assert resp.status == 0 and re.fullmatch(rb"[0-9a-f]{8}", resp.message_id)
    receipt = esme.receipts()[0]
    m = RECEIPT_RE.match(receipt.short_message)
    assert m, receipt.short_message
    assert m["id"] == resp.message_id and m["stat"] == b"DELIVRD" and m["dlvrd"] == b"001"
    assert m["err"] == b"000" and m["text"] == b"Balance: 10 yuan"
    assert receipt.receipted_message_id == resp.message_id
    assert receipt.message_state == 2
    assert receipt.network_error_code == b"\x03\x00\x00"
    assert receipt.source_addr == b"13800138000" and receipt.destination_addr == b"10086"
    mt = sim.api("GET", "/api/mt")["mt"]
    assert [(m["text"], m["state"]) for m in mt] == [("Balance: 10 yuan", "DELIVRD")]


def test_no_receipt_unless_requested(sim, esme):
    esme.submit(short_message=b"quiet", registered_delivery=0)
    esme.submit(short_message=b"loud", registered_delivery=1)
    esme.pump(lambda: len(esme.resps) == 2 and esme.receipts())
    sim.wait_for(lambda: sim.api("GET", "/api/stats")["mt"]["by_state"].get("DELIVRD") == 2)
    assert len(sim.api("GET", "/api/receipts")["receipts"]) == 1
    assert len(esme.receipts()) == 1


def test_outcome_by_destination_rule_and_decimal_ids(sim_factory, esme_factory):
    sim = sim_factory(
        {
            "message_id_format": "dec",
            "receipts": {
                "delay": 0.05,
                "rules": [
                    {"match": "^1390000", "stat": "UNDELIV", "err": 13},
                    {"match": "^1370000", "stat": "EXPIRED"},
                    {"match": "^1360000", "stat": "REJECTD"},
                ],
            },
        }
    )
    esme = esme_factory(sim.port)
    esme.bind()
    expected = {
        "13900001111": (b"UNDELIV", 5),
        "13700001111": (b"EXPIRED", 3),
        "13600001111": (b"REJECTD", 8),
        "13800001111": (b"DELIVRD", 2),
    }
    for number in expected:
        esme.submit(destination_addr=number, short_message=b"x", registered_delivery=1)
    esme.pump(lambda: len(esme.receipts()) == 4)
    assert all(r.message_id.isdigit() for r in esme.resps)
    for receipt in esme.receipts():
        stat, state = expected[receipt.source_addr.decode()]
        assert RECEIPT_RE.match(receipt.short_message)["stat"] == stat
        assert receipt.message_state == state
    undeliv = next(r for r in esme.receipts() if r.source_addr == b"13900001111")
    assert b"err:013" in undeliv.short_message
    assert undeliv.network_error_code == b"\x03\x00\x0d"
    states = {m["to"]: m["state"] for m in sim.api("GET", "/api/mt")["mt"]}
    assert states["13900001111"] == "UNDELIV" and states["13800001111"] == "DELIVRD"


def test_failure_only_receipts(sim_factory, esme_factory):
    sim = sim_factory({"receipts": {"delay": 0.0, "rules": [{"match": "^139", "stat": "UNDELIV"}]}})
    esme = esme_factory(sim.port)
    esme.bind()
    esme.submit(destination_addr="13800000000", short_message=b"ok", registered_delivery=2)
    esme.submit(destination_addr="13900000000", short_message=b"bad", registered_delivery=2)
    esme.pump(lambda: esme.receipts() and len(esme.resps) == 2)
    sim.wait_for(lambda: len(sim.api("GET", "/api/receipts")["receipts"]) >= 1)
    assert [r["to"] for r in sim.api("GET", "/api/receipts")["receipts"]] == ["13900000000"]


def test_receipt_mix_percentages(sim_factory, esme_factory):
    sim = sim_factory({"receipts": {"delay": 0.0, "mix": {"DELIVRD": 50, "UNDELIV": 50}}})
    esme = esme_factory(sim.port)
    esme.bind()
    for _ in range(30):
        esme.submit(short_message=b"x", registered_delivery=1)
    esme.pump(lambda: len(esme.receipts()) == 30)
    stats = {RECEIPT_RE.match(r.short_message)["stat"] for r in esme.receipts()}
    assert stats == {b"DELIVRD", b"UNDELIV"}


def test_receipts_reach_a_receiver_when_submitting_on_a_transmitter(sim, esme_factory):
    tx = esme_factory(sim.port)
    tx.bind("transmitter")
    rx = esme_factory(sim.port)
    rx.bind("receiver")
    tx.submit(short_message=b"split binds", registered_delivery=1)
    tx.pump(lambda: tx.resps)
    rx.pump(lambda: rx.receipts())
    assert rx.receipts()[0].receipted_message_id == tx.resps[0].message_id


# -- MO ---------------------------------------------------------------------


def test_mo_round_robin_across_receivers(sim, esme_factory):
    a, b = esme_factory(sim.port), esme_factory(sim.port)
    a.bind()
    b.bind("receiver")
    for i in range(4):
        sim.mo(**{"from": f"1380000000{i}", "text": f"cxye {i}"})
    a.pump(lambda: len(a.delivered) == 2)
    b.pump(lambda: len(b.delivered) == 2)
    texts = sorted(p.short_message for p in a.delivered + b.delivered)
    assert texts == [b"cxye 0", b"cxye 1", b"cxye 2", b"cxye 3"]


def test_mo_queued_until_a_receiver_binds(sim, esme_factory):
    sim.mo(**{"from": "13800138000", "text": "early bird"})
    assert sim.api("GET", "/api/stats")["mo"]["queued"] == 1
    esme = esme_factory(sim.port)
    esme.bind()
    esme.pump(lambda: esme.delivered)
    assert esme.delivered[0].short_message == b"early bird"
    sim.wait_for(lambda: sim.api("GET", "/api/mo")["mo"][0]["acked"], what="MO acked")


def test_mo_redelivered_after_temporary_error(sim, esme):
    esme.deliver_status = 0x58  # ESME throttled us
    sim.mo(**{"from": "13800138000", "text": "again"})
    esme.pump(lambda: esme.delivered)
    esme.deliver_status = 0
    esme.pump(lambda: len(esme.delivered) >= 2, timeout=6)
    assert [p.short_message for p in esme.delivered[:2]] == [b"again", b"again"]
    sim.wait_for(lambda: sim.api("GET", "/api/mo")["mo"][0]["acks"] == [0])


@pytest.mark.parametrize("split", ["udh8", "udh16", "sar"])
def test_long_chinese_mo_split_out_of_order(sim, esme, split):
    text = CHINESE
    r = sim.mo(**{"from": "13800138000", "text": text, "split": split, "parts_order": [3, 1, 2]})
    assert r["segments"] == 3 and r["data_coding"] == 8
    esme.pump(lambda: len(esme.delivered) == 3)
    seen = []
    for p in esme.delivered:
        assert p.data_coding == 8 and len(p.short_message) <= 140
        if split == "sar":
            assert p.esm_class & 0x40 == 0
            seen.append(
                (p.sar_msg_ref_num, p.sar_total_segments, p.sar_segment_seqnum, p.short_message)
            )
        else:
            assert p.esm_class & 0x40
            seen.append(udh_concat(p.short_message))
            assert p.short_message[1] == (0x00 if split == "udh8" else 0x08)
    assert [s[2] for s in seen] == [3, 1, 2]
    assert len({s[0] for s in seen}) == 1 and {s[1] for s in seen} == {3}
    joined = b"".join(s[3] for s in sorted(seen, key=lambda s: s[2]))
    assert joined.decode("utf-16-be") == text
    for s in seen:
        s[3].decode("utf-16-be")  # every part is valid UTF-16 on its own


@pytest.mark.parametrize(
    ("text", "dc", "expected"),
    [
        ("€[]{}", None, (0, b"\x1be\x1b<\x1b>\x1b(\x1b)")),
        ("@£$ ok", None, (0, b"\x00\x01\x02 ok")),
        ("café", 3, (3, b"caf\xe9")),
        ("plain", 1, (1, b"plain")),
        ("查话费", None, (8, "查话费".encode("utf-16-be"))),
    ],
)
def test_mo_data_coding(sim, esme, text, dc, expected):
    body = {"from": "13800138000", "text": text}
    if dc is not None:
        body["data_coding"] = dc
    sim.mo(**body)
    esme.pump(lambda: esme.delivered)
    p = esme.delivered[0]
    assert (p.data_coding, p.short_message) == expected


def test_ussd_mo_carries_tlvs(sim, esme, ussd_aware_deliver_sm):
    sim.mo(
        **{
            "from": "13800138000",
            "to": "*100#",
            "text": "*100#",
            "ussd": {"op": 1, "session": 5, "seq": 1},
        }
    )
    esme.pump(lambda: esme.delivered)
    p = esme.delivered[0]
    assert p.service_type == b"USSD"
    assert p.ussd_service_op == 1
    assert p.its_session_info == (5 << 8) | (1 << 1)
    assert p.short_message == b"*100#"


# -- long MT and codings ----------------------------------------------------


def _ucs2_parts_udh(text: str, per_part: int, ref: int, sixteen: bool) -> list[bytes]:
    data = text.encode("utf-16-be")
    chunks = [data[i : i + per_part] for i in range(0, len(data), per_part)]
    out = []
    for seq, chunk in enumerate(chunks, 1):
        if sixteen:
            head = bytes([6, 8, 4, ref >> 8, ref & 0xFF, len(chunks), seq])
        else:
            head = bytes([5, 0, 3, ref, len(chunks), seq])
        out.append(head + chunk)
    return out


@pytest.mark.parametrize("method", ["udh8", "udh16", "sar"])
def test_long_mt_reassembled_out_of_order(sim, esme, method):
    text = CHINESE
    if method == "sar":
        data = text.encode("utf-16-be")
        chunks = [data[i : i + 134] for i in range(0, len(data), 134)]
        sends = [
            {
                "short_message": c,
                "sar_msg_ref_num": 0x1234,
                "sar_total_segments": len(chunks),
                "sar_segment_seqnum": n,
            }
            for n, c in enumerate(chunks, 1)
        ]
    else:
        parts = _ucs2_parts_udh(text, 132, 0x1234 if method == "udh16" else 0x56, method == "udh16")
        sends = [{"short_message": p, "esm_class": 0x40} for p in parts]
    assert len(sends) == 3
    for fields in (sends[2], sends[0], sends[1]):
        esme.submit(data_coding=8, registered_delivery=1, **fields)
    esme.pump(lambda: len(esme.resps) == 3 and len(esme.receipts()) == 3)
    mts = sim.api("GET", "/api/mt")["mt"]
    assert len(mts) == 1
    mt = mts[0]
    assert (mt["text"], mt["segments"], mt["data_coding"], mt["concat"]) == (text, 3, 8, method)
    assert sorted(mt["message_ids"]) == sorted(r.message_id.decode() for r in esme.resps)
    sim.wait_for(lambda: sim.api("GET", "/api/mt")["mt"][0]["state"] == "DELIVRD")


def test_mt_message_payload(sim, esme):
    text = "Payload " * 40
    esme.submit(message_payload=text.encode(), data_coding=1)
    esme.pump(lambda: esme.resps)
    mt = sim.api("GET", "/api/mt")["mt"][0]
    assert (mt["text"], mt["concat"], mt["segments"]) == (text, "payload", 1)


@pytest.mark.parametrize(
    ("raw", "dc", "text"),
    [
        (b"\x1be\x1b<\x1b>\x1b(\x1b) \x00\x01", 0, "€[]{} @£"),
        (b"caf\xe9 \xfc", 3, "café ü"),
        ("查话费 €".encode("utf-16-be"), 8, "查话费 €"),
        (b"ascii", 1, "ascii"),
    ],
)
def test_mt_data_coding(sim, esme, raw, dc, text):
    esme.submit(short_message=raw, data_coding=dc)
    esme.pump(lambda: esme.resps)
    assert sim.api("GET", "/api/mt")["mt"][0]["text"] == text


def test_mt_gsm_escape_split_across_parts_still_reassembles(sim, esme):
    # A sloppy ESME (like smpplib's make_parts) cuts between ESC and '€'.
    body = b"\x1be" * 80  # 80 euro signs = 160 septets
    first, second = body[:153], body[153:]
    assert first.endswith(b"\x1b")
    esme.submit(short_message=bytes([5, 0, 3, 9, 2, 1]) + first, esm_class=0x40)
    esme.submit(short_message=bytes([5, 0, 3, 9, 2, 2]) + second, esm_class=0x40)
    esme.pump(lambda: len(esme.resps) == 2)
    assert sim.api("GET", "/api/mt")["mt"][0]["text"] == "€" * 80


def test_bad_udh_is_rejected_cleanly(sim, esme):
    esme.submit(short_message=b"\x30abc", esm_class=0x40)  # UDHL 48 > message
    esme.submit(short_message=b"fine")
    esme.pump(lambda: len(esme.resps) == 2)
    assert [r.status for r in esme.resps] == [0x43, 0]


def test_ussd_mt_recorded_with_tlvs(sim, esme):
    esme.submit(
        service_type="USSD",
        short_message=b"1. Balance 2. Data",
        ussd_service_op=2,
        its_session_info=0x0502,
    )
    esme.pump(lambda: esme.resps)
    mt = sim.api("GET", "/api/mt")["mt"][0]
    assert mt["service_type"] == "USSD"
    assert mt["ussd"] == {"op": 2, "session_info": 0x0502}


def test_query_sm(sim, esme):
    esme.submit(short_message=b"q")
    esme.pump(lambda: esme.resps)
    msg_id = esme.resps[0].message_id.decode()
    sim.wait_for(lambda: sim.api("GET", "/api/mt")["mt"][0]["state"] == "DELIVRD")
    esme.client.query_message(message_id=msg_id, source_addr="10086")
    pdu = esme.client.read_pdu()
    assert pdu.command == "query_sm_resp" and pdu.message_state == 2


def test_query_sm_unknown_id(sim, esme):
    esme.client.query_message(message_id="deadbeef", source_addr="10086")
    pdu = esme.client.read_pdu()
    assert pdu.command == "query_sm_resp" and pdu.status == 0x0C


def test_incomplete_long_mt_is_flagged_after_timeout(sim_factory, esme_factory):
    sim = sim_factory({"reassembly_timeout": 0.3})
    esme = esme_factory(sim.port)
    esme.bind()
    esme.submit(short_message=bytes([5, 0, 3, 7, 2, 1]) + b"first half", esm_class=0x40)
    esme.pump(lambda: esme.resps)
    assert esme.resps[0].status == 0
    assert sim.api("GET", "/api/mt")["mt"] == []  # still waiting for part 2
    sim.wait_for(
        lambda: sim.api("GET", "/api/handsets/13800138000/conversation")["messages"],
        what="incomplete MT",
    )
    mt = sim.api("GET", "/api/handsets/13800138000/conversation")["messages"][0]
    assert (mt["state"], mt["complete"], mt["text"]) == ("INCOMPLETE", False, "first half")


def test_receipt_id_in_other_format_than_resp(sim_factory, esme_factory):
    sim = sim_factory({"receipts": {"delay": 0.0, "id_format": "dec"}})
    esme = esme_factory(sim.port)
    esme.bind()
    for _ in range(11):
        esme.submit(short_message=b"x", registered_delivery=1)
    esme.pump(lambda: len(esme.receipts()) == 11 and len(esme.resps) == 11)
    last_resp = esme.resps[-1].message_id
    assert last_resp == b"0000000b"
    ids = {r.receipted_message_id for r in esme.receipts()}
    assert b"11" in ids and b"0000000b" not in ids


def test_mo_with_a_missing_part(sim, esme):
    r = sim.mo(**{"from": "13800138000", "text": "y" * 200, "parts_order": [2]})
    assert r["segments"] == 2
    esme.pump(lambda: esme.delivered)
    with pytest.raises(AssertionError):
        esme.pump(lambda: len(esme.delivered) > 1, timeout=0.5)
    udh = esme.delivered[0].short_message[:6]
    assert udh[0:3] == b"\x05\x00\x03" and udh[4:6] == b"\x02\x02"


def test_mt_with_binary_data_coding_is_kept(sim, esme):
    esme.submit(short_message=b"\x00\xff\x10", data_coding=4)
    esme.submit(short_message=b"ok")
    esme.pump(lambda: len(esme.resps) == 2)
    assert [r.status for r in esme.resps] == [0, 0]
    texts = [m["text"] for m in sim.api("GET", "/api/mt")["mt"]]
    assert texts == ["\x00\xff\x10", "ok"]
