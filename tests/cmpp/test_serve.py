"""`smshall serve` starts the CMPP links of SMSHALL_CMPP_LINKS beside the HTTP API."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from app.main import create_app
from app.runtime import Runtime
from app.settings import Settings
from gateway_sim.simulator import SimulatorThread
from tests.cmpp.ismg import SP_ID, link_config
from tests.conftest import ADMIN_TOKEN
from tests.support.polling import eventually

SECRET = "k7-unlikely-secret-9q"


@pytest.fixture
def ismg() -> Iterator[SimulatorThread]:
    with SimulatorThread(cmpp_port=0, cmpp_accounts={SP_ID: SECRET}) as thread:
        yield thread


def test_serve_connects_the_links_and_shows_them(
    ismg: SimulatorThread, runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    assert ismg.cmpp_port is not None
    link = link_config(ismg.cmpp_port, shared_secret=SecretStr(SECRET))
    served = runtime.with_settings(cmpp_links=[link])
    with TestClient(create_app(runtime=served)) as client:
        eventually(
            lambda: client.get("/health").json().get("cmpp") == {"links": 1, "connected": 1},
            "the link connected",
        )
        view = client.get("/v1/cmpp/links", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert view.status_code == 200
        [shown] = view.json()["links"]
        assert shown["state"] == "connected" and shown["version"] == "3.0"
        assert client.get("/v1/cmpp/links").status_code == 401
    assert SECRET in served.settings.secret_values()
    assert not [r for r in caplog.records if SECRET in r.getMessage()]


def test_links_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "SMSHALL_CMPP_LINKS",
        '[{"name":"gd","host":"10.0.0.5","source_addr":"901234","shared_secret":"zq-secret",'
        '"sp_code":"10086","version":"2.0"}]',
    )
    [link] = Settings(_env_file=None).cmpp_links  # type: ignore[call-arg]
    assert (link.port, link.version_byte, link.window, link.active_test_seconds) == (
        7890, 0x20, 16, 30.0,
    )  # fmt: skip
    assert link.shared_secret.get_secret_value() == "zq-secret" and "zq-secret" not in repr(link)


def test_several_workers_are_refused_where_cmpp_links_are_held() -> None:
    from app.cli import _refuse_workers

    settings = Settings(
        database_url="postgresql://u@127.0.0.1/db",
        cmpp_links=[link_config(7890)],
        _env_file=None,  # type: ignore[call-arg]
    )
    assert "CMPP link" in (_refuse_workers(settings) or "")
