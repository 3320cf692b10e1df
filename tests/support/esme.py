"""ESMEs for simulator tests: an smpplib client bound as transceiver, read on a thread."""

from __future__ import annotations

import contextlib
import threading
from typing import Any, Self

import smpplib.client
from smpplib import exceptions as smpp_exceptions

#: The simulator's default account.
SYSTEM_ID = "smshall"
PASSWORD = "secret"


class BackgroundEsme:
    """Binds, then answers each deliver_sm through `on_deliver` on its own thread."""

    thread_name = "esme"

    def __init__(self, port: int) -> None:
        self.client = smpplib.client.Client(
            "127.0.0.1", port, timeout=0.2, allow_unknown_opt_params=True
        )
        self.client.set_message_received_handler(self.on_deliver)
        self.client.set_message_sent_handler(lambda pdu: None)
        self.client.set_error_pdu_handler(lambda pdu: None)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)

    def on_deliver(self, pdu: Any) -> None:
        raise NotImplementedError

    def start(self) -> Self:
        self.client.connect()
        self.client.bind_transceiver(system_id=SYSTEM_ID, password=PASSWORD)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.client.read_once(auto_send_enquire_link=False)
            except TimeoutError:
                continue
            except smpp_exceptions.ConnectionError:
                return

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        with contextlib.suppress(smpp_exceptions.ConnectionError, OSError):
            self.client.disconnect()


class EchoEsme(BackgroundEsme):
    """Answers every MO with a submit_sm back to the handset: `prefix` + its text."""

    thread_name = "echo-esme"

    def __init__(self, port: int, prefix: str = "echo: ") -> None:
        super().__init__(port)
        self.prefix = prefix
        self.answered = 0

    def on_deliver(self, pdu: Any) -> None:
        if pdu.esm_class & 0x3C:  # a receipt, not an MO
            return
        if pdu.data_coding == 8:
            text = pdu.short_message.decode("utf-16-be")
        else:
            text = pdu.short_message.decode("latin-1")
        reply = (self.prefix + text).encode("utf-16-be")
        self.client.send_message(
            source_addr=pdu.destination_addr.decode(),
            destination_addr=pdu.source_addr.decode(),
            short_message=reply,
            data_coding=8,
            registered_delivery=1,
        )
        self.answered += 1
