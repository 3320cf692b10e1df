"""uvicorn's access log, without query strings.

Kannel's get-url carries the gateway token, the sender's number and the text
in its query (`/v1/kannel/mo?token=…&from=…&text=…`), and USSD aggregators may
pass `?token=` too: a log line per request must keep none of them. The path
and the status stay, which is what an operator reads the access log for — with
a mobile number in it masked (`/v1/subscribers/138****8000/conversation`, the
console's search) and an account manager's name left out (`/v1/worklists/…`).
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

from uvicorn.config import LOGGING_CONFIG

#: uvicorn's access record: (client, method, path with query, HTTP version, status).
PATH_ARG = 2
#: A Chinese mobile number, bare or with +86/86/0086 (as in app/logs.py).
_MOBILE = re.compile(r"(?<![0-9])((?:\+?86|0086)?)(1[3-9][0-9])[0-9]{4}([0-9]{4})(?![0-9])")
_MANAGER = re.compile(r"^(/v1/worklists/)[^/]+")


def logged_path(path: str) -> str:
    """The path as the access log keeps it: no query, no number, no name."""
    path, mark, _ = path.partition("?")
    path = _MANAGER.sub(r"\1…", _MOBILE.sub(r"\1\2****\3", path))
    return f"{path}?…" if mark else path


class WithoutQuery(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) > PATH_ARG:
            given = args[PATH_ARG]
            if not isinstance(given, str):
                return True
            path = logged_path(given)
            if path != given:
                record.args = (*args[:PATH_ARG], path, *args[PATH_ARG + 1 :])
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's own logging setup with `WithoutQuery` on its access handler."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["without_query"] = {"()": WithoutQuery}
    config["handlers"]["access"]["filters"] = ["without_query"]
    return config
