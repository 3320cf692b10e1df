"""The states a stored record moves through, each value as it is stored.

StrEnums: a member compares equal to its stored text and is written as it
(the value, never the member's name), so rows written before these existed
read back as members and nothing in the database changes.
"""

from __future__ import annotations

from enum import StrEnum


class ActivationState(StrEnum):
    """A service a subscriber holds (DOMAIN.md §4.1, §6)."""

    ACTIVE = "active"  # running: free, rebated or contracted, until `ends_on`
    KEPT = "kept"  # a free experience kept at the normal fee after the reminder (§4.1)
    LAPSED = "lapsed"  # the free period ended without a `Y`; nothing is charged
    CANCELLED = "cancelled"  # ended by `QX`, `TD` or the `0000` list (§6)
