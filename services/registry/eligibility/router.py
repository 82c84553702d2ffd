"""Rules and benefits (on programmes and services), cost of living, exchange rates, entitlements.

The rule and benefit routes are written by owned_routes.py from the descriptions below."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Response

from services.registry import permissions
from services.registry.common.codes import CurrencyCode, GovernorateCode
from services.registry.common.http import ETAG_RESPONSES, IfMatch, with_etag
from services.registry.common.model import Session
from services.registry.eligibility import repository, service
from services.registry.eligibility.models import Benefit, EligibilityRule
from services.registry.eligibility.owned_routes import OwnedItem, add_owned_routes
from services.registry.eligibility.schemas import (
    BenefitIn,
    BenefitOut,
    EntitlementsOut,
    FactorIn,
    FactorOut,
    RateIn,
    RateOut,
    ReturneeProfile,
    RuleIn,
    RuleOut,
)
from services.registry.places import catalogue
from shared.auth import CurrentPrincipal, authenticated_router, require_roles

router = authenticated_router(tags=["eligibility"])


def rule_out(rule: EligibilityRule) -> RuleOut:
    return RuleOut(
        id=rule.id,
        programme_id=rule.programme_id,
        service_id=rule.service_id,
        kind=rule.kind,
        params=rule.params,
        note=rule.note,
        active=rule.active,
        version=rule.version,
        created_at=rule.created_at,
        updated_at=rule.updated_at,
    )


def benefit_out(b: Benefit) -> BenefitOut:
    return BenefitOut(
        id=b.id,
        programme_id=b.programme_id,
        service_id=b.service_id,
        kind=b.kind,
        description=b.description,
        amount=b.amount,
        currency=b.currency,
        per=b.per,
        tops_up_programme_id=b.tops_up_programme_id,
        adjust_for_cost_of_living=b.adjust_for_cost_of_living,
        active=b.active,
        version=b.version,
        created_at=b.created_at,
        updated_at=b.updated_at,
    )


RULES = OwnedItem(
    name="rule",
    collection="rules",
    label="eligibility rule",
    article="an",
    schema_in=RuleIn,
    schema_out=RuleOut,
    present=rule_out,
    list_of=repository.rules_of,
    get=repository.get_rule,
    add=service.add_rule,
    replace=service.replace_rule,
    deactivate=service.deactivate_rule,
)
BENEFITS = OwnedItem(
    name="benefit",
    collection="benefits",
    label="benefit",
    article="a",
    schema_in=BenefitIn,
    schema_out=BenefitOut,
    present=benefit_out,
    list_of=repository.benefits_of,
    get=repository.get_benefit,
    add=service.add_benefit,
    replace=service.replace_benefit,
    deactivate=service.deactivate_benefit,
)
add_owned_routes(router, RULES)
add_owned_routes(router, BENEFITS)


# --- cost of living and exchange rates ----------------------------------------------------------


@router.get("/cost-of-living", summary="Cost-of-living factor of every governorate (1.000 where none is set)")
async def list_factors(session: Session) -> list[FactorOut]:
    factors = await repository.all_factors(session)
    out = []
    for code in catalogue.governorates():
        f = factors.get(code)
        out.append(
            FactorOut(
                governorate_code=code,
                factor=f.factor if f else 1,
                is_set=f is not None,
                version=f.version if f else None,
                updated_at=f.updated_at if f else None,
            )
        )
    return out


@router.put(
    "/cost-of-living/{governorate_code}",
    summary="Set a governorate's cost-of-living factor (steering admin)",
    description="Creating a factor needs no If-Match; changing one needs the ETag you read.",
    dependencies=[Depends(require_roles(*permissions.COST_OF_LIVING_WRITE))],
    responses=ETAG_RESPONSES,
)
async def set_factor(
    governorate_code: Annotated[GovernorateCode, Path()],
    body: FactorIn,
    session: Session,
    principal: CurrentPrincipal,
    response: Response,
    if_match: IfMatch = None,
) -> FactorOut:
    f = await service.set_factor(session, principal, governorate_code, body, if_match)
    with_etag(response, f.version)
    return FactorOut(
        governorate_code=f.governorate_code,
        factor=f.factor,
        is_set=True,
        version=f.version,
        updated_at=f.updated_at,
    )


@router.get("/exchange-rates", summary="Iraqi dinars per unit of each currency benefits are paid in")
async def list_rates(session: Session) -> list[RateOut]:
    return [
        RateOut(
            currency=r.currency,
            iqd_per_unit=r.iqd_per_unit,
            as_of=r.as_of,
            version=r.version,
            updated_at=r.updated_at,
        )
        for r in (await repository.all_rates(session)).values()
    ]


@router.put(
    "/exchange-rates/{currency}",
    summary="Set an exchange rate to IQD (steering admin)",
    description="Creating a rate needs no If-Match; changing one needs the ETag you read.",
    dependencies=[Depends(require_roles(*permissions.COST_OF_LIVING_WRITE))],
    responses=ETAG_RESPONSES,
)
async def set_rate(
    currency: Annotated[CurrencyCode, Path()],
    body: RateIn,
    session: Session,
    principal: CurrentPrincipal,
    response: Response,
    if_match: IfMatch = None,
) -> RateOut:
    r = await service.set_rate(session, principal, currency, body, if_match)
    with_etag(response, r.version)
    return RateOut(
        currency=r.currency,
        iqd_per_unit=r.iqd_per_unit,
        as_of=r.as_of,
        version=r.version,
        updated_at=r.updated_at,
    )


# --- entitlements -------------------------------------------------------------------------------


@router.post(
    "/entitlements",
    summary="What a returnee is entitled to, with the reason for every condition",
    description=(
        "Lists every active programme and every service with its own rules or benefits: eligible or not, "
        "each condition with why it matched or failed, and benefits in IQD after the governorate's "
        "cost-of-living factor. POST, not GET: the profile is personal data and must not end up in URLs "
        "or access logs. Nothing of it is stored."
    ),
)
async def entitlements(
    body: ReturneeProfile,
    session: Session,
    eligible_only: Annotated[
        bool, Query(description="Leave out what the person is not eligible for.")
    ] = False,
) -> EntitlementsOut:
    return await service.entitlements(session, body, eligible_only=eligible_only)
