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


class ReplyState(StrEnum):
    """An outbox row (a reply or notice) and each of its parts: queued -> sent ->
    delivered / failed / expired, or dropped while still held (DOMAIN.md §7a)."""

    QUEUED = "queued"  # waiting for its time and a sender; a claim keeps it queued
    SENT = "sent"  # accepted by the SMSC (or carried by the HTTP answer itself)
    DELIVERED = "delivered"  # the handset has it (every part's receipt said so)
    FAILED = "failed"  # given up: a permanent error, too many attempts, or a receipt
    EXPIRED = "expired"  # the SMSC's validity period ran out before delivery
    DROPPED = "dropped"  # a held notice that no longer applied, never sent


class PromptKind(StrEnum):
    """The one question a subscriber may answer next (DOMAIN.md §5, §6)."""

    CONFIRM_ORDER = "confirm_order"  # a paid order waiting for `Y` (§5)
    DID_YOU_MEAN = "did_you_mean"  # a near-miss keyword, answered `Y` or not
    MENU = "menu"  # a numbered menu: the next digit picks an entry
    CANCEL_LIST = "cancel_list"  # the `0000` list of services: digits cancel them (§6)
