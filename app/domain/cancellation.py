"""What a subscriber may cancel by SMS (DOMAIN.md §6: `0000`, `QX`/`TD` + code).

Free experiences and monthly services stop at once. Contracts the subscriber
pre-paid or committed to (pre-store rebates §4.4, the tenure reward §4.3)
run to their end: cancelling them is a conversation with 10086, not a text.
There is deliberately no one-message cancel-all (`00000` lists, like `0000`).
"""

from __future__ import annotations

from app.domain.text import choice_number

CONTRACT_KINDS = frozenset({"prestore_rebate", "tenure_reward"})


def cancellable_by_sms(kind: str) -> bool:
    return kind not in CONTRACT_KINDS


def chosen_numbers(words: tuple[str, ...], listed: int) -> list[int] | None:
    """The item numbers of a reply to the `0000` list (`1`, `1，3`, `2 3`), in
    order and without repeats; None when any is not a listed number."""
    chosen: list[int] = []
    for word in words:
        number = choice_number(word)
        if number is None or not 1 <= number <= listed:
            return None
        if number not in chosen:
            chosen.append(number)
    return chosen or None
