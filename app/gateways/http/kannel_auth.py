"""Who may call the Kannel endpoints: a token and/or an address allowlist.

Kannel cannot set an Authorization header on get-url or dlr-url, so the token
may ride in the URL (`?token=`); a Bearer header works too. With neither a
token nor an allowlist configured, everyone is refused: closed by default.
"""

from __future__ import annotations

import hmac
import logging
from ipaddress import ip_address, ip_network

from fastapi import HTTPException, Request, status

from app.security import bearer_token
from app.settings import Settings

log = logging.getLogger("smshall.kannel")

REALM = {"WWW-Authenticate": 'Bearer realm="kannel"'}


def client_allowed(host: str | None, allowed: list[str]) -> bool:
    """`allowed` holds addresses or networks (`127.0.0.1`, `10.0.0.0/8`)."""
    if host is None:
        return False
    try:
        address = ip_address(host)
    except ValueError:
        return False
    for entry in allowed:
        try:
            if address in ip_network(entry.strip(), strict=False):
                return True
        except ValueError:  # a typo in the allowlist admits nobody rather than failing
            log.warning("SMSHALL_KANNEL_ALLOWED_IPS: %r is not an address or network", entry)
    return False


async def check_kannel_caller(request: Request) -> None:
    """A FastAPI dependency: 401 without the token, 403 from an address not allowed."""
    settings: Settings = request.app.state.runtime.settings
    token = settings.kannel_token.get_secret_value() if settings.kannel_token else ""
    allowed = [entry for entry in settings.kannel_allowed_ips if entry.strip()]
    if not token and not allowed:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "no Kannel credentials are configured (SMSHALL_KANNEL_TOKEN or "
            "SMSHALL_KANNEL_ALLOWED_IPS)",
            REALM,
        )
    if token:
        given = request.query_params.get("token") or bearer_token(request) or ""
        if not hmac.compare_digest(given.encode(), token.encode()):
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "a valid Kannel token is required (?token= or a Bearer header)",
                REALM,
            )
    if allowed:
        host = request.client.host if request.client else None
        if not client_allowed(host, allowed):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, f"{host} is not in SMSHALL_KANNEL_ALLOWED_IPS"
            )
