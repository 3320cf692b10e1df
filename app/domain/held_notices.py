"""Whether a held notice still applies when it leaves (DOMAIN.md §7a, §4.1, §4.6, §5, §6).

A notice is decided when the scheduled job runs, but §7a may hold it for
hours (until 08:00, or until the subscriber's contact window opens). What it
says must still be true and still wanted when it goes: the subscriber has not
opted out meanwhile, the service it speaks of is still in the state it speaks
of, and the day it is for has not passed. A notice that no longer applies is
dropped with one of the reasons below, never sent; START later does not bring
it back (§6: it opts in to later notices).

Nor may a notice leave at just any time because its slot has come: one still
queued past its slot (a sender down, a backlog, a retry pushed late) is held
again, when it is claimed, to the next time §7a allows (`leaves_at`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from app.domain.notices import DAILY_CAP, LAPSE, REMINDER, parse_window, schedule
from app.domain.states import ActivationState, ReplyState

#: The outbox state of a notice that no longer applied: finished, never sent.
DROPPED = ReplyState.DROPPED

#: Why a held notice was dropped.
OPTED_OUT = "opted_out"  # §6, §7a: `T` after the notice was decided
CANCELLED = "cancelled"  # §6: the service was cancelled (`QX`, `TD`, the `0000` list)
KEPT = "kept"  # §5: the service was kept at its fee before the reminder could leave
LAPSED = "lapsed"  # §4.1: the free period ended unkept
SERVICE_CHANGED = "service_changed"  # the service is in another state, or gone
OUT_OF_DATE = "out_of_date"  # the day it is for has passed (a birthday, a free period)

#: The state of its service each kind of notice speaks of: a reminder asks to keep
#: a free period that still runs (§4.1, §5); a lapse notice says it ended unkept.
#: Other kinds (greetings, credits) do not depend on a service's state.
SERVICE_STATE = {REMINDER: ActivationState.ACTIVE, LAPSE: ActivationState.LAPSED}

#: A cancel drops the held notices about the cancelled service that speak of another state.
MOOT_ONCE_CANCELLED = frozenset(
    k for k, s in SERVICE_STATE.items() if s != ActivationState.CANCELLED
)

_BY_STATE: dict[str, str] = {
    ActivationState.CANCELLED: CANCELLED,
    ActivationState.KEPT: KEPT,
    ActivationState.LAPSED: LAPSED,
}


@dataclass(frozen=True, slots=True)
class HeldNotice:
    """What a held notice's fate depends on, as it stands when it is due to leave."""

    kind: str
    opted_out: bool
    service_state: str | None  # of the service it speaks of; None: none, or gone
    valid_until: datetime | None  # the instant it stops applying; None: no such end


def drop_reason(notice: HeldNotice, now: datetime) -> str | None:
    """Why `notice` must not go out at `now`, or None when it still applies."""
    if notice.opted_out:
        return OPTED_OUT
    wanted = SERVICE_STATE.get(notice.kind)
    if wanted is not None and notice.service_state != wanted:
        return _BY_STATE.get(notice.service_state or "", SERVICE_CHANGED)
    if notice.valid_until is not None and now >= notice.valid_until:
        return OUT_OF_DATE
    return None


@dataclass(frozen=True, slots=True)
class NoticeRules:
    """§7a as configured: the operator's time zone (its 08:00-22:00) and the
    daily cap of notices per number."""

    zone: tzinfo
    cap: int = DAILY_CAP

    def __post_init__(self) -> None:
        if self.cap < 1:
            raise ValueError("the daily cap of notices must be at least 1")


def leaves_at(now: datetime, contact_window: str | None, sent_today: int, cap: int) -> datetime:
    """When a notice claimed at `now` (operator time) may leave (§7a): `now` itself
    inside operator hours and the subscriber's contact window with fewer than `cap`
    notices sent to the number on this local day; else the next time allowed (the
    window's next opening, or a later day's when this one is full). Days after
    this one count as empty: the claim then looks again."""
    at = schedule(now, parse_window(contact_window), {now.date(): sent_today}, cap)
    assert at is not None  # cap >= 1 and tomorrow is empty: always a time
    return at


def valid_until(last_day: date, zone: tzinfo) -> datetime:
    """The end of `last_day` in operator time: when a notice for that day stops
    applying (§4.6: a greeting is for the birthday itself; §4.1: a reminder
    can only be answered while the free period runs)."""
    return datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=zone)
