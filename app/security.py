"""Bearer-token checks for the gateway and admin endpoints.

Security by default: an endpoint whose token is not configured refuses
everyone rather than opening up.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

from fastapi import HTTPException, Request, status
from pydantic import SecretStr


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def require_token(
    expected: Callable[[Request], SecretStr | None], realm: str, allow_query: bool = False
) -> Callable[[Request], Awaitable[None]]:
    """A FastAPI dependency: 401 unless the request carries the configured token.

    `allow_query` also takes `?token=`, for gateways that can set a callback
    URL but no header (USSD aggregators).
    """

    async def check(request: Request) -> None:  # no I/O: run on the loop, not a thread
        configured = expected(request)
        given = bearer_token(request)
        if given is None and allow_query:
            given = request.query_params.get("token", "").strip() or None
        challenge = {"WWW-Authenticate": f'Bearer realm="{realm}"'}
        if configured is None or not configured.get_secret_value():
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED, f"no {realm} token is configured", challenge
            )
        if given is None or not hmac.compare_digest(
            given.encode(), configured.get_secret_value().encode()
        ):
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED, f"a valid {realm} bearer token is required", challenge
            )

    return check
