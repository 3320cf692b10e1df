"""What every campaign of the catalog shares (DOMAIN.md §4): a window, target
and excluded segments, whether an order needs the subscriber's `Y` (§5), and
the grant an accepted sign-up writes.

Each kind (free experience, pre-store rebate, care insurance, tenure reward,
birthday benefit) adds its own terms and rules in a module of its own, and says
there how it is named, listed and worded: the methods below, which the replies
(`sign_up_replies.py`) and the `*10086#` menu (`ussd_menu.py`) call, so neither
asks which kind a campaign is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar, Protocol

from app.domain.outcomes import Outcome
from app.domain.replies import Language, day, render, yuan
from app.domain.segments import Segment
from app.domain.subscriber import Status, Subscriber
from app.domain.ussd import Node


class Choice(Protocol):
    """A package or offer a campaign's argument names (§4.1 packages, §4.4 offers)."""

    @property
    def code(self) -> str: ...

    @property
    def name_zh(self) -> str: ...

    @property
    def name_en(self) -> str: ...


@dataclass(frozen=True, kw_only=True)
class Campaign:
    code: str
    name_zh: str
    name_en: str
    starts_on: date
    ends_on: date
    targets: frozenset[Segment]
    exclusions: frozenset[Segment] = frozenset()
    keywords: tuple[str, ...] = ()
    requires_confirmation: bool = False
    #: Who the offer is for, as the not-eligible reply says it.
    audience_zh: str = "指定客户"
    audience_en: str = "selected customers"

    kind = "campaign"
    #: The menu section that lists it: `free` (free trials), `vip`, `queries` (the
    #: SMS menu's queries), or none.
    menu_section: ClassVar[str | None] = None

    def name(self, chinese: bool) -> str:
        return self.name_zh if chinese else self.name_en

    def offered(self) -> Sequence[Choice]:
        """What its argument may name, in menu order; kinds without packages or
        offers have none."""
        return ()

    def choices(self, chinese: bool) -> list[tuple[str, str]]:
        """(code, name) of each thing its argument may name, as menus list them."""
        return [(c.code, c.name_zh if chinese else c.name_en) for c in self.offered()]

    def service_name(self, package_code: str, chinese: bool) -> str:
        """What a service held from it is called in lists and replies: the chosen
        package's or offer's name, else the campaign's."""
        chosen = next((c for c in self.offered() if c.code == package_code), None)
        return self.name(chinese) if chosen is None else self.chosen_name(chosen, chinese)

    def chosen_name(self, chosen: Choice, chinese: bool) -> str:
        return chosen.name_zh if chinese else chosen.name_en

    def order_args(self, grant: Grant) -> tuple[str, ...]:
        """The arguments that, confirmed with `Y`, place this grant again."""
        return (grant.package_code,) if grant.package_code else ()

    #: Reply templates of the kind's own, by language and key; `text` looks here
    #: first, then in the shared templates (app/domain/replies.py).
    texts: ClassVar[Mapping[Language, Mapping[str, str]]] = {}

    def sign_up(self, request: SignUp) -> Decision:
        """The kind's sign-up rule (DOMAIN.md §4); kinds that take none refuse."""
        raise TypeError(f"{self.kind} campaigns take no sign-up")

    def wording(self, grant: Grant, language: Language) -> tuple[str, dict[str, object]]:
        """(template prefix, values) that describe a grant of this campaign."""
        raise TypeError(f"no wording for campaign kind {self.kind}")

    def text(self, key: str, language: Language, **values: object) -> str:
        """A reply from the kind's own templates, else from the shared ones."""
        template = self.texts.get(language, {}).get(key)
        if template is None:
            return render(key, language, **values)
        return template.format(**values)

    def menu_extra(self, decision: Decision, language: Language) -> str:
        """A line after the options when the keyword came without its argument."""
        return ""

    def argument_reply(self, decision: Decision, language: Language) -> str:
        """The answer to a missing or wrong argument: the options to choose from."""
        options = (" " if language is Language.ZH else ", ").join(
            render("option", language, code=code, name=name)
            for code, name in self.choices(language is Language.ZH)
        )
        name = self.name(language is Language.ZH)
        if decision.outcome is Outcome.MENU:
            extra = self.menu_extra(decision, language)
            return render(
                "menu.options", language,
                campaign=name, keyword=self.keyword, options=options, extra=extra,
            ).rstrip()  # fmt: skip
        return render(
            "invalid_argument.options", language,
            campaign=name, keyword=self.keyword, options=options,
        )  # fmt: skip

    def menu_node(self) -> Node:
        """Its entry in the `*10086#` menu."""
        return Node(
            self.name_zh, self.name_en, command=self.keyword, paid=self.requires_confirmation
        )

    def is_open_on(self, day: date) -> bool:
        """The window includes its first and its last day."""
        return self.starts_on <= day <= self.ends_on

    @property
    def keyword(self) -> str:
        """The keyword replies tell subscribers to send."""
        return self.keywords[0] if self.keywords else self.code


def grant_period(grant: Grant, language: Language) -> dict[str, object]:
    """The values every grant's wording has: its period and monthly fee."""
    return {
        "starts_on": day(grant.starts_on, language),
        "ends_on": day(grant.ends_on, language),
        "fee": yuan(grant.monthly_fee_fen),
    }


@dataclass(frozen=True, slots=True)
class Eligibility:
    eligible: bool
    reason: str  # "eligible", "not_active", "excluded:<segment>", "not_target", …


ELIGIBLE = Eligibility(True, "eligible")


def eligibility(
    campaign: Campaign, subscriber: Subscriber, segments: frozenset[Segment]
) -> Eligibility:
    """Status must be active; an excluded segment (a granted VIP) bars; one
    target segment admits (DOMAIN.md §3, §4)."""
    if subscriber.status is not Status.ACTIVE:
        return Eligibility(False, "not_active")
    barred = sorted(segments & campaign.exclusions)
    if barred:
        return Eligibility(False, f"excluded:{barred[0]}")
    if not segments & campaign.targets:
        return Eligibility(False, "not_target")
    return ELIGIBLE


@dataclass(frozen=True, slots=True)
class Grant:
    """What an accepted sign-up gives: one row in the subscriber's services.

    `exclusivity_key` carries the campaign's "one per subscriber" rule into
    the store's unique constraint; `service_code` is what `QX` + code and the
    `0000` list name.
    """

    service_code: str
    exclusivity_key: str
    package_code: str
    monthly_fee_fen: int
    free_months: int
    activated_on: date
    starts_on: date
    ends_on: date
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def waived_fen(self) -> int:
        return self.monthly_fee_fen * self.free_months


@dataclass(frozen=True, slots=True)
class Held:
    """A service the subscriber already holds under the same exclusivity key."""

    package_code: str
    starts_on: date
    ends_on: date


@dataclass(frozen=True, slots=True)
class Decision:
    """What a sign-up message decides; the reply is worded from it.

    activated (with `grant`), already_active (with `existing`), not_eligible
    (with `reason`), campaign_inactive, menu (no argument: what is on offer),
    invalid_argument, confirmation_required (with the `grant` that a `Y` will
    place).
    """

    outcome: Outcome
    reason: str = ""
    grant: Grant | None = None
    existing: Held | None = None
    free_months: int = 0


@dataclass(frozen=True, slots=True)
class SignUp:
    """A sign-up message as a kind's rule reads it (DOMAIN.md §4, §5): who sent it,
    the keyword's arguments, the day, whether it is the `Y` to a paid order, and
    what the subscriber holds under an exclusivity key (`held`)."""

    subscriber: Subscriber
    segments: frozenset[Segment]
    args: tuple[str, ...]
    on: date
    held: Callable[[str], Held | None]
    confirmed: bool = False

    def code(self) -> str | None:
        """The one code argument: None without any, "" (no such code) for several."""
        if not self.args:
            return None
        return self.args[0] if len(self.args) == 1 else ""

    def screen(self, campaign: Campaign, existing: Held | None) -> Decision | None:
        """`screen` for this message."""
        return screen(campaign, self.subscriber, self.segments, existing, self.on)


def closed_or_held(campaign: Campaign, existing: Held | None, on: date) -> Decision | None:
    """The checks every kind makes first, in the order a subscriber can act on:
    a closed window, then one-per-subscriber (the reply names what is held)."""
    if not campaign.is_open_on(on):
        return Decision(Outcome.CAMPAIGN_INACTIVE)
    if existing is not None:
        return Decision(Outcome.ALREADY_ACTIVE, existing=existing)
    return None


def screen(
    campaign: Campaign,
    subscriber: Subscriber,
    segments: frozenset[Segment],
    existing: Held | None,
    on: date,
) -> Decision | None:
    """The window, one-per-subscriber and eligibility: a decision when one of
    them already answers the sign-up, None when the kind's own rules go on."""
    early = closed_or_held(campaign, existing, on)
    if early is not None:
        return early
    verdict = eligibility(campaign, subscriber, segments)
    if not verdict.eligible:
        return Decision(Outcome.NOT_ELIGIBLE, reason=verdict.reason)
    return None


def granted(campaign: Campaign, grant: Grant, confirmed: bool) -> Decision:
    """A paid order is not made on the first message (DOMAIN.md §5)."""
    if campaign.requires_confirmation and not confirmed:
        return Decision(Outcome.CONFIRMATION_REQUIRED, grant=grant, free_months=grant.free_months)
    return Decision(Outcome.ACTIVATED, grant=grant, free_months=grant.free_months)
