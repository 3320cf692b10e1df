"""What a valid catalog is, and how its entries become domain campaigns.

Validation names the failing field (`campaigns.0.packages.1.monthly_fee_yuan`)
so an operator can fix a catalog file without reading code. The kinds are the
registry's (app/domain/kinds.py): those of DOMAIN.md §4 whose entries speak in
yuan have a spec here; any other kind's entries carry its campaign's own fields
(`derived_spec`, app/catalog/campaign_spec.py), so a new kind needs no code
here. Adding a campaign of an existing kind is a data change only.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

from pydantic import (
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from app.catalog.campaign_spec import (
    CampaignSpec,
    Code,
    StrictSpec,
    Yuan,
    derived_spec,
    fen_of,
)
from app.domain.campaigns import Campaign
from app.domain.care_insurance import CareInsuranceCampaign
from app.domain.free_experience import FreeExperienceCampaign, Package, TenureTier
from app.domain.kinds import KINDS
from app.domain.prestore_rebate import PrestoreRebateCampaign, RebateOffer
from app.domain.segments import PhotoWindow
from app.domain.subscriber import Month
from app.domain.tenure_reward import MinutesTier, TenureRewardCampaign


class CatalogError(ValueError):
    """A catalog that does not validate; the message names each bad field."""


class PackageSpec(StrictSpec):
    code: Code
    name_zh: str = Field(min_length=1, max_length=40)
    name_en: str = Field(min_length=1, max_length=60)
    monthly_fee_yuan: Yuan


class TenureTierSpec(StrictSpec):
    above_months: int = Field(ge=-1)
    free_months: int = Field(ge=1, le=36)


class FreeExperienceSpec(CampaignSpec):
    """IWJZS (one package ever, free months by tenure) and TY (each service one month)."""

    kind: Literal["free_experience"]
    packages: list[PackageSpec] = Field(min_length=1)
    tenure_tiers: list[TenureTierSpec] = Field(min_length=1)
    one_per: Literal["campaign", "package"] = "campaign"

    @model_validator(mode="after")
    def _consistent(self) -> FreeExperienceSpec:
        codes = [p.code for p in self.packages]
        if len(set(codes)) != len(codes):
            raise ValueError("package codes must be unique")
        if min(t.above_months for t in self.tenure_tiers) != -1:
            raise ValueError("tenure_tiers need a last tier with above_months: -1")
        return self

    def to_domain(self) -> FreeExperienceCampaign:
        return FreeExperienceCampaign(
            **self._common(),
            packages=tuple(
                Package(p.code, p.name_zh, p.name_en, fen_of(p.monthly_fee_yuan))
                for p in self.packages
            ),
            tiers=tuple(TenureTier(t.above_months, t.free_months) for t in self.tenure_tiers),
            one_per=self.one_per,
        )


class RebateOfferSpec(StrictSpec):
    code: Code
    name_zh: str = Field(min_length=1, max_length=40)
    name_en: str = Field(min_length=1, max_length=60)
    prestore_yuan: Yuan
    monthly_fee_yuan: Yuan
    contract_months: int = Field(ge=1, le=60)
    credit_back_yuan: Yuan = Decimal(0)
    device_zh: str = ""
    device_en: str = ""
    device_worth_yuan: Yuan = Decimal(0)
    requires: Literal["cmmb_handset", "mobile_payment"] | None = None

    @model_validator(mode="after")
    def _gives_something(self) -> RebateOfferSpec:
        if not self.credit_back_yuan and not (self.device_zh and self.device_en):
            raise ValueError("an offer gives credit_back_yuan or a device (device_zh, device_en)")
        return self


class PrestoreRebateSpec(CampaignSpec):
    kind: Literal["prestore_rebate"]
    offers: list[RebateOfferSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _paid(self) -> PrestoreRebateSpec:
        if not self.requires_confirmation:
            raise ValueError("a pre-store is paid: requires_confirmation must be true (DOMAIN §5)")
        codes = [o.code for o in self.offers]
        if len(set(codes)) != len(codes):
            raise ValueError("offer codes must be unique")
        return self

    def to_domain(self) -> PrestoreRebateCampaign:
        return PrestoreRebateCampaign(
            **self._common(),
            offers=tuple(
                RebateOffer(
                    code=o.code,
                    name_zh=o.name_zh,
                    name_en=o.name_en,
                    prestore_fen=fen_of(o.prestore_yuan),
                    monthly_fee_fen=fen_of(o.monthly_fee_yuan),
                    contract_months=o.contract_months,
                    credit_back_fen=fen_of(o.credit_back_yuan),
                    device_zh=o.device_zh,
                    device_en=o.device_en,
                    device_worth_fen=fen_of(o.device_worth_yuan),
                    requires=o.requires,
                )
                for o in self.offers
            ),
        )


class CareInsuranceSpec(CampaignSpec):
    kind: Literal["care_insurance"]
    cover_starts_day: int = Field(10, ge=1, le=28)
    cover_months: int = Field(12, ge=1, le=60)
    monthly_fee_yuan: Yuan = Decimal(0)

    def to_domain(self) -> CareInsuranceCampaign:
        return CareInsuranceCampaign(
            **self._common(),
            cover_starts_day=self.cover_starts_day,
            cover_months=self.cover_months,
            monthly_fee_fen=fen_of(self.monthly_fee_yuan),
        )


class MinutesTierSpec(StrictSpec):
    from_years: int = Field(ge=0)
    minutes: int = Field(ge=1)


class TenureRewardSpec(CampaignSpec):
    kind: Literal["tenure_reward"]
    minutes_tiers: list[MinutesTierSpec] = Field(min_length=1)
    contract_months: int = Field(12, ge=1, le=36)
    qualifying_spend_yuan: Yuan = Decimal(120)
    bundle_ending_within_months: int = Field(3, ge=0, le=12)

    def to_domain(self) -> TenureRewardCampaign:
        return TenureRewardCampaign(
            **self._common(),
            tiers=tuple(MinutesTier(t.from_years, t.minutes) for t in self.minutes_tiers),
            contract_months=self.contract_months,
            qualifying_spend_fen=fen_of(self.qualifying_spend_yuan),
            bundle_ending_within_months=self.bundle_ending_within_months,
        )


#: The kinds whose catalog entries speak in yuan and names of their own.
SPECS: dict[type[Campaign], type[CampaignSpec]] = {
    FreeExperienceCampaign: FreeExperienceSpec,
    PrestoreRebateCampaign: PrestoreRebateSpec,
    CareInsuranceCampaign: CareInsuranceSpec,
    TenureRewardCampaign: TenureRewardSpec,
}

if TYPE_CHECKING:
    AnyCampaignSpec = CampaignSpec
else:
    AnyCampaignSpec = Annotated[
        Union[tuple(SPECS.get(kind) or derived_spec(kind) for kind in KINDS)],  # noqa: UP007
        Field(discriminator="kind"),
    ]
_CAMPAIGN: TypeAdapter[CampaignSpec] = TypeAdapter(AnyCampaignSpec)
_KINDS = {kind.kind for kind in KINDS}


class PhotoWindowSpec(StrictSpec):
    first: str
    last: str

    @model_validator(mode="after")
    def _months(self) -> PhotoWindowSpec:
        self.to_domain()
        return self

    def to_domain(self) -> PhotoWindow:
        return PhotoWindow(Month.parse(self.first), Month.parse(self.last))


class CatalogSpec(StrictSpec):
    photo_window: PhotoWindowSpec
    campaigns: list[AnyCampaignSpec]

    @model_validator(mode="after")
    def _unique(self) -> CatalogSpec:
        codes = [c.code for c in self.campaigns]
        if len(set(codes)) != len(codes):
            raise ValueError("campaign codes must be unique")
        keywords = [k for c in self.campaigns for k in c.keywords]
        if len(set(keywords)) != len(keywords):
            raise ValueError("a keyword may belong to one campaign only")
        return self


def describe(error: ValidationError, whole: str = "catalog") -> str:
    """One line per problem: `field.path: message`."""
    lines = []
    for problem in error.errors():
        # Drop the discriminator pydantic puts in the path (`campaigns.0.free_experience.…`).
        parts = [str(p) for p in problem["loc"] if p not in _KINDS]
        where = ".".join(parts) or whole
        lines.append(f"{where}: {problem['msg']}")
    return "\n".join(lines)


def parse_catalog(data: Any) -> CatalogSpec:
    try:
        return CatalogSpec.model_validate(data)
    except ValidationError as error:
        raise CatalogError(describe(error)) from error


def parse_campaign(data: Any) -> AnyCampaignSpec:
    try:
        return _CAMPAIGN.validate_python(data)
    except ValidationError as error:
        raise CatalogError(describe(error, "campaign")) from error


def campaign_from_terms(terms: dict[str, Any]) -> Campaign:
    """A stored catalog entry (validated when it was loaded) as a domain campaign."""
    return _CAMPAIGN.validate_python(terms).to_domain()
