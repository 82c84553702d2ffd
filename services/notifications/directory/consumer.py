"""Keep the replica fresh: a registry state event applies only when its version is higher."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.directory.models import ReplicaOrganization, ReplicaService
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
                "name": payload.name.model_dump(),
                "email": payload.email,
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
                "name": payload.name.model_dump(),
            },
        )
