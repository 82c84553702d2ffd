"""Record changes as field-level differences between two snapshots of an entity."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.history import repository
from services.registry.history.models import ChangeRecord
from shared.auth import Principal
from shared.db import utcnow


def jsonable(value: Any) -> Any:
    """A snapshot value as JSON: ids and dates as strings, amounts as exact decimal strings."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    return value


async def record(
    session: AsyncSession,
    actor: Principal,
    *,
    entity_type: str,
    entity_id: uuid.UUID | str,
    organization_id: uuid.UUID | None,
    version: int,
    action: str,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
) -> int:
    """Write one record per field whose value differs. Returns how many fields changed."""
    now = utcnow()
    rows = []
    for field in sorted(set(before) | set(after)):
        old, new = jsonable(before.get(field)), jsonable(after.get(field))
        if old == new:
            continue
        rows.append(
            ChangeRecord(
                entity_type=entity_type,
                entity_id=str(entity_id),
                organization_id=organization_id,
                version=version,
                action=action,
                field=field,
                old_value=old,
                new_value=new,
                changed_by=actor.username,
                changed_by_organization_id=actor.org_id,
                changed_at=now,
            )
        )
    repository.add_all(session, rows)
    return len(rows)
