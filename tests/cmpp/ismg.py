"""The simulator's ISMG and smshall's CMPP service wired together over real TCP, for tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import SecretStr

from app.gateways.cmpp.service import CmppService
from app.runtime import Runtime
from app.settings import CmppLink
from gateway_sim.simulator import SimulatorThread
from tests.support.polling import eventually

SP_ID = "901234"
SECRET = "secret"


@dataclass
class Ismg:
    thread: SimulatorThread
    api: httpx.Client

    @property
    def port(self) -> int:
        assert self.thread.cmpp_port is not None
        return self.thread.cmpp_port

    def mo(self, msisdn: str, text: str, **extra: Any) -> dict[str, Any]:
        body = {"from": msisdn, "to": "10086", "text": text, "protocol": "cmpp", **extra}
        response = self.api.post("/api/mo", json=body)
        assert response.status_code == 200, response.text
        return response.json()

    def faults(self, **faults: Any) -> None:
        response = self.api.patch("/api/cmpp/faults", json=faults)
        assert response.status_code == 200, response.text

    def view(self) -> dict[str, Any]:
        return self.api.get("/api/cmpp").json()

    def links(self) -> list[dict[str, Any]]:
        return [link for link in self.view()["links"] if link["state"] == "connected"]

    def mt(self, to: str | None = None) -> list[dict[str, Any]]:
        params = {"to": to} if to else {}
        return self.api.get("/api/mt", params=params).json()["mt"]

    def mo_records(self) -> list[dict[str, Any]]:
        return self.api.get("/api/mo").json()["mo"]


def link_config(port: int, **changes: Any) -> CmppLink:
    fields: dict[str, Any] = dict(
        name="ismg", host="127.0.0.1", port=port, source_addr=SP_ID,
        shared_secret=SecretStr(SECRET), service_id="HELP", sp_code="10086", version="3.0",
        tps=0, reconnect_base=0.05, reconnect_max=0.5, response_timeout=5.0,
    )  # fmt: skip
    return CmppLink(**{**fields, **changes})


def start_service(runtime: Runtime, port: int, wait: bool = True, **link: Any) -> CmppService:
    settings = runtime.settings.model_copy(
        update={
            "cmpp_links": [link_config(port, **link)],
            "outbox_poll_interval": 0.05,
            "outbox_retry_base": 0.05,
        }
    )
    service = CmppService(Runtime(settings, runtime.engine, runtime.sessions))
    service.start()
    if wait:
        eventually(lambda: service.health()["connected"] == 1, "the CMPP link connected")
    return service
