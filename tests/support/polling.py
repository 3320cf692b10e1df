"""Waiting for something another thread or process does, without asserting on time."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

#: Generous: a deadline only bounds a wait that should end well before it.
DEADLINE = 20.0


def eventually(
    predicate: Callable[[], Any],
    what: str = "condition",
    timeout: float = DEADLINE,
    every: float = 0.02,
    explain: Callable[[], Any] | None = None,
    ignoring: tuple[type[BaseException], ...] = (),
) -> Any:
    """The first true value `predicate` returns, asked every `every` seconds; an
    AssertionError naming `what` (and `explain()`, if given) after `timeout`.
    Exceptions of the `ignoring` types count as a false answer."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = predicate()
        except ignoring:
            value = None
        if value:
            return value
        if time.monotonic() >= deadline:
            detail = f": {explain()}" if explain is not None else ""
            raise AssertionError(f"timed out waiting for {what}{detail}")
        time.sleep(every)
