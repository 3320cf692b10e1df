"""USSD-over-SMPP dialogues in the database: the next step of one may reach any
service process (`app/gateways/smpp/ussd.py`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.store.link_rows import UssdDialogueRow
from app.store.models import table_of
from app.store.upsert import upsert


@dataclass
class Dialogue:
    key: str  # normalised number | the USSDC's correlation
    msisdn: str
    id: str
    service_code: str
    inputs: tuple[str, ...] = ()
    #: (sequence number, text) of the step last acted on.
    last_step: tuple[int | None, str] | None = None
    #: Sequence numbers seen: only a USSDC that moves them lets a repeat be spotted.
    sequences: set[int] = field(default_factory=set)
    #: The last screen went out; kept until the timeout only to answer a repeat of it.
    ended: bool = False


class UssdDialogueRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def find(self, key: str, seen_since: datetime) -> Dialogue | None:
        row = self.session.get(UssdDialogueRow, key)
        if row is None or row.last_seen < seen_since:
            return None
        last = None if row.last_text is None else (row.last_sequence, row.last_text)
        return Dialogue(
            row.key, row.msisdn, row.dialogue_id, row.service_code, tuple(row.inputs),
            last, set(row.sequences), row.ended,
        )  # fmt: skip

    def save(self, dialogue: Dialogue, now: datetime, fresh: bool = False) -> None:
        """Write the dialogue as of its last step; `fresh`: a new dial, which drops
        every other dialogue of the number."""
        if fresh:
            self.session.execute(
                delete(UssdDialogueRow).where(
                    UssdDialogueRow.msisdn == dialogue.msisdn, UssdDialogueRow.key != dialogue.key
                )
            )
        sequence, text = dialogue.last_step or (None, None)
        row = dict(
            key=dialogue.key, msisdn=dialogue.msisdn, dialogue_id=dialogue.id,
            service_code=dialogue.service_code, inputs=list(dialogue.inputs),
            sequences=sorted(dialogue.sequences), last_sequence=sequence,
            last_text=None if text is None else text[:182], ended=dialogue.ended, last_seen=now,
        )  # fmt: skip
        upsert(self.session, table_of(UssdDialogueRow), [row], ["key"])

    def close(self, key: str) -> bool:
        result: Any = self.session.execute(
            delete(UssdDialogueRow).where(UssdDialogueRow.key == key)
        )
        return bool(result.rowcount)

    def forget(self, seen_before: datetime) -> int:
        """Delete the dialogues silent since before the instant given; how many."""
        result: Any = self.session.execute(
            delete(UssdDialogueRow).where(UssdDialogueRow.last_seen < seen_before)
        )
        return int(result.rowcount or 0)

    def count(self, seen_since: datetime) -> int:
        return int(
            self.session.scalar(select(func.count()).where(UssdDialogueRow.last_seen >= seen_since))
            or 0
        )
