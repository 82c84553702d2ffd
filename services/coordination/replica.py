"""The directory replica: registry events applied only when their version is newer.

Registry events carry full state, so the last version wins whatever order events arrive in (a
replay of the last-per-subject stream, a redelivery, an upsert overtaking a deactivation).
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.coordination.models import (
    location,
    organization,
    programme,
    programme_service,
    service,
    service_cell,
    taxonomy_term,
)
from shared.contracts import registry as reg
from shared.events import CloudEvent


def _name(text: reg.Translations) -> str:
    return text.en or text.ckb or text.ar or ""


# The registry states this replica keeps; any other (a benefit) is skipped, not dead-lettered.
FOLLOWED = (
    reg.OrganizationState,
    reg.LocationState,
    reg.ServiceState,
    reg.ProgrammeState,
    reg.TaxonomyTermState,
)


def _row(payload: reg.EntityState) -> tuple[sa.Table, uuid.UUID, dict[str, Any]]:
    common = {"version": payload.version, "active": payload.active and payload.deactivated_at is None}
    if isinstance(payload, reg.OrganizationState):
        return (
            organization,
            payload.organization_id,
            {
                **common,
                "kind": payload.kind,
                "name": _name(payload.name),
                "country_code": payload.country_code,
            },
        )
    if isinstance(payload, reg.LocationState):
        return (
            location,
            payload.location_id,
            {
                **common,
                "organization_id": payload.organization_id,
                "location_type": payload.location_type,
                "governorate_code": payload.governorate_code,
                "district_code": payload.district_code,
            },
        )
    if isinstance(payload, reg.ServiceState):
        return (
            service,
            payload.service_id,
            {
                **common,
                "organization_id": payload.organization_id,
                "name": _name(payload.name),
                "status": payload.status,
                "accepts_referrals": payload.accepts_referrals,
                "open_places": payload.capacity.open_places,
                "taxonomy_term_codes": list(payload.taxonomy_term_codes),
                "location_ids": list(payload.location_ids),
                "service_areas": [a.model_dump() for a in payload.service_areas],
            },
        )
    if isinstance(payload, reg.ProgrammeState):
        return (
            programme,
            payload.programme_id,
            {
                **common,
                "name": _name(payload.name),
                "funder_countries": sorted(payload.funder_countries),
                "funding_instruments": list(payload.funding_instruments),
                "thematic_areas": list(payload.thematic_areas),
                "target_group": payload.target_group,
                "eligible_return_types": sorted(payload.eligible_return_types),
                "starts_on": payload.starts_on,
                "ends_on": payload.ends_on,
                "implementing_organization_ids": list(payload.implementing_organization_ids),
                "service_ids": list(payload.service_ids),
            },
        )
    if isinstance(payload, reg.TaxonomyTermState):
        return (
            taxonomy_term,
            payload.taxonomy_term_id,
            {**common, "code": payload.code, "dimension": payload.dimension, "name": _name(payload.name)},
        )
    raise TypeError(f"not a registry state: {type(payload).__name__}")


async def upsert_if_newer(
    session: AsyncSession, table: sa.Table, entity_id: uuid.UUID, row: dict[str, Any]
) -> bool:
    """Insert, or overwrite a strictly older version. True when the row changed."""
    stmt = insert(table).values(id=entity_id, **row)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.id], set_=row, where=table.c.version < stmt.excluded.version
    ).returning(table.c.id)
    return (await session.execute(stmt)).first() is not None


async def refresh_service_cells(session: AsyncSession, service_ids: list[uuid.UUID]) -> None:
    """Recompute where and what each service offers from the replica's current state.

    Its service areas, or, when it names none, the governorates of its active locations.
    """
    if not service_ids:
        return
    await session.execute(sa.delete(service_cell).where(service_cell.c.service_id.in_(service_ids)))
    await session.execute(
        sa.text(
            """
            INSERT INTO service_cell (service_id, governorate_code, district_code, term_code)
            SELECT DISTINCT s.id, a.governorate_code, a.district_code, t.code
            FROM service s
            CROSS JOIN LATERAL (
                SELECT x->>'governorate_code' AS governorate_code,
                       coalesce(x->>'district_code', '') AS district_code
                FROM jsonb_array_elements(s.service_areas) x
                UNION ALL
                SELECT l.governorate_code, coalesce(l.district_code, '')
                FROM location l
                WHERE jsonb_array_length(s.service_areas) = 0
                  AND l.id = ANY(s.location_ids) AND l.active AND l.governorate_code IS NOT NULL
            ) a
            CROSS JOIN LATERAL unnest(s.taxonomy_term_codes) AS t(code)
            WHERE s.id = ANY(:ids) AND a.governorate_code IS NOT NULL
            """
        ),
        {"ids": service_ids},
    )


async def apply_registry_event(session: AsyncSession, event: CloudEvent) -> None:
    payload = event.payload()
    if not isinstance(payload, FOLLOWED):
        return  # a registry event type this service does not follow (benefits, for one)
    table, entity_id, row = _row(payload)
    if not await upsert_if_newer(session, table, entity_id, row):
        return  # an older or equal version: the replica already holds newer state
    if table is service:
        await refresh_service_cells(session, [entity_id])
    elif table is location:
        ids = (
            await session.scalars(
                sa.select(service.c.id).where(
                    sa.literal(entity_id).op("=")(sa.func.any(service.c.location_ids))
                )
            )
        ).all()
        await refresh_service_cells(session, list(ids))
    elif table is programme:
        await session.execute(
            sa.delete(programme_service).where(programme_service.c.programme_id == entity_id)
        )
        if row["service_ids"]:
            await session.execute(
                insert(programme_service)
                .values([{"programme_id": entity_id, "service_id": s} for s in set(row["service_ids"])])
                .on_conflict_do_nothing()
            )
