"""A whole flow logs its binds, MOs, outcomes and replies at INFO, and no
number, name, birthday, address or token (issue 11, finding 12)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from app.cli import main
from app.gateways.http.kannel_sender import KannelSender
from app.gateways.smpp import pdus
from app.logs import formatter, logging_config
from app.runtime import Runtime
from app.services.importing import import_subscribers
from tests.conftest import ADMIN_TOKEN, GATEWAY_TOKEN, auth
from tests.hostile.helpers import deliver_sm, deliveries, raw_client

pytestmark = pytest.mark.usefixtures("catalog")

KANNEL_TOKEN = "hostile-kannel-token"
PII = ["13800138000", "8613800138000", "王建国", "1980-06-18", "北京市海淀区中关村大街1号",
       "张三丰", "13700137000", GATEWAY_TOKEN, ADMIN_TOKEN, KANNEL_TOKEN]  # fmt: skip
CSV = (
    "msisdn,brand,status,opened_on,balance_yuan,name,birthday,mailing_address,vip_level,"
    "vip_valid_from,vip_valid_to\n"
    "13800138000,gotone,active,2015-03-12,86.50,王建国,1980-06-18,北京市海淀区中关村大街1号,"
    "gold,2026-02-01,2027-01-31\n"
)


@pytest.fixture(params=["text", "json"])
def captured(request: pytest.FixtureRequest, runtime: Runtime) -> Iterator[io.StringIO]:
    runtime.settings = runtime.settings.model_copy(
        update={"kannel_token": SecretStr(KANNEL_TOKEN), "kannel_reply_mode": "sendsms"}
    )
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter(request.param, runtime.settings.secret_values()))
    logger = logging.getLogger("smshall")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def test_a_whole_flow_logs_no_personal_data(
    captured: io.StringIO, runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "subscribers.csv"
    path.write_text(CSV)
    import_subscribers(runtime.uow_factory, path)
    handler = deliveries(runtime)
    batch = [("main", deliver_sm(i, text, destination=to)) for i, (text, to) in enumerate(
        [("GABX 张三丰", "10086"), ("CXVIP", "13700137000"), ("SRMF", "10086"),
         ("王建国 1980-06-18", "10086")], start=1)]  # fmt: skip
    assert {h.status for h in handler.handle_many(batch)} == {pdus.ROK}

    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("store down for 13800138000")

    monkeypatch.setattr("app.gateways.links.mo_core.handle_inbound_many", broken)
    handler.handle_many([("main", deliver_sm(9, "CXYE 王建国"))])
    monkeypatch.undo()

    client = raw_client(runtime)
    body = {"from": "+8613800138000", "to": "10086", "text": "CXYE", "message_id": "j-1"}
    assert client.post("/v1/mo", json=body, headers=auth()).status_code == 200
    query = f"token={KANNEL_TOKEN}&from=8613800138000&to=10086&id=k-1&text=CXVIP"
    assert client.get(f"/v1/kannel/mo?{query}").status_code == 200
    kannel = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(202, text="0")))
    KannelSender(runtime.uow_factory, runtime.settings, kannel).send_due()
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    assert client.get("/v1/subscribers/13800138000", headers=admin).status_code == 200

    logged = captured.getvalue()
    for secret in PII:
        assert secret not in logged, secret
    assert "138****8000" in logged
    for expected in ("MO", "activated", "vip_status", "sendsms", "Traceback"):
        assert expected in logged, expected
    if logged.startswith("{"):
        assert all(json.loads(line)["logger"].startswith("smshall") for line in logged.splitlines())


def test_serve_configures_the_smshall_loggers() -> None:
    config = logging_config("json", ["s3cret-token-value"])
    assert config["loggers"]["smshall"]["level"] == "INFO"
    made = formatter("json", ["s3cret-token-value"])
    record = logging.LogRecord(
        "smshall.x",
        logging.INFO,
        __file__,
        1,
        "%s %s",
        ("s3cret-token-value", "0086 13800138000"),
        None,
    )  # noqa: E501
    assert "s3cret" not in made.format(record) and "138****8000" in made.format(record)


def test_bad_log_format_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SMSHALL_LOG_FORMAT", "xml")
    from app.settings import get_settings

    get_settings.cache_clear()
    try:
        assert main(["migrate"]) == 2
    finally:
        get_settings.cache_clear()
