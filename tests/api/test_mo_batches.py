"""Concurrent `POST /v1/mo` requests are written in batches; each still gets its own answer."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from app.gateways.http import inbound_queue
from app.main import create_app
from app.runtime import Runtime
from app.store.models import ActivationRow, InboundMessageRow
from tests.conftest import auth
from tests.services.messaging import count, fail_store_for

pytestmark = pytest.mark.usefixtures("catalog")


async def post_all(runtime: Runtime, bodies: list[dict[str, Any]]) -> list[httpx.Response]:
    app = create_app(runtime=runtime)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://smshall") as client:
            return await asyncio.gather(
                *(client.post("/v1/mo", json=body, headers=auth()) for body in bodies)
            )
    finally:
        app.state.inbound_queue.stop()


def body(number: str, text: str, message_id: str) -> dict[str, Any]:
    return {"from": number, "to": "10086", "text": text, "message_id": message_id}


def test_each_of_many_concurrent_requests_gets_its_own_balance(
    runtime: Runtime, add_subscriber: Callable, monkeypatch: pytest.MonkeyPatch
) -> None:
    sizes: list[int] = []
    real_many = inbound_queue.handle_inbound_many

    def recording(uow_factory, messages, *args):  # type: ignore[no-untyped-def]
        sizes.append(len(messages))
        return real_many(uow_factory, messages, *args)

    monkeypatch.setattr(inbound_queue, "handle_inbound_many", recording)
    numbers = [f"1380013{n:04d}" for n in range(40)]
    for n, number in enumerate(numbers):
        add_subscriber(number, balance_fen=10_000 + n * 100)
    bodies = [body(number, "CXYE", f"m{n}") for n, number in enumerate(numbers)]
    responses = asyncio.run(post_all(runtime, bodies))
    assert [r.status_code for r in responses] == [200] * len(numbers)
    for n, response in enumerate(responses):
        [reply] = response.json()["replies"]
        assert reply["to"] == numbers[n]
        assert f"{100 + n}元" in reply["text"]
    assert count(runtime, InboundMessageRow) == len(numbers)
    assert sum(sizes) == len(numbers) and max(sizes) > 1  # written in batches


def test_one_message_sent_many_times_at_once_is_acted_on_once(
    runtime: Runtime, add_subscriber: Callable
) -> None:
    add_subscriber("13800138000")
    responses = asyncio.run(post_all(runtime, [body("13800138000", "IWJZS 2", "same")] * 12))
    answers = [r.json() for r in responses]
    assert {a["outcome"] for a in answers} == {"activated"}
    assert sum(not a["duplicate"] for a in answers) == 1
    assert len({a["replies"][0]["text"] for a in answers}) == 1
    assert count(runtime, ActivationRow) == 1
    assert count(runtime, InboundMessageRow) == 1


def test_a_failing_message_fails_its_own_request_only(
    runtime: Runtime, add_subscriber: Callable, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_subscriber("13800138000")
    add_subscriber("13800138001")
    fail_store_for(monkeypatch, "13800138001")
    bodies = [body("13800138000", "CXYE", "a"), body("13800138001", "CXYE", "b")]
    bodies += [body("13800138000", "HELP", f"h{n}") for n in range(10)]

    async def run() -> list[httpx.Response]:
        app = create_app(runtime=runtime)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://s") as client:
                return await asyncio.gather(
                    *(client.post("/v1/mo", json=b, headers=auth()) for b in bodies)
                )
        finally:
            app.state.inbound_queue.stop()

    responses = asyncio.run(run())
    statuses = [r.status_code for r in responses]
    assert statuses[1] == 500
    assert statuses[:1] + statuses[2:] == [200] * (len(bodies) - 1)
    assert count(runtime, InboundMessageRow) == len(bodies) - 1
