"""Queries against the registry replica: validating a referral target, suggesting alternatives."""

from __future__ import annotations

import uuid
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from services.referrals.replica.models import (
    ReplicaBenefit,
    ReplicaOrganization,
    ReplicaProgramme,
    ReplicaService,
    ReplicaTaxonomyTerm,
)


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


async def receives_returnees(session: AsyncSession, org_id: uuid.UUID) -> bool:
    """An active migrant resource centre, or an organization running an arrival-reception service."""
    org = await organization(session, org_id)
    if org is None or not org.active:
        return False
    if org.kind == "migrant_resource_centre":
        return True
    reception = (
        sa.select(ReplicaService.id)
        .join(ReplicaTaxonomyTerm, ReplicaTaxonomyTerm.code == sa.any_(ReplicaService.taxonomy_term_codes))
        .where(
            ReplicaService.organization_id == org_id,
            ReplicaService.active.is_(True),
            ReplicaService.status == "active",
            ReplicaTaxonomyTerm.active.is_(True),
            ReplicaTaxonomyTerm.dimension == "arrival_reception",
        )
        .limit(1)
    )
    return (await session.execute(reception)).first() is not None


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


CASH_KINDS = ("cash", "top_up")


def _current(today: date) -> sa.ColumnElement[bool]:
    return sa.and_(
        ReplicaProgramme.active.is_(True),
        ReplicaProgramme.starts_on <= today,
        sa.or_(ReplicaProgramme.ends_on.is_(None), ReplicaProgramme.ends_on >= today),
    )


async def dimensions_served(
    session: AsyncSession, governorate: str | None, return_type: str, today: date
) -> set[str]:
    """Reintegration dimensions with at least one active service this person could be referred to.

    A service serves a dimension through its taxonomy terms (each term names its dimension); it is
    in reach when it covers the governorate (no areas: everywhere) and, when programmes fund it,
    at least one current programme admits the person's return type (as :func:`alternatives`).
    """
    funded_by = sa.and_(_current(today), ReplicaService.id == sa.any_(ReplicaProgramme.service_ids))
    in_area = sa.or_(
        sa.func.jsonb_array_length(ReplicaService.service_areas) == 0,
        ReplicaService.service_areas.contains([{"governorate_code": governorate}]),
    )
    admits = sa.or_(
        sa.func.cardinality(ReplicaProgramme.eligible_return_types) == 0,
        sa.literal(return_type) == sa.any_(ReplicaProgramme.eligible_return_types),
    )
    query = (
        sa.select(ReplicaTaxonomyTerm.dimension)
        .distinct()
        .join(ReplicaService, ReplicaTaxonomyTerm.code == sa.any_(ReplicaService.taxonomy_term_codes))
        .where(
            ReplicaTaxonomyTerm.active.is_(True),
            ReplicaTaxonomyTerm.dimension.is_not(None),
            ReplicaService.active.is_(True),
            ReplicaService.status == "active",
            ReplicaService.accepts_referrals.is_(True),
            in_area if governorate is not None else sa.true(),
            sa.or_(
                ~sa.exists().where(funded_by),
                sa.exists().where(funded_by, admits),
            ),
        )
    )
    return {d for d in (await session.execute(query)).scalars() if d}


async def cash_overlap(
    session: AsyncSession, programme_id: uuid.UUID | None, taken: list[uuid.UUID]
) -> list[str]:
    """Cash kinds ``programme_id`` pays that one of the ``taken`` programmes (other than it) pays too."""
    others = [p for p in taken if p != programme_id]
    if programme_id is None or not others:
        return []
    other = aliased(ReplicaBenefit)
    rows = await session.execute(
        sa.select(ReplicaBenefit.kind)
        .distinct()
        .where(
            ReplicaBenefit.programme_id == programme_id,
            ReplicaBenefit.active.is_(True),
            ReplicaBenefit.kind.in_(CASH_KINDS),
            sa.exists().where(
                other.programme_id.in_(others),
                other.active.is_(True),
                other.kind == ReplicaBenefit.kind,
            ),
        )
        .order_by(ReplicaBenefit.kind)
    )
    return list(rows.scalars())
