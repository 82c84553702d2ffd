"""A replica of the registry, as another service would keep one: fed only by REGISTRY events.

Each event carries the entity's full state and version; the replica keeps, per entity, the state
with the highest version. So it does not matter that the stream holds both the last "upserted" and
the "deactivated" event of an entity (their subjects differ): the higher version wins.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.consumer import define_inbox_tables
from shared.db import make_metadata
from shared.events.envelope import CloudEvent

metadata = make_metadata()
inbox, dead_letter = define_inbox_tables(metadata)
replica = sa.Table(
    "registry_replica",
    metadata,
    sa.Column("entity", sa.Text, primary_key=True),
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("state", JSONB, nullable=False),
)


async def apply(session: AsyncSession, event: CloudEvent) -> None:
    contract = event.payload()
    assert contract is not None, f"unknown event type {event.type}"
    statement = insert(replica).values(
        entity=contract.entity,
        id=event.subject,
        version=event.data["version"],
        active=event.data["active"],
        state=event.data,
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["entity", "id"],
            set_={
                "version": statement.excluded.version,
                "active": statement.excluded.active,
                "state": statement.excluded.state,
            },
            # An older version (replayed late, or the other verb's last message) never overwrites a newer one.
            where=replica.c.version < statement.excluded.version,
        )
    )
