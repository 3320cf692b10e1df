"""The query keywords of DOMAIN.md §6: CXYE, CXTC, CXVIP, SRMF."""

from __future__ import annotations

from app.domain.birthday import ENDED, ENDS_BEFORE_BIRTHDAY, NOT_STARTED, BirthdayCampaign, benefit
from app.domain.outcomes import Outcome
from app.domain.replies import day, joined, render, yuan
from app.domain.segments import Segment, held_vip_card, service_level
from app.domain.sign_up_replies import service_name
from app.domain.states import ActivationState
from app.services.answers import Answer
from app.services.turn import Turn


def balance(turn: Turn) -> Answer:
    assert turn.row is not None
    language = turn.context.language
    text = render(
        "balance", language, today=day(turn.on, language), balance=yuan(turn.row.balance_fen)
    )
    return Answer(Outcome.BALANCE, text)


def packages(turn: Turn) -> Answer:
    """CXTC: current packages, free experiences and their end dates (§6). A free
    experience kept at its normal fee (§4.1, §5) runs on with no end date: it is
    shown at its fee, after its free period if that still runs."""
    assert turn.row is not None
    language = turn.context.language
    items = []
    for held in turn.uow.activations.active_of(turn.row.id, turn.on):
        campaign = turn.campaign(held.campaign_code)
        name = (
            service_name(campaign, held.package_code, language) if campaign else held.service_code
        )
        free = held.free_months > 0 and turn.on <= held.ends_on
        if held.state == ActivationState.KEPT:
            key = "period.kept_free_until" if free else "period.kept"
        else:
            key = "period.free_until" if free else "period.until"
        period = render(
            key, language, ends_on=day(held.ends_on, language), fee=yuan(held.monthly_fee_fen)
        )
        items.append(render("packages.item", language, name=name, period=period))
    if not items:
        return Answer(Outcome.PACKAGES, render("packages.none", language))
    return Answer(Outcome.PACKAGES, render("packages", language, items=joined(items, language)))


def vip_status(turn: Turn) -> Answer:
    """CXVIP: the card, its number, validity and account manager — or the
    photographed level (DOMAIN.md §3, §6)."""
    language, subscriber = turn.context.language, turn.subscriber
    card = held_vip_card(subscriber, turn.on)
    if card is not None and subscriber.vip_valid_to is not None:
        manager = subscriber.account_manager
        text = render(
            "vip.card",
            language,
            level=render(f"level.vip_{card}", language),
            card_no=subscriber.vip_card_no or "-",
            valid_to=day(subscriber.vip_valid_to, language),
            manager=render("vip.manager", language, manager=manager) if manager else "",
        )
        return Answer(Outcome.VIP_STATUS, text, f"vip_{card}")
    level = service_level(turn.segments)
    if level in (Segment.IMPORTANT_PHOTOGRAPHED, Segment.PHOTOGRAPHED):
        text = render("vip.photographed", language, level=render(f"level.{level}", language))
        return Answer(Outcome.VIP_STATUS, text, str(level))
    return Answer(Outcome.VIP_STATUS, render("vip.none", language), "none")


def birthday(turn: Turn, campaign: BirthdayCampaign) -> Answer:
    """SRMF: whether the birthday free-call benefit applies, and the day (§4.6).
    Outside the campaign's window it says the benefit does not apply yet (with
    the first day) or no longer does; it never names a birthday after the last
    day as free. The birthday is told only to the number it belongs to."""
    language = turn.context.language
    result = benefit(campaign, turn.subscriber, turn.segments, turn.on)
    if result.applies:
        assert turn.subscriber.birthday is not None and result.next_birthday is not None
        born = turn.subscriber.birthday
        text = render(
            "birthday.applies",
            language,
            month=born.month,
            day=born.day,
            next=day(result.next_birthday, language),
        )
        return Answer(Outcome.BIRTHDAY, text, "applies")
    if result.reason in (NOT_STARTED, ENDED, ENDS_BEFORE_BIRTHDAY):
        # Outside the campaign's window (§4): not yet, or no longer.
        text = render(
            f"birthday.{result.reason}",
            language,
            starts_on=day(campaign.starts_on, language),
            ends_on=day(campaign.ends_on, language),
            next=day(result.next_birthday, language) if result.next_birthday else "",
        )
        return Answer(Outcome.BIRTHDAY, text, result.reason)
    key = "birthday.no_birthday" if result.reason == "no_birthday" else "birthday.not_eligible"
    return Answer(Outcome.BIRTHDAY, render(key, language), result.reason)
