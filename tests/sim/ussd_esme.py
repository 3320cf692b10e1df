"""A tiny USSD application for simulator tests: a two-item menu over SMPP.

deliver_sm op 1 -> the menu (submit_sm op 2); "1" -> the balance, ending the
dialogue (op 17, end bit) and an ordinary SMS as well; "2" -> help (op 2);
"0" -> the menu; anything else -> "Not a choice" and the menu.
"""

from __future__ import annotations

from typing import Any

import pytest
import smpplib.command

from tests.support.esme import BackgroundEsme

MENU = "Menu\n1.Balance\n2.Help"


def read_ussd_in_deliver_sm(monkeypatch: pytest.MonkeyPatch) -> None:
    """The ESME's smpplib must read ussd_service_op in deliver_sm (smpplib #104)."""
    cls = smpplib.command.DeliverSM
    if "ussd_service_op" not in cls.params:
        params = {**cls.params, "ussd_service_op": smpplib.command.Param(type=int, size=1)}
        monkeypatch.setattr(cls, "params", params)
        monkeypatch.setattr(cls, "params_order", (*cls.params_order, "ussd_service_op"))


class UssdEsme(BackgroundEsme):
    thread_name = "ussd-esme"

    def __init__(self, port: int) -> None:
        super().__init__(port)
        self.steps: list[tuple[int, int, str]] = []  # (op, its_session_info, text)

    def on_deliver(self, pdu: Any) -> None:
        op = getattr(pdu, "ussd_service_op", None)
        if op is None:
            return
        body = pdu.short_message or b""
        text = body.decode("utf-16-be") if pdu.data_coding == 8 else body.decode("latin-1")
        info = pdu.its_session_info or 0
        self.steps.append((op, info, text))
        end = False
        if op == 1:
            screen = MENU
        elif text == "1":
            screen, end = "Balance: 86.50", True
        elif text == "2":
            screen = "Help: dial *10086#\n0.Back"
        elif text == "0":
            screen = MENU
        else:
            screen = "Not a choice\n" + MENU
        to, sender = pdu.source_addr.decode(), pdu.destination_addr.decode()
        self.client.send_message(
            service_type="USSD", source_addr=sender, destination_addr=to,
            short_message=screen.encode(), data_coding=0,
            ussd_service_op=17 if end else 2, its_session_info=info | 1 if end else info & ~1,
        )  # fmt: skip
        if end:
            self.client.send_message(
                source_addr="10086", destination_addr=to, short_message=b"Your balance: 86.50"
            )
