"""Saving a change to a versioned registry row together with its change-history record.

Every entity writes its history the same way (the row's id and new version, the snapshot before
and after), and deactivates the same way (soft, one new version); only what they publish and
reindex afterwards differs, so that stays with each entity's rules.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.history import service as history
from shared.auth import Principal
from shared.db import utcnow


class Versioned(Protocol):
    """A registry row with the Tracked columns and a snapshot of the fields its history shows."""

    id: uuid.UUID
    version: int
    deactivated_at: object

    @property
    def active(self) -> bool: ...

    def touch(self) -> None: ...

    def snapshot(self) -> dict[str, object]: ...


async def save_change(
    session: AsyncSession,
    actor: Principal,
    row: Versioned,
    *,
    entity_type: str,
    organization_id: uuid.UUID | None,
    action: str,
    before: dict[str, object],
    links: Mapping[str, object] | None = None,
) -> None:
    """Flush the row, then record how it differs from `before` (`{}` for a creation).

    `links` adds what the history shows beside the row's own fields (a programme's services and
    organizations). Flushed first so that a constraint the database refuses fails before any
    history is written, and so that the snapshot after holds the column defaults.
    """
    await session.flush()
    await history.record(
        session,
        actor,
        entity_type=entity_type,
        entity_id=row.id,
        organization_id=organization_id,
        version=row.version,
        action=action,
        before=before,
        after={**row.snapshot(), **(links or {})},
    )


async def deactivate_row(
    session: AsyncSession,
    actor: Principal,
    row: Versioned,
    *,
    entity_type: str,
    organization_id: uuid.UUID | None,
) -> bool:
    """Deactivate the row as one new version. False, and nothing written, if it already was."""
    if not row.active:
        return False
    before = row.snapshot()
    row.deactivated_at = utcnow()
    row.touch()
    await save_change(
        session,
        actor,
        row,
        entity_type=entity_type,
        organization_id=organization_id,
        action="deactivated",
        before=before,
    )
    return True
