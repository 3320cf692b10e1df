"""A ceiling on each HTTP client's request rate (SMSHALL_HTTP_PER_SECOND).

A gateway gone wrong (a Kannel box retrying in a loop, a script) must not take
the service from everyone else: past its rate a client gets 429 with
Retry-After, before its request is read. Clients are told apart by their
address; /health is never limited.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from fastapi import status
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from app.domain.flood import ClientBuckets

UNLIMITED = ("/health",)


class ClientLimit:
    """Pure ASGI, so it counts every route before any parsing."""

    def __init__(self, app: ASGIApp, buckets: Callable[[], ClientBuckets]) -> None:
        self.app = app
        self.buckets = buckets

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in UNLIMITED:
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("unknown", 0))[0]
        wait = self.buckets().wait(client, time.monotonic())
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            refusal = JSONResponse(
                {"detail": f"too many requests from this client; retry in {seconds} s"},
                status.HTTP_429_TOO_MANY_REQUESTS,
                headers={"Retry-After": str(seconds)},
            )
            await refusal(scope, receive, send)
            return
        await self.app(scope, receive, send)
