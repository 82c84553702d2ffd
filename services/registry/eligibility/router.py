"""Rules and benefits (on programmes and services), cost of living, exchange rates, entitlements."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Path, Query, Response, status

from services.registry import permissions
from services.registry.common.codes import CurrencyCode, GovernorateCode
from services.registry.common.http import ETAG_RESPONSES, IfMatch, with_etag
from services.registry.common.model import Session
from services.registry.eligibility import repository, service
from services.registry.eligibility.models import Benefit, EligibilityRule
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
from shared.errors import NotFound

router = authenticated_router(tags=["eligibility"])

# Rules and benefits hang on a programme (steering admin) or a service (its provider admin).
_RULE_WRITERS = Depends(require_roles(*permissions.PROGRAMME_WRITE, *permissions.DIRECTORY_WRITE))


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


# --- rules --------------------------------------------------------------------------------------


@router.get("/programmes/{programme_id}/rules", summary="A programme's eligibility rules")
async def programme_rules(
    programme_id: uuid.UUID, session: Session, include_deactivated: bool = False
) -> list[RuleOut]:
    await service.owner_of(session, None, programme_id=programme_id)
    rows = await repository.rules_of(
        session, programme_id=programme_id, include_deactivated=include_deactivated
    )
    return [rule_out(r) for r in rows]


@router.get("/services/{service_id}/rules", summary="A service's eligibility rules")
async def service_rules(
    service_id: uuid.UUID, session: Session, include_deactivated: bool = False
) -> list[RuleOut]:
    await service.owner_of(session, None, service_id=service_id)
    rows = await repository.rules_of(session, service_id=service_id, include_deactivated=include_deactivated)
    return [rule_out(r) for r in rows]


@router.post(
    "/programmes/{programme_id}/rules",
    status_code=status.HTTP_201_CREATED,
    summary="Add an eligibility rule to a programme (steering admin)",
    dependencies=[Depends(require_roles(*permissions.PROGRAMME_WRITE))],
    responses=ETAG_RESPONSES,
)
async def add_programme_rule(
    programme_id: uuid.UUID, body: RuleIn, session: Session, principal: CurrentPrincipal, response: Response
) -> RuleOut:
    rule = await service.add_rule(session, principal, body, programme_id=programme_id)
    with_etag(response, rule.version)
    response.headers["Location"] = f"/v1/rules/{rule.id}"
    return rule_out(rule)


@router.post(
    "/services/{service_id}/rules",
    status_code=status.HTTP_201_CREATED,
    summary="Add an eligibility rule to a service of your organization (provider admin)",
    dependencies=[Depends(require_roles(*permissions.DIRECTORY_WRITE))],
    responses=ETAG_RESPONSES,
)
async def add_service_rule(
    service_id: uuid.UUID, body: RuleIn, session: Session, principal: CurrentPrincipal, response: Response
) -> RuleOut:
    rule = await service.add_rule(session, principal, body, service_id=service_id)
    with_etag(response, rule.version)
    response.headers["Location"] = f"/v1/rules/{rule.id}"
    return rule_out(rule)


@router.get("/rules/{rule_id}", summary="One eligibility rule")
async def get_rule(rule_id: uuid.UUID, session: Session, response: Response) -> RuleOut:
    rule = await repository.get_rule(session, rule_id)
    if rule is None:
        raise NotFound(f"No eligibility rule {rule_id}.")
    with_etag(response, rule.version)
    return rule_out(rule)


@router.put(
    "/rules/{rule_id}",
    summary="Replace an eligibility rule",
    dependencies=[_RULE_WRITERS],
    responses=ETAG_RESPONSES,
)
async def replace_rule(
    rule_id: uuid.UUID,
    body: RuleIn,
    session: Session,
    principal: CurrentPrincipal,
    response: Response,
    if_match: IfMatch = None,
) -> RuleOut:
    rule = await service.replace_rule(session, principal, rule_id, body, if_match)
    with_etag(response, rule.version)
    return rule_out(rule)


@router.post(
    "/rules/{rule_id}/deactivate",
    summary="Deactivate an eligibility rule",
    dependencies=[_RULE_WRITERS],
    responses=ETAG_RESPONSES,
)
async def deactivate_rule(
    rule_id: uuid.UUID,
    session: Session,
    principal: CurrentPrincipal,
    response: Response,
    if_match: IfMatch = None,
) -> RuleOut:
    rule = await service.deactivate_rule(session, principal, rule_id, if_match)
    with_etag(response, rule.version)
    return rule_out(rule)


# --- benefits -----------------------------------------------------------------------------------


@router.get("/programmes/{programme_id}/benefits", summary="A programme's benefits")
async def programme_benefits(
    programme_id: uuid.UUID, session: Session, include_deactivated: bool = False
) -> list[BenefitOut]:
    await service.owner_of(session, None, programme_id=programme_id)
    rows = await repository.benefits_of(
        session, programme_id=programme_id, include_deactivated=include_deactivated
    )
    return [benefit_out(b) for b in rows]


@router.get("/services/{service_id}/benefits", summary="A service's benefits")
async def service_benefits(
    service_id: uuid.UUID, session: Session, include_deactivated: bool = False
) -> list[BenefitOut]:
    await service.owner_of(session, None, service_id=service_id)
    rows = await repository.benefits_of(
        session, service_id=service_id, include_deactivated=include_deactivated
    )
    return [benefit_out(b) for b in rows]


@router.post(
    "/programmes/{programme_id}/benefits",
    status_code=status.HTTP_201_CREATED,
    summary="Add a benefit to a programme (steering admin)",
    dependencies=[Depends(require_roles(*permissions.PROGRAMME_WRITE))],
    responses=ETAG_RESPONSES,
)
async def add_programme_benefit(
    programme_id: uuid.UUID,
    body: BenefitIn,
    session: Session,
    principal: CurrentPrincipal,
    response: Response,
) -> BenefitOut:
    benefit = await service.add_benefit(session, principal, body, programme_id=programme_id)
    with_etag(response, benefit.version)
    response.headers["Location"] = f"/v1/benefits/{benefit.id}"
    return benefit_out(benefit)


@router.post(
    "/services/{service_id}/benefits",
    status_code=status.HTTP_201_CREATED,
    summary="Add a benefit to a service of your organization (provider admin)",
    dependencies=[Depends(require_roles(*permissions.DIRECTORY_WRITE))],
    responses=ETAG_RESPONSES,
)
async def add_service_benefit(
    service_id: uuid.UUID, body: BenefitIn, session: Session, principal: CurrentPrincipal, response: Response
) -> BenefitOut:
    benefit = await service.add_benefit(session, principal, body, service_id=service_id)
    with_etag(response, benefit.version)
    response.headers["Location"] = f"/v1/benefits/{benefit.id}"
    return benefit_out(benefit)


@router.get("/benefits/{benefit_id}", summary="One benefit")
async def get_benefit(benefit_id: uuid.UUID, session: Session, response: Response) -> BenefitOut:
    benefit = await repository.get_benefit(session, benefit_id)
    if benefit is None:
        raise NotFound(f"No benefit {benefit_id}.")
    with_etag(response, benefit.version)
    return benefit_out(benefit)


@router.put(
    "/benefits/{benefit_id}",
    summary="Replace a benefit",
    dependencies=[_RULE_WRITERS],
    responses=ETAG_RESPONSES,
)
async def replace_benefit(
    benefit_id: uuid.UUID,
    body: BenefitIn,
    session: Session,
    principal: CurrentPrincipal,
    response: Response,
    if_match: IfMatch = None,
) -> BenefitOut:
    benefit = await service.replace_benefit(session, principal, benefit_id, body, if_match)
    with_etag(response, benefit.version)
    return benefit_out(benefit)


@router.post(
    "/benefits/{benefit_id}/deactivate",
    summary="Deactivate a benefit",
    dependencies=[_RULE_WRITERS],
    responses=ETAG_RESPONSES,
)
async def deactivate_benefit(
    benefit_id: uuid.UUID,
    session: Session,
    principal: CurrentPrincipal,
    response: Response,
    if_match: IfMatch = None,
) -> BenefitOut:
    benefit = await service.deactivate_benefit(session, principal, benefit_id, if_match)
    with_etag(response, benefit.version)
    return benefit_out(benefit)


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
