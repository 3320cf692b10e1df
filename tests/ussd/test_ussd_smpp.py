"""USSD *10086# over SMPP, real sockets: the fake SMSC plays the USSDC.

deliver_sm op 1 (PSSR indication) opens a dialogue, op 18 (USSR confirm)
carries each choice; the service answers each with a submit_sm op 2 (USSR
request) or op 17 (PSSR response), `service_type=USSD`, echoing
`its_session_info` with the end bit on the last screen. A sign-up's success
SMS arrives as an ordinary submit_sm from the outbox. Runs on each backend.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select

from app.domain.sms_coding import decode
from app.gateways.links.concatenation import part_info_from_udh, split_udh
from app.gateways.smpp.gateway import SmppGateway
from app.gateways.smpp.sender import SmppSender
from app.gateways.smpp.service import SmppService
from app.runtime import Runtime
from app.settings import SmppBind
from app.store.models import ActivationRow, InboundMessageRow, OutboundMessageRow
from gateway_sim.scenario import from_dict
from gateway_sim.simulator import SimulatorThread
from tests.smpp.fake_smsc import FakeSmsc, Link
from tests.support.polling import eventually

pytestmark = pytest.mark.usefixtures("catalog")

NUMBER, OTHER = "13800138000", "13911112222"
PSSR_INDICATION, USSR_REQUEST, PSSR_RESPONSE, USSR_CONFIRM = 1, 2, 17, 18


@pytest.fixture
def smsc() -> Iterator[FakeSmsc]:
    server = FakeSmsc()
    yield server
    server.close()


@pytest.fixture
def start(runtime: Runtime, smsc: FakeSmsc) -> Iterator[Callable[..., SmppGateway]]:
    running: list[Any] = []

    def start_gateway(mode: str = "trx", **settings: Any) -> SmppGateway:
        bind = SmppBind(
            name="ussdc", host="127.0.0.1", port=smsc.port, system_id="smshall",
            password=SecretStr("secret"), mode=mode, tps=0, response_timeout=2.0,
            reconnect_base=0.05, reconnect_max=0.2,
        )  # fmt: skip
        values = {"smpp_binds": [bind], "outbox_poll_interval": 0.05, **settings}
        rt = Runtime(runtime.settings.model_copy(update=values), runtime.engine, runtime.sessions)
        gateway = SmppGateway(rt)
        gateway.start()
        outbox = SmppSender(rt.uow_factory, gateway, rt.settings)
        outbox.start()
        running.extend([gateway, outbox])
        wanted = 2 if mode == "rx+tx" else 1
        eventually(lambda: len(smsc.bound_links()) == wanted, what="binds")
        return gateway

    yield start_gateway
    for item in reversed(running):
        item.stop()


class Handset:
    """One subscriber dialling; the fake SMSC sends its steps as a USSDC would."""

    def __init__(self, smsc: FakeSmsc, number: str = NUMBER, session: int = 1) -> None:
        self.smsc, self.number, self.session, self.seq = smsc, number, session, 0
        self.last: Any = None

    def link(self) -> Link:
        links = eventually(self.smsc.bound_links, what="a bound ESME")
        return next((k for k in links if k.bound_as != "bind_transmitter"), links[0])

    def info(self) -> int:
        return (self.session << 8) | (self.seq << 1)

    def send(self, op: int, text: str) -> int:
        """Send one step; the deliver_sm's sequence number."""
        coding = 8 if any(ord(c) > 0x7F for c in text) else 0
        body = text.encode("utf-16-be") if coding == 8 else text.encode()
        return self.smsc.deliver(
            self.link(), source_addr=self.number, destination_addr="*10086#",
            service_type="USSD", data_coding=coding, short_message=body,
            ussd_service_op=op, its_session_info=self.info(),
        )  # fmt: skip

    def screens(self) -> list[Any]:
        return [
            p for p in self.smsc.submits
            if p.ussd_service_op is not None and p.destination_addr.decode() == self.number
        ]  # fmt: skip

    def step(self, op: int, text: str) -> str:
        """Send a step and wait for its screen; 'CON ...' or 'END ...' as on HTTP."""
        before = len(self.screens())
        sequence = self.send(op, text)
        # On an rx+tx pair the screen (tx) and the deliver_sm_resp (rx) travel on
        # different sockets, so either may be read first: wait for both.
        eventually(
            lambda: len(self.screens()) > before and sequence in self.smsc.deliver_resps,
            what=f"a USSD screen and the deliver_sm_resp for {self.number}",
        )
        assert self.smsc.deliver_resps[sequence] == 0
        pdu = self.last = self.screens()[before]
        assert pdu.service_type.decode() == "USSD"
        assert pdu.its_session_info >> 1 == self.info() >> 1  # session and sequence echoed
        ended = pdu.ussd_service_op == PSSR_RESPONSE
        assert pdu.ussd_service_op in (USSR_REQUEST, PSSR_RESPONSE)
        assert bool(pdu.its_session_info & 1) == ended
        return ("END " if ended else "CON ") + decode(pdu.short_message, pdu.data_coding)

    def dial(self, code: str = "*10086#") -> str:
        self.seq = 0
        return self.step(PSSR_INDICATION, code)

    def choose(self, text: str) -> str:
        self.seq += 1
        return self.step(USSR_CONFIRM, text)


def activations(runtime: Runtime) -> list[str]:
    with runtime.uow_factory() as uow:
        assert uow.session is not None
        return [r.service_code for r in uow.session.scalars(select(ActivationRow))]


def sms_to(smsc: FakeSmsc, number: str) -> list[str]:
    """Ordinary (non-USSD) messages the SMSC took for the number, complete ones, joined."""
    messages: dict[Any, list[tuple[int, bytes, int]]] = {}
    for n, p in enumerate(smsc.submits):
        if p.ussd_service_op is not None or p.destination_addr.decode() != number:
            continue
        key, order, body = n, 1, p.short_message
        if p.esm_class & 0x40:
            header, body = split_udh(body)
            info = part_info_from_udh(header)
            assert info is not None
            key, order = ("udh", info.reference, info.total), info.number
        messages.setdefault(key, []).append((order, body, p.data_coding))
    return [
        decode(b"".join(body for _, body, _ in sorted(parts)), parts[0][2])
        for key, parts in messages.items()
        if not isinstance(key, tuple) or len(parts) == key[2]
    ]


def test_balance_in_two_screens(
    start: Callable[..., SmppGateway], smsc: FakeSmsc, runtime: Runtime, add_subscriber: Callable
) -> None:
    add_subscriber(NUMBER, balance_fen=86_50)
    start()
    handset = Handset(smsc)
    first = handset.dial()
    assert first.startswith("CON 中国移动10086") and "1.余额查询" in first
    assert handset.last.source_addr.decode() == "*10086#"
    done = handset.choose("1")
    assert done.startswith("END ") and "86.50元" in done
    assert sms_to(smsc, NUMBER) == []
    with runtime.uow_factory() as uow:
        assert uow.session is not None
        screens = uow.session.scalars(select(OutboundMessageRow)).all()
        assert {(r.channel, r.state) for r in screens} == {("ussd", "sent")}
        gateways = {r.gateway for r in uow.session.scalars(select(InboundMessageRow))}
        assert gateways == {"ussd-smpp:ussdc"}


def test_my_home_sign_up_in_four_screens_and_the_sms(
    start: Callable[..., SmppGateway], smsc: FakeSmsc, runtime: Runtime, add_subscriber: Callable
) -> None:
    add_subscriber(NUMBER)
    start()
    handset = Handset(smsc)
    assert handset.dial().startswith("CON ")
    assert "1.我家免费体验" in handset.choose("3")
    assert "2.我家26元套餐" in handset.choose("1")
    done = handset.choose("2")
    assert done.startswith("END ") and "短信" in done
    assert activations(runtime) == ["IWJZS"]
    (sms,) = eventually(lambda: sms_to(smsc, NUMBER), what="the success SMS")
    assert "我家26元套餐" in sms and "免费" in sms
    parts = [p for p in smsc.submits if p.ussd_service_op is None]
    assert parts and all(p.service_type in (b"", None) for p in parts)


def test_a_redelivered_step_acts_once(
    start: Callable[..., SmppGateway], smsc: FakeSmsc, runtime: Runtime, add_subscriber: Callable
) -> None:
    add_subscriber(NUMBER)
    start()
    handset = Handset(smsc)
    handset.dial()
    handset.choose("3")
    handset.choose("1")
    first = handset.choose("2")
    again = handset.step(USSR_CONFIRM, "2")  # the USSDC sends the same step once more
    assert first == again
    eventually(lambda: sms_to(smsc, NUMBER), what="the success SMS")
    assert activations(runtime) == ["IWJZS"] and len(sms_to(smsc, NUMBER)) == 1


def test_back_home_and_an_unknown_choice(start: Callable[..., SmppGateway], smsc: FakeSmsc) -> None:
    start()
    handset = Handset(smsc)
    handset.dial()
    handset.choose("3")
    assert "我家免费体验" in handset.choose("1")
    assert handset.choose("0").startswith("CON 免费体验")
    assert handset.choose("00").startswith("CON 中国移动10086")
    wrong = handset.choose("7")
    assert wrong.startswith("CON 输入有误") and "1.余额查询" in wrong


def test_a_paid_order_asks_on_its_own_screen(
    start: Callable[..., SmppGateway], smsc: FakeSmsc, runtime: Runtime, add_subscriber: Callable
) -> None:
    add_subscriber(NUMBER)
    start()
    handset = Handset(smsc)
    handset.dial()
    handset.choose("4")
    handset.choose("1")
    confirm = handset.choose("1")  # VIP offers -> pre-store -> mobile newspaper
    assert confirm.startswith("CON ") and "预存60元" in confirm and "1.确认 2.取消" in confirm
    assert activations(runtime) == []
    assert handset.choose("1").startswith("END ")
    assert activations(runtime) == ["YCSJB"]
    eventually(lambda: any("预存60元" in s for s in sms_to(smsc, NUMBER)), what="the SMS")


def test_a_shortcut_code_and_a_new_dial_starts_fresh(
    start: Callable[..., SmppGateway], smsc: FakeSmsc
) -> None:
    start()
    handset = Handset(smsc)
    assert "2.我家26元套餐" in handset.dial("*10086*3*1#")
    assert handset.dial().startswith("CON 中国移动10086")  # same number dials again
    assert handset.choose("3").startswith("CON 免费体验")


def test_a_silent_dialogue_times_out(start: Callable[..., SmppGateway], smsc: FakeSmsc) -> None:
    gateway = start(ussd_session_timeout=0.2)
    dialogues = gateway.deliveries.ussd
    assert dialogues is not None
    handset = Handset(smsc)
    handset.dial()
    handset.choose("3")
    assert len(dialogues) == 1
    eventually(lambda: dialogues.expire() >= 0 and len(dialogues) == 0, what="the timeout")
    again = handset.choose("1")  # a choice for a forgotten dialogue: back to the top
    assert again.startswith("CON 中国移动10086")


def test_two_numbers_dial_at_once_on_an_rx_tx_bind(
    start: Callable[..., SmppGateway], smsc: FakeSmsc, add_subscriber: Callable
) -> None:
    add_subscriber(NUMBER, balance_fen=86_50)
    add_subscriber(OTHER, balance_fen=12_00)
    start(mode="rx+tx")
    one, two = Handset(smsc, NUMBER, session=5), Handset(smsc, OTHER, session=5)
    assert one.dial().startswith("CON ") and two.dial().startswith("CON ")
    assert two.choose("3").startswith("CON 免费体验")
    # Both choices in flight together.
    one.seq += 1
    two.seq += 1
    before = len(one.screens()), len(two.screens())
    one.send(USSR_CONFIRM, "1")
    two.send(USSR_CONFIRM, "1")
    eventually(lambda: len(one.screens()) > before[0] and len(two.screens()) > before[1])
    first, second = one.screens()[-1], two.screens()[-1]
    assert first.ussd_service_op == PSSR_RESPONSE
    assert "86.50元" in decode(first.short_message, first.data_coding)
    assert second.ussd_service_op == USSR_REQUEST
    assert "我家26元套餐" in decode(second.short_message, second.data_coding)
    # The screens went out on the transmitter, the steps came in on the receiver.
    tx = {id(link) for link, pdu in smsc.log if pdu.command == "submit_sm"}
    rx = {id(link) for link in smsc.links if link.bound_as == "bind_receiver"}
    assert tx and not tx & rx


def test_dialling_from_the_simulator_handset(runtime: Runtime, add_subscriber: Callable) -> None:
    """The project's simulator as the USSDC (rx+tx bind): `POST /api/ussd` steps."""
    add_subscriber(NUMBER)
    with SimulatorThread(from_dict({"receipts": {"delay": 0.05}, "seed": 3})) as thread:
        bind = SmppBind(
            name="sim", host="127.0.0.1", port=thread.smpp_port, system_id="smshall",
            password=SecretStr("secret"), mode="rx+tx", tps=0, reconnect_base=0.05,
        )  # fmt: skip
        values = {"smpp_binds": [bind], "outbox_poll_interval": 0.05}
        rt = Runtime(runtime.settings.model_copy(update=values), runtime.engine, runtime.sessions)
        service = SmppService(rt)
        service.start()
        try:
            eventually(lambda: service.health()["bound"] == 2, what="both binds")
            with httpx.Client(base_url=thread.http_url, timeout=15) as client:

                def step(**body: str) -> dict[str, Any]:
                    response = client.post("/api/ussd", json={"msisdn": NUMBER, **body})
                    assert response.status_code == 200, response.text
                    return response.json()

                assert step(code="*10086#")["screen"].startswith("中国移动10086")
                assert "1.我家免费体验" in step(input="3")["screen"]
                assert "2.我家26元套餐" in step(input="1")["screen"]
                done = step(input="2")
                assert done["end"] and not done["active"] and "短信" in done["screen"]
                sms = eventually(
                    lambda: [
                        m for m in client.get("/api/mt", params={"to": NUMBER}).json()["mt"]
                        if m["ussd"] is None
                    ],
                    what="the success SMS",
                )  # fmt: skip
                assert "我家26元套餐" in sms[0]["text"]
        finally:
            service.stop()
    assert activations(runtime) == ["IWJZS"]
