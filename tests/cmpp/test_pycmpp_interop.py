"""PyPI's pycmpp (an independent CMPP 2.0 client) against the simulator's ISMG.

pycmpp 2.0.2 announces version 0x21, authenticates with MD5 like we do,
submits UCS-2 text and only logs what it gets back, so the test reads its
log lines and the ISMG's traffic. Its client has two defects worth knowing
(neither in the way here): its ACTIVE_TEST_RESP claims 13 octets and writes
16 (the Reserved octet as the text b"0x00"), and its `receive` loop never
ends (it spins, then sleeps and logs forever, once the socket is closed). So
its heartbeat is off, the ISMG sends no ACTIVE_TEST, and the test reads each
response itself and hands it to pycmpp's own handlers, as `receive` would.
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Iterator

import httpx
import pytest
from pycmpp import Cmpp

from app.gateways.smpp.framing import read_exactly
from gateway_sim.simulator import SimulatorThread

SP_ID = "901234"


@pytest.fixture
def ismg() -> Iterator[SimulatorThread]:
    with SimulatorThread(cmpp_port=0, cmpp_accounts={SP_ID: "interop"}) as thread:
        yield thread


def start_client(port: int, secret: str) -> Cmpp:
    client = Cmpp("127.0.0.1", port, SP_ID, secret, "10086", client_heartbeat=False)
    client.connect()
    client.so.settimeout(10)
    client.auth()
    receive_one(client)
    return client


def receive_one(client: Cmpp) -> None:
    """One PDU off pycmpp's socket, handled by pycmpp's handler for its Command_Id."""
    header = read_exactly(client.so, 12)
    length, command_id, _ = struct.unpack(">III", header)
    message = header + read_exactly(client.so, length - 12)
    client.handlers[command_id](client, message)()


def messages(caplog: pytest.LogCaptureFixture, logger: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == logger]


def test_pycmpp_connects_submits_and_gets_a_msg_id(
    ismg: SimulatorThread, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="pycmpp")
    assert ismg.cmpp_port is not None
    client = start_client(ismg.cmpp_port, "interop")
    try:
        assert "短信网关连接成功" in messages(caplog, "pycmpp.handlers")  # CONNECT ok
        client.submit("你好, CMPP", ["13800138000"])
        receive_one(client)  # SUBMIT_RESP
        sent = [m for m in messages(caplog, "pycmpp.handlers") if m.startswith("发送成功")]
        msg_id = int(sent[0].rsplit("msg_id: ", 1)[1])
        assert msg_id > 0
        mt = httpx.get(f"{ismg.http_url}/api/mt", params={"to": "13800138000"}).json()["mt"]
        assert [m["text"] for m in mt] == ["你好, CMPP"]
        assert mt[0]["message_ids"] == [str(msg_id)] and mt[0]["data_coding"] == 8
        [link] = httpx.get(f"{ismg.http_url}/api/cmpp").json()["links"]
        assert link["version"] == "2.1" and link["source_addr"] == SP_ID
    finally:
        client.disconnect()


def test_pycmpp_with_a_wrong_secret_is_refused(
    ismg: SimulatorThread, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="pycmpp")
    assert ismg.cmpp_port is not None
    client = start_client(ismg.cmpp_port, "wrong")
    try:
        assert "短信网关连接失败; status: 3" in messages(caplog, "pycmpp.handlers")
    finally:
        client.disconnect()
