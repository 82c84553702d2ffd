"""Keep the registry replica fresh: apply a registry state event only when it is newer.

Registry events carry the full state and a ``version`` per entity, so a replay in any order ends
in the right state: an upsert whose version is not higher than the stored one changes nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.referrals.replica.models import (
    ReplicaBenefit,
    ReplicaOrganization,
    ReplicaProgramme,
    ReplicaService,
    ReplicaTaxonomyTerm,
)
from shared.contracts import registry
from shared.events.envelope import CloudEvent


async def _upsert(session: AsyncSession, model: type[Any], values: dict[str, Any]) -> None:
    stmt = insert(model).values(**values)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[model.id],
            set_={k: stmt.excluded[k] for k in values if k != "id"},
            where=model.version < stmt.excluded.version,
        )
    )


async def apply_registry_event(session: AsyncSession, event: CloudEvent) -> None:
    payload = event.payload()
    if isinstance(payload, registry.OrganizationState):
        await _upsert(
            session,
            ReplicaOrganization,
            {
                "id": payload.organization_id,
                "version": payload.version,
                "active": payload.active,
                "kind": payload.kind,
                "name": payload.name.en,
            },
        )
    elif isinstance(payload, registry.ServiceState):
        await _upsert(
            session,
            ReplicaService,
            {
                "id": payload.service_id,
                "version": payload.version,
                "active": payload.active,
                "organization_id": payload.organization_id,
                "status": payload.status,
                "name": payload.name.en,
                "accepts_referrals": payload.accepts_referrals,
                "referral_response_hours": payload.referral_response_hours,
                "open_places": payload.capacity.open_places,
                "taxonomy_term_codes": list(payload.taxonomy_term_codes),
                "service_areas": [a.model_dump() for a in payload.service_areas],
            },
        )
    elif isinstance(payload, registry.ProgrammeState):
        await _upsert(
            session,
            ReplicaProgramme,
            {
                "id": payload.programme_id,
                "version": payload.version,
                "active": payload.active,
                "name": payload.name.en,
                "funder_countries": list(payload.funder_countries),
                "eligible_return_types": list(payload.eligible_return_types),
                "service_ids": list(payload.service_ids),
                "starts_on": payload.starts_on,
                "ends_on": payload.ends_on,
            },
        )
    elif isinstance(payload, registry.TaxonomyTermState):
        await _upsert(
            session,
            ReplicaTaxonomyTerm,
            {
                "id": payload.taxonomy_term_id,
                "version": payload.version,
                "active": payload.active,
                "code": payload.code,
                "dimension": payload.dimension,
            },
        )
    elif isinstance(payload, registry.BenefitState):
        await _upsert(
            session,
            ReplicaBenefit,
            {
                "id": payload.benefit_id,
                "version": payload.version,
                "active": payload.active,
                "programme_id": payload.programme_id,
                "service_id": payload.service_id,
                "kind": payload.kind,
            },
        )
    # Locations and unknown types: nothing the referrals service needs.
