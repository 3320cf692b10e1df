"""The SMPP service as the app runs it, on the test database, with short timers."""

from __future__ import annotations

from typing import Any

from app.gateways.smpp.service import SmppService
from app.runtime import Runtime
from app.settings import SmppBind


def start_quick_service(runtime: Runtime, bind: dict[str, Any]) -> SmppService:
    """One bind (`SmppBind` fields), the outbox polled and retried every 50 ms; started."""
    settings = runtime.settings.model_copy(
        update={
            "smpp_binds": [SmppBind(**bind)],
            "outbox_poll_interval": 0.05,
            "outbox_retry_base": 0.05,
        }
    )
    service = SmppService(Runtime(settings, runtime.engine, runtime.sessions))
    service.start()
    return service
