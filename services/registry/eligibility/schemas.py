"""Rules, benefits, factors, rates and entitlements as the API reads and writes them."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.registry.common.codes import CountryCode, CurrencyCode, DistrictCode, GovernorateCode
from services.registry.common.localized import LocalizedText
from services.registry.common.vocabulary import Gender, ReturnType, Vulnerability
from services.registry.eligibility.models import BenefitKind, BenefitUnit, RuleKind
from services.registry.locations.schemas import district_in_governorate

# --- rules --------------------------------------------------------------------------------------


class RuleIn(BaseModel):
    """One structured condition. ``kind`` says which of the other fields it uses:

    - ``return_type``: ``return_types``; ``country_returned_from``: ``countries`` ("EU" stands for
      every EU and Schengen associated state); ``governorate``: ``governorates``; ``gender``:
      ``genders``; ``vulnerability``: ``vulnerabilities`` (any one of them);
    - ``age_range`` and ``household_size``: ``minimum`` and/or ``maximum`` (inclusive);
    - ``arrival_within_months``: ``months`` (arrived at most this many months before the day asked about).
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "age_range",
                    "minimum": 18,
                    "maximum": 45,
                    "note": {"en": "Start-up grants are for working age."},
                },
                {"kind": "return_type", "return_types": ["voluntary_assisted", "self_initiated"]},
                {"kind": "arrival_within_months", "months": 12},
            ]
        },
    )

    kind: RuleKind
    return_types: list[ReturnType] | None = Field(default=None, max_length=10)
    countries: list[CountryCode] | None = Field(default=None, max_length=60)
    governorates: list[GovernorateCode] | None = Field(default=None, max_length=30)
    genders: list[Gender] | None = Field(default=None, max_length=5)
    vulnerabilities: list[Vulnerability] | None = Field(default=None, max_length=10)
    minimum: int | None = Field(default=None, ge=0, le=150)
    maximum: int | None = Field(default=None, ge=0, le=150)
    months: int | None = Field(default=None, ge=1, le=240)
    note: LocalizedText = LocalizedText()


class RuleOut(BaseModel):
    id: uuid.UUID
    programme_id: uuid.UUID | None
    service_id: uuid.UUID | None
    kind: RuleKind
    params: dict[str, Any]
    note: dict[str, str]
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime


# --- benefits -----------------------------------------------------------------------------------

Amount = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]


class BenefitIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "cash",
                    "amount": "10000",
                    "currency": "SEK",
                    "per": "person",
                    "adjust_for_cost_of_living": False,
                    "description": {"en": "Return-migration grant"},
                },
                {
                    "kind": "top_up",
                    "amount": "1000",
                    "currency": "EUR",
                    "per": "household",
                    "tops_up_programme_id": "0e5b3c7a-6f0e-5e8f-b5f2-3d6c1a2b4e5f",
                },
            ]
        },
    )

    kind: BenefitKind
    description: LocalizedText = LocalizedText()
    amount: Amount | None = None
    currency: CurrencyCode | None = None
    per: BenefitUnit = BenefitUnit.household
    tops_up_programme_id: uuid.UUID | None = None
    adjust_for_cost_of_living: bool = True


class BenefitOut(BaseModel):
    id: uuid.UUID
    programme_id: uuid.UUID | None
    service_id: uuid.UUID | None
    kind: BenefitKind
    description: dict[str, str]
    amount: Decimal | None
    currency: str | None
    per: BenefitUnit
    tops_up_programme_id: uuid.UUID | None
    adjust_for_cost_of_living: bool
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime


# --- cost of living and exchange rates -----------------------------------------------------------


class FactorIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"factor": "1.150"}]})

    factor: Annotated[Decimal, Field(gt=0, le=10, max_digits=6, decimal_places=3)]


class FactorOut(BaseModel):
    governorate_code: str
    factor: Decimal
    # False: no factor was set for this governorate; 1.000 applies.
    is_set: bool
    version: int | None
    updated_at: datetime | None


class RateIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"iqd_per_unit": "125.5", "as_of": "2025-03-01"}]}
    )

    iqd_per_unit: Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=6)]
    as_of: date


class RateOut(BaseModel):
    currency: str
    iqd_per_unit: Decimal
    as_of: date
    version: int
    updated_at: datetime


# --- entitlements -------------------------------------------------------------------------------


class ReturneeProfile(BaseModel):
    """What a counsellor knows about a returnee. Used for one answer; never stored or logged."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "return_type": "voluntary_assisted",
                    "returned_from": "SE",
                    "governorate_code": "IQ-SU",
                    "age": 34,
                    "gender": "male",
                    "household_size": 4,
                    "vulnerabilities": [],
                    "arrival_date": "2025-01-15",
                }
            ]
        },
    )

    return_type: ReturnType
    returned_from: CountryCode
    governorate_code: GovernorateCode
    district_code: DistrictCode | None = None
    age: int = Field(ge=0, le=120)
    gender: Gender
    household_size: int = Field(ge=1, le=50)
    vulnerabilities: list[Vulnerability] = Field(default_factory=list, max_length=10)
    arrival_date: date
    # The day the answer is for; today if not given.
    on_date: date | None = None

    _district = field_validator("district_code")(district_in_governorate)


class RuleResult(BaseModel):
    rule_id: uuid.UUID | None = Field(description="Null for a condition of the programme or service itself.")
    criterion: str
    matched: bool
    reason: str
    note: dict[str, str] = Field(default_factory=dict)


class BenefitResult(BaseModel):
    benefit_id: uuid.UUID
    kind: BenefitKind
    description: dict[str, str]
    applies: bool
    reason: str
    amount: Decimal | None
    currency: str | None
    per: BenefitUnit
    units: int
    cost_of_living_factor: Decimal
    iqd_per_unit: Decimal | None
    # Rounded to 250 IQD, the smallest banknote in use.
    amount_iqd: int | None
    tops_up_programme_id: uuid.UUID | None


class ServiceRef(BaseModel):
    id: uuid.UUID
    organization_id: uuid.UUID
    name: dict[str, str]


class ProgrammeEntitlement(BaseModel):
    programme_id: uuid.UUID
    name: dict[str, str]
    funder_countries: list[str]
    eligible: bool
    rules: list[RuleResult]
    benefits: list[BenefitResult]
    cash_total_iqd: int
    services_nearby: list[ServiceRef]


class ServiceEntitlement(BaseModel):
    service_id: uuid.UUID
    organization_id: uuid.UUID
    name: dict[str, str]
    eligible: bool
    rules: list[RuleResult]
    benefits: list[BenefitResult]
    cash_total_iqd: int


class EntitlementsOut(BaseModel):
    evaluated_on: date
    governorate_code: str
    cost_of_living_factor: Decimal
    currency: Literal["IQD"] = "IQD"
    cash_total_iqd: int
    programmes: list[ProgrammeEntitlement]
    services: list[ServiceEntitlement]
    notes: list[str]
