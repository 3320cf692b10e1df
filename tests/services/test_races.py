"""Messages of one number that race for one service (PostgreSQL: separate
transactions, READ COMMITTED). Whatever order they commit in, the outcome is one
of the serial ones: a service is cancelled or kept once, a `0000` list answers
one reply, a reminder one `Y`, and a `Y` never undoes the midnight lapse."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from app.runtime import Runtime
from app.services.inbound import InboundMessage, InboundResult, handle_inbound_many
from app.services.scheduled import ScheduledReport
from tests.scheduled.helpers import MSISDN, activation, deliver, local
from tests.scheduled.helpers import run as run_scheduled
from tests.scheduled.test_keeping import LEAVES_AT, reminded, signed_up
from tests.services.messaging import CONTEXT, send
from tests.support.statements import first_words, statements_sent

pytestmark = pytest.mark.usefixtures("catalog")

#: Each race runs this many times: an unguarded one loses most rounds.
ROUNDS = range(15)


@pytest.fixture
def postgresql_only(runtime: Runtime) -> None:
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time; the race needs PostgreSQL")


def at_once(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls on threads released together; their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def one(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except BaseException as error:  # surfaced below
            results[index] = error

    threads = [threading.Thread(target=one, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    return results


def texts(runtime: Runtime, *bodies: str, at: Any) -> list[InboundResult]:
    return at_once(
        *(
            lambda n=n, body=body: send(runtime, body, message_id=f"race-{n}", at=at)
            for n, body in enumerate(bodies)
        )
    )


@pytest.mark.usefixtures("postgresql_only")
@pytest.mark.parametrize("round_", ROUNDS)
def test_keeping_and_cancelling_at_once_leaves_it_cancelled(
    runtime: Runtime, add_subscriber: Callable, round_: int
) -> None:
    activation_id = reminded(runtime, add_subscriber)
    assert deliver(runtime, LEAVES_AT) == 1
    y, qx = texts(runtime, "Y", "QX IWJZS", at=local(2026, 11, 23, 8, 5))
    # Serially: `Y` then `QX` keeps and then cancels; `QX` then `Y` finds nothing to keep.
    assert qx.outcome == "cancelled"
    assert y.outcome in ("activated", "nothing_pending")
    assert activation(runtime, activation_id).state == "cancelled"


@pytest.mark.usefixtures("postgresql_only")
@pytest.mark.parametrize("round_", ROUNDS)
def test_two_replies_to_one_list_cancel_once(
    runtime: Runtime, add_subscriber: Callable, round_: int
) -> None:
    signed_up(runtime, add_subscriber)
    assert send(runtime, "0000", at=local(2026, 11, 23, 9, 0)).outcome == "service_list"
    outcomes = [r.outcome for r in texts(runtime, "1", "1", at=local(2026, 11, 23, 9, 1))]
    # The second reply finds the list answered: a digit with no list open gets the menu.
    assert sorted(outcomes) == ["cancelled", "menu"]


@pytest.mark.usefixtures("postgresql_only")
@pytest.mark.parametrize("round_", ROUNDS)
def test_two_ys_to_one_reminder_keep_once(
    runtime: Runtime, add_subscriber: Callable, round_: int
) -> None:
    activation_id = reminded(runtime, add_subscriber)
    assert deliver(runtime, LEAVES_AT) == 1
    outcomes = [r.outcome for r in texts(runtime, "Y", "Y", at=local(2026, 11, 23, 8, 5))]
    assert sorted(outcomes) == ["activated", "nothing_pending"]
    assert activation(runtime, activation_id).state == "kept"


@pytest.mark.usefixtures("postgresql_only")
@pytest.mark.parametrize("round_", ROUNDS)
def test_a_y_racing_the_midnight_lapse_either_keeps_or_finds_it_lapsed(
    runtime: Runtime, add_subscriber: Callable, round_: int
) -> None:
    activation_id = reminded(runtime, add_subscriber, at=local(2026, 11, 30, 21, 0))
    assert deliver(runtime, local(2026, 11, 30, 21, 0)) == 1
    y, report = at_once(
        lambda: send(runtime, "Y", message_id="late-y", at=local(2026, 11, 30, 23, 59)),
        lambda: run_scheduled(runtime, local(2026, 12, 1, 0, 0)),
    )
    assert isinstance(report, ScheduledReport)
    state = activation(runtime, activation_id).state
    if y.outcome == "activated":  # kept first: nothing to lapse
        assert (report.lapsed, state) == (0, "kept")
    else:  # lapsed first: the `Y` finds nothing to keep
        assert (y.outcome, report.lapsed, state) == ("nothing_pending", 1, "lapsed")


def test_in_one_batch_the_commands_that_lock_see_what_the_batch_wrote(
    runtime: Runtime, add_subscriber: Callable
) -> None:
    """A batch takes the locks as one plain transaction (no message run again
    alone), and each command sees what the ones before it wrote."""
    activation_id = reminded(runtime, add_subscriber)
    assert deliver(runtime, LEAVES_AT) == 1
    bodies = ("Y", "Y", "0000", "1", "1", "QX IWJZS")
    batch = [
        InboundMessage("test", f"b{n}", MSISDN, "10086", body, local(2026, 11, 23, 8, 5 + n))
        for n, body in enumerate(bodies)
    ]
    with statements_sent(runtime.engine) as sent:
        results = handle_inbound_many(runtime.uow_factory, batch, CONTEXT, "smpp")
    assert "SAVEPOINT" not in first_words(sent, 1)
    outcomes = [r.outcome if isinstance(r, InboundResult) else r for r in results]
    assert outcomes == [
        "activated",
        "nothing_pending",
        "service_list",
        "cancelled",
        "menu",
        "invalid_argument",
    ]
    assert activation(runtime, activation_id).state == "cancelled"
