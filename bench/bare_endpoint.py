"""The yardstick of `bench/http_mo.py`: the least an ASGI endpoint under uvicorn can do.

A raw ASGI app, no framework: it reads the whole request body and answers every
HTTP request with 200 and a fixed small JSON. Served by the same uvicorn, event loop
(uvloop) and HTTP parser (httptools) as `smshall serve`:

    python -m uvicorn bench.bare_endpoint:app --host 127.0.0.1 --port 8001 \\
        --no-access-log --log-level warning
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

BODY = b'{"message_id":"bare","outcome":"ok","duplicate":false,"replies":[]}'
HEADERS = [
    (b"content-type", b"application/json"),
    (b"content-length", str(len(BODY)).encode()),
]


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    more_body = True
    while more_body:
        message = await receive()
        more_body = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})
