"""`GET /v1/links`: every process's SMPP binds and CMPP links, as each process last
reported them (app/services/link_status.py) — what the console's binds table shows."""

from __future__ import annotations

from pydantic import BaseModel

from app.api.common import RuntimeDep, admin_router
from app.services.clock import utc_now
from app.services.link_status import (
    STALE_AFTER_INTERVALS,
    LinkStatus,
    every_link,
    this_process,
)

router = admin_router()


class LinksOut(BaseModel):
    #: The process that answered.
    process: str
    report_interval_seconds: float
    stale_after_seconds: float
    links: list[LinkStatus]


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
        links=found,
    )
