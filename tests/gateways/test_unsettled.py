"""The bound on unsettled replies (app/gateways/unsettled.py)."""

from __future__ import annotations

import threading
import time

from app.gateways.unsettled import UnsettledReplies
from tests.support.polling import eventually


def test_no_more_replies_unsettled_than_the_windows_carry_and_each_freed_place_is_taken() -> None:
    unsettled = UnsettledReplies(lambda: 2, poll=30.0)  # no poll: only a freed place wakes
    stop = threading.Event()
    assert unsettled.enter(stop) and unsettled.enter(stop)
    entered: list[int] = []

    def sender(n: int) -> None:
        if unsettled.enter(stop):
            entered.append(n)

    waiting = [threading.Thread(target=sender, args=(n,)) for n in range(3)]
    for thread in waiting:
        thread.start()
    time.sleep(0.3)
    assert entered == []  # the window is full
    unsettled.leave(1)
    eventually(lambda: len(entered) == 1, "one waiter in the one freed place")
    assert unsettled.count == 2
    unsettled.leave(2)
    eventually(lambda: len(entered) == 3, "two more in the two freed places")
    assert unsettled.count == 2
    for thread in waiting:
        thread.join(5)


def test_a_stop_releases_a_waiting_sender() -> None:
    unsettled = UnsettledReplies(lambda: 1, poll=0.05)
    stop = threading.Event()
    assert unsettled.enter(stop)
    stop.set()
    assert not unsettled.enter(stop)
