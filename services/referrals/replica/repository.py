"""Queries against the registry replica: validating a referral target, suggesting alternatives."""

from __future__ import annotations

import uuid
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.referrals.replica.models import ReplicaOrganization, ReplicaProgramme, ReplicaService


async def service(session: AsyncSession, service_id: uuid.UUID) -> ReplicaService | None:
    return await session.get(ReplicaService, service_id)


async def organization(session: AsyncSession, org_id: uuid.UUID) -> ReplicaOrganization | None:
    return await session.get(ReplicaOrganization, org_id)


async def programme(session: AsyncSession, programme_id: uuid.UUID) -> ReplicaProgramme | None:
    return await session.get(ReplicaProgramme, programme_id)


async def programmes_funding(
    session: AsyncSession, service_id: uuid.UUID, today: date
) -> list[ReplicaProgramme]:
    rows = await session.execute(
        sa.select(ReplicaProgramme).where(
            ReplicaProgramme.active.is_(True),
            sa.literal(service_id, sa.Uuid) == sa.any_(ReplicaProgramme.service_ids),
            ReplicaProgramme.starts_on <= today,
            sa.or_(ReplicaProgramme.ends_on.is_(None), ReplicaProgramme.ends_on >= today),
        )
    )
    return list(rows.scalars())


def programme_admits(programme: ReplicaProgramme, return_type: str) -> bool:
    return not programme.eligible_return_types or return_type in programme.eligible_return_types


def serves_area(svc: ReplicaService, governorate: str | None) -> bool:
    if not svc.service_areas or governorate is None:
        return True
    return any(a.get("governorate_code") == governorate for a in svc.service_areas)


def is_referrable(svc: ReplicaService) -> bool:
    return svc.active and svc.status == "active" and svc.accepts_referrals


async def alternatives(
    session: AsyncSession,
    *,
    exclude_service_id: uuid.UUID,
    taxonomy_codes: list[str],
    return_type: str,
    governorate: str | None,
    today: date,
    limit: int = 5,
) -> list[tuple[ReplicaService, ReplicaProgramme | None]]:
    """Other services of the same kind that would take this person, with a programme to use."""
    if not taxonomy_codes:
        return []
    rows = await session.execute(
        sa.select(ReplicaService)
        .where(
            ReplicaService.id != exclude_service_id,
            ReplicaService.active.is_(True),
            ReplicaService.status == "active",
            ReplicaService.accepts_referrals.is_(True),
            ReplicaService.taxonomy_term_codes.overlap(taxonomy_codes),
        )
        .order_by(sa.func.coalesce(ReplicaService.open_places, 0).desc(), ReplicaService.id)
        .limit(50)
    )
    out: list[tuple[ReplicaService, ReplicaProgramme | None]] = []
    for svc in rows.scalars():
        if not serves_area(svc, governorate):
            continue
        funding = await programmes_funding(session, svc.id, today)
        eligible = [p for p in funding if programme_admits(p, return_type)]
        if funding and not eligible:
            continue
        out.append((svc, eligible[0] if eligible else None))
        if len(out) >= limit:
            break
    return out
