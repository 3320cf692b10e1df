"""The access log keeps the path and status, never a query (tokens, numbers, texts)."""

from __future__ import annotations

import logging
import logging.config

import pytest

from app.access_log import WithoutQuery, log_config


def access_record(path: str) -> logging.LogRecord:
    args = ("127.0.0.1:50000", "GET", path, "1.1", 200)
    return logging.LogRecord(
        "uvicorn.access", logging.INFO, "", 0, '%s - "%s %s HTTP/%s" %d', args, None
    )


def test_the_query_of_a_kannel_get_url_is_dropped() -> None:
    record = access_record("/v1/kannel/mo?token=s3cret&from=13800138000&text=IWJZS%202")
    assert WithoutQuery().filter(record)
    line = record.getMessage()
    assert line == '127.0.0.1:50000 - "GET /v1/kannel/mo?… HTTP/1.1" 200'
    assert "s3cret" not in line and "13800138000" not in line


def test_a_path_without_query_is_left_alone() -> None:
    record = access_record("/v1/mo")
    assert WithoutQuery().filter(record)
    assert record.getMessage() == '127.0.0.1:50000 - "GET /v1/mo HTTP/1.1" 200'


def test_uvicorns_access_handler_carries_the_filter(capsys: pytest.CaptureFixture[str]) -> None:
    names = ("uvicorn", "uvicorn.error", "uvicorn.access")
    saved = {
        n: (list(lg.handlers), lg.level, lg.propagate)
        for n, lg in ((n, logging.getLogger(n)) for n in names)
    }
    logging.config.dictConfig(log_config())
    try:
        logging.getLogger("uvicorn.access").info(
            '%s - "%s %s HTTP/%s" %d', "127.0.0.1:1", "GET", "/v1/ussd?token=t0k3n", "1.1", 200
        )
        out = capsys.readouterr().out
        assert "/v1/ussd?…" in out and "t0k3n" not in out
    finally:
        for name, (handlers, level, propagate) in saved.items():
            logger = logging.getLogger(name)
            logger.handlers[:] = handlers
            logger.setLevel(level)
            logger.propagate = propagate


def test_the_consoles_searches_leave_no_number_or_name() -> None:
    record = access_record("/v1/subscribers/13800138000/conversation?offset=50")
    assert WithoutQuery().filter(record)
    assert '"GET /v1/subscribers/138****8000/conversation?… HTTP/1.1"' in record.getMessage()
    record = access_record("/v1/subscribers/8613800138000/conversation")
    assert WithoutQuery().filter(record)
    assert '"GET /v1/subscribers/86138****8000/conversation HTTP/1.1"' in record.getMessage()
    record = access_record("/v1/worklists/%E6%9D%8E%E7%BB%8F%E7%90%86?format=csv")
    assert WithoutQuery().filter(record)
    assert '"GET /v1/worklists/…?… HTTP/1.1"' in record.getMessage()
