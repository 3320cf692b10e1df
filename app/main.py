"""Build the FastAPI application."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from app.api import (
    activations,
    campaigns,
    links,
    metrics,
    prompts,
    replies,
    reports,
    subscriber_search,
    subscribers,
    traffic,
)
from app.console import routes as console
from app.domain.channels import Channel
from app.gateways.cmpp import routes as cmpp_routes
from app.gateways.http import errors, kannel, mo_json, ussd
from app.gateways.http.body_limit import BodyLimit
from app.gateways.http.client_limit import ClientLimit
from app.gateways.http.inbound_queue import InboundQueue
from app.gateways.http.kannel_sender import KannelSender
from app.gateways.link_status_reporter import LinkStatusReporter
from app.gateways.scheduled_timer import ScheduledTimer
from app.gateways.smpp import routes as smpp_routes
from app.metrics.multiprocess import worker_exited
from app.runtime import Runtime
from app.services.health import outbox_health
from app.services.link_status import this_process
from app.settings import Settings, get_settings

#: The routers of the gateways' HTTP side and of the operator's API.
ROUTERS = (
    mo_json.router,
    kannel.router,
    ussd.router,
    subscribers.router,
    campaigns.router,
    subscriber_search.router,
    activations.router,
    replies.router,
    prompts.router,
    reports.router,
    smpp_routes.router,
    cmpp_routes.router,
    traffic.router,
    links.router,
    metrics.router,
)


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    runtime = runtime or Runtime.from_settings(settings or get_settings())
    app = FastAPI(title="smshall", version="0.1.0", lifespan=_lifespan(runtime))
    app.state.runtime = runtime
    errors.install(app)
    app.add_middleware(BodyLimit, limit=lambda: runtime.settings.max_body_bytes)
    app.add_middleware(ClientLimit, buckets=lambda: runtime.clients)
    app.state.inbound_queue = InboundQueue(runtime)
    app.state.smpp = None
    app.state.cmpp = None
    app.state.kannel_sender = None
    for router in ROUTERS:
        app.include_router(router)
    console.install(app)
    app.get("/health", tags=["ops"])(_health(app))
    return app


def _lifespan(runtime: Runtime) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loops = _start_loops(runtime)
        for name, loop in loops.items():
            setattr(app.state, name, loop)
        try:
            yield
        finally:
            app.state.inbound_queue.stop()
            for loop in reversed(loops.values()):
                if loop is not None:
                    loop.stop()
            worker_exited()

    return lifespan


def _start_loops(runtime: Runtime) -> dict[str, Any]:
    """The background loops this process runs, started, by the name `app.state` keeps
    each under (None: not run here)."""
    settings = runtime.settings
    loops: dict[str, Any] = {"smpp": None, "cmpp": None, "kannel_sender": None}
    # SMPP binds and the outbox sender run only when binds are configured.
    if settings.smpp_binds:
        from app.gateways.smpp.service import SmppService

        loops["smpp"] = SmppService(runtime)
    # CMPP links and their sender, beside the SMPP binds, when links are configured.
    if settings.cmpp_links:
        from app.gateways.cmpp.service import CmppService

        loops["cmpp"] = CmppService(runtime)
    # Kannel replies leave through sendsms only in that mode; else in the get-url answer.
    if settings.kannel_reply_mode == "sendsms":
        loops["kannel_sender"] = KannelSender(runtime.uow_factory, settings)
    # Reminders, lapses, greetings, credits: every `scheduled_interval` s (0 = off).
    loops["scheduled"] = ScheduledTimer(runtime.uow_factory, settings)
    # The links' state for every process's console; started last, so stopped first.
    held = [(c, loops[c.value]) for c in (Channel.SMPP, Channel.CMPP) if loops[c.value]]
    loops["link_status"] = LinkStatusReporter(
        runtime.uow_factory,
        this_process(settings.process_name),
        held,
        settings.link_status_interval,
    )
    for loop in loops.values():
        if loop is not None:
            loop.start()
    return loops


def _health(app: FastAPI) -> Callable[[], JSONResponse]:
    def health() -> JSONResponse:
        """200 `ok`, or 503 with the reasons (`app/services/health.py`)."""
        runtime: Runtime = app.state.runtime
        outbox = outbox_health(runtime.uow_factory, runtime.settings.health_outbox_age)
        problems = list(outbox.problems)
        body: dict[str, Any] = {
            "outbox": {"queued": outbox.queued, "oldest_due_seconds": outbox.oldest_due_seconds}
        }
        if app.state.smpp is not None:
            body["smpp"] = app.state.smpp.health()
            if body["smpp"]["connections"] and not body["smpp"]["bound"]:
                problems.append("no SMPP bind is bound")
        sendsms = app.state.kannel_sender
        if sendsms is not None and (why := sendsms.problem(runtime.settings.health_sendsms_grace)):
            problems.append(why)
        if app.state.cmpp is not None:
            body["cmpp"] = app.state.cmpp.health()
            if body["cmpp"]["links"] and not body["cmpp"]["connected"]:
                problems.append("no CMPP link is connected")
        body = {"status": "unhealthy" if problems else "ok", "problems": problems, **body}
        return JSONResponse(body, status_code=503 if problems else 200)

    return health
