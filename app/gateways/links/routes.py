"""What the admin routes of the link gateways (`/v1/smpp/binds`, `/v1/cmpp/links`) share."""

from __future__ import annotations

from typing import Any

from fastapi import Request


def link_view(request: Request, service: str, links_key: str) -> dict[str, Any]:
    """The app's `service` (`smpp`, `cmpp`) view; without that service, none of its links."""
    running = getattr(request.app.state, service, None)
    if running is None:
        return {links_key: [], "outbox_sender": None}
    return running.view()
