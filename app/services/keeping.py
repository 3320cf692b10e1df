"""Keeping a free experience at its normal fee: the `Y` to an end-of-free-period
reminder (DOMAIN.md §4.1, §5). Without it the service lapses; it is never
turned into a paid one silently.

Keeping it is an order that costs money, so the `Y` counts only as the answer to
the question that stated the fee: the reminder must have left (a reminder still
held for the subscriber's contact window, or dropped unsent, asked nothing), the
`Y` must come within the confirmation window after it left (§5, default 24 hours,
SMSHALL_CONFIRM_HOURS), and the free period must still run. Any other `Y` finds
nothing pending."""

from __future__ import annotations

from datetime import timedelta

from app.domain.free_experience import FreeExperienceCampaign
from app.domain.outcomes import Outcome
from app.domain.replies import day, render, yuan
from app.domain.sign_up_replies import service_name
from app.domain.states import ActivationState
from app.services.answers import Answer
from app.services.turn import Turn
from app.store.activations import in_force
from app.store.models import ActivationRow

#: The day a reminder was queued for (activation details); it may not have left yet.
REMINDED = "reminded_on"


def offered(turn: Turn) -> list[ActivationRow]:
    """Free experiences this `Y` keeps (§5, §4.1): the free period still runs, and
    the reminder left at most the confirmation window before the `Y` (both ends
    included). One query for all of the subscriber's reminded services; those
    it finds are read again under their locks and kept only if still active: a
    second `Y`, a `QX` or the midnight lapse that committed meanwhile wins."""
    assert turn.row is not None
    reminded = [
        row
        for row in turn.uow.activations.active_of(turn.row.id, turn.on)
        if row.state == ActivationState.ACTIVE
        and row.kind == FreeExperienceCampaign.kind
        and REMINDED in row.details  # queued: whether it left, the query says
    ]
    if not reminded:
        return []
    sent = turn.uow.notices.reminders_sent([row.id for row in reminded])
    window = timedelta(hours=turn.context.confirm_hours)
    due = [
        row
        for row in reminded
        if row.id in sent and sent[row.id] <= turn.now <= sent[row.id] + window
    ]
    return [
        row
        for row in turn.uow.activations.locked(turn.row.id, due)
        if row.state == ActivationState.ACTIVE and in_force(row, turn.on)
    ]


def keep(turn: Turn, rows: list[ActivationRow]) -> Answer:
    language = turn.context.language
    texts = []
    for row in rows:
        row.state = ActivationState.KEPT
        row.details = {**row.details, "kept_on": turn.on.isoformat()}
        campaign = turn.campaign(row.campaign_code)
        texts.append(
            render(
                "notice.kept",
                language,
                campaign=campaign.name(turn.chinese) if campaign else row.campaign_code,
                package=service_name(campaign, row.package_code, language)
                if campaign
                else row.package_code,
                starts_on=day(row.ends_on + timedelta(days=1), language),
                fee=yuan(row.monthly_fee_fen),
                code=row.service_code,
            )
        )
    return Answer(Outcome.ACTIVATED, "".join(texts), "kept")
