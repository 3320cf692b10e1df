"""`/health`: 200 `ok`, or 503 naming what is wrong (app/services/health.py)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from pydantic import SecretStr

from app.main import create_app
from app.runtime import Runtime
from app.services.clock import utc_now
from app.settings import Settings, SmppBind
from tests.support.outbox import outbound_row
from tests.support.ports import free_port


def queue_reply(runtime: Runtime, waited: timedelta) -> None:
    created = utc_now() - waited
    with runtime.uow_factory() as uow:
        assert uow.session is not None
        uow.session.add(outbound_row("13800138000", "ok", created, due=created))
        uow.commit()


def test_a_working_service_is_ok(client: TestClient) -> None:
    answer = client.get("/health")
    assert answer.status_code == 200
    assert answer.json()["status"] == "ok" and answer.json()["problems"] == []


def test_a_reply_waiting_past_the_limit_is_unhealthy_and_just_under_it_is_not(
    runtime: Runtime,
) -> None:
    limit = runtime.settings.health_outbox_age
    queue_reply(runtime, timedelta(seconds=limit - 5))
    with TestClient(create_app(runtime=runtime)) as client:
        assert client.get("/health").status_code == 200
    queue_reply(runtime, timedelta(seconds=limit + 5))
    with TestClient(create_app(runtime=runtime)) as client:
        answer = client.get("/health")
    assert answer.status_code == 503
    [problem] = answer.json()["problems"]
    assert "waited" in problem and "outbox" in problem
    assert answer.json()["outbox"]["queued"] == 2


def test_an_unreachable_database_is_unhealthy(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'no-such-dir' / 'x.db'}",
        gateway_token=SecretStr("g" * 20),
        admin_token=SecretStr("a" * 20),
        _env_file=None,  # type: ignore[call-arg]
    )
    runtime = Runtime.from_settings(settings)
    app = create_app(runtime=runtime)
    answer = TestClient(app).get("/health")  # not started: nothing else touches the store
    assert answer.status_code == 503
    assert answer.json()["problems"][0].startswith("database unreachable")


def test_smpp_binds_none_of_them_up_is_unhealthy(runtime: Runtime) -> None:
    bind = SmppBind(
        name="nowhere", host="127.0.0.1", port=free_port(), system_id="smshall",
        password=SecretStr("secret"), reconnect_base=5.0,
    )  # fmt: skip
    configured = runtime.with_settings(smpp_binds=[bind])
    with TestClient(create_app(runtime=configured)) as client:
        answer = client.get("/health")
    assert answer.status_code == 503
    assert "no SMPP bind is bound" in answer.json()["problems"]
    assert answer.json()["smpp"]["bound"] == 0
