"""A deliver_sm redelivered to a process that never saw the first copy (the first
process died before its deliver_sm_resp, or another process took it) is
answered from the first copy, not acted on again; a subscriber's own repeat
of an acknowledged MO is a new message (app/gateways/links/dedupe.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from app.gateways.smpp import pdus
from app.gateways.smpp.deliveries import Deliveries, Handled
from app.gateways.smpp.gateway import SmppGateway
from app.runtime import Runtime
from app.services import clock
from app.settings import SmppBind
from app.store.models import ActivationRow, InboundMessageRow
from tests.smpp.test_delivery_batches import deliver_sm

pytestmark = pytest.mark.usefixtures("catalog")

SUBSCRIBER = "13800138000"
WINDOW = 60.0


def process(runtime: Runtime) -> Deliveries:
    """The MO side of a freshly started process: nothing remembered."""
    bind = SmppBind(name="main", host="127.0.0.1", system_id="smshall")
    fresh = runtime.with_settings(smpp_mo_dedupe_window=WINDOW)
    return SmppGateway(fresh, [bind]).deliveries


def arrive(deliveries: Deliveries, text: str, sequence: int = 1) -> Handled:
    [handled] = deliveries.handle_many([("main", deliver_sm(sequence, SUBSCRIBER, text))])
    assert handled.status == pdus.ROK
    return handled


def acknowledge(deliveries: Deliveries, handled: Handled) -> None:
    """The deliver_sm_resp went out at once; its mark is written."""
    deliveries.start()
    deliveries.answered(handled, True, lambda: None)
    deliveries.stop()


def count(runtime: Runtime, table: Any) -> int:
    with runtime.engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(table)) or 0)


def test_a_copy_the_dead_process_never_acknowledged_is_answered_from_it(
    runtime: Runtime, add_subscriber: Callable[..., int]
) -> None:
    add_subscriber(SUBSCRIBER)
    first = arrive(process(runtime), "IWJZS 2")  # committed; the process dies unanswered
    again = arrive(process(runtime), "IWJZS 2", sequence=7)
    assert again.recorded == first.recorded
    assert count(runtime, InboundMessageRow) == 1
    assert count(runtime, ActivationRow) == 1


def test_a_repeat_of_an_acknowledged_mo_is_a_new_message(
    runtime: Runtime, add_subscriber: Callable[..., int]
) -> None:
    add_subscriber(SUBSCRIBER)
    deliveries = process(runtime)
    acknowledge(deliveries, arrive(deliveries, "CXYE"))
    again = arrive(process(runtime), "CXYE")
    assert count(runtime, InboundMessageRow) == 2
    assert again.recorded == again.key


def test_an_unacknowledged_copy_counts_only_within_the_dedupe_window(
    runtime: Runtime, add_subscriber: Callable[..., int], monkeypatch: pytest.MonkeyPatch
) -> None:
    add_subscriber(SUBSCRIBER)
    start = clock.utc_now()
    monkeypatch.setattr("app.gateways.links.mo_core.utc_now", lambda: start)
    arrive(process(runtime), "CXYE")
    arrive(process(runtime), "HELP")
    # Just inside the window: the same MO again. Just outside: a new one.
    inside = start + timedelta(seconds=WINDOW - 0.001)
    monkeypatch.setattr("app.gateways.links.mo_core.utc_now", lambda: inside)
    arrive(process(runtime), "CXYE")
    assert count(runtime, InboundMessageRow) == 2
    outside = start + timedelta(seconds=WINDOW + 0.001)
    monkeypatch.setattr("app.gateways.links.mo_core.utc_now", lambda: outside)
    arrive(process(runtime), "HELP")
    assert count(runtime, InboundMessageRow) == 3


def test_within_one_process_memory_decides_without_the_database(
    runtime: Runtime, add_subscriber: Callable[..., int]
) -> None:
    """Answered and remembered: the same text again is the subscriber's repeat, even
    before the acknowledgement's mark is written."""
    add_subscriber(SUBSCRIBER)
    deliveries = process(runtime)
    first = arrive(deliveries, "HELP")
    deliveries.answered(first, True, lambda: None)  # not started: no mark written
    arrive(deliveries, "HELP", sequence=2)
    assert count(runtime, InboundMessageRow) == 2
