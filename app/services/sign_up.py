"""Sign-up for a campaign of any kind, and the `Y` that places a paid order:
DOMAIN.md §4 and §5, in the unit of work of the message that asked."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from app.domain.campaigns import Campaign, Decision, Grant
from app.domain.care_insurance import CareInsuranceCampaign, decide_cover
from app.domain.commands import Command
from app.domain.free_experience import FreeExperienceCampaign, decide_sign_up
from app.domain.outcomes import Outcome
from app.domain.prestore_rebate import PrestoreRebateCampaign, decide_rebate
from app.domain.replies import render
from app.domain.sign_up_replies import sign_up_text
from app.domain.states import ActivationState, PromptKind
from app.domain.tenure_reward import TenureRewardCampaign, decide_reward
from app.services.answers import Answer
from app.services.clock import utc_now
from app.services.turn import Turn, held_of
from app.store.models import ActivationRow


def _free_experience(
    turn: Turn, campaign: FreeExperienceCampaign, args: tuple[str, ...], confirmed: bool
) -> Decision:
    code = args[0] if len(args) == 1 else (None if not args else "")
    key = campaign.exclusivity_key(code)
    existing = held_of(turn.held(key)) if code or campaign.one_per == "campaign" else None
    return decide_sign_up(
        campaign, turn.subscriber, turn.segments, existing, code, turn.on, confirmed
    )


def _prestore_rebate(
    turn: Turn, campaign: PrestoreRebateCampaign, args: tuple[str, ...], confirmed: bool
) -> Decision:
    code = args[0] if len(args) == 1 else (None if not args else "")
    existing = held_of(turn.held(campaign.exclusivity_key(code))) if code else None
    return decide_rebate(
        campaign, turn.subscriber, turn.segments, existing, code, turn.on, confirmed
    )


def _care_insurance(
    turn: Turn, campaign: CareInsuranceCampaign, args: tuple[str, ...], confirmed: bool
) -> Decision:
    name = " ".join(args) if args else None
    existing = held_of(turn.held(campaign.code))
    return decide_cover(
        campaign, turn.subscriber, turn.segments, existing, name, turn.on, confirmed
    )


def _tenure_reward(
    turn: Turn, campaign: TenureRewardCampaign, args: tuple[str, ...], confirmed: bool
) -> Decision:
    existing = held_of(turn.held(campaign.code))
    return decide_reward(campaign, turn.subscriber, turn.segments, existing, turn.on, confirmed)


#: The sign-up rule of each kind that takes one, with what the subscriber holds:
#: DOMAIN.md §4.1–§4.4. (Birthday benefits are asked for, not signed up to.)
SIGN_UP_RULES: dict[type[Campaign], Callable[[Turn, Any, tuple[str, ...], bool], Decision]] = {
    FreeExperienceCampaign: _free_experience,
    PrestoreRebateCampaign: _prestore_rebate,
    CareInsuranceCampaign: _care_insurance,
    TenureRewardCampaign: _tenure_reward,
}


def decide(turn: Turn, campaign: Campaign, args: tuple[str, ...], confirmed: bool) -> Decision:
    """The rule of the campaign's kind (`SIGN_UP_RULES`)."""
    rule = SIGN_UP_RULES.get(type(campaign))
    if rule is None:
        raise TypeError(f"{campaign.kind} campaigns take no sign-up")
    return rule(turn, campaign, args, confirmed)


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


def confirm_order(turn: Turn, payload: dict) -> Answer:
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
