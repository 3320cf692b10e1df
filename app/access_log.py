"""uvicorn's access log, without query strings.

Kannel's get-url carries the gateway token, the sender's number and the text
in its query (`/v1/kannel/mo?token=…&from=…&text=…`), and USSD aggregators may
pass `?token=` too: a log line per request must keep none of them. The path
and the status stay, which is what an operator reads the access log for.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

from uvicorn.config import LOGGING_CONFIG

#: uvicorn's access record: (client, method, path with query, HTTP version, status).
PATH_ARG = 2


class WithoutQuery(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) > PATH_ARG and isinstance(args[PATH_ARG], str):
            path, mark, _ = args[PATH_ARG].partition("?")
            if mark:
                record.args = (*args[:PATH_ARG], f"{path}?…", *args[PATH_ARG + 1 :])
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's own logging setup with `WithoutQuery` on its access handler."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["without_query"] = {"()": WithoutQuery}
    config["handlers"]["access"]["filters"] = ["without_query"]
    return config
