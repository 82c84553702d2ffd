"""Rules for eligibility rules, benefits, factors and rates; and the entitlements answer. Never commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry import permissions
from services.registry.common.changes import deactivate_row, save_change
from services.registry.common.etag import check_if_match
from services.registry.common.events import publish
from services.registry.common.fields import FieldErrors
from services.registry.common.vocabulary import EU_AND_ASSOCIATED
from services.registry.directory import repository as directory
from services.registry.directory.models import Service
from services.registry.eligibility import entitlements as ent
from services.registry.eligibility import repository
from services.registry.eligibility import rules as rulebook
from services.registry.eligibility.models import (
    Benefit,
    BenefitKind,
    CostOfLivingFactor,
    CurrencyRate,
    EligibilityRule,
    RuleKind,
)
from services.registry.eligibility.schemas import (
    BenefitIn,
    EntitlementsOut,
    FactorIn,
    ProgrammeEntitlement,
    RateIn,
    ReturneeProfile,
    RuleIn,
    RuleResult,
    ServiceEntitlement,
    ServiceRef,
)
from services.registry.history import service as history
from services.registry.locations.models import Location
from services.registry.programmes import repository as programmes
from services.registry.programmes.models import Programme, TargetGroup, programme_service
from shared.auth import Principal
from shared.contracts.registry import BenefitDeactivated, BenefitUpserted
from shared.db import utcnow
from shared.errors import Conflict, NotFound, PreconditionFailed

# The scales of the numeric columns (models.py).
CENT, MILLI, MICRO = Decimal("0.01"), Decimal("0.001"), Decimal("0.000001")


# --- owners -------------------------------------------------------------------------------------


@dataclass
class Owner:
    programme: Programme | None
    service: Service | None

    @property
    def organization_id(self) -> uuid.UUID | None:
        return self.service.organization_id if self.service else None

    @property
    def ids(self) -> dict[str, uuid.UUID | None]:
        return {
            "programme_id": self.programme.id if self.programme else None,
            "service_id": self.service.id if self.service else None,
        }


async def owner_of(
    session: AsyncSession,
    actor: Principal | None,
    *,
    programme_id: uuid.UUID | None = None,
    service_id: uuid.UUID | None = None,
) -> Owner:
    """The programme or service a rule or benefit hangs on; checks the actor may write there."""
    if programme_id is not None:
        programme = await programmes.get(session, programme_id)
        if programme is None:
            raise NotFound(f"No programme {programme_id}.")
        if actor is not None:
            permissions.require(actor, permissions.PROGRAMME_WRITE)
        return Owner(programme, None)
    assert service_id is not None
    svc = await directory.get(session, service_id)
    if svc is None:
        raise NotFound(f"No service {service_id}.")
    if actor is not None:
        permissions.require(actor, permissions.DIRECTORY_WRITE)
        permissions.require_own_organization(actor, svc.organization_id, "service")
    return Owner(None, svc)


def _require_active(owner: Owner) -> None:
    entity = owner.programme or owner.service
    assert entity is not None
    if not entity.active:
        raise Conflict("The programme or service is deactivated; it takes no new rules or benefits.")


async def coverage(session: AsyncSession, service_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, ent.Coverage]:
    links = await directory.links(session, list(service_ids))
    location_ids = {loc for lk in links.values() for loc in lk.location_ids}
    places: dict[uuid.UUID, tuple[str, str | None]] = {}
    if location_ids:
        rows = await session.execute(
            select(Location.id, Location.governorate_code, Location.district_code).where(
                Location.id.in_(location_ids),
                Location.deactivated_at.is_(None),
                Location.governorate_code.is_not(None),
            )
        )
        places = {r.id: (r.governorate_code, r.district_code) for r in rows}
    return {
        sid: ent.Coverage(
            areas=list(lk.areas), locations=[places[loc] for loc in lk.location_ids if loc in places]
        )
        for sid, lk in links.items()
    }


# --- rules --------------------------------------------------------------------------------------


async def _impossible(
    session: AsyncSession,
    owner: Owner,
    kind: RuleKind,
    params: dict[str, Any],
    exclude: uuid.UUID | None,
    errors: FieldErrors,
) -> None:
    """Refuse a rule that could never match, given its owner and the owner's other rules."""
    field = rulebook.LIST_FIELD.get(kind)
    if owner.programme is not None:
        p = owner.programme
        if kind is RuleKind.return_type and not set(params["return_types"]) & set(p.eligible_return_types):
            errors.add(
                "/return_types",
                "none of these return types is eligible for the programme: the rule could never match",
            )
        if kind is RuleKind.country_returned_from:
            reachable = (
                rulebook.countries(p.funder_countries)
                if p.target_group == TargetGroup.funder_country_returnees
                else set(EU_AND_ASSOCIATED)
            )
            if not rulebook.countries(params["countries"]) & reachable:
                errors.add(
                    "/countries",
                    "the programme's target group excludes all these countries: the rule could never match",
                )
    if owner.service is not None and kind is RuleKind.governorate:
        cover = (await coverage(session, [owner.service.id]))[owner.service.id]
        served = {g for g, _ in cover.areas + cover.locations}
        if served and not set(params["governorates"]) & served:
            errors.add(
                "/governorates", "the service serves none of these governorates: the rule could never match"
            )
    existing = await repository.rules_of(
        session, programme_id=owner.ids["programme_id"], service_id=owner.ids["service_id"]
    )
    siblings = [r for r in existing if r.kind == kind.value and r.id != exclude]
    for other in siblings:
        if field is not None:
            pool = (
                rulebook.countries(params[field])
                if kind is RuleKind.country_returned_from
                else set(params[field])
            )
            theirs = (
                rulebook.countries(other.params[field])
                if kind is RuleKind.country_returned_from
                else set(other.params[field])
            )
            if not pool & theirs:
                errors.add(
                    f"/{field}", f"shares no value with rule {other.id}: together they could never match"
                )
        elif kind in rulebook.RANGE_KINDS:
            lo = max(v for v in (params.get("minimum"), other.params.get("minimum"), 0) if v is not None)
            his = [v for v in (params.get("maximum"), other.params.get("maximum")) if v is not None]
            if his and lo > min(his):
                errors.add("/minimum", f"does not overlap rule {other.id}: together they could never match")


async def add_rule(
    session: AsyncSession,
    actor: Principal,
    data: RuleIn,
    *,
    programme_id: uuid.UUID | None = None,
    service_id: uuid.UUID | None = None,
    rule_id: uuid.UUID | None = None,
) -> EligibilityRule:
    owner = await owner_of(session, actor, programme_id=programme_id, service_id=service_id)
    _require_active(owner)
    errors = FieldErrors()
    params = rulebook.params_of(data, errors)
    if not errors:
        await _impossible(session, owner, data.kind, params, None, errors)
    errors.raise_if_any()
    rule = EligibilityRule(
        id=rule_id or uuid.uuid4(), kind=data.kind.value, params=params, note=data.note.as_dict(), **owner.ids
    )
    session.add(rule)
    await save_change(
        session,
        actor,
        rule,
        entity_type="eligibility_rule",
        organization_id=owner.organization_id,
        action="created",
        before={},
    )
    return rule


async def _locked_rule(
    session: AsyncSession, actor: Principal, rule_id: uuid.UUID
) -> tuple[EligibilityRule, Owner]:
    rule = await repository.get_rule(session, rule_id, for_update=True)
    if rule is None:
        raise NotFound(f"No eligibility rule {rule_id}.")
    return rule, await owner_of(session, actor, programme_id=rule.programme_id, service_id=rule.service_id)


async def replace_rule(
    session: AsyncSession, actor: Principal, rule_id: uuid.UUID, data: RuleIn, if_match: str | None
) -> EligibilityRule:
    rule, owner = await _locked_rule(session, actor, rule_id)
    check_if_match(if_match, rule.version)
    errors = FieldErrors()
    params = rulebook.params_of(data, errors)
    if not errors:
        await _impossible(session, owner, data.kind, params, rule.id, errors)
    errors.raise_if_any()
    before = rule.snapshot()
    rule.kind, rule.params, rule.note = data.kind.value, params, data.note.as_dict()
    if rule.snapshot() == before:
        return rule
    rule.touch()
    await save_change(
        session,
        actor,
        rule,
        entity_type="eligibility_rule",
        organization_id=owner.organization_id,
        action="updated",
        before=before,
    )
    return rule


async def deactivate_rule(
    session: AsyncSession, actor: Principal, rule_id: uuid.UUID, if_match: str | None
) -> EligibilityRule:
    rule, owner = await _locked_rule(session, actor, rule_id)
    check_if_match(if_match, rule.version)
    await deactivate_row(
        session, actor, rule, entity_type="eligibility_rule", organization_id=owner.organization_id
    )
    return rule


async def check_programme_rules_still_possible(
    session: AsyncSession, programme: Programme, errors: FieldErrors
) -> None:
    """Called when a programme changes: its narrower conditions must leave every rule satisfiable."""
    owner = Owner(programme, None)
    for rule in await repository.rules_of(session, programme_id=programme.id):
        probe = FieldErrors()
        await _impossible(session, owner, RuleKind(rule.kind), rule.params, rule.id, probe)
        if probe:
            field = "/eligible_return_types" if rule.kind == RuleKind.return_type else "/target_group"
            errors.add(field, f"would leave rule {rule.id} ({rule.kind}) unable to ever match")


# --- benefits -----------------------------------------------------------------------------------


async def _check_benefit(session: AsyncSession, owner: Owner, data: BenefitIn, errors: FieldErrors) -> None:
    if data.kind in (BenefitKind.cash, BenefitKind.top_up):
        if data.amount is None or data.amount == 0:
            errors.add("/amount", f"a {data.kind.value} benefit needs an amount above zero")
        if data.currency is None:
            errors.add("/currency", f"a {data.kind.value} benefit needs its currency (ISO 4217)")
    if data.amount is not None and data.currency is None and data.kind is BenefitKind.in_kind:
        errors.add("/currency", "an amount needs its currency (ISO 4217)")
    if data.kind is BenefitKind.in_kind and not data.description.as_dict():
        errors.add("/description", "an in-kind benefit needs a description of what is given")
    if data.kind is BenefitKind.top_up:
        if owner.programme is None:
            errors.add("/kind", "only a programme can top up another programme's benefit")
        if data.tops_up_programme_id is None:
            errors.add("/tops_up_programme_id", "a top-up names the programme whose benefit it adds to")
        elif owner.programme is not None and data.tops_up_programme_id == owner.programme.id:
            errors.add("/tops_up_programme_id", "a programme cannot top up itself")
        else:
            base = await programmes.get(session, data.tops_up_programme_id)
            if base is None or not base.active:
                errors.add("/tops_up_programme_id", "names no active programme")
    elif data.tops_up_programme_id is not None:
        errors.add("/tops_up_programme_id", "only a top_up benefit names a programme it adds to")


def _apply_benefit(benefit: Benefit, data: BenefitIn) -> None:
    benefit.kind = data.kind.value
    benefit.description = data.description.as_dict()
    # Quantized as stored, so the answer to the write equals what a later read returns.
    benefit.amount = data.amount.quantize(CENT) if data.amount is not None else None
    benefit.currency = data.currency
    benefit.per = data.per.value
    benefit.tops_up_programme_id = data.tops_up_programme_id
    benefit.adjust_for_cost_of_living = data.adjust_for_cost_of_living


def benefit_event(benefit: Benefit) -> BenefitUpserted | BenefitDeactivated:
    """The benefit's current-state event. Replicas (referrals) need the kind of what a programme
    pays: the double-funding signal."""
    contract = BenefitUpserted if benefit.active else BenefitDeactivated
    return contract(
        version=benefit.version,
        active=benefit.active,
        updated_at=benefit.updated_at,
        deactivated_at=benefit.deactivated_at,
        benefit_id=benefit.id,
        programme_id=benefit.programme_id,
        service_id=benefit.service_id,
        kind=benefit.kind,
        per=benefit.per,
        tops_up_programme_id=benefit.tops_up_programme_id,
    )


async def _publish_benefit(session: AsyncSession, benefit: Benefit) -> None:
    await publish(session, benefit_event(benefit), benefit.id)


async def add_benefit(
    session: AsyncSession,
    actor: Principal,
    data: BenefitIn,
    *,
    programme_id: uuid.UUID | None = None,
    service_id: uuid.UUID | None = None,
    benefit_id: uuid.UUID | None = None,
) -> Benefit:
    owner = await owner_of(session, actor, programme_id=programme_id, service_id=service_id)
    _require_active(owner)
    errors = FieldErrors()
    await _check_benefit(session, owner, data, errors)
    errors.raise_if_any()
    benefit = Benefit(id=benefit_id or uuid.uuid4(), **owner.ids)
    _apply_benefit(benefit, data)
    session.add(benefit)
    await save_change(
        session,
        actor,
        benefit,
        entity_type="benefit",
        organization_id=owner.organization_id,
        action="created",
        before={},
    )
    await _publish_benefit(session, benefit)
    return benefit


async def _locked_benefit(
    session: AsyncSession, actor: Principal, benefit_id: uuid.UUID
) -> tuple[Benefit, Owner]:
    benefit = await repository.get_benefit(session, benefit_id, for_update=True)
    if benefit is None:
        raise NotFound(f"No benefit {benefit_id}.")
    return benefit, await owner_of(
        session, actor, programme_id=benefit.programme_id, service_id=benefit.service_id
    )


async def replace_benefit(
    session: AsyncSession, actor: Principal, benefit_id: uuid.UUID, data: BenefitIn, if_match: str | None
) -> Benefit:
    benefit, owner = await _locked_benefit(session, actor, benefit_id)
    check_if_match(if_match, benefit.version)
    errors = FieldErrors()
    await _check_benefit(session, owner, data, errors)
    errors.raise_if_any()
    before = benefit.snapshot()
    _apply_benefit(benefit, data)
    if history.jsonable(benefit.snapshot()) == history.jsonable(before):
        return benefit
    benefit.touch()
    await save_change(
        session,
        actor,
        benefit,
        entity_type="benefit",
        organization_id=owner.organization_id,
        action="updated",
        before=before,
    )
    await _publish_benefit(session, benefit)
    return benefit


async def deactivate_benefit(
    session: AsyncSession, actor: Principal, benefit_id: uuid.UUID, if_match: str | None
) -> Benefit:
    benefit, owner = await _locked_benefit(session, actor, benefit_id)
    check_if_match(if_match, benefit.version)
    if await deactivate_row(
        session, actor, benefit, entity_type="benefit", organization_id=owner.organization_id
    ):
        await _publish_benefit(session, benefit)
    return benefit


# --- cost of living and exchange rates ----------------------------------------------------------


async def set_factor(
    session: AsyncSession, actor: Principal, governorate_code: str, data: FactorIn, if_match: str | None
) -> CostOfLivingFactor:
    permissions.require(actor, permissions.COST_OF_LIVING_WRITE)
    factor = await repository.get_factor(session, governorate_code, for_update=True)
    if factor is None:
        if if_match is not None:
            raise PreconditionFailed("No factor is set for this governorate yet; create it without If-Match.")
        factor = CostOfLivingFactor(
            governorate_code=governorate_code,
            factor=data.factor.quantize(MILLI),
            version=1,
            updated_at=utcnow(),
        )
        session.add(factor)
        before: dict[str, object] = {}
        action = "created"
    else:
        check_if_match(if_match, factor.version)
        before = factor.snapshot()
        if Decimal(factor.factor) == data.factor:
            return factor
        factor.factor = data.factor.quantize(MILLI)
        factor.version += 1
        factor.updated_at = utcnow()
        action = "updated"
    await session.flush()
    await history.record(
        session,
        actor,
        entity_type="cost_of_living_factor",
        entity_id=governorate_code,
        organization_id=None,
        version=factor.version,
        action=action,
        before=before,
        after=factor.snapshot(),
    )
    return factor


async def set_rate(
    session: AsyncSession, actor: Principal, currency: str, data: RateIn, if_match: str | None
) -> CurrencyRate:
    permissions.require(actor, permissions.COST_OF_LIVING_WRITE)
    rate = await repository.get_rate(session, currency, for_update=True)
    if rate is None:
        if if_match is not None:
            raise PreconditionFailed("No rate is set for this currency yet; create it without If-Match.")
        rate = CurrencyRate(
            currency=currency,
            iqd_per_unit=data.iqd_per_unit.quantize(MICRO),
            as_of=data.as_of,
            version=1,
            updated_at=utcnow(),
        )
        session.add(rate)
        before: dict[str, object] = {}
        action = "created"
    else:
        check_if_match(if_match, rate.version)
        before = rate.snapshot()
        if (Decimal(rate.iqd_per_unit), rate.as_of) == (data.iqd_per_unit, data.as_of):
            return rate
        rate.iqd_per_unit, rate.as_of = data.iqd_per_unit.quantize(MICRO), data.as_of
        rate.version += 1
        rate.updated_at = utcnow()
        action = "updated"
    await session.flush()
    await history.record(
        session,
        actor,
        entity_type="currency_rate",
        entity_id=currency,
        organization_id=None,
        version=rate.version,
        action=action,
        before=before,
        after=rate.snapshot(),
    )
    return rate


# --- entitlements -------------------------------------------------------------------------------


async def entitlements(
    session: AsyncSession, person: ReturneeProfile, *, eligible_only: bool
) -> EntitlementsOut:
    on = person.on_date or date.today()
    notes: list[str] = []
    factors = await repository.all_factors(session)
    if person.governorate_code in factors:
        factor = Decimal(factors[person.governorate_code].factor)
    else:
        factor = Decimal(1)
        notes.append(f"No cost-of-living factor is set for {person.governorate_code}; 1.000 is used.")
    money = ent.Money(
        factor=factor,
        rates={c: Decimal(r.iqd_per_unit) for c, r in (await repository.all_rates(session)).items()},
    )

    active_programmes = await programmes.active(session)
    rules = repository.by_owner(await repository.active_rules(session))
    benefits = repository.by_owner(await repository.active_benefits(session))

    # Programmes first: a top-up applies only when its base programme admits the person.
    programme_rules = {
        p.id: ent.programme_conditions(p, person, on) + ent.rule_results(rules.get(p.id, []), person, on)
        for p in active_programmes
    }
    eligible = {pid: all(r.matched for r in results) for pid, results in programme_rules.items()}
    names = {p.id: p.name.get("en") or next(iter(p.name.values()), str(p.id)) for p in active_programmes}

    # Services: those with rules or benefits of their own, and those funded by a programme.
    funded: dict[uuid.UUID, list[uuid.UUID]] = {}
    if active_programmes:
        for row in await session.execute(
            select(programme_service).where(
                programme_service.c.programme_id.in_([p.id for p in active_programmes])
            )
        ):
            funded.setdefault(row.programme_id, []).append(row.service_id)
    service_ids = {i for i in rules.keys() | benefits.keys() if i not in eligible}
    services = {
        s.id: s
        for s in await directory.get_many(session, service_ids | {s for ids in funded.values() for s in ids})
    }
    services = {i: s for i, s in services.items() if s.active}
    cover = await coverage(session, list(services))

    def nearby(pid: uuid.UUID) -> list[ServiceRef]:
        return [
            ServiceRef(id=s.id, organization_id=s.organization_id, name=s.name)
            for sid in sorted(funded.get(pid, []))
            if (s := services.get(sid)) is not None and cover[sid].check(person).matched
        ]

    programme_out = []
    for p in active_programmes:
        ok = eligible[p.id]
        results = ent.benefit_results(
            benefits.get(p.id, []),
            person,
            money,
            eligible=ok,
            eligible_programmes=eligible,
            programme_names=names,
        )
        programme_out.append(
            ProgrammeEntitlement(
                programme_id=p.id,
                name=p.name,
                funder_countries=list(p.funder_countries),
                eligible=ok,
                rules=programme_rules[p.id],
                benefits=results,
                cash_total_iqd=ent.cash_total(results),
                services_nearby=nearby(p.id),
            )
        )

    service_out = []
    for sid in sorted(service_ids & services.keys(), key=lambda i: (services[i].name.get("en", ""), i)):
        svc = services[sid]
        area = cover[sid].check(person)
        results_r = [
            RuleResult(rule_id=None, criterion="service_area", matched=area.matched, reason=area.reason)
        ]
        results_r += ent.rule_results(rules.get(sid, []), person, on)
        ok = all(r.matched for r in results_r)
        results_b = ent.benefit_results(
            benefits.get(sid, []),
            person,
            money,
            eligible=ok,
            eligible_programmes=eligible,
            programme_names=names,
        )
        service_out.append(
            ServiceEntitlement(
                service_id=sid,
                organization_id=svc.organization_id,
                name=svc.name,
                eligible=ok,
                rules=results_r,
                benefits=results_b,
                cash_total_iqd=ent.cash_total(results_b),
            )
        )

    missing = sorted(
        {
            b.currency
            for items in benefits.values()
            for b in items
            if b.currency and b.currency != "IQD" and b.currency not in money.rates
        }
    )
    if missing:
        notes.append(f"No exchange rate is set for {', '.join(missing)}; those amounts are not converted.")
    if eligible_only:
        programme_out = [p for p in programme_out if p.eligible]
        service_out = [s for s in service_out if s.eligible]
    total = sum(p.cash_total_iqd for p in programme_out if p.eligible) + sum(
        s.cash_total_iqd for s in service_out if s.eligible
    )
    return EntitlementsOut(
        evaluated_on=on,
        governorate_code=person.governorate_code,
        cost_of_living_factor=factor,
        cash_total_iqd=total,
        programmes=programme_out,
        services=service_out,
        notes=notes,
    )
