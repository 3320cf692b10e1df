"""An account manager's worklist for a day, DOMAIN.md §9: card holders due for
contact by their card's cadence or for their monthly visit, low balances, free periods ending without the
subscriber's consent to keep them, and birthday calls to voice contacts (the
scheduled greeting goes by SMS only, app/services/scheduled.py, so these come
here instead)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from app.catalog.schema import CatalogError, campaign_from_terms
from app.domain.birthday import BirthdayCampaign
from app.domain.replies import yuan
from app.domain.subscriber import VipLevel
from app.domain.worklists import (
    CONTACT_CADENCE_DAYS,
    DEFAULT_RULES,
    Reason,
    WorkItem,
    WorklistRules,
    month_end,
)
from app.services.catalog import photo_window
from app.store.models import SubscriberRow
from app.store.unit_of_work import UnitOfWork


def _item(manager: str, row: SubscriberRow, reason: Reason, due_on: date, detail: str) -> WorkItem:
    return WorkItem(
        manager=manager,
        msisdn=row.msisdn,
        reason=reason,
        due_on=due_on,
        detail=detail,
        name=row.name,
        contact_method=row.contact_method,
        contact_window=row.contact_window,
    )


def worklist(
    uow_factory: Callable[[], UnitOfWork],
    manager: str,
    today: date,
    rules: WorklistRules = DEFAULT_RULES,
) -> list[WorkItem]:
    """Everything on `manager`'s list on `today`, ordered by the day it is due."""
    items: list[WorkItem] = []
    with uow_factory() as uow:
        queries = uow.worklists
        for row in queries.contact_due(manager, today):
            assert row.vip_level is not None  # the query takes card holders only
            level = VipLevel(row.vip_level)
            cadence = CONTACT_CADENCE_DAYS[level]
            last = row.last_contacted_on
            due = today if last is None else last + timedelta(days=cadence)
            since = "never contacted" if last is None else f"last contact {last.isoformat()}"
            detail = f"{level} card, contact every {cadence} days; {since}"
            items.append(_item(manager, row, Reason.CONTACT_DUE, due, detail))
        for row in queries.visit_due(manager, today):
            last = row.last_visited_on
            since = "never visited" if last is None else f"last visit {last.isoformat()}"
            detail = f"{row.vip_level} card, a visit every month; {since}"
            items.append(_item(manager, row, Reason.VISIT_DUE, month_end(today), detail))
        for row in queries.low_balance(manager, rules):
            detail = f"balance {yuan(row.balance_fen)} yuan"
            items.append(_item(manager, row, Reason.LOW_BALANCE, today, detail))
        for row, activation in queries.free_periods_ending(manager, today, rules):
            detail = (
                f"{activation.campaign_code} {activation.package_code}: free until "
                f"{activation.ends_on.isoformat()}, not kept"
            )
            items.append(_item(manager, row, Reason.FREE_PERIOD_ENDING, activation.ends_on, detail))
        birthday = _birthday_campaign(uow, today)
        if birthday is not None:
            photo = photo_window(uow)
            for row, day in queries.voice_birthdays(manager, today, rules, birthday, photo):
                detail = "birthday: greet by phone (contact method voice)"
                items.append(_item(manager, row, Reason.BIRTHDAY_CALL, day, detail))
    return sorted(items, key=lambda i: (i.due_on, list(Reason).index(i.reason), i.msisdn))


def _birthday_campaign(uow: UnitOfWork, today: date) -> BirthdayCampaign | None:
    """The open birthday campaign (§4.6) whose audience gets the greeting, if any."""
    try:
        photo_window(uow)
    except CatalogError:
        return None
    for row in uow.catalog.campaigns():
        campaign = campaign_from_terms(row.terms)
        if isinstance(campaign, BirthdayCampaign) and campaign.is_open_on(today):
            return campaign
    return None


WORKLIST_COLUMNS = (
    "manager", "due_on", "reason", "msisdn", "name", "contact_method", "contact_window", "detail",
)  # fmt: skip


def worklist_rows(items: list[WorkItem]) -> list[tuple[str | None, ...]]:
    return [
        (
            i.manager,
            i.due_on.isoformat(),
            i.reason.value,
            i.msisdn,
            i.name,
            i.contact_method,
            i.contact_window,
            i.detail,
        )  # fmt: skip
        for i in items
    ]
