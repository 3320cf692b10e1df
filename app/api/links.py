"""`GET /v1/links`: every process's SMPP binds and CMPP links, as each process last
reported them (app/services/link_status.py) — what the console's binds table shows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from app.api.common import RuntimeDep, admin_router
from app.services.clock import utc_now
from app.services.link_status import STALE_AFTER_INTERVALS, every_link, this_process

router = admin_router()


class LinkOut(BaseModel):
    """`view` is the link's entry in `/v1/smpp/binds` or `/v1/cmpp/links` of its
    process; `stale`: the process has not reported for `stale_after_seconds`."""

    process: str
    channel: str
    name: str
    state: str
    reported_at: datetime
    silent_seconds: float
    stale: bool
    view: dict[str, Any]


class LinksOut(BaseModel):
    #: The process that answered.
    process: str
    report_interval_seconds: float
    stale_after_seconds: float
    links: list[LinkOut]


@router.get("/links", response_model=LinksOut)
def get_links(runtime: RuntimeDep) -> LinksOut:
    """Every process's binds and links by channel, name and process."""
    settings = runtime.settings
    interval = settings.link_status_interval
    found = every_link(runtime.uow_factory, utc_now(), interval)
    return LinksOut(
        process=this_process(settings.process_name),
        report_interval_seconds=interval,
        stale_after_seconds=STALE_AFTER_INTERVALS * interval,
        links=[LinkOut.model_validate(link, from_attributes=True) for link in found],
    )
