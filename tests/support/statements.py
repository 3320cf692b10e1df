"""The SQL statements an engine sends while a block runs: what the set-based tests
count (DESIGN.md, "Batches, not messages")."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine


@contextmanager
def statements_sent(engine: Engine) -> Iterator[list[str]]:
    """Every statement `engine` sends inside the block, as it was sent."""
    sent: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


def first_words(statements: Iterable[str], words: int) -> list[str]:
    """Each statement by its first `words` words, upper case: `INSERT INTO PARTS`."""
    return [" ".join(s.split()[:words]).upper() for s in statements]
