"""What every campaign entry of the catalog shares (app/catalog/schema.py), in
the catalog's units (yuan, lists), and the spec of a kind read straight into its
campaign's own fields (`derived_spec`)."""

from __future__ import annotations

import dataclasses
import typing
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal, cast

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    create_model,
    field_validator,
    model_validator,
)

from app.domain.campaigns import Campaign
from app.domain.commands import BUILTIN_ALIASES
from app.domain.segments import Segment


class StrictSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def fen_of(yuan: Decimal) -> int:
    """Yuan with at most two decimals → integer fen; never a float on the way."""
    fen = yuan * 100
    if fen != fen.to_integral_value():
        raise ValueError("at most two decimals (fen) are allowed")
    return int(fen)


def _whole_fen(value: Decimal) -> Decimal:
    fen_of(value)
    return value


#: An amount in yuan: never negative, never finer than a fen.
Yuan = Annotated[Decimal, Field(ge=0, max_digits=10), AfterValidator(_whole_fen)]
Code = Annotated[str, Field(pattern=r"^[A-Z0-9]{1,16}$")]


class CampaignSpec(StrictSpec):
    """What every kind shares."""

    kind: str

    code: str = Field(pattern=r"^[A-Z0-9]{2,16}$")
    name_zh: str = Field(min_length=1, max_length=40)
    name_en: str = Field(min_length=1, max_length=60)
    keywords: list[str] = Field(min_length=1)
    starts_on: date
    ends_on: date
    requires_confirmation: bool = False
    targets: list[Segment] = Field(min_length=1)
    exclusions: list[Segment] = []
    audience_zh: str = Field("指定客户", min_length=1, max_length=40)
    audience_en: str = Field("selected customers", min_length=1, max_length=80)

    @field_validator("keywords")
    @classmethod
    def _keywords(cls, value: list[str]) -> list[str]:
        for keyword in value:
            if not keyword.isascii() or not keyword.isalnum() or keyword != keyword.upper():
                raise ValueError(f"keyword {keyword!r} must be upper-case letters and digits")
            if keyword in BUILTIN_ALIASES:
                raise ValueError(f"keyword {keyword} is a built-in command")
        return value

    @model_validator(mode="after")
    def _window(self) -> CampaignSpec:
        if self.ends_on < self.starts_on:
            raise ValueError("ends_on is before starts_on")
        if set(self.targets) & set(self.exclusions):
            raise ValueError("a segment cannot be both a target and an exclusion")
        return self

    def _common(self) -> dict[str, Any]:
        return dict(
            code=self.code,
            name_zh=self.name_zh,
            name_en=self.name_en,
            starts_on=self.starts_on,
            ends_on=self.ends_on,
            targets=frozenset(self.targets),
            exclusions=frozenset(self.exclusions),
            keywords=tuple(self.keywords),
            requires_confirmation=self.requires_confirmation,
            audience_zh=self.audience_zh,
            audience_en=self.audience_en,
        )

    def to_domain(self) -> Campaign:
        raise NotImplementedError


class DerivedSpec(CampaignSpec):
    """The spec of a kind without one of its own: its campaign's fields as they are."""

    campaign: ClassVar[type[Campaign]]

    @model_validator(mode="after")
    def _campaign_checks(self) -> DerivedSpec:
        self.to_domain()  # the campaign's own checks (`__post_init__`)
        return self

    def to_domain(self) -> Campaign:
        terms = {field.name: getattr(self, field.name) for field in _own_fields(self.campaign)}
        return self.campaign(**self._common(), **terms)


def _own_fields(kind: type[Campaign]) -> list[dataclasses.Field[Any]]:
    shared = {f.name for f in dataclasses.fields(Campaign)}
    return [f for f in dataclasses.fields(kind) if f.name not in shared]


def derived_spec(kind: type[Campaign]) -> type[CampaignSpec]:
    """A spec for `kind` from its dataclass fields: types and defaults as declared
    there, checks in its `__post_init__`."""
    hints = typing.get_type_hints(kind)
    fields: dict[str, Any] = {"kind": (cast(Any, Literal)[kind.kind], ...)}
    for field in _own_fields(kind):
        default: Any = ...
        if field.default is not dataclasses.MISSING:
            default = field.default
        elif field.default_factory is not dataclasses.MISSING:
            default = Field(default_factory=field.default_factory)
        fields[field.name] = (hints[field.name], default)
    spec = create_model(f"{kind.__name__}Spec", __base__=DerivedSpec, **fields)
    spec.campaign = kind
    return spec
