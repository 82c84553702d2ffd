"""Queries on rules, benefits, cost-of-living factors and exchange rates."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from services.registry.eligibility.models import Benefit, CostOfLivingFactor, CurrencyRate, EligibilityRule


def _owned(
    model: type[EligibilityRule] | type[Benefit], programme_id: uuid.UUID | None, service_id: uuid.UUID | None
) -> ColumnElement[bool]:
    if programme_id is not None:
        return model.programme_id == programme_id
    return model.service_id == service_id


async def get_rule(
    session: AsyncSession, rule_id: uuid.UUID, *, for_update: bool = False
) -> EligibilityRule | None:
    query = select(EligibilityRule).where(EligibilityRule.id == rule_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def rules_of(
    session: AsyncSession,
    *,
    programme_id: uuid.UUID | None = None,
    service_id: uuid.UUID | None = None,
    include_deactivated: bool = False,
) -> list[EligibilityRule]:
    query = select(EligibilityRule).where(_owned(EligibilityRule, programme_id, service_id))
    if not include_deactivated:
        query = query.where(EligibilityRule.deactivated_at.is_(None))
    return list(
        (await session.execute(query.order_by(EligibilityRule.created_at, EligibilityRule.id))).scalars()
    )


async def get_benefit(
    session: AsyncSession, benefit_id: uuid.UUID, *, for_update: bool = False
) -> Benefit | None:
    query = select(Benefit).where(Benefit.id == benefit_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def benefits_of(
    session: AsyncSession,
    *,
    programme_id: uuid.UUID | None = None,
    service_id: uuid.UUID | None = None,
    include_deactivated: bool = False,
) -> list[Benefit]:
    query = select(Benefit).where(_owned(Benefit, programme_id, service_id))
    if not include_deactivated:
        query = query.where(Benefit.deactivated_at.is_(None))
    return list((await session.execute(query.order_by(Benefit.created_at, Benefit.id))).scalars())


async def active_rules(session: AsyncSession) -> list[EligibilityRule]:
    query = select(EligibilityRule).where(EligibilityRule.deactivated_at.is_(None))
    return list(
        (await session.execute(query.order_by(EligibilityRule.created_at, EligibilityRule.id))).scalars()
    )


async def active_benefits(session: AsyncSession) -> list[Benefit]:
    query = select(Benefit).where(Benefit.deactivated_at.is_(None))
    return list((await session.execute(query.order_by(Benefit.created_at, Benefit.id))).scalars())


async def get_factor(
    session: AsyncSession, code: str, *, for_update: bool = False
) -> CostOfLivingFactor | None:
    query = select(CostOfLivingFactor).where(CostOfLivingFactor.governorate_code == code)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def all_factors(session: AsyncSession) -> dict[str, CostOfLivingFactor]:
    rows = await session.execute(select(CostOfLivingFactor))
    return {f.governorate_code: f for f in rows.scalars()}


async def get_rate(session: AsyncSession, currency: str, *, for_update: bool = False) -> CurrencyRate | None:
    query = select(CurrencyRate).where(CurrencyRate.currency == currency)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def all_rates(session: AsyncSession) -> dict[str, CurrencyRate]:
    rows = await session.execute(select(CurrencyRate).order_by(CurrencyRate.currency))
    return {r.currency: r for r in rows.scalars()}


def by_owner(items: Iterable[EligibilityRule | Benefit]) -> dict[uuid.UUID, list]:  # type: ignore[type-arg]
    out: dict[uuid.UUID, list] = {}  # type: ignore[type-arg]
    for item in items:
        owner = item.programme_id or item.service_id
        assert owner is not None
        out.setdefault(owner, []).append(item)
    return out
