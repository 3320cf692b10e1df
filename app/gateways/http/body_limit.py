"""A ceiling on every HTTP request body (SMSHALL_MAX_BODY_BYTES).

Without it a 10 MB Kannel post-url body was read, decoded and stored whole as
one MO. A declared Content-Length over the limit is refused before anything
is read; a body that grows past it (chunked, or a lying header) is refused as
soon as it does. Either way: 413, saying what the limit is.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import HTTPException, status
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def too_large(limit: int) -> str:
    return f"request body larger than {limit} bytes (SMSHALL_MAX_BODY_BYTES)"


class BodyLimit:
    """Pure ASGI, so the count covers every route, JSON, form and raw bodies alike."""

    def __init__(self, app: ASGIApp, limit: Callable[[], int]) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit()
        declared = dict(scope.get("headers") or ()).get(b"content-length", b"")
        if declared.strip().isdigit() and int(declared) > limit:
            refusal = JSONResponse({"detail": too_large(limit)}, status.HTTP_413_CONTENT_TOO_LARGE)
            await refusal(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:  # FastAPI passes an HTTPException on as it is
                    raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, too_large(limit))
            return message

        await self.app(scope, counted, send)
