"""Sign-up for a campaign of any kind, and the `Y` that places a paid order:
DOMAIN.md §4 and §5, in the unit of work of the message that asked."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.domain.campaigns import Campaign, Decision, Grant, Held, SignUp
from app.domain.commands import Command
from app.domain.outcomes import Outcome
from app.domain.replies import render
from app.domain.sign_up_replies import sign_up_text
from app.domain.states import ActivationState, PromptKind
from app.services.answers import Answer
from app.services.clock import utc_now
from app.services.turn import Turn, held_of
from app.store.models import ActivationRow


def decide(turn: Turn, campaign: Campaign, args: tuple[str, ...], confirmed: bool) -> Decision:
    """The sign-up rule of the campaign's kind (`Campaign.sign_up`), with what the
    subscriber holds: DOMAIN.md §4.1–§4.5."""

    def held(key: str) -> Held | None:
        return held_of(turn.held(key))

    request = SignUp(turn.subscriber, turn.segments, args, turn.on, held, confirmed)
    return campaign.sign_up(request)


def write_grant(turn: Turn, campaign: Campaign, grant: Grant) -> bool:
    """Add the service; False when a racing message already took the same key."""
    assert turn.row is not None
    added = turn.uow.activations.add_unless_held(
        ActivationRow(
            subscriber_id=turn.row.id,
            campaign_code=campaign.code,
            kind=campaign.kind,
            service_code=grant.service_code,
            exclusivity_key=grant.exclusivity_key,
            package_code=grant.package_code,
            monthly_fee_fen=grant.monthly_fee_fen,
            free_months=grant.free_months,
            activated_on=grant.activated_on,
            starts_on=grant.starts_on,
            ends_on=grant.ends_on,
            state=ActivationState.ACTIVE,
            details=dict(grant.details),
            inbound_message_id=turn.inbound.id if turn.inbound is not None else None,
            created_at=utc_now(),
        )
    )
    return added is not None


def _settle(turn: Turn, campaign: Campaign, decision: Decision) -> Decision:
    """Write what the decision grants, or ask for the `Y` it needs."""
    if decision.outcome is Outcome.CONFIRMATION_REQUIRED:
        assert decision.grant is not None
        expires = turn.now + timedelta(hours=turn.context.confirm_hours)
        payload = {"campaign": campaign.code, "args": list(campaign.order_args(decision.grant))}
        turn.uow.prompts.put(turn.msisdn, PromptKind.CONFIRM_ORDER, payload, expires, utc_now())
    elif decision.outcome is Outcome.ACTIVATED:
        assert decision.grant is not None
        if not write_grant(turn, campaign, decision.grant):
            existing = held_of(turn.held(decision.grant.exclusivity_key))
            decision = Decision(Outcome.ALREADY_ACTIVE, existing=existing)
    return decision


def sign_up(turn: Turn, campaign: Campaign, command: Command, confirmed: bool = False) -> Answer:
    """`IWJZS 2`, `TY CL`, `YC SJB`, `GABX 张三`, `WLYH`: decide and settle.

    `confirmed` is for a transport whose own screen took the consent (USSD's
    "1 confirm"); an SMS order is confirmed only by `confirm_order`.
    """
    decision = _settle(turn, campaign, decide(turn, campaign, command.args, confirmed))
    text = sign_up_text(campaign, decision, turn.context.language, turn.context.confirm_hours)
    return Answer(decision.outcome, text, decision.reason)


def confirm_order(turn: Turn, payload: dict[str, Any]) -> Answer:
    """The `Y` to a pending order: decided afresh as of this message, so an
    order whose subscriber lost eligibility meanwhile is not placed."""
    turn.uow.prompts.clear(turn.msisdn)
    campaign = turn.campaign(payload["campaign"])
    if campaign is None:  # the campaign was closed since the question
        return Answer(
            Outcome.CAMPAIGN_INACTIVE, render("order_closed", turn.context.language), "closed"
        )
    decision = _settle(
        turn, campaign, decide(turn, campaign, tuple(payload["args"]), confirmed=True)
    )
    text = sign_up_text(campaign, decision, turn.context.language, turn.context.confirm_hours)
    return Answer(decision.outcome, text, decision.reason)
