"""The service's own log lines (`smshall.*`): set up at startup, text or JSON.

Nothing personal reaches a log line: a mobile number is masked
(`138****8000`) wherever it appears, in a message or a traceback, and the
configured tokens are blanked out. Call sites log no names, birthdays,
addresses or MO arguments in the first place (only the keyword of an MO);
SQL errors carry no bind parameters (`hide_parameters`, app/store/database.py).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Literal

from app.access_log import log_config

LogFormat = Literal["text", "json"]

#: A Chinese mobile number, bare or with +86/86/0086, not inside a longer run of digits.
_MOBILE = re.compile(r"(?<![0-9])((?:\+?86|0086)?)(1[3-9][0-9])([0-9]{4})([0-9]{4})(?![0-9])")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def masked(text: str, secrets: Iterable[str] = ()) -> str:
    text = _MOBILE.sub(lambda m: f"{m.group(1)}{m.group(2)}****{m.group(4)}", text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[token]")
    return text


class MaskingFormatter(logging.Formatter):
    """A text line (`TEXT_FORMAT`) with numbers masked and tokens blanked."""

    def __init__(self, secrets: Iterable[str] = (), fmt: str = TEXT_FORMAT) -> None:
        super().__init__(fmt)
        self.secrets = tuple(s for s in secrets if s)

    def format(self, record: logging.LogRecord) -> str:
        return masked(super().format(record), self.secrets)


class JsonFormatter(MaskingFormatter):
    """One JSON object per line: time, level, logger, message (and the traceback)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return masked(json.dumps(line, ensure_ascii=False), self.secrets)


def formatter(kind: LogFormat, secrets: Iterable[str] = ()) -> logging.Formatter:
    return JsonFormatter(secrets) if kind == "json" else MaskingFormatter(secrets)


def logging_config(kind: LogFormat, secrets: Iterable[str] = ()) -> dict[str, Any]:
    """uvicorn's config (access log without query strings) plus the `smshall`
    loggers at INFO: bind up and down, each MO and its outcome, each reply sent
    and delivered."""
    config = log_config()
    config["formatters"]["smshall"] = {"()": formatter, "kind": kind, "secrets": list(secrets)}
    config["handlers"]["smshall"] = {
        "class": "logging.StreamHandler",
        "formatter": "smshall",
        "stream": "ext://sys.stderr",
    }
    config["loggers"]["smshall"] = {"handlers": ["smshall"], "level": "INFO", "propagate": False}
    # uvicorn's error log carries the tracebacks of failed requests: masked the same way.
    config["handlers"]["default"]["formatter"] = "smshall"
    return config
