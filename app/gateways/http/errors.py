"""Refusals that say what is wrong without repeating the request.

FastAPI's default 422 echoes each invalid value whole: a 10 MB text came back
as a 10 MB answer, and a lone surrogate (`"\\ud83d"`, legal JSON, not UTF-8)
made the answer itself unencodable, turning a 422 into a 500. Here each
problem names its field and quotes at most a short, cleaned excerpt.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from app.domain.text import clean, excerpt
from app.services.inbound import MessageIdTaken

#: Characters of an invalid value quoted back: enough to spot the mistake.
QUOTED_CHARS = 40


def quoted(value: Any) -> str:
    """A short, always-encodable rendering of a value the client sent."""
    text = value if isinstance(value, str) else repr(value)
    return excerpt(clean(text), QUOTED_CHARS)


def problem(loc: tuple[Any, ...] | list[Any], msg: str, kind: str, value: Any = None) -> dict:
    entry: dict[str, Any] = {"loc": [clean(str(p)) for p in loc], "msg": clean(msg), "type": kind}
    if value is not None:
        entry["input"] = quoted(value)
    return entry


async def validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    problems = [
        problem(e.get("loc", ()), str(e.get("msg", "")), str(e.get("type", "")), e.get("input"))
        for e in error.errors()
    ]
    return JSONResponse({"detail": problems}, status.HTTP_422_UNPROCESSABLE_CONTENT)


async def message_id_taken(request: Request, error: Exception) -> JSONResponse:
    """A gateway reusing one message id for two numbers: refused, nothing of the
    first number's answer shown (app/services/inbound.py, `MessageIdTaken`)."""
    detail = "message id already recorded for another number; use an id of its own"
    return JSONResponse({"detail": detail}, status.HTTP_409_CONFLICT)


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(MessageIdTaken, message_id_taken)
