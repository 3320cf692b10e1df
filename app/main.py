"""Build the FastAPI application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from app.api import (
    activations,
    campaigns,
    metrics,
    prompts,
    replies,
    reports,
    subscriber_search,
    subscribers,
    traffic,
)
from app.console import routes as console
from app.gateways.cmpp import routes as cmpp_routes
from app.gateways.http import errors, kannel, mo_json, ussd
from app.gateways.http.body_limit import BodyLimit
from app.gateways.http.client_limit import ClientLimit
from app.gateways.http.inbound_queue import InboundQueue
from app.gateways.kannel_sender import KannelSender
from app.gateways.smpp import routes as smpp_routes
from app.metrics.multiprocess import worker_exited
from app.runtime import Runtime
from app.services.health import outbox_health
from app.services.scheduled import ScheduledTimer
from app.settings import Settings, get_settings


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    runtime = runtime or Runtime.from_settings(settings or get_settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # SMPP binds and the outbox sender run only when binds are configured.
        smpp = None
        if runtime.settings.smpp_binds:
            from app.gateways.smpp.service import SmppService

            smpp = SmppService(runtime)
            smpp.start()
        app.state.smpp = smpp
        # CMPP links and their sender, beside the SMPP binds, when links are configured.
        cmpp = None
        if runtime.settings.cmpp_links:
            from app.gateways.cmpp.service import CmppService

            cmpp = CmppService(runtime)
            cmpp.start()
        app.state.cmpp = cmpp
        # Kannel replies leave through sendsms only in that mode; else in the get-url answer.
        kannel_sender = None
        if runtime.settings.kannel_reply_mode == "sendsms":
            kannel_sender = KannelSender(runtime.uow_factory, runtime.settings)
            kannel_sender.start()
        app.state.kannel_sender = kannel_sender
        # Reminders, lapses, greetings, credits: every `scheduled_interval` s (0 = off).
        scheduled = ScheduledTimer(runtime.uow_factory, runtime.settings)
        scheduled.start()
        app.state.scheduled = scheduled
        try:
            yield
        finally:
            app.state.inbound_queue.stop()
            scheduled.stop()
            if kannel_sender is not None:
                kannel_sender.stop()
            if smpp is not None:
                smpp.stop()
            if cmpp is not None:
                cmpp.stop()
            worker_exited()

    app = FastAPI(title="smshall", version="0.1.0", lifespan=lifespan)
    app.state.runtime = runtime
    errors.install(app)
    app.add_middleware(BodyLimit, limit=lambda: runtime.settings.max_body_bytes)
    app.add_middleware(ClientLimit, buckets=lambda: runtime.clients)
    app.state.inbound_queue = InboundQueue(runtime)
    app.state.smpp = None
    app.state.cmpp = None
    app.include_router(mo_json.router)
    app.include_router(kannel.router)
    app.include_router(ussd.router)
    app.include_router(subscribers.router)
    app.include_router(campaigns.router)
    app.include_router(subscriber_search.router)
    app.include_router(activations.router)
    app.include_router(replies.router)
    app.include_router(prompts.router)
    app.include_router(reports.router)
    app.include_router(smpp_routes.router)
    app.include_router(cmpp_routes.router)
    app.include_router(traffic.router)
    app.include_router(metrics.router)
    console.install(app)

    @app.get("/health", tags=["ops"])
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
        if app.state.cmpp is not None:
            body["cmpp"] = app.state.cmpp.health()
            if body["cmpp"]["links"] and not body["cmpp"]["connected"]:
                problems.append("no CMPP link is connected")
        body = {"status": "unhealthy" if problems else "ok", "problems": problems, **body}
        return JSONResponse(body, status_code=503 if problems else 200)

    return app
